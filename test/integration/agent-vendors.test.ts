import { generateKeyPair, exportJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import type { AsConfig } from '../../packages/uma/src/kernel/trust';
import { createAgent, type AgentOptions, type RptValue } from '../../packages/uma/src/uma/agent';
import { fakeIdToken, startFixture, type Fixture, type FixtureOptions } from '../fixtures/uma-fixture';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

async function setup(options: FixtureOptions, as: Partial<AsConfig> = {}, agentOptions: Partial<AgentOptions> = {}) {
  const fx = await startFixture(options);
  fixtures.push(fx);
  const store = new MemoryStore();
  let now = Date.now();
  const agent = createAgent({
    store,
    trust: { authorizationServers: [{ issuer: fx.asUri, ...as }] },
    defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' },
    sleep: async () => undefined,
    now: () => now,
    limits: { retryBaseMs: 1 },
    ...agentOptions,
  });
  return { fx, store, agent, advance: (ms: number) => void (now += ms) };
}

describe('Keycloak-style AS', () => {
  it('parses the space-less challenge and gets an RPT; ID-token format uses http', async () => {
    const idToken = fakeIdToken({ email: 'a@example.com' });
    const { fx, agent } = await setup({ flavor: 'keycloak' }, {}, { claims: { claimTokenFor: async () => ({ claim_token: idToken, claim_token_format: ID_TOKEN }) } });
    const result = await agent.fetch(fx.rs('/r/albums'));
    expect(result.outcome).toBe('granted');
    expect(result.steps[0]?.challenge?.realm).toBe('demo');
    expect(fx.stats.tokenBodies[0]?.get('claim_token_format')).toBe(ID_TOKEN);
  });

  it('bearer mode: the requesting party token is the credential', async () => {
    const { fx, agent } = await setup({ flavor: 'keycloak' }, { client: { registration: 'static', authMethod: 'keycloak_bearer' } }, { bearerToken: async () => 'user-access-token-xyz-123456' });
    const result = await agent.fetch(fx.rs('/r/albums'));
    expect(result.outcome).toBe('granted');
    expect(fx.stats.tokenAuth[0]).toBe('Bearer user-access-token-xyz-123456');
    expect(fx.stats.tokenBodies[0]?.get('client_id')).toBe('tessera');
    expect(JSON.stringify(result.steps)).not.toContain('user-access-token-xyz-123456');
  });

  it('access_denied + not_authorized → denied', async () => {
    const { fx, agent } = await setup({ flavor: 'keycloak', policies: { albums: 'deny' } });
    expect((await agent.fetch(fx.rs('/r/albums'))).outcome).toBe('denied');
  });

  it('access_denied + request_submitted (no ticket), no wait → pending with the ticket in hand (Keycloak keeps it working)', async () => {
    const { fx, agent } = await setup({ flavor: 'keycloak', policies: { albums: 'approval' } });
    const result = await agent.fetch(fx.rs('/r/albums'));
    expect(result.outcome).toBe('pending');
    expect(fx.stats.token).toBe(1);
    expect(result.pending?.ticket).toBe(fx.stats.tokenBodies[0]?.get('ticket'));
  });

  it('request_submitted without a new ticket + waitSeconds: polls with the same ticket until the owner approves', async () => {
    const { fx } = await setup({ flavor: 'keycloak', policies: { albums: 'approval' } });
    const sleeps: number[] = [];
    let now = 1_000_000;
    const agent = createAgent({
      store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' }, now: () => now,
      // The owner approves during the second wait.
      sleep: async (ms) => { sleeps.push(ms); now += ms; if (sleeps.length === 2) fx.state.approved.add('albums'); },
    });
    const result = await agent.fetch(fx.rs('/r/albums'), { waitSeconds: 60 });
    expect(result.outcome).toBe('granted');
    expect(sleeps).toEqual([5000, 7500]);
    const tickets = fx.stats.tokenBodies.map((b) => b.get('ticket'));
    expect(tickets).toHaveLength(3);
    expect(new Set(tickets).size).toBe(1);
    expect(fx.stats.rs).toBe(3); // the challenge, the RS's /.well-known/oauth-protected-resource (RFC 9728 §3, read by default), then the resource with the RPT
  });

  it('a polled ticket the AS then refuses (invalid_ticket) → a fresh ticket from the RS, polling goes on', async () => {
    const { fx } = await setup({ flavor: 'keycloak', policies: { albums: 'approval' } });
    let now = 1_000_000;
    let waits = 0;
    const agent = createAgent({
      store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' }, now: () => now,
      sleep: async (ms) => {
        now += ms;
        if (++waits === 1) fx.state.tickets.clear(); // the ticket expires while waiting
        if (waits === 2) fx.state.approved.add('albums');
      },
    });
    const result = await agent.fetch(fx.rs('/r/albums'), { waitSeconds: 60 });
    expect(result.outcome).toBe('granted');
    const tickets = fx.stats.tokenBodies.map((b) => b.get('ticket'));
    expect(tickets).toHaveLength(4);
    expect(tickets[0]).toBe(tickets[1]);
    expect(tickets[2]).not.toBe(tickets[1]);
    expect(tickets[3]).toBe(tickets[2]);
    expect(fx.stats.rs).toBe(4); // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything (once: cached)
  });

  it('403 invalid_ticket → back to the RS once for a fresh ticket', async () => {
    const { fx, agent } = await setup({ flavor: 'keycloak' });
    const set = fx.state.tickets.set.bind(fx.state.tickets);
    let first = true;
    fx.state.tickets.set = (k, v) => set(k, first ? ((first = false), { ...v, expires: 0 }) : v);
    const result = await agent.fetch(fx.rs('/r/albums'));
    expect(result.outcome).toBe('granted');
    expect(result.steps.filter((s) => s.kind === 'token').map((s) => [s.status, s.outcome])).toEqual([
      [403, 'invalid_ticket'],
      [200, 'rpt_issued'],
    ]);
  });

  it('403 invalid_rpt → drops the RPT and retries without it', async () => {
    const { fx, agent, store } = await setup({ flavor: 'keycloak' });
    await agent.fetch(fx.rs('/r/albums'));
    fx.state.rpts.clear(); // the AS forgot it (key rotation): RS challenges, AS rejects the rpt parameter
    const result = await agent.fetch(fx.rs('/r/photos'));
    expect(result.outcome).toBe('granted');
    const tokens = result.steps.filter((s) => s.kind === 'token');
    expect(tokens.map((s) => s.outcome)).toEqual(['invalid_rpt', 'rpt_issued']);
    expect(fx.stats.tokenBodies.at(-1)?.get('rpt')).toBeNull();
    expect(await store.list('rpt')).toHaveLength(1);
  });

  it('expired RPT + refresh token → refresh_token grant, no new ticket', async () => {
    const { fx, agent, advance } = await setup({ flavor: 'keycloak', rptLifetime: 60 });
    await agent.fetch(fx.rs('/r/albums'));
    advance(61_000);
    for (const r of fx.state.rpts.values()) r.expires = Date.now() + 60_000; // server side still valid for the refreshed one
    const result = await agent.fetch(fx.rs('/r/albums'));
    expect(result.outcome).toBe('granted');
    expect(fx.stats.refresh).toBe(1);
    expect(result.steps.map((s) => s.kind)).toEqual(['refresh', 'resource']);
  });

  it('upgraded:false → the new RPT replaces the old one (never assumed merged)', async () => {
    const { fx, agent, store } = await setup({ flavor: 'keycloak', upgrade: false });
    await agent.fetch(fx.rs('/r/albums'));
    const first = (await store.get<RptValue>('rpt', storeKeys.rpt(fx.asUri, fx.rsOrigin, 'nobody')))?.value.access_token;
    await agent.fetch(fx.rs('/r/photos'));
    const second = (await store.get<RptValue>('rpt', storeKeys.rpt(fx.asUri, fx.rsOrigin, 'nobody')))?.value.access_token;
    expect(second).not.toBe(first);
    expect(await store.list('rpt')).toHaveLength(1);
    // albums is not in the replacing RPT: a new grant is needed
    const again = await agent.fetch(fx.rs('/r/albums'));
    expect(again.outcome).toBe('granted');
    expect(again.steps.some((s) => s.kind === 'token')).toBe(true);
  });

  it('RPT permissions from the JWT are kept in the record meta', async () => {
    const { fx, agent, store } = await setup({ flavor: 'keycloak' });
    await agent.fetch(fx.rs('/r/albums'));
    const [meta] = await store.list('rpt');
    expect(meta?.permissions).toEqual([{ resource_id: 'albums', resource_scopes: ['read'] }]);
    expect(meta?.expiresAt).toBeGreaterThan(Date.now());
  });
});

describe('Janssen-style AS', () => {
  const janssen = (fx: Fixture): Partial<AsConfig> => ({ discoveryUrl: fx.discoveryUrl });

  it('discovery at a configured URL, challenge with error=, PCT always issued, no expires_in', async () => {
    const fx0 = await startFixture({ flavor: 'janssen' });
    fixtures.push(fx0);
    const store = new MemoryStore();
    const agent = createAgent({ store, trust: { authorizationServers: [{ issuer: fx0.asUri, ...janssen(fx0) }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
    const result = await agent.fetch(fx0.rs('/r/records'));
    expect(result.outcome).toBe('granted');
    expect(result.steps[0]?.challenge?.params?.error).toBe('insufficient_scope');
    expect(await store.list('pct')).toHaveLength(1);
    expect((await store.list('rpt'))[0]?.expiresAt).toBeUndefined();
  });

  it('401 invalid_pct → drops the PCT and retries without it', async () => {
    const { fx, agent, store } = await setup({ flavor: 'janssen' });
    const live = createAgent({ store, trust: { authorizationServers: [{ issuer: fx.asUri, ...janssen(fx) }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
    void agent;
    await live.fetch(fx.rs('/r/records'));
    fx.state.pcts.clear(); // expired at the AS
    await store.delete('rpt', storeKeys.rpt(fx.asUri, fx.rsOrigin, 'nobody'));
    const result = await live.fetch(fx.rs('/r/other'));
    expect(result.outcome).toBe('granted');
    expect(result.steps.filter((s) => s.kind === 'token').map((s) => [s.status, s.outcome])).toEqual([
      [401, 'invalid_pct'],
      [200, 'rpt_issued'],
    ]);
    expect(fx.stats.tokenBodies.at(-1)?.get('pct')).toBeNull();
  });

  it('need_info with a ?-less redirect_user is repaired before interaction', async () => {
    let endpoint = '';
    const holder: { fx?: Fixture } = {};
    const fx = await startFixture({ flavor: 'janssen', policies: { records: 'interaction' } });
    fixtures.push(fx);
    holder.fx = fx;
    const agent = createAgent({
      store: new MemoryStore(),
      trust: { authorizationServers: [{ issuer: fx.asUri, discoveryUrl: fx.discoveryUrl }] },
      defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' },
      interaction: { gather: async (req) => ((endpoint = req.endpoint), { ticket: holder.fx!.completeInteraction(req.ticket) }) },
    });
    const result = await agent.fetch(fx.rs('/r/records'));
    expect(result.outcome).toBe('granted');
    expect(endpoint).toMatch(/\/jans-auth\/restv1\/uma\/gather_claims\?client_id=tessera&ticket=/);
  });

  it('forbidden_by_policy → denied; a rotated (used) ticket → 400 invalid_ticket → fresh ticket', async () => {
    const { fx } = await setup({ flavor: 'janssen', policies: { records: 'deny' } });
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri, discoveryUrl: fx.discoveryUrl }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
    expect((await agent.fetch(fx.rs('/r/records'))).outcome).toBe('denied');
  });

  it('upgrade returns the same RPT string with upgraded:true', async () => {
    const { fx, store } = await setup({ flavor: 'janssen' });
    const agent = createAgent({ store, trust: { authorizationServers: [{ issuer: fx.asUri, discoveryUrl: fx.discoveryUrl }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
    await agent.fetch(fx.rs('/r/a'));
    await agent.fetch(fx.rs('/r/b'));
    expect(fx.state.rpts.size).toBe(1);
    expect((await agent.fetch(fx.rs('/r/a'))).steps).toHaveLength(1);
  });

  it('a discovery document whose issuer differs from as_uri is refused (mix-up defence)', async () => {
    const fx = await startFixture({ flavor: 'forgerock' });
    fixtures.push(fx);
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri, discoveryUrl: `${fx.asOrigin}/am/uma/realms/root/realms/alpha/.well-known/uma2-configuration` }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
    // ForgeRock's document says issuer = …/oauth2/…, which equals as_uri here: accepted.
    expect((await agent.fetch(fx.rs('/r/docs'))).outcome).toBe('granted');
  });
});

describe('ForgeRock-style AS', () => {
  it('reads ticket and as_uri from the JSON body; discovery only under /uma/', async () => {
    const { fx, agent } = await setup({ flavor: 'forgerock' }, {});
    const failed = await agent.fetch(fx.rs('/r/docs'));
    expect(failed.outcome).toBe('error');
    expect(failed.error?.code).toBe('discovery_failed');
    const { fx: fx2, agent: agent2 } = await setup({ flavor: 'forgerock' }, {});
    void fx2;
    void agent2;
    const configured = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri, discoveryUrl: fx.discoveryUrl }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
    const result = await configured.fetch(fx.rs('/r/docs'));
    expect(result.outcome).toBe('granted');
    expect(result.steps[0]?.challenge?.source).toBe('body');
  });

  it('request_submitted with a new ticket → polls until the owner approves', async () => {
    const { fx } = await setup({ flavor: 'forgerock', policies: { docs: 'approval' }, approveAfterPolls: 1 });
    const sleeps: number[] = [];
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri, discoveryUrl: fx.discoveryUrl }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' }, sleep: async (ms) => void sleeps.push(ms) });
    const result = await agent.fetch(fx.rs('/r/docs'), { waitSeconds: 60 });
    expect(result.outcome).toBe('granted');
    expect(sleeps).toEqual([5000]);
  });
});

describe('WSO2-style AS', () => {
  it('no discovery: manual endpoints; claim token mandatory; invalid_grant denial', async () => {
    const idToken = fakeIdToken({ sub: 'sam' });
    const fx = await startFixture({ flavor: 'wso2', policies: { no: 'deny' } });
    fixtures.push(fx);
    const agent = createAgent({
      store: new MemoryStore(),
      trust: { authorizationServers: [{ issuer: fx.asUri, metadata: { token_endpoint: fx.tokenEndpoint } }] },
      defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' },
      claims: { claimTokenFor: async () => ({ claim_token: idToken, claim_token_format: ID_TOKEN }) },
    });
    const result = await agent.fetch(fx.rs('/r/records'));
    expect(result.outcome).toBe('granted');
    // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything
    expect(result.steps.map((s) => s.kind)).toEqual(['resource', 'discovery', 'token', 'resource']);
    expect(fx.stats.tokenBodies[0]?.get('claim_token')).toBe(idToken);
    // WSO2 flattens denial into invalid_grant: one fresh-ticket retry, then a clear error
    const denied = await agent.fetch(fx.rs('/r/no'));
    expect(denied.outcome).toBe('error');
    expect(denied.error?.code).toBe('invalid_ticket');
  });
});

describe('client authentication', () => {
  it('private_key_jwt signs a client assertion with the configured key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
    const { fx, agent } = await setup({}, {}, { defaultClient: { clientId: 'tessera', privateJwk: jwk } });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    const body = fx.stats.tokenBodies[0];
    expect(body?.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(body?.get('client_assertion')?.split('.')).toHaveLength(3);
    expect(JSON.stringify(result.steps)).not.toContain(body?.get('client_assertion'));
  });

  it('public client (none) sends client_id only', async () => {
    const { fx, agent } = await setup({}, {}, { defaultClient: { clientId: 'tessera', authMethod: 'none' } });
    expect((await agent.fetch(fx.rs('/r/bills'))).outcome).toBe('granted');
    expect(fx.stats.tokenAuth[0]).toBeUndefined();
    expect(fx.stats.tokenBodies[0]?.get('client_id')).toBe('tessera');
  });

  it('wrong secret → error invalid_client with a hint', async () => {
    const { fx, agent } = await setup({}, {}, { defaultClient: { clientId: 'tessera', clientSecret: 'wrong' } });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('invalid_client');
  });
});

describe('token management', () => {
  it('signOut revokes and forgets the PCTs and RPTs of a requesting party', async () => {
    const idToken = fakeIdToken({ email: 'a@example.com' });
    const { fx, agent, store } = await setup({ policies: { bills: 'claims' } }, {}, { claims: { claimTokenFor: async () => ({ claim_token: idToken, claim_token_format: ID_TOKEN, identity: 'https://idp.example#alice' }) } });
    await agent.fetch(fx.rs('/r/bills'), { party: 'https://idp.example#alice' });
    expect(await store.list('pct')).toHaveLength(1);
    expect(await agent.signOut('https://idp.example#alice')).toBe(2);
    expect(await store.list('pct')).toHaveLength(0);
    expect(await store.list('rpt')).toHaveLength(0);
    expect(fx.state.revoked[0]).toMatch(/^pct:pct-/);
  });

  it('forgetRpt removes the RPT; tokens() lists metadata only', async () => {
    const { fx, agent } = await setup({});
    await agent.fetch(fx.rs('/r/bills'));
    const metas = await agent.tokens();
    expect(metas).toHaveLength(1);
    expect(JSON.stringify(metas)).not.toContain([...fx.state.rpts.keys()][0]);
    expect(await agent.forgetRpt(fx.asUri, fx.rsOrigin, 'nobody', { revoke: true })).toBe(true);
    expect(await agent.tokens()).toHaveLength(0);
    expect(fx.state.revoked[0]).toMatch(/^access_token:/);
  });
});

describe('RPT expiry without a refresh token', () => {
  it('an expired RPT is not sent to the RS; it rides along as rpt for upgrade with the new ticket', async () => {
    const { fx, agent, advance } = await setup({ rptLifetime: 60 });
    await agent.fetch(fx.rs('/r/bills'));
    advance(61_000);
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    expect(result.steps[0]?.request.headers.authorization).toBeUndefined();
    expect(result.steps.map((s) => s.kind)).toEqual(['resource', 'token', 'resource']);
    expect(fx.stats.tokenBodies.at(-1)?.get('rpt')).toBeTruthy();
  });
});

describe('Keycloak quirks the engine must not paper over', () => {
  it('the https ID-token format is rejected by Keycloak → error carrying its description', async () => {
    const { fx, agent } = await setup({ flavor: 'keycloak' }, {}, { claims: { claimTokenFor: async () => ({ claim_token: fakeIdToken({}), claim_token_format: 'https://openid.net/specs/openid-connect-core-1_0.html#IDToken' }) } });
    const result = await agent.fetch(fx.rs('/r/albums'));
    expect(result.outcome).toBe('error');
    expect(result.error?.message).toContain('not supported');
  });

  it('an enforcer that refuses tokenless requests with a bare 403 → rs_forbidden with a hint', async () => {
    const { fx, agent } = await setup({ flavor: 'keycloak' });
    const result = await agent.fetch(fx.rs('/r/albums?enforcer=strict'));
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('rs_forbidden');
    expect(result.error?.hint).toMatch(/bearer token/);
  });
});
