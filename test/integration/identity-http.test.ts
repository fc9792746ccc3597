/**
 * Identity over packages/uma/src/http against the real demo IdP (Hospital ID, oidc-provider) on 127.0.0.1, the
 * person's browser played by an HttpBrowser that signs in through the IdP's own form: every provider
 * exchange (discovery, token, JWKS, refresh, revocation) is an `idp`-lane transcript step without a
 * raw token, code or verifier; the browser legs are `browser`-lane steps; "sign in as someone else"
 * makes the provider ask again; sign-out ends the provider session (RP-initiated logout).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInDemoSetup } from '../../src/app/demo-setup';
import { TesseraService } from '../../src/app/service';
import { main } from '../../src/cli/main';
import { setCliOpener } from '../../src/cli/opener';
import { startDemo, type DemoHandle } from '../../src/demo';
import { HttpClient, type FetchLike } from '../../packages/uma/src/http/fetch';
import { endSessionAtProvider, refresh, revokeAtProvider, signIn, type ProviderClient } from '../../packages/uma/src/identity/oidc';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import { composeEngine } from '../../src/app/engine';
import { IdentityClaimsSource } from '../../packages/uma/src/identity/claims-source';
import { Identities } from '../../packages/uma/src/identity/identities';
import { Transcript } from '../../packages/uma/src/kernel/transcript';
import { launchChromium } from '../fixtures/chromium';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

let demo: DemoHandle;
const homes: string[] = [];
beforeAll(async () => { demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } }); });
afterAll(async () => {
  setCliOpener(undefined);
  await demo.close();
  await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })));
});

const provider = (): ProviderClient => ({ issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access' });

/** An HTTP client over the real network that also keeps every raw body it saw, to scan the transcript for. */
function tapped() {
  const raw: string[] = [];
  const tap: FetchLike = async (input, init) => {
    if (typeof init.body === 'string') raw.push(init.body);
    const response = await fetch(input, init);
    raw.push(await response.clone().text());
    return response;
  };
  const transcript = new Transcript();
  return { http: new HttpClient({ transcript, fetch: tap }), transcript, raw };
}

/** Every secret value in the raw exchanges (form parameters and JSON members named like secrets). */
function secretsIn(raw: string[]): string[] {
  const names = ['code', 'code_verifier', 'id_token', 'refresh_token', 'access_token', 'token'];
  const out: string[] = [];
  for (const text of raw) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      for (const n of names) if (typeof json[n] === 'string') out.push(json[n]);
    } catch {
      const form = new URLSearchParams(text);
      for (const n of names) { const v = form.get(n); if (v) out.push(v); }
    }
  }
  return out;
}

/** The person at the browser: signs in as `username` when the IdP shows its form, delivers the redirect to the loopback. */
function person(browser: HttpBrowser, username: () => string) {
  const seen = { opened: [] as string[], loginPages: 0, callbacks: [] as string[] };
  const opener = async (u: string) => {
    seen.opened.push(u);
    const redirect = new URL(u).searchParams.get('redirect_uri') ?? '';
    const back = (x: string) => x.startsWith(redirect);
    let page = await browser.open(u, back);
    if (!back(page.url)) {
      expect(page.text).toContain('Sign in to Hospital ID');
      seen.loginPages++;
      const user = demo.config.users.find((x) => x.username === username());
      page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: username(), password: user?.password ?? '' }, back);
    }
    if (!back(page.url)) throw new Error(`browser did not return: ${page.status} ${page.url} ${page.text.replace(/<style>[\s\S]*<\/style>/, "").slice(0, 1500)}`);
    seen.callbacks.push(page.url);
    await (await fetch(page.url)).text();
  };
  return { seen, opener };
}

/** Does an authorization request in this browser show the sign-in page (no provider session) or go straight back? */
async function providerAsks(browser: HttpBrowser): Promise<boolean> {
  const u = new URL(`${demo.config.idp.issuer}/auth`);
  const redirect = 'http://127.0.0.1:49160/oidc/callback';
  u.search = new URLSearchParams({ client_id: 'tessera', response_type: 'code', scope: 'openid', redirect_uri: redirect, state: 'probe-state', nonce: 'n', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }).toString();
  const page = await browser.open(u.href, (x) => x.startsWith(redirect));
  return page.text.includes('Sign in to Hospital ID');
}

describe('identity through packages/uma/src/http', () => {
  it('a sign-in records discovery, token and JWKS on the idp lane and the browser leg, with no raw token, code or verifier', async () => {
    const { http, transcript, raw } = tapped();
    const browser = new HttpBrowser();
    const { seen, opener } = person(browser, () => 'alice');
    const signed = await signIn(provider(), { opener, http, flowId: 'signin-1', timeoutMs: 15_000 });
    expect(signed.claims).toMatchObject({ sub: 'alice', email: 'alice@hospital.example' });
    const steps = transcript.flow('signin-1');
    expect(steps.length).toBe(transcript.steps.length);
    expect(steps.map((s) => `${s.lane}:${s.kind}`)).toEqual(['idp:oidc_discovery', 'browser:signin', 'idp:token', 'idp:jwks']);
    expect(steps.find((s) => s.kind === 'oidc_discovery')?.url).toBe(`${demo.config.idp.issuer}/.well-known/openid-configuration`);
    expect(steps.find((s) => s.kind === 'token')?.status).toBe(200);
    expect(steps.find((s) => s.kind === 'jwks')?.response?.body).toContain('"keys"');
    const leg = steps.find((s) => s.kind === 'signin');
    expect(leg?.url).toContain(`${demo.config.idp.issuer}/auth?`);
    expect(leg?.url).toContain('code_challenge_method=S256');
    expect(leg?.url).not.toContain(new URL(seen.opened[0] ?? '').searchParams.get('state') ?? 'x');
    // The token step describes the ID token by fingerprint and decoded claims.
    expect(steps.find((s) => s.kind === 'token')?.tokens?.some((t) => t.jwt?.claims.sub === 'alice')).toBe(true);
    const secrets = [...secretsIn(raw), new URL(seen.callbacks[0] ?? '').searchParams.get('code') ?? ''];
    expect(secrets).toEqual(expect.arrayContaining([signed.idToken, signed.refreshToken]));
    expect(secrets.length).toBeGreaterThanOrEqual(5); // code, code_verifier, id, access, refresh
    const json = JSON.stringify(transcript.steps);
    for (const s of secrets) expect(json).not.toContain(s);
  });

  it('refresh and revocation are idp-lane steps; a revoked refresh token no longer refreshes', async () => {
    const { http, transcript, raw } = tapped();
    const { opener } = person(new HttpBrowser(), () => 'sam');
    const signed = await signIn(provider(), { opener, http, flowId: 'signin-2', timeoutMs: 15_000 });
    const refreshed = await refresh(provider(), signed.refreshToken ?? '', signed.idToken, { http, flowId: 'refresh-1' });
    expect(refreshed.claims.sub).toBe('sam');
    // A refresh must stay about the same person (OIDC Core §12.2).
    const alice = await signIn(provider(), { opener: person(new HttpBrowser(), () => 'alice').opener, http, timeoutMs: 15_000 });
    await expect(refresh(provider(), alice.refreshToken ?? '', refreshed.idToken, { http })).rejects.toThrow(/different person/);
    expect(transcript.flow('refresh-1').map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['idp:oidc_discovery:200', 'idp:refresh:200']);
    const current = refreshed.refreshToken ?? '';
    expect(await revokeAtProvider(provider(), current, { http, flowId: 'revoke-1' })).toBe('revoked');
    expect(transcript.flow('revoke-1').map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['idp:oidc_discovery:200', 'idp:revocation:200']);
    await expect(refresh(provider(), current, undefined, { http, flowId: 'refresh-2' })).rejects.toMatchObject({ code: 'identity_expired' });
    expect(transcript.flow('refresh-2').find((s) => s.kind === 'refresh')?.status).toBe(400);
    const json = JSON.stringify(transcript.steps);
    for (const s of [...secretsIn(raw), signed.refreshToken ?? 'x', current]) expect(json).not.toContain(s);
  });

  it("an expired sign-in is refreshed inside the fetch that needs it: the refresh is a step of the fetch's flow", async () => {
    const { http, transcript } = tapped();
    const store = new MemoryStore();
    const signed = await signIn(provider(), { opener: person(new HttpBrowser(), () => 'sam').opener, http, timeoutMs: 15_000 });
    await new Identities(store).save(provider(), { ...signed, idTokenExpiresAt: Date.now() - 1000 });
    const source = new IdentityClaimsSource(store, { http: () => http });
    const claim = await source.claimTokenFor({ asIssuer: demo.config.as.issuer, party: `${demo.config.idp.issuer}#sam`, flowId: 'fetch-7' });
    expect(claim?.identity).toBe(`${demo.config.idp.issuer}#sam`);
    expect(transcript.flow('fetch-7').map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['idp:oidc_discovery:200', 'idp:refresh:200']);
  });

  it('the engine passes the fetch\'s flow to the claims source: an expired sign-in\'s refresh is on that flow\'s timeline', async () => {
    const store = new MemoryStore();
    const signed = await signIn(provider(), { opener: person(new HttpBrowser(), () => 'alice').opener, timeoutMs: 15_000 });
    await new Identities(store).save(provider(), { ...signed, idTokenExpiresAt: Date.now() - 1000 });
    const as = demo.config.as;
    await store.put('client', storeKeys.client(as.issuer), { client_id: as.tesseraClient.client_id, client_secret: as.tesseraClient.client_secret, auth_method: 'client_secret_basic', registration: 'static' }, { issuer: as.issuer, clientId: as.tesseraClient.client_id });
    const engine = composeEngine({ store, trust: { authorizationServers: [{ issuer: as.issuer }] } });
    const url = demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const result = await engine.agent.fetch(url, { flowId: 'fetch-8', party: `${demo.config.idp.issuer}#alice` });
    expect(result.outcome, JSON.stringify(result.error)).toBe('granted');
    const kinds = result.steps.map((s) => `${s.lane}:${s.kind}`);
    expect(kinds).toContain('idp:refresh');
    expect(result.steps.every((s) => s.flowId === 'fetch-8')).toBe(true);
  });

  it('"sign in as someone else" sends prompt=login and max_age=0, and the provider asks again (Chromium as the browser)', async () => {
    const { http, transcript } = tapped();
    const chromium = await launchChromium();
    try {
      const context = await chromium.newContext();
      let who = 'alice';
      const opened: string[] = [];
      let loginPages = 0;
      const opener = async (u: string) => {
        opened.push(u);
        const page = await context.newPage();
        await page.goto(u);
        const form = page.locator('input[name="login"]');
        await form.or(page.getByText('You are signed in')).first().waitFor();
        if (await form.isVisible()) {
          loginPages++;
          await page.getByLabel('Username').fill(who);
          await page.getByLabel('Password').fill(`${who}-demo`);
          await page.getByRole('button', { name: 'Sign in', exact: true }).click();
          await page.getByText('You are signed in').waitFor();
        }
        await page.close();
      };
      await signIn(provider(), { opener, http, timeoutMs: 30_000 });
      expect(loginPages).toBe(1);
      // With a provider session, a plain sign-in goes straight back as the same person.
      const again = await signIn(provider(), { opener, http, timeoutMs: 30_000 });
      expect(loginPages).toBe(1);
      expect(again.claims.sub).toBe('alice');
      expect(new URL(opened[1] ?? '').searchParams.get('prompt')).toBeNull();
      who = 'sam';
      const switched = await signIn(provider(), { opener, http, flowId: 'switch-1', switchUser: true, timeoutMs: 30_000 });
      const sent = new URL(opened[2] ?? '').searchParams;
      expect(sent.get('prompt')).toBe('login');
      expect(sent.get('max_age')).toBe('0');
      expect(loginPages).toBe(2);
      expect(switched.claims).toMatchObject({ sub: 'sam', email: 'sam@family.example' });
      expect(transcript.flow('switch-1').find((s) => s.kind === 'signin')?.url).toMatch(/prompt=login.*max_age=0|max_age=0.*prompt=login/);
    } finally {
      await chromium.close();
    }
  }, 60_000);

  it('sign-out opens end_session_endpoint with id_token_hint through the opener, and the provider session really ends', async () => {
    const { http, transcript } = tapped();
    const browser = new HttpBrowser();
    const { opener } = person(browser, () => 'insurer');
    const signed = await signIn(provider(), { opener, http, timeoutMs: 15_000 });
    expect(await providerAsks(browser)).toBe(false);
    const opened: string[] = [];
    const result = await endSessionAtProvider(provider(), signed.idToken, {
      http,
      flowId: 'logout-1',
      opener: async (u) => {
        opened.push(u);
        const confirm = await browser.open(u);
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)?.[1] ?? '';
        await browser.submit(confirm.url, formAction(confirm.text), { xsrf, logout: 'yes' });
      },
    });
    expect(result).toBe('opened');
    const target = new URL(opened[0] ?? '');
    expect(`${target.origin}${target.pathname}`).toBe(`${demo.config.idp.issuer}/session/end`);
    expect(target.searchParams.get('id_token_hint')).toBe(signed.idToken);
    expect(target.searchParams.has('post_logout_redirect_uri')).toBe(false);
    expect(transcript.flow('logout-1').map((s) => `${s.lane}:${s.kind}`)).toEqual(['idp:oidc_discovery', 'browser:logout']);
    expect(JSON.stringify(transcript.steps)).not.toContain(signed.idToken);
    expect(await providerAsks(browser)).toBe(true);
  });

  it('sends post_logout_redirect_uri only when one is registered for the client, and the provider returns there', async () => {
    const browser = new HttpBrowser();
    const signed = await signIn(provider(), { opener: person(browser, () => 'alice').opener, timeoutMs: 15_000 });
    const registered = 'http://127.0.0.1/oidc/logout-callback'; // Hospital ID's registration for Tessera
    let landed = '';
    const result = await endSessionAtProvider({ ...provider(), postLogoutRedirectUri: registered }, signed.idToken, {
      opener: async (u) => {
        expect(new URL(u).searchParams.get('post_logout_redirect_uri')).toBe(registered);
        const confirm = await browser.open(u);
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)?.[1] ?? '';
        landed = (await browser.submit(confirm.url, formAction(confirm.text), { xsrf, logout: 'yes' }, (x) => x.startsWith(registered))).url;
      },
    });
    expect(result).toBe('opened');
    expect(landed.startsWith(registered)).toBe(true);
    expect(await providerAsks(browser)).toBe(true);
  });
});

describe('tessera login --switch / logout', () => {
  it('login --switch forces the sign-in page; logout revokes and opens the end-session page', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-idp-http-'));
    homes.push(home);
    const env = { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'identity-http-pass', TESSERA_VAULT_BACKENDS: 'passphrase' };
    const run = async (argv: string[]) => {
      let out = '';
      let err = '';
      const code = await main(argv, { env, stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
      return { code, out, err };
    };
    const browser = new HttpBrowser();
    const { seen, opener } = person(browser, () => 'alice');
    const ended: string[] = [];
    setCliOpener(async (u) => {
      if (new URL(u).pathname.endsWith('/session/end')) {
        ended.push(u);
        const confirm = await browser.open(u);
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)?.[1] ?? '';
        await browser.submit(confirm.url, formAction(confirm.text), { xsrf, logout: 'yes' });
        return;
      }
      await opener(u);
    });
    const login = ['login', '--issuer', demo.config.idp.issuer, '--client-id', 'tessera', '--scope', 'openid email profile role offline_access', '--json'];
    expect((await run(login)).code).toBe(0);
    expect(seen.loginPages).toBe(1);
    const switched = await run([...login, '--switch']);
    expect(switched.err).toBe('');
    expect(switched.code).toBe(0);
    expect(seen.loginPages).toBe(2);
    expect(new URL(seen.opened[1] ?? '').searchParams.get('prompt')).toBe('login');
    expect(new URL(seen.opened[1] ?? '').searchParams.get('max_age')).toBe('0');
    const out = await run(['logout', '--all', '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.out)).toMatchObject([{ identity: `${demo.config.idp.issuer}#alice`, revocation: 'revoked', providerSession: 'opened' }]);
    expect(new URL(ended[0] ?? '').searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(await providerAsks(browser)).toBe(true);
  });
});

describe('the app service', () => {
  it('a sign-in and a sign-out are flows on the timeline, with idp-lane and browser steps and no raw token', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-idp-service-'));
    homes.push(home);
    const browser = new HttpBrowser();
    const { opener } = person(browser, () => 'alice');
    const ended: string[] = [];
    const service = await TesseraService.create({
      home, store: new MemoryStore(), mode: 'browser',
      opener: async (u) => { if (new URL(u).pathname.endsWith('/session/end')) ended.push(u); else await opener(u); },
      demo: builtInDemoSetup(demo.config),
    });
    try {
      const live: string[] = [];
      service.subscribe((e) => { if (e.type === 'flow') live.push(...e.flow.steps.map((s) => s.kind)); });
      const who = await service.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access' });
      expect(who.sub).toBe('alice');
      const [signInFlow] = (await service.getState()).flows;
      expect(signInFlow).toMatchObject({ url: demo.config.idp.issuer, running: false, outcome: 'granted' });
      expect(signInFlow?.steps.map((s) => `${s.lane}:${s.kind}`)).toEqual(['idp:oidc_discovery', 'browser:signin', 'idp:token', 'idp:jwks']);
      expect(live).toContain('token');
      await service.call('signOut', { key: who.key });
      const state = await service.getState();
      expect(state.identities).toEqual([]);
      expect(state.flows[0]?.steps.map((s) => `${s.lane}:${s.kind}:${s.status ?? ''}`)).toEqual(['idp:oidc_discovery:200', 'idp:revocation:200', 'idp:oidc_discovery:200', 'browser:logout:']);
      const hint = new URL(ended[0] ?? '').searchParams.get('id_token_hint') ?? '';
      expect(hint).toMatch(/^eyJ/);
      expect(JSON.stringify(state)).not.toContain(hint);
    } finally {
      await service.close();
    }
  });
});
