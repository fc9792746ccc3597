/**
 * OpenID issuers are compared exactly (OIDC Discovery §4.3, RFC 8414 §3.3): a provider whose issuer
 * ends in `/` (Auth0 does) signs people in through `tessera login` and the app. Only the person's
 * trust list matches leniently (packages/uma/src/kernel/trust.ts `findTrustedAs`). The provider here is the demo's
 * Hospital ID (oidc-provider) started with the issuer `http://127.0.0.1:PORT/`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraService } from '../../src/app/service';
import { setCliOpener } from '../../src/cli/opener';
import { startIdp } from '../../src/demo/idp';
import { USERS } from '../../src/demo/seed';
import { MemoryKv } from '../../src/demo/store/kv';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { findTrustedAs, issuersEqual } from '../../packages/uma/src/kernel/trust';
import { cliRunner } from '../fixtures/cli-run';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

let server: Server;
let issuer: string;
let home: string;
beforeAll(async () => {
  server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await startIdp({ kv: new MemoryKv(), server, issuer, asIssuer: 'http://127.0.0.1:9', log: () => {} });
  home = await mkdtemp(join(tmpdir(), 'tessera-slash-'));
});
afterAll(async () => {
  setCliOpener(undefined);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(home, { recursive: true, force: true });
});

/** The person at the browser: signs in as alice and lets the redirect reach the loopback. */
function alice() {
  const opened: string[] = [];
  const opener = async (u: string) => {
    opened.push(u);
    const redirect = new URL(u).searchParams.get('redirect_uri') ?? '';
    const back = (x: string) => x.startsWith(redirect);
    const browser = new HttpBrowser();
    let page = await browser.open(u, back);
    if (!back(page.url)) page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: USERS.find((x) => x.username === 'alice')?.password ?? '' }, back);
    if (!back(page.url)) throw new Error(`no redirect back: ${page.status} ${page.url}`);
    await (await fetch(page.url)).text();
  };
  return { opened, opener };
}

describe('a provider whose issuer ends in /', () => {
  it('the comparison rules: exact for issuers, lenient only in the trust list', () => {
    expect(issuersEqual('https://id.example/', 'https://id.example/')).toBe(true);
    expect(issuersEqual('https://id.example/', 'https://id.example')).toBe(false);
    const policy = { authorizationServers: [{ issuer: 'https://as.example/' }] };
    expect(findTrustedAs(policy, 'https://as.example')?.issuer).toBe('https://as.example/');
  });

  it('`tessera login` signs in and keeps the issuer exactly', async () => {
    setCliOpener(alice().opener);
    const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
    const r = await run(['login', '--issuer', issuer, '--client-id', 'tessera', '--timeout', '20', '--json']);
    expect(r.stderr).not.toContain('issuer');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ issuer, sub: 'alice', identity: `${issuer}#alice` });
  }, 30_000);

  it('the app signs in at it', async () => {
    const { opener } = alice();
    const service = await TesseraService.create({ home: await mkdtemp(join(tmpdir(), 'tessera-slash-app-')), store: new MemoryStore(), mode: 'browser', opener });
    try {
      const identity = await service.call('signIn', { issuer, clientId: 'tessera' });
      expect(identity).toMatchObject({ issuer, sub: 'alice' });
    } finally {
      await service.close();
    }
  }, 30_000);
});
