/**
 * Requesting-party identity through the `tessera` CLI against the demo IdP and AS, with headless
 * Chromium playing the system browser through the opener hook: sign in, push the ID token, claims
 * interaction, refresh of an expired ID token, sign-out, and the failure paths.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { setCliOpener } from '../../src/cli/opener';
import { storeKeys } from '../../packages/uma/src/kernel/store';
import { startDemo, type DemoHandle } from '../../src/demo';
import { openVault } from '../../src/vault';
import { launchChromium } from '../fixtures/chromium';

let demo: DemoHandle;
let browser: Browser;
const homes: string[] = [];
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } });
  browser = await launchChromium();
});
afterAll(async () => {
  setCliOpener(undefined);
  await browser?.close();
  await demo?.close();
  await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })));
});

async function env() {
  const home = await mkdtemp(join(tmpdir(), 'tessera-identity-'));
  homes.push(home);
  return { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'identity-test-pass', TESSERA_VAULT_BACKENDS: 'passphrase' };
}
async function run(argv: string[], e: Record<string, string>) {
  let out = '';
  let err = '';
  const code = await main(argv, { env: e, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}
const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
const asArgs = () => ['--trust', demo.config.as.issuer, '--client-id', 'tessera', '--client-secret', 'tessera-demo-secret'];
const login = (extra: string[] = []) => ['login', '--issuer', demo.config.idp.issuer, '--client-id', 'tessera', '--scope', 'openid email profile role offline_access', ...extra];

/** Chromium as the system browser: `script` plays the person on the opened page. */
function chromiumOpener(script: (page: Page) => Promise<void>) {
  const opened: string[] = [];
  setCliOpener(async (u) => {
    opened.push(u);
    const page = await browser.newPage();
    void (async () => {
      try { await page.goto(u); await script(page); } catch { /* the test's assertions report it */ } finally { setTimeout(() => void page.close(), 500); }
    })();
  });
  return opened;
}
const signInAs = (username: string) => async (page: Page) => {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(`${username}-demo`);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText('You are signed in').waitFor();
};

describe('tessera login / fetch / whoami / logout with Chromium as the browser', () => {
  it("Dr. Alice signs in at Hospital ID; her ID token gets Kate's prescriptions; claims interaction gets the blood test", async () => {
    const e = await env();
    const opened = chromiumOpener(signInAs('alice'));
    const signed = await run(login(['--json']), e);
    expect(signed.err).not.toContain('Error');
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.out)).toMatchObject({ issuer: demo.config.idp.issuer, sub: 'alice', email: 'alice@hospital.example', role: 'physician', refreshable: true });
    expect(new URL(opened[0] ?? '').searchParams.get('code_challenge_method')).toBe('S256');
    expect(new URL(opened[0] ?? '').searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oidc\/callback$/);

    const who = await run(['whoami', '--json'], e);
    expect(JSON.parse(who.out)).toMatchObject([{ key: `${demo.config.idp.issuer}#alice`, email: 'alice@hospital.example', expired: false }]);
    expect(who.out).not.toMatch(/eyJ/);

    const rx = await run(['fetch', url('prescriptions'), ...asArgs(), '--no-interaction', '--json'], e);
    expect(JSON.parse(rx.out).outcome).toBe('granted');
    expect(rx.code).toBe(0);

    // Blood test: the AS asks for the lab's terms; Chromium accepts them on the AS's page.
    chromiumOpener(async (page) => {
      await page.getByLabel("I accept the lab's terms").check();
      await page.getByRole('button', { name: 'Accept and continue' }).click();
      await page.getByText('return to Tessera').waitFor();
    });
    const lab = await run(['fetch', url('blood-test'), ...asArgs(), '--json'], e);
    expect(JSON.parse(lab.out).outcome).toBe('granted');
    expect(JSON.parse(JSON.parse(lab.out).body).kind).toBe('lab-report');

    const out = await run(['logout', '--json'], e);
    expect(JSON.parse(out.out)).toEqual([{ identity: `${demo.config.idp.issuer}#alice`, revocation: 'revoked', providerSession: 'opened' }]);
    expect(JSON.parse((await run(['whoami', '--json'], e)).out)).toEqual([]);
  });

  it('an expired ID token is refreshed before it is pushed; without a refresh token the user is told to sign in again', async () => {
    const e = await env();
    chromiumOpener(signInAs('sam'));
    expect((await run(login(), e)).code).toBe(0);
    const key = storeKeys.identity(demo.config.idp.issuer, 'sam');
    const expire = async (dropRefresh: boolean) => {
      const vault = await openVault({ home: e.TESSERA_HOME, passphrase: e.TESSERA_PASSPHRASE });
      const record = await vault.get<Record<string, unknown>>('identity', key);
      const { refreshToken, ...rest } = record?.value ?? {};
      await vault.put('identity', key, { ...rest, ...(dropRefresh ? {} : { refreshToken }), idTokenExpiresAt: Date.now() - 1000 }, record?.meta);
      await vault.close();
    };
    await expire(false);
    const refreshed = await run(['fetch', url('prescriptions'), ...asArgs(), '--no-interaction', '--json'], e);
    expect(JSON.parse(refreshed.out).outcome).toBe('granted');
    const who = JSON.parse((await run(['whoami', '--json'], e)).out) as { expired: boolean }[];
    expect(who[0]?.expired).toBe(false);
    await expire(true);
    const stale = await run(['fetch', url('bills'), ...asArgs(), '--no-interaction', '--json'], e);
    const result = JSON.parse(stale.out) as { outcome: string; error?: { code: string; hint: string } };
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('identity_expired');
    expect(result.error?.hint).toContain('tessera login');
  });

  it('a held identity is never pushed to an untrusted AS: nothing goes to the AS at all', async () => {
    const e = await env();
    chromiumOpener(signInAs('alice'));
    expect((await run(login(), e)).code).toBe(0);
    const r = await run(['fetch', url('prescriptions'), '--json'], e);
    const result = JSON.parse(r.out) as { outcome: string; steps: { lane: string; kind: string }[] };
    expect(result.outcome).toBe('untrusted_as');
    expect(r.code).toBe(5);
    // Only the RS: the resource and the metadata its challenge names (RFC 9728), never the AS.
    expect(result.steps.map((s) => `${s.lane}:${s.kind}`)).toEqual(['rs:resource', 'rs:discovery']);
  });

  it('the provider’s error redirect (the person cancels) is reported clearly', async () => {
    const e = await env();
    chromiumOpener(async (page) => { await page.getByRole('button', { name: 'Cancel' }).click(); });
    const r = await run(login(), e);
    expect(r.code).toBe(1);
    expect(r.err).toContain('access_denied');
  });

  it('times out when nobody comes back from the browser', async () => {
    const e = await env();
    setCliOpener(async () => {});
    const r = await run(login(['--timeout', '1', '--json']), e);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('interaction_timeout');
  });
});
