/**
 * No RPT, PCT, claim token, client credential or ID token crosses plain http to another machine
 * (RFC 6750 §5.3). The servers listen on 127.0.0.1 but are addressed by names that are not loopback
 * by their spelling (`rs.example.test`): a test fetch resolves every name to 127.0.0.1, so the
 * refusal is proven on a real exchange and nothing leaves the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TesseraService } from '../../src/app/service';
import { HttpClient } from '../../packages/uma/src/http/fetch';
import { signIn } from '../../packages/uma/src/identity/oidc';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { Transcript } from '../../packages/uma/src/kernel/transcript';
import { INSECURE_TRANSPORT, allowsInsecureRequests, isSecureOrLoopback } from '../../packages/uma/src/kernel/urls';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { umaTokenRequest } from '../../packages/uma/src/uma/grant';
import { cliRunner } from '../fixtures/cli-run';
import { loopbackResolvingFetch } from '../fixtures/resolve-to-loopback';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

let fx: Fixture;
let home: string;
let rsPort: string;
let asPort: string;
beforeAll(async () => {
  fx = await startFixture();
  rsPort = new URL(fx.rsOrigin).port;
  asPort = new URL(fx.asOrigin).port;
  home = await mkdtemp(join(tmpdir(), 'tessera-insecure-'));
});
afterAll(async () => {
  await fx.close();
  await rm(home, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const ctx = { lane: 'rs' as const, kind: 'resource' as const, flowId: 'f' };
const creds = { clientId: 'tessera', clientSecret: 'fixture-secret-123' };

describe('the rule, in the kernel', () => {
  it('plain http only to this machine, by name', () => {
    for (const ok of ['https://rs.example.com/', 'http://127.0.0.1:1/', 'http://127.9.8.7/', 'http://[::1]:8/', 'http://localhost/', 'http://app.localhost/']) expect(isSecureOrLoopback(ok), ok).toBe(true);
    for (const bad of ['http://rs.example.com/', 'http://10.0.0.1/', 'http://localhost.example.com/', 'http://128.0.0.1/', 'ftp://localhost/']) expect(isSecureOrLoopback(bad), bad).toBe(false);
    expect(allowsInsecureRequests('http://127.0.0.1/token')).toBe(true);
    expect(allowsInsecureRequests('https://as.example.com/token')).toBe(false);
    expect(allowsInsecureRequests('http://as.example.com/token')).toBe(false);
  });
});

describe('packages/uma/src/http refuses credentials to a non-loopback http origin', () => {
  it('sends a credential-free request (the name resolves to this machine)', async () => {
    const fetch = loopbackResolvingFetch();
    const http = new HttpClient({ fetch });
    const result = await http.request(`http://rs.example.test:${rsPort}/r/bills`, ctx);
    expect(result.status).toBe(401);
    expect(fetch.sent).toHaveLength(1);
  });

  it('refuses an Authorization header and token form fields before a byte leaves, with the origin in facts', async () => {
    const fetch = loopbackResolvingFetch();
    const transcript = new Transcript();
    const http = new HttpClient({ fetch, transcript });
    const origin = `http://rs.example.test:${rsPort}`;
    await expect(http.request(`${origin}/r/bills`, { ...ctx, headers: { Authorization: 'Bearer rpt-secret' } })).rejects.toMatchObject({ code: INSECURE_TRANSPORT, facts: { origin } });
    for (const field of ['client_secret=s', 'claim_token=x&claim_token_format=y', 'pct=p', 'rpt=r', 'client_assertion=a', 'refresh_token=t', 'token=t']) {
      await expect(http.request(`${origin}/token`, { ...ctx, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=x&${field}` }), field).rejects.toMatchObject({ code: INSECURE_TRANSPORT });
    }
    expect(fetch.sent).toEqual([]);
    expect(transcript.steps[0]?.error?.code).toBe(INSECURE_TRANSPORT);
    expect(JSON.stringify(transcript.steps)).not.toContain('rpt-secret');
  });

  it('lets credentials go to loopback names (*.localhost) over http', async () => {
    const fetch = loopbackResolvingFetch();
    const http = new HttpClient({ fetch });
    const result = await http.request(`http://rs.localhost:${rsPort}/r/bills`, { ...ctx, headers: { authorization: 'Bearer nothing' } });
    expect(result.status).toBe(401);
  });
});

describe('every path that carries a token', () => {
  it('agent.fetch: an http RS on another machine gets no RPT, and the AS is not even asked for one', async () => {
    const fetch = loopbackResolvingFetch();
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri }] }, defaultClient: creds, fetch });
    const before = fx.stats.token;
    const result = await agent.fetch(`http://rs.example.test:${rsPort}/r/bills`);
    expect(result.outcome).toBe('error');
    expect(result.error).toMatchObject({ code: INSECURE_TRANSPORT, facts: { origin: `http://rs.example.test:${rsPort}` } });
    // Refused on the challenge: no claims, client secret or ticket spent on a token that could not be used.
    expect(fx.stats.token).toBe(before);
    expect(result.steps.map((s) => s.error?.code ?? s.status)).toEqual([INSECURE_TRANSPORT]);
    expect(fetch.sent.filter((s) => s.url.includes('rs.example.test') && s.headers.authorization)).toEqual([]);
    expect(fetch.sent.filter((s) => !s.url.includes('rs.example.test'))).toEqual([]);
  });

  it('the token endpoint: no client secret, ticket or claim token to an http token endpoint on another machine', async () => {
    const fetch = loopbackResolvingFetch();
    const http = new HttpClient({ fetch });
    const metadata = { issuer: fx.asUri, token_endpoint: `http://as.example.test:${asPort}/token` };
    await expect(umaTokenRequest(metadata as never, { client_id: 'tessera', client_secret: 'fixture-secret-123', auth_method: 'client_secret_post', registration: 'static' }, { ticket: 't' }, { http, flowId: 'f' }))
      .rejects.toMatchObject({ code: INSECURE_TRANSPORT, facts: { origin: `http://as.example.test:${asPort}` } });
    expect(fetch.sent).toEqual([]);
  });

  it('signIn: an http issuer on another machine is refused before discovery or the browser', async () => {
    const fetch = loopbackResolvingFetch();
    const opened: string[] = [];
    const issuer = `http://idp.example.test:${asPort}`;
    await expect(signIn({ issuer, clientId: 'tessera' }, { http: new HttpClient({ fetch }), opener: async (url) => void opened.push(url), timeoutMs: 2000 }))
      .rejects.toMatchObject({ code: INSECURE_TRANSPORT, facts: { origin: issuer } });
    expect(fetch.sent).toEqual([]);
    expect(opened).toEqual([]);
  });

  it('`tessera fetch` of an http RS on another machine: the error code, the body of the 401 kept', async () => {
    const fetch = loopbackResolvingFetch();
    vi.stubGlobal('fetch', fetch);
    const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
    const r = await run(['fetch', `http://rs.example.test:${rsPort}/r/bills`, '--trust', fx.asUri, '--client-id', creds.clientId, '--client-secret', creds.clientSecret, '--json']);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout).error.code).toBe(INSECURE_TRANSPORT);
    expect(fetch.sent.filter((s) => s.url.includes('rs.example.test') && s.headers.authorization)).toEqual([]);
  });

  it('the app\'s openResource: same refusal, shown as the flow\'s error', async () => {
    const fetch = loopbackResolvingFetch();
    vi.stubGlobal('fetch', fetch);
    const service = await TesseraService.create({ home: await mkdtemp(join(tmpdir(), 'tessera-insecure-svc-')), store: new MemoryStore(), mode: 'browser', opener: async () => {} });
    try {
      await service.call('trustAs', { issuer: fx.asUri });
      const { flowId } = await service.call('openResource', { url: `http://rs.example.test:${rsPort}/r/bills` });
      let flow;
      for (let i = 0; i < 200 && !(flow && !flow.running); i++) {
        flow = (await service.getState()).flows.find((f) => f.flowId === flowId);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(flow?.error?.code).toBe(INSECURE_TRANSPORT);
      expect(fetch.sent.filter((s) => s.url.includes('rs.example.test') && s.headers.authorization)).toEqual([]);
    } finally {
      await service.close();
    }
  });
});
