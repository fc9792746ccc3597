/**
 * Tessera's engine against a real Keycloak (one server per run, see setup.ts) and the demo RS,
 * which speaks to Keycloak only through the UMA protection API. Every path Keycloak offers a
 * requesting party: pushed ID token, bearer mode after a real PKCE sign-in, pending requests that
 * Kate approves (Account REST API and protection API), refusal, bad tickets, RPT upgrade, refresh
 * and revocation.
 */
import { decodeJwt } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import type { AsConfig } from '../../packages/uma/src/kernel/trust';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import type { SignedIn } from '../../packages/uma/src/identity/oidc';
import { createAgent, type AgentOptions, type RptValue } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { DiscoveryCache } from '../../packages/uma/src/uma/discovery';
import { HttpClient } from '../../packages/uma/src/http/fetch';
import { keycloakDemoForFile } from '../fixtures/keycloak-demo';
import { grantTicket, kateAccount, keycloakSignIn, permissionTickets } from '../fixtures/keycloak-people';

const kc = inject('keycloak');

describe.skipIf(!kc)('Tessera engine ⇄ real Keycloak', () => {
  const issuer = kc?.issuer ?? '';
  const sessions = new Map<string, SignedIn>();
  // A reused server (TESSERA_KEYCLOAK_URL) keeps earlier runs' requests and approvals: started clean, left clean.
  const kd = keycloakDemoForFile(kc);

  const { resource } = kd;
  async function session(username: string, client: 'tessera' | 'tessera-public' = 'tessera'): Promise<SignedIn> {
    const key = `${username}/${client}`;
    let s = sessions.get(key);
    if (!s) sessions.set(key, (s = await keycloakSignIn(issuer, username, client)));
    return s;
  }

  /** Token-endpoint answers as Keycloak sent them (JSON), for wire facts the transcript redacts. */
  interface Seen { url: string; status: number; body: Record<string, unknown> }
  async function agentFor(username: string, options: { as?: Partial<AsConfig>; agent?: Partial<AgentOptions>; mode?: 'push' | 'bearer' } = {}) {
    const mode = options.mode ?? 'push';
    const signedIn = await session(username, mode === 'push' ? 'tessera' : 'tessera-public');
    const store = new MemoryStore();
    const seen: Seen[] = [];
    const recording: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.includes('/protocol/openid-connect/')) {
        const body = await response.clone().json().catch(() => ({}));
        seen.push({ url, status: response.status, body: body as Record<string, unknown> });
      }
      return response;
    };
    // The requesting party: the person signed in at Keycloak (its subject is a UUID).
    const party = `${issuer}#${String(decodeJwt(signedIn.idToken).sub)}`;
    const agent = createAgent({
      store,
      fetch: recording,
      party,
      trust: { authorizationServers: [{ issuer, ...(mode === 'bearer' ? { client: { registration: 'static', clientId: KEYCLOAK_CLIENTS.tesseraPublic.client_id, authMethod: 'keycloak_bearer' } } : {}), ...options.as }] },
      ...(mode === 'push'
        ? {
            defaultClient: { clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret },
            claims: { claimTokenFor: async () => ({ claim_token: signedIn.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: party }) },
          }
        : { bearerToken: async () => signedIn.accessToken }),
      ...options.agent,
    });
    const rpt = async () => (await store.get<RptValue>('rpt', storeKeys.rpt(issuer, new URL(kd.demo.config.rs.url).origin, party)))?.value;
    return { agent, store, seen, rpt, party };
  }
  const rsids = (token: string | undefined) => ((decodeJwt(token ?? '') as { authorization?: { permissions?: { rsid: string; scopes: string[] }[] } }).authorization?.permissions ?? []).map((p) => p.rsid).sort();

  it("Dr. Alice's Keycloak ID token, pushed as claim_token (IDToken format), gets Kate's prescriptions", async () => {
    const { agent, rpt, seen } = await agentFor('alice');
    const result = await agent.fetch(resource('prescriptions').url);
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('granted');
    expect(JSON.parse(result.body).kind).toBe('prescriptions');
    // The demo RS names its RFC 9728 metadata (lane rs) before Tessera goes to Keycloak's discovery (lane as),
    // which reads the UMA document, then the OpenID one for the revocation endpoint the UMA one lacks.
    expect(result.steps.map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['rs:resource:401', 'rs:discovery:200', 'as:discovery:200', 'as:discovery:200', 'as:token:200', 'rs:resource:200']);
    expect(result.steps[0]?.challenge?.realm).toBe('kate');
    // Keycloak's RPT is a JWT with authorization.permissions[].rsid; `upgraded` is always present.
    expect(rsids((await rpt())?.access_token)).toEqual([resource('prescriptions').id]);
    expect(seen.find((s) => s.status === 200)?.body.upgraded).toBe(false);
    // The cached RPT is reused: one exchange.
    expect((await agent.fetch(resource('prescriptions').url)).steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['resource:200']);
  });

  it('Sam gets the prescriptions (user policy); the insurer gets the bills (role policy)', async () => {
    expect((await (await agentFor('sam')).agent.fetch(resource('prescriptions').url)).outcome).toBe('granted');
    expect((await (await agentFor('insurer')).agent.fetch(resource('bills').url)).outcome).toBe('granted');
  });

  it("bearer mode: Alice signs in with PKCE as tessera-public; her access token is the UMA grant's credential", async () => {
    const { agent, seen } = await agentFor('alice', { mode: 'bearer' });
    const result = await agent.fetch(resource('blood-test').url);
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('granted');
    expect(seen.filter((s) => s.url.endsWith('/token')).map((s) => s.status)).toEqual([200]);
    // The access token never reaches the transcript.
    expect(JSON.stringify(result.steps)).not.toContain((await session('alice', 'tessera-public')).accessToken);
  });

  it("Mallory: Keycloak's default files a request for Kate (pending); with submit_request=false she is refused", async () => {
    const pending = await (await agentFor('mallory')).agent.fetch(resource('bills').url);
    expect(pending.outcome).toBe('pending');
    expect(pending.pending?.reason).toBe('owner_must_approve');
    expect((await permissionTickets(issuer, { resourceId: resource('bills').id, granted: 'false' })).map((t) => t.requesterName)).toContain('mallory');

    const { agent, seen } = await agentFor('mallory', { as: { submitRequest: false } });
    const denied = await agent.fetch(resource('prescriptions').url);
    expect(denied.outcome).toBe('denied');
    expect(denied.steps.at(-1)?.status).toBe(403);
    expect(seen.at(-1)?.body).toEqual({ error: 'access_denied', error_description: 'not_authorized' });
    expect((await permissionTickets(issuer, { resourceId: resource('prescriptions').id })).map((t) => t.requesterName)).not.toContain('mallory');
  });

  it('care notes: pending until Kate approves in her Account REST API; the next fetch takes a fresh ticket and upgrades the RPT', async () => {
    const { agent, seen, rpt } = await agentFor('alice');
    expect((await agent.fetch(resource('prescriptions').url)).outcome).toBe('granted');
    const first = await agent.fetch(resource('care-notes').url);
    expect(first.outcome).toBe('pending');
    // Keycloak's 403 carries no ticket and no interval; the ticket in hand stays usable (test/keycloak/wait.test.ts polls with it).
    expect(seen.at(-1)).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: 'request_submitted' } });
    expect(seen.at(-1)?.body.ticket).toBeUndefined();

    const kate = await kateAccount(issuer);
    expect(await kate.requests(resource('care-notes').id)).toEqual([expect.objectContaining({ username: 'alice', scopes: ['read'] })]);
    expect(await kate.share(resource('care-notes').id, 'alice', ['read'])).toBe(204);

    const after = await agent.fetch(resource('care-notes').url);
    expect(after.error).toBeUndefined();
    expect(after.outcome).toBe('granted');
    expect(after.steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['resource:401', 'token:200', 'resource:200']);
    const grant = seen.at(-1);
    expect(grant?.status).toBe(200);
    expect(grant?.body.upgraded).toBe(true); // the held RPT went along as `rpt`
    expect(rsids((await rpt())?.access_token)).toEqual([resource('care-notes').id, resource('prescriptions').id].sort());
    // One RPT now covers both records.
    expect((await agent.fetch(resource('prescriptions').url)).steps).toHaveLength(1);
  });

  it('Sam asks for the care notes; Kate approves through the protection API (PUT granted=true); his next fetch is granted', async () => {
    const { agent } = await agentFor('sam');
    expect((await agent.fetch(resource('care-notes').url)).outcome).toBe('pending');
    const tickets = await permissionTickets(issuer, { resourceId: resource('care-notes').id, granted: 'false' });
    const mine = tickets.filter((t) => t.requesterName === 'sam');
    expect(mine.map((t) => t.scopeName)).toEqual(['read']);
    for (const t of mine) expect(await grantTicket(issuer, t.id)).toBe(204);
    expect((await agent.fetch(resource('care-notes').url)).outcome).toBe('granted');
  });

  it('writing the prescriptions: Keycloak first issues an RPT without the write scope (the RS refuses it), then, with that RPT as `rpt`, denies', async () => {
    const { agent, seen } = await agentFor('alice', { as: { submitRequest: false } });
    const result = await agent.fetch(resource('prescriptions').url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"kind":"prescriptions"}' });
    expect(result.outcome).toBe('denied');
    // The RS's RFC 9728 metadata (rs lane, read once), Keycloak's UMA and OpenID documents (as lane).
    expect(result.steps.map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['rs:resource:401', 'rs:discovery:200', 'as:discovery:200', 'as:discovery:200', 'as:token:200', 'rs:resource:401', 'as:token:403']);
    const grants = seen.filter((s) => s.url.endsWith('/token'));
    expect((decodeJwt(String(grants[0]?.body.access_token)) as { authorization?: unknown }).authorization).toEqual({ permissions: [{ rsid: resource('prescriptions').id, rsname: 'prescriptions' }] });
    expect(grants[1]?.body).toEqual({ error: 'access_denied', error_description: 'not_authorized' });
  });

  it('a bad ticket (403 invalid_ticket) sends Tessera back to the RS once for a fresh one', async () => {
    let spoiled = false;
    const spoil: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const header = response.headers.get('www-authenticate');
      if (spoiled || !header?.startsWith('UMA ')) return response;
      spoiled = true;
      const headers = new Headers(response.headers);
      headers.set('www-authenticate', header.replace(/ticket="([^"]+)"/, (_m, t: string) => `ticket="${t.slice(0, -4)}AAAA"`));
      return new Response(await response.text(), { status: response.status, headers });
    };
    const { agent, seen } = await agentFor('insurer', { agent: { fetch: spoil } });
    const result = await agent.fetch(resource('bills').url);
    expect(result.outcome).toBe('granted');
    expect(result.steps.filter((s) => s.kind === 'token').map((s) => [s.status, s.outcome])).toEqual([[403, 'invalid_ticket'], [200, 'rpt_issued']]);
    expect(seen).toHaveLength(0); // (the recording fetch was replaced)
  });

  it("an expired RPT is refreshed, but Keycloak's refreshed RPT loses the RS audience: the RS refuses it and Tessera takes a new ticket", async () => {
    let offset = 0;
    const { agent, rpt, seen } = await agentFor('sam', { agent: { now: () => Date.now() + offset } });
    expect((await agent.fetch(resource('prescriptions').url)).outcome).toBe('granted');
    const before = await rpt();
    expect(before?.refresh_token).toBeDefined();
    expect(decodeJwt(before?.access_token ?? '').aud).toBe(KEYCLOAK_CLIENTS.rs.client_id);
    offset = 601_000; // past the realm's 600 s access-token lifespan, as far as Tessera is concerned
    const result = await agent.fetch(resource('prescriptions').url);
    expect(result.outcome).toBe('granted');
    // discovery:200: the RS's RFC 9728 metadata, first read by this agent on this 401.
    expect(result.steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['refresh:200', 'resource:401', 'discovery:200', 'token:200', 'resource:200']);
    // The refresh answer: a plain token response (no `upgraded`, an id_token) whose access token keeps
    // authorization.permissions but has aud "account" instead of the RS — so introspection by the RS
    // says inactive (keycloak/keycloak#23399 is still there in 26.7.3).
    const refreshed = seen.find((s) => s.status === 200 && typeof s.body.id_token === 'string')?.body ?? {};
    expect('upgraded' in refreshed).toBe(false);
    const refreshedRpt = decodeJwt(String(refreshed.access_token));
    expect(refreshedRpt.aud).toBe('account');
    expect(rsids(String(refreshed.access_token))).toEqual([resource('prescriptions').id]);
    const after = await rpt();
    expect(decodeJwt(after?.access_token ?? '').aud).toBe(KEYCLOAK_CLIENTS.rs.client_id);
    expect(rsids(after?.access_token)).toEqual([resource('prescriptions').id]);
  });

  /** What Keycloak's introspection tells the RS about an RPT (the RS's own client credentials). */
  async function introspectAsRs(token: string): Promise<unknown> {
    const response = await fetch(`${issuer}/protocol/openid-connect/token/introspect`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${KEYCLOAK_CLIENTS.rs.client_id}:${KEYCLOAK_CLIENTS.rs.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ token, token_type_hint: 'requesting_party_token' }),
    });
    return response.json();
  }

  it('revocation: the UMA discovery document has no revocation_endpoint; via the OIDC document the RPT is revoked at Keycloak', async () => {
    const uma = (await (await fetch(`${issuer}/.well-known/uma2-configuration`)).json()) as Record<string, unknown>;
    expect(uma.revocation_endpoint).toBeUndefined();
    const { agent, rpt, party } = await agentFor('insurer', { as: { discoveryUrl: `${issuer}/.well-known/openid-configuration` } });
    expect((await agent.fetch(resource('bills').url)).outcome).toBe('granted');
    const token = (await rpt())?.access_token ?? '';
    expect(await agent.forgetRpt(issuer, new URL(kd.demo.config.rs.url).origin, party, { revoke: true })).toBe(true);
    expect(await introspectAsRs(token)).toEqual({ active: false });
  });

  it('revocation without a discovery URL: the engine takes revocation_endpoint from the realm\'s OpenID document itself', async () => {
    const { agent, rpt, party } = await agentFor('insurer');
    expect((await agent.fetch(resource('bills').url)).outcome).toBe('granted');
    const discovered = await new DiscoveryCache().resolve(issuer, { issuer }, { http: new HttpClient(), flowId: 'kc-merge' });
    expect(discovered).toMatchObject({ source: 'uma2', supplemented: { url: `${issuer}/.well-known/openid-configuration` } });
    expect(discovered.supplemented?.keys).toContain('revocation_endpoint');
    const token = (await rpt())?.access_token ?? '';
    expect(await agent.forgetRpt(issuer, new URL(kd.demo.config.rs.url).origin, party, { revoke: true })).toBe(true);
    expect(await introspectAsRs(token)).toEqual({ active: false });
  });
});
