/**
 * Managing resources and authorization servers through the service, against the demo servers:
 * rename and remove a resource (a removed demo record stays removed after a restart); an AS added by
 * hand (manual token endpoint, client_secret_post) is used for a real grant, its secret in the vault
 * and nowhere else; a second Open of a running resource joins its flow (one grant); a flow waiting in
 * the system browser says so, re-opens the same page on request, and no view carries its ticket.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { HTTPS_RULE, NO_USERINFO, ONLY_HTTP } from '../../src/app/as-input';
import { TesseraService, type ServiceOptions } from '../../src/app/service';
import { builtInDemoSetup } from '../../src/app/demo-setup';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import type { ClientCredentials } from '../../packages/uma/src/uma/grant';
import { startDemo, type DemoHandle } from '../../src/demo';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

let demo: DemoHandle;
let home: string;
let service: TesseraService;
let options: ServiceOptions;
const store = new MemoryStore();
const browser = new HttpBrowser();
const seen = { signInPages: [] as string[], loginForms: 0, claimsPages: [] as string[] };
let who = 'alice';
/** The person leaves the sign-in page open without signing in. */
let holdSignIn = false;

/** The system browser: Hospital ID sign-in is played through (as `who`); a claims page is only looked at. */
async function opener(u: string): Promise<void> {
  if (new URL(u).origin !== new URL(demo.config.idp.issuer).origin) { seen.claimsPages.push(u); return; }
  seen.signInPages.push(u);
  if (holdSignIn) return;
  const redirect = new URL(u).searchParams.get('redirect_uri') ?? '';
  const back = (x: string) => x.startsWith(redirect);
  let page = await browser.open(u, back);
  if (!back(page.url)) {
    seen.loginForms++;
    page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: who, password: `${who}-demo` }, back);
  }
  // oidc-provider ends a sign-in that replaces a session with a self-submitting form (JavaScript in a real browser).
  for (let i = 0; i < 3 && !back(page.url) && page.text.includes('document.forms[0].submit()'); i++) {
    const fields = Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    page = await browser.submit(page.url, formAction(page.text), fields, back);
  }
  await (await fetch(page.url)).text();
}

const rx = () => demo.config.rs.resources.find((r) => r.title === "Kate's prescriptions")?.url ?? '';
const bloodTest = () => demo.config.rs.resources.find((r) => r.title === "Kate's blood-test report")?.url ?? '';
const signInAlice = () => service.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access' });

async function flow(flowId: string, until: (f: FlowView) => boolean = (f) => !f.running): Promise<FlowView> {
  for (let i = 0; i < 300; i++) {
    const f = (await service.getState()).flows.find((x) => x.flowId === flowId);
    if (f && until(f)) return f;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('flow did not get there');
}
async function forgetRpts(): Promise<void> {
  for (const t of (await service.getState()).tokens.filter((x) => x.kind === 'rpt')) await service.call('forgetToken', { kind: 'rpt', key: t.key });
}

beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } });
  home = await mkdtemp(join(tmpdir(), 'tessera-service-manage-'));
  options = { home, store, mode: 'browser', opener, demo: builtInDemoSetup(demo.config) };
  service = await TesseraService.create(options);
  await signInAlice();
});
afterAll(async () => {
  await service.close();
  await demo.close();
  await rm(home, { recursive: true, force: true });
});

describe('resources you can manage', () => {
  it('renames a demo resource; an empty name or an unknown resource is refused', async () => {
    const state = await service.call('renameResource', { url: rx(), title: 'Prescriptions (Kate)' });
    expect(state.resources.find((r) => r.url === rx())).toMatchObject({ title: 'Prescriptions (Kate)', fromDemo: true });
    await expect(service.call('renameResource', { url: rx(), title: '   ' })).rejects.toThrow(/Give it a name/);
    await expect(service.call('renameResource', { url: 'http://127.0.0.1:1/nothing', title: 'x' })).rejects.toMatchObject({ code: 'usage' });
    await service.call('renameResource', { url: rx(), title: "Kate's prescriptions" });
  });

  it('removes a demo resource, and it stays removed after a restart until added again', async () => {
    const bills = demo.config.rs.resources.find((r) => r.title === "Kate's hospital bills")?.url ?? '';
    expect((await service.call('removeResource', { url: bills })).resources.some((r) => r.url === bills)).toBe(false);
    const again = await TesseraService.create(options);
    try {
      expect((await again.getState()).resources.some((r) => r.url === bills)).toBe(false);
      expect((await again.call('addResource', { url: bills, title: 'Bills' })).resources.some((r) => r.url === bills)).toBe(true);
    } finally {
      await again.close();
    }
  });
});

describe('an authorization server added by hand', () => {
  it('refuses bad input in plain words', async () => {
    await expect(service.call('addAs', { issuer: 'ftp://as.example', authMethod: 'none', clientId: 'x' })).rejects.toThrow(ONLY_HTTP);
    await expect(service.call('addAs', { issuer: 'http://as.example', authMethod: 'none', clientId: 'x' })).rejects.toThrow(HTTPS_RULE);
    await expect(service.call('addAs', { issuer: 'https://as.example', tokenEndpoint: 'http://as.example/token', authMethod: 'none', clientId: 'x' })).rejects.toThrow(HTTPS_RULE);
    await expect(service.call('addAs', { issuer: 'https://as.example', authMethod: 'client_secret_basic', clientId: 'x' })).rejects.toThrow('Give the client secret');
    await expect(service.call('addAs', { issuer: 'https://as.example', authMethod: 'private_key_jwt', clientId: 'x', privateKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^privateKey: /) });
    await expect(service.call('addAs', { issuer: 'https://as.example', authMethod: 'none', clientId: 'x', extra: 1 } as never)).rejects.toThrow();
    expect((await service.getState()).trusted.some((t) => t.issuer === 'https://as.example')).toBe(false);
  });

  it('keeps a PEM private key in the vault as a private JWK (private_key_jwt), not in config.json', async () => {
    const asIssuer = demo.config.as.issuer;
    const discoveryUrl = `${asIssuer}/.well-known/uma2-configuration`;
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await service.call('addAs', { issuer: asIssuer, label: 'Key AS', discoveryUrl, clientId: 'tessera-jwt', authMethod: 'private_key_jwt', privateKey: pem });
    const stored = await store.get<ClientCredentials>('client', storeKeys.client(asIssuer));
    expect(stored?.value).toMatchObject({ client_id: 'tessera-jwt', auth_method: 'private_key_jwt', private_jwk: { kty: 'EC', crv: 'P-256' } });
    expect(stored?.value.private_jwk?.d).toBeTruthy();
    const config = await readFile(join(home, 'config.json'), 'utf8');
    expect(JSON.parse(config).trust.authorizationServers).toContainEqual(expect.objectContaining({ issuer: asIssuer, discoveryUrl, client: { registration: 'static', clientId: 'tessera-jwt', authMethod: 'private_key_jwt' } }));
    expect(config).not.toContain(stored?.value.private_jwk?.d ?? 'x');
    expect(JSON.stringify(await service.getState())).not.toContain(stored?.value.private_jwk?.d ?? 'x');
    // The next test gives the demo AS its own client again.
  });

  it('checks the server before trusting it: nothing listening, an IdP that is not a UMA AS, userinfo, a key that is not a key are refused at their field, and nothing is written', async () => {
    const closed = await new Promise<number>((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolve(port)); }); });
    const idp = demo.config.idp.issuer;
    const clientBefore = JSON.stringify(await store.get('client', storeKeys.client(`http://127.0.0.1:${closed}`)));
    const refused = (input: Parameters<typeof service.call<'addAs'>>[1]) => service.call('addAs', input).then(() => { throw new Error('accepted'); }, (e: unknown) => e as { code: string; message: string });

    const nothing = await refused({ issuer: `http://127.0.0.1:${closed}`, authMethod: 'none', clientId: 'x' });
    expect(nothing).toMatchObject({ code: 'invalid_input' });
    expect(nothing.message).toMatch(/^issuer: Nothing answers there\./);

    const notAs = await refused({ issuer: idp, authMethod: 'none', clientId: 'x' });
    // Hospital ID publishes RFC 8414 metadata with the right issuer, but no UMA grant.
    expect(notAs.message).toMatch(/^issuer: This server does not offer the UMA grant/);
    const oidc = await refused({ issuer: idp, discoveryUrl: `${idp}/.well-known/openid-configuration`, authMethod: 'none', clientId: 'x' });
    expect(oidc.message).toMatch(/^discoveryUrl: This server does not offer the UMA grant/);

    const port = new URL(demo.config.as.issuer).port;
    await expect(service.call('addAs', { issuer: `http://kate:secret@127.0.0.1:${port}`, authMethod: 'none', clientId: 'x' })).rejects.toThrow(NO_USERINFO);
    await expect(service.call('addAs', { issuer: demo.config.as.issuer, discoveryUrl: `http://u:p@127.0.0.1:${port}/.well-known/uma2-configuration`, authMethod: 'none', clientId: 'x' })).rejects.toThrow(NO_USERINFO);

    for (const key of ['{"kty":"RSA","d":"AQAB"}', '{"kty":"EC","crv":"P-256","d":"AAAA"}', '{"kty":"RSA"}', '[1]', '{"kty":"oct","k":"AAAA"}']) {
      await expect(service.call('addAs', { issuer: demo.config.as.issuer, authMethod: 'private_key_jwt', clientId: 'x', privateKey: key }), key).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^privateKey: (This is not|The private key)/) });
    }
    // A real JWK passes the import (and the check: the demo AS is a UMA AS) — exported from a generated key.
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const ok = await service.call('addAs', { issuer: demo.config.as.issuer, authMethod: 'private_key_jwt', clientId: 'x', privateKey: JSON.stringify(jwk) });
    expect(ok.check).toEqual({ source: 'discovery', issuer: demo.config.as.issuer, tokenEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//), umaGrant: 'listed', dpopAlgs: expect.arrayContaining(['ES256']) });

    const configAfter = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { trust: { authorizationServers: { issuer: string }[] } };
    expect(configAfter.trust.authorizationServers.map((a) => a.issuer)).not.toContain(`http://127.0.0.1:${closed}`);
    expect(configAfter.trust.authorizationServers.map((a) => a.issuer)).not.toContain(idp);
    expect(JSON.stringify(configAfter)).not.toContain('secret@');
    expect(JSON.stringify(await store.get('client', storeKeys.client(`http://127.0.0.1:${closed}`)))).toBe(clientBefore);
  });

  it("the demo AS by its token endpoint alone, with client_secret_post: the secret goes to the vault, and Alice's grant goes through it", async () => {
    const asIssuer = demo.config.as.issuer;
    const tokenEndpoint = String((await service.call('discovery', { issuer: asIssuer })).document.token_endpoint);
    const secret = demo.config.as.tesseraClient.client_secret;
    const state = await service.call('addAs', { issuer: asIssuer, tokenEndpoint, clientId: 'tessera', authMethod: 'client_secret_post', clientSecret: secret });
    expect(state.trusted.filter((t) => t.issuer === asIssuer)).toEqual([expect.objectContaining({ clientId: 'tessera', setup: { tokenEndpoint, authMethod: 'client_secret_post' } })]);
    expect(JSON.stringify(state)).not.toContain(secret);
    const config = await readFile(join(home, 'config.json'), 'utf8');
    expect(config).not.toContain(secret);
    expect(JSON.parse(config).trust.authorizationServers).toContainEqual(expect.objectContaining({ issuer: asIssuer, metadata: { token_endpoint: tokenEndpoint }, client: { registration: 'static', clientId: 'tessera', authMethod: 'client_secret_post' } }));
    expect((await store.get<ClientCredentials>('client', storeKeys.client(asIssuer)))?.value).toEqual({ client_id: 'tessera', client_secret: secret, auth_method: 'client_secret_post', registration: 'static' });

    await forgetRpts();
    const done = await flow((await service.call('openResource', { url: rx() })).flowId);
    expect(done.outcome).toBe('granted');
    expect(done.steps.some((s) => s.lane === 'as' && s.kind === 'discovery')).toBe(false);
    const token = done.steps.find((s) => s.lane === 'as' && s.kind === 'token');
    expect(token?.url).toBe(tokenEndpoint);
    expect(Object.keys(token?.request.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('authorization');
    expect(token?.request.body).toContain('client_id=tessera');
    expect(token?.request.body).toContain('client_secret=');
    expect(JSON.stringify(done)).not.toContain(secret);
  });
});

describe('flows', () => {
  it('a second Open of the same resource joins the running flow: one flow id, one grant', async () => {
    await forgetRpts();
    const first = await service.call('openResource', { url: rx() });
    const second = await service.call('openResource', { url: rx() });
    expect(second.flowId).toBe(first.flowId);
    const done = await flow(first.flowId);
    expect(done.outcome).toBe('granted');
    expect(done.access).toBe('issued');
    expect(done.steps.filter((s) => s.kind === 'token')).toHaveLength(1);
    // Finished: the next Open is a new flow (now with the RPT held).
    const third = await service.call('openResource', { url: rx() });
    expect(third.flowId).not.toBe(first.flowId);
    expect((await flow(third.flowId)).access).toBe('held');
    // A different request (another method) never joins.
    const put = await service.call('openResource', { url: rx(), method: 'HEAD' });
    expect(put.flowId).not.toBe(third.flowId);
    await flow(put.flowId);
  });

  it('waiting in the browser for the claims page: the view says so, reopen opens the same page, no view has its ticket', async () => {
    const before = seen.claimsPages.length;
    const { flowId } = await service.call('openResource', { url: bloodTest() });
    const waiting = await flow(flowId, (f) => f.waitingInBrowser !== undefined);
    expect(waiting.running).toBe(true);
    expect(waiting.waitingInBrowser).toEqual({ what: 'claims', origin: new URL(demo.config.as.issuer).origin });
    const page = seen.claimsPages[before] ?? '';
    const ticket = new URL(page).searchParams.get('ticket') ?? '';
    const state = new URL(page).searchParams.get('state') ?? '';
    expect(ticket.length).toBeGreaterThan(8);
    expect(await service.call('reopenBrowser', { flowId })).toEqual({ reopened: true });
    expect(seen.claimsPages.slice(before)).toEqual([page, page]);
    const views = JSON.stringify(await service.getState());
    expect(views).not.toContain(ticket);
    expect(views).not.toContain(state);
    expect(views).not.toContain(page);
    await service.call('cancelFlow', { flowId });
    const cancelled = await flow(flowId);
    expect(cancelled.waitingInBrowser).toBeUndefined();
    await expect(service.call('reopenBrowser', { flowId })).rejects.toMatchObject({ code: 'usage' });
  });

  it('a sign-in waiting at the provider says so on its flow; the same page opens again; Cancel ends it', async () => {
    holdSignIn = true;
    try {
      const before = seen.signInPages.length;
      const signing = service.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', switchUser: true }).catch((e: unknown) => e);
      let waiting: FlowView | undefined;
      for (let i = 0; i < 200 && !waiting; i++) {
        waiting = (await service.getState()).flows.find((f) => f.running && f.url === demo.config.idp.issuer && f.waitingInBrowser);
        if (!waiting) await new Promise((r) => setTimeout(r, 25));
      }
      expect(waiting?.waitingInBrowser).toEqual({ what: 'sign-in', origin: new URL(demo.config.idp.issuer).origin });
      await service.call('reopenBrowser', { flowId: waiting?.flowId ?? '' });
      const pages = seen.signInPages.slice(before);
      expect(pages).toHaveLength(2);
      expect(pages[1]).toBe(pages[0]);
      const stateParam = new URL(pages[0] ?? '').searchParams.get('state') ?? '';
      expect(JSON.stringify(await service.getState())).not.toContain(stateParam);
      await service.call('cancelFlow', { flowId: waiting?.flowId ?? '' });
      expect(await signing).toBeInstanceOf(Error);
      expect((await flow(waiting?.flowId ?? '')).waitingInBrowser).toBeUndefined();
    } finally {
      holdSignIn = false;
    }
  });

  it('"sign in as someone else" through the service sends prompt=login and max_age=0, and the provider asks again', async () => {
    const forms = seen.loginForms;
    await signInAlice();
    expect(seen.loginForms).toBe(forms); // Alice's provider session: no form without switchUser
    who = 'mallory';
    const mallory = await service.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access', switchUser: true });
    const sent = new URL(seen.signInPages.at(-1) ?? '').searchParams;
    expect(sent.get('prompt')).toBe('login');
    expect(sent.get('max_age')).toBe('0');
    expect(seen.loginForms).toBe(forms + 1);
    expect(mallory.sub).toBe('mallory');
  });

  it("after a restart, a sign-in that silently reuses Mallory's provider session does not make her the person acting: it says who it is and waits", async () => {
    // The provider's session in the browser is Mallory's (the test before). Tessera restarts with nothing held.
    await new Promise((r) => setTimeout(r, 3100)); // auth_time is in seconds: Mallory's sign-in is now clearly earlier
    const again = await TesseraService.create({ ...options, store: new MemoryStore() });
    try {
      const forms = seen.loginForms;
      const signed = await again.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access' });
      expect(seen.loginForms).toBe(forms); // no form was shown
      expect(new URL(seen.signInPages.at(-1) ?? '').searchParams.get('max_age')).toBe(String(30 * 24 * 3600)); // asks for auth_time
      expect(signed).toMatchObject({ sub: 'mallory', confirm: {} });
      const state = await again.getState();
      expect(state.actingAs.party).toBe('nobody');
      expect(state.identities.map((i) => i.sub)).toEqual(['mallory']);
      // Confirmed: acting as her.
      expect((await again.call('actAs', { party: signed.key })).actingAs.party).toBe(signed.key);
      // The same person again from her session: no question.
      const same = await again.call('signIn', { issuer: demo.config.idp.issuer, clientId: 'tessera', scope: 'openid email profile role offline_access' });
      expect(same.confirm).toBeUndefined();
    } finally {
      await again.close();
    }
  });
});
