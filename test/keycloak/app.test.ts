/**
 * The app on the Keycloak setup, composed the way `npm start -- --as keycloak` composes it
 * (`startCore` with the Keycloak variant), against this run's Keycloak: Kate's realm trusted as the AS
 * (OpenID configuration for discovery, so revocation works), her five records bookmarked, Keycloak
 * offered for sign-in with the confidential `tessera` client (whose secret stays in the vault), the
 * demo people and her account console. Then, through the service API as the UI calls it: Alice signs
 * in at Keycloak's real login page and gets the prescriptions; Mallory does not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { startCore, type Core } from '../../src/app/compose';
import { loadConfig } from '../../src/app/config';
import { USERS } from '../../src/demo/seed';
import { deleteAllTickets, kateAccount, permissionTickets } from '../fixtures/keycloak-people';
import { formAction, HttpBrowser } from '../fixtures/http-browser';

const kc = inject('keycloak');

describe.skipIf(!kc)('the app on the Keycloak setup (npm start with Keycloak)', () => {
  const issuer = kc?.issuer ?? '';
  let core: Core;
  let home: string;
  /** Who the "person at the browser" signs in as at Keycloak's login page. */
  let who = 'alice';
  const logins: string[] = [];

  beforeAll(async () => {
    await deleteAllTickets(issuer);
    home = await mkdtemp(join(tmpdir(), 'tessera-kc-app-'));
    core = await startCore({
      env: { TESSERA_PASSPHRASE: 'kc-app-test-passphrase' }, mode: 'browser', home,
      // This run's Keycloak instead of a second one; the RS on a free port (the app's default is fixed).
      demo: { keycloak: { keycloakUrl: kc?.url ?? '', rsPort: 0, introspectionCacheMs: 0 } },
      opener: async (url) => {
        // A fresh browser each time: no Keycloak session, so the login form always shows.
        const browser = new HttpBrowser();
        const login = await browser.open(url);
        if (login.status !== 200) throw new Error(`Keycloak login page answered ${login.status}`);
        logins.push(who);
        const password = USERS.find((u) => u.username === who)?.password ?? '';
        const done = await browser.submit(login.url, formAction(login.text, 'kc-form-login'), { username: who, password, credentialId: '' });
        if (!done.url.startsWith('http://127.0.0.1:') || done.url.includes('/realms/')) throw new Error(`sign-in did not reach the loopback redirect: ${done.status} ${done.url}`);
      },
    });
  });
  afterAll(async () => {
    await core?.close();
    await rm(home, { recursive: true, force: true });
  });

  async function finished(flowId: string): Promise<FlowView> {
    for (let i = 0; i < 400; i++) {
      const flow = (await core.service.getState()).flows.find((f) => f.flowId === flowId);
      if (flow && !flow.running) return flow;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('flow did not finish');
  }
  const url = (name: string) => core.keycloak?.rs.resources.find((r) => r.name === name)?.url ?? '';
  async function open(name: string): Promise<FlowView> {
    const { flowId } = await core.service.call('openResource', { url: url(name) });
    return finished(flowId);
  }
  async function signInAs(username: string) {
    who = username;
    return core.service.call('signIn', { issuer, clientId: 'tessera', scope: 'openid email profile', switchUser: true });
  }

  it("trusts Kate's realm with Tessera's client, bookmarks her five records, offers Keycloak, names the people and her account console", async () => {
    expect(core.keycloak?.keycloak.issuer).toBe(issuer);
    expect(core.demo).toBeUndefined();
    const state = await core.service.call('getState', {});
    expect(state.trusted).toEqual([{ issuer, keycloak: true, label: "Kate's Keycloak realm (demo)", clientId: 'tessera', registration: 'static', setup: { discoveryUrl: `${issuer}/.well-known/openid-configuration` }, dpop: 'auto',
      // The demo realm's view-events client is kept for its events at the first start (its secret never here).
      events: expect.objectContaining({ credential: true, clientId: 'tessera-events' }) }]);
    expect(state.resources.map((r) => [r.title, r.url])).toEqual(core.keycloak?.rs.resources.map((r) => [r.title, r.url]));
    expect(state.resources.map((r) => r.title)).toEqual(["Kate's prescriptions", "Kate's blood-test report", "Kate's hospital bills", "Kate's discharge letter (PDF)", "Kate's care notes"]);
    expect(state.providers).toEqual([{ issuer, clientId: 'tessera', label: 'Keycloak (demo)', scope: 'openid email profile' }]);
    expect(state.demo).toMatchObject({ dashboardUrl: `${issuer}/account`, dashboardLabel: 'Keycloak account console', idpLabel: 'Keycloak' });
    expect(state.demo?.people.map((p) => `${p.username}/${p.password}`)).toEqual(['alice/alice-demo', 'sam/sam-demo', 'insurer/insurer-demo', 'mallory/mallory-demo', 'kate/kate-demo']);
    // The client secret is in the vault, never in the state the UI gets.
    expect(JSON.stringify(state)).not.toContain('tessera-demo-secret');
    // Discovery through the OpenID configuration: Keycloak's UMA document has no revocation endpoint.
    expect((await loadConfig(home)).trust.authorizationServers[0]?.discoveryUrl).toBe(`${issuer}/.well-known/openid-configuration`);
    const discovered = await core.service.call('discovery', { issuer });
    expect(discovered.document.revocation_endpoint).toBe(`${issuer}/protocol/openid-connect/revoke`);
  });

  it("Alice signs in at Keycloak's login page with the confidential client and opens Kate's prescriptions: granted", async () => {
    const alice = await signInAs('alice');
    expect(logins).toEqual(['alice']);
    expect(alice).toMatchObject({ issuer, email: 'alice@hospital.example' });
    const state = await core.service.getState();
    expect(state.actingAs.party).toBe(alice.key);
    expect(JSON.stringify(state)).not.toContain('tessera-demo-secret');

    const flow = await open('prescriptions');
    expect(flow.error).toBeUndefined();
    expect(flow.outcome).toBe('granted');
    expect(JSON.parse(flow.body ?? '{}').kind).toBe('prescriptions');
    // Her Keycloak ID token was pushed as the claim token (issued to `tessera`, the grant's client).
    const grant = flow.steps.find((s) => s.kind === 'token');
    expect(grant?.status).toBe(200);
    expect(grant?.request.body).toContain('claim_token_format');
    expect((await core.service.getState()).tokens.filter((t) => t.kind === 'rpt').map((t) => t.identity)).toEqual([alice.key]);
  });

  it("care notes: Alice's request waits for Kate; Kate approves it (as her account console does) and Alice's next open is granted", async () => {
    const pending = await open('care-notes');
    expect(pending.outcome).toBe('pending');
    const careNotes = core.keycloak?.rs.resources.find((r) => r.name === 'care-notes')?.id ?? '';
    const kate = await kateAccount(issuer);
    expect(await kate.requests(careNotes)).toEqual([expect.objectContaining({ username: 'alice', scopes: ['read'] })]);
    expect(await kate.share(careNotes, 'alice', ['read'])).toBe(204);
    expect((await open('care-notes')).outcome).toBe('granted');
  });

  it("Mallory signs in and opens Kate's prescriptions: not granted — Keycloak files her request for Kate, who never approves it", async () => {
    const mallory = await signInAs('mallory');
    expect(logins).toEqual(['alice', 'mallory']);
    expect((await core.service.getState()).actingAs.party).toBe(mallory.key);
    const flow = await open('prescriptions');
    expect(flow.outcome).toBe('pending');
    expect(flow.body).toBeUndefined();
    expect(flow.steps.filter((s) => s.kind === 'resource').map((s) => s.status)).toEqual([401]);
    const prescriptions = core.keycloak?.rs.resources.find((r) => r.name === 'prescriptions')?.id ?? '';
    expect((await permissionTickets(issuer, { resourceId: prescriptions, granted: 'false' })).map((t) => t.requesterName)).toEqual(['mallory']);
    // Alice's RPT is hers: Mallory's flow did not use it.
    expect((await core.service.getState()).tokens.filter((t) => t.kind === 'rpt').map((t) => t.identity)).not.toContain(mallory.key);
  });
});
