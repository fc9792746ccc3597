import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent, type AgentOptions } from '../../packages/uma/src/uma/agent';
import { fakeIdToken, startFixture, type Fixture, type FixtureOptions } from '../fixtures/uma-fixture';

const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

async function setup(options: FixtureOptions = {}, agentOptions: Partial<AgentOptions> = {}) {
  const fx = await startFixture(options);
  fixtures.push(fx);
  const store = new MemoryStore();
  const sleeps: number[] = [];
  const agent = createAgent({
    store,
    trust: { authorizationServers: [{ issuer: fx.asUri }] },
    defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' },
    sleep: async (ms) => void sleeps.push(ms),
    limits: { retryBaseMs: 1 },
    ...agentOptions,
  });
  return { fx, store, agent, sleeps };
}

describe('agent against a spec-style AS/RS', () => {
  it('runs 401 → token → 200 and records a redacted transcript', async () => {
    const { fx, agent } = await setup();
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).resource).toBe('bills');
    // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything (the fixture RS has none)
    expect(result.steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['resource:401', 'discovery:404', 'discovery:200', 'token:200', 'resource:200']);
    expect(result.steps[0]?.challenge?.asUri).toBe(fx.asUri);
    const text = JSON.stringify(result.steps);
    for (const rpt of fx.state.rpts.keys()) expect(text).not.toContain(rpt);
    for (const ticket of fx.state.tickets.keys()) expect(text).not.toContain(ticket);
    expect(text).not.toContain('fixture-secret-123');
    expect(fx.stats.tokenAuth[0]).toMatch(/^Basic /);
  });

  it('reuses the cached RPT: the second fetch is one exchange', async () => {
    const { fx, agent } = await setup();
    await agent.fetch(fx.rs('/r/bills'));
    const second = await agent.fetch(fx.rs('/r/bills'));
    expect(second.outcome).toBe('granted');
    expect(second.steps).toHaveLength(1);
  });

  it('upgrades the held RPT for a second resource and keeps one RPT', async () => {
    const { fx, agent, store } = await setup();
    await agent.fetch(fx.rs('/r/bills'));
    const second = await agent.fetch(fx.rs('/r/labs'));
    expect(second.outcome).toBe('granted');
    expect(fx.stats.tokenBodies[1]?.get('rpt')).toBeTruthy();
    expect(await store.list('rpt')).toHaveLength(1);
    expect((await agent.fetch(fx.rs('/r/bills'))).steps).toHaveLength(1);
  });

  it('yields untrusted_as and sends nothing to an untrusted AS', async () => {
    const { fx, agent } = await setup({}, { trust: { authorizationServers: [] } });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('untrusted_as');
    expect(result.asIssuer).toBe(fx.asUri);
    expect(fx.stats.discovery + fx.stats.token).toBe(0);
    expect(result.error).toMatchObject({ code: 'untrusted_as', facts: { asIssuer: expect.any(String) } });
    expect(result.error?.hint).not.toContain('--');
  });

  it('maps 403 + Warning 199 to as_unreachable', async () => {
    const { fx, agent } = await setup();
    const result = await agent.fetch(fx.rs('/unreachable'));
    expect(result.outcome).toBe('as_unreachable');
    expect(result.status).toBe(403);
  });

  it('maps request_denied to denied', async () => {
    const { fx, agent } = await setup({ policies: { bills: 'deny' } });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('denied');
    expect(result.status).toBe(401);
  });

  it('need_info without claims or interaction → need_info with the required claims', async () => {
    const { fx, agent } = await setup({ policies: { bills: 'claims' } });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('need_info');
    expect(result.needInfo?.requiredClaims?.[0]?.name).toBe('email');
  });

  it('need_info → pushes a matching claim token with the new ticket; PCT stored and reused', async () => {
    const idToken = fakeIdToken({ email: 'alice@example.com' });
    let calls = 0;
    const { fx, agent, store } = await setup(
      { policies: { bills: 'claims', labs: 'claims' } },
      { claims: { claimTokenFor: async (req) => (req.requiredClaims ? (calls++, { claim_token: idToken, claim_token_format: 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken' }) : undefined) } },
    );
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    expect(calls).toBe(1);
    const [first, second] = fx.stats.tokenBodies;
    expect(first?.get('claim_token')).toBeNull();
    expect(second?.get('claim_token')).toBe(idToken);
    expect(second?.get('claim_token_format')).toBe('http://openid.net/specs/openid-connect-core-1_0.html#IDToken');
    expect(second?.get('ticket')).not.toBe(first?.get('ticket'));
    expect(await store.list('pct')).toHaveLength(1);
    expect(JSON.stringify(result.steps)).not.toContain(idToken);
    await agent.fetch(fx.rs('/r/labs'));
    expect(fx.stats.tokenBodies[2]?.get('pct')).toBeTruthy();
  });

  it('need_info → claims interaction (redirect_user wins) → granted', async () => {
    let seen: { endpoint: string; ticket: string } | undefined;
    const holder: { fx?: Fixture } = {};
    const { fx, agent } = await setup(
      { policies: { bills: 'interaction' } },
      { interaction: { gather: async (req) => ((seen = req), { ticket: holder.fx!.completeInteraction(req.ticket) }) } },
    );
    holder.fx = fx;
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    expect(seen?.endpoint).toBe(`${fx.asOrigin}/rqp_claims?id=42`);
    const noInteraction = await agent.fetch(fx.rs('/r/other'), { interaction: false });
    expect(noInteraction.outcome).toBe('granted');
  });

  it('interaction off → need_info naming the interaction endpoint', async () => {
    const { fx, agent } = await setup({ policies: { bills: 'interaction' } }, { interaction: { gather: async () => ({ ticket: 'x' }) } });
    const result = await agent.fetch(fx.rs('/r/bills'), { interaction: false });
    expect(result.outcome).toBe('need_info');
    expect(result.needInfo?.redirectUser).toBe(`${fx.asOrigin}/rqp_claims?id=42`);
  });

  it('request_submitted without waiting → pending', async () => {
    const { fx, agent, sleeps } = await setup({ policies: { bills: 'approval' }, interval: 7 });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('pending');
    expect(result.pending?.interval).toBe(7);
    expect(sleeps).toEqual([]);
  });

  it('request_submitted → polls no sooner than interval, backing off, until granted', async () => {
    const { fx, agent, sleeps } = await setup({ policies: { bills: 'approval' }, interval: 2, approveAfterPolls: 3 });
    const result = await agent.fetch(fx.rs('/r/bills'), { waitSeconds: 600 });
    expect(result.outcome).toBe('granted');
    expect(sleeps.length).toBe(3);
    expect(sleeps[0]).toBe(2000);
    for (let i = 1; i < sleeps.length; i++) expect(sleeps[i]!).toBeGreaterThan(sleeps[i - 1]!);
    const tickets = fx.stats.tokenBodies.map((b) => b.get('ticket'));
    expect(new Set(tickets).size).toBe(tickets.length);
  });

  it('request_submitted with the default 5 s interval stops at the wait limit → pending', async () => {
    let now = 0;
    const { fx, agent, sleeps } = await setup({ policies: { bills: 'approval' } }, { now: () => now, sleep: async (ms) => void ((now += ms), sleeps.push(ms)) });
    const result = await agent.fetch(fx.rs('/r/bills'), { waitSeconds: 20 });
    expect(result.outcome).toBe('pending');
    expect(result.pending?.reason).toBe('wait_limit');
    expect(sleeps[0]).toBe(5000);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(20_000);
  });

  it('invalid_grant (stale ticket) → goes back to the RS once for a fresh ticket', async () => {
    const { fx, agent } = await setup();
    const original = fx.state.tickets.set.bind(fx.state.tickets);
    let first = true;
    fx.state.tickets.set = (k, v) => {
      if (first) {
        first = false;
        v.used = true;
      }
      return original(k, v);
    };
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything (once: cached)
    expect(result.steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['resource:401', 'discovery:404', 'discovery:200', 'token:400', 'resource:401', 'token:200', 'resource:200']);
  });

  it('5xx → bounded retries with backoff, then success', async () => {
    const { fx, agent, sleeps } = await setup({ failFirst: 2 });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    expect(sleeps).toEqual([1, 2]);
  });

  it('5xx forever → error after bounded retries', async () => {
    const { fx, agent } = await setup({ failFirst: 100 });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('server_error');
    expect(fx.stats.token).toBe(3);
  });

  it('never sends the RPT across a redirect to another origin', async () => {
    const { fx, agent } = await setup();
    await agent.fetch(fx.rs('/r/bills'));
    const redirected = await agent.fetch(fx.rs('/redirect-out'));
    const hop = redirected.steps[1];
    expect(hop?.url).toBe(`${fx.asOrigin}/echo-auth`);
    expect(Object.keys(hop?.request.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('authorization');
    expect(redirected.steps[0]?.request.headers.authorization).toMatch(/^Bearer \[redacted fp:/);
  });

  it('dynamic registration when no client is configured', async () => {
    const { fx, agent, store } = await setup({}, { defaultClient: undefined, claimsRedirectUris: ['http://127.0.0.1/claims-cb'] });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('granted');
    expect(fx.stats.registration).toBe(1);
    expect((await store.list('client'))[0]?.clientId).toBe('tessera');
    expect(JSON.stringify(result.steps)).not.toContain('fixture-secret-123');
  });

  it('single-flight: 100 concurrent fetches over 10 resources → ≤ 10 token requests, one RPT', async () => {
    const { fx, agent, store } = await setup();
    const urls = Array.from({ length: 100 }, (_, i) => fx.rs(`/r/res${i % 10}`));
    const results = await Promise.all(urls.map((u) => agent.fetch(u)));
    expect(results.every((r) => r.outcome === 'granted')).toBe(true);
    expect(fx.stats.token).toBeLessThanOrEqual(10);
    expect(await store.list('rpt')).toHaveLength(1);
  });
});

describe('agent edge cases', () => {
  it('partial grant: a 200 whose RPT the RS still refuses → bounded re-grants, then a clear error', async () => {
    const { fx, agent } = await setup({ policies: { bills: 'partial' } });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('loop_guard');
    expect(result.error?.hint).toMatch(/partial grant/);
    expect(fx.stats.token).toBe(4);
    expect(fx.stats.tokenBodies.slice(1).every((b) => b.get('rpt'))).toBe(true);
  });

  it('invalid_scope → error with a hint', async () => {
    const fx = await startFixture();
    fixtures.push(fx);
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx.asUri, scope: 'print' }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
    const result = await agent.fetch(fx.rs('/r/bills'));
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('invalid_scope');
    expect(result.error?.hint).toMatch(/pre-registered/);
    expect(fx.stats.tokenBodies[0]?.get('scope')).toBe('print');
  });

  it('a UMA challenge without a ticket → error challenge_missing_ticket', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_q, s) => void s.writeHead(401, { 'www-authenticate': 'UMA realm="x", as_uri="http://127.0.0.1:9"' }).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [] } });
    const result = await agent.fetch(`http://127.0.0.1:${port}/x`);
    server.close();
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('challenge_missing_ticket');
    expect(result.status).toBe(401);
  });

  it('an RPT is only sent to the RS origin it was obtained for', async () => {
    const { fx, agent } = await setup();
    await agent.fetch(fx.rs('/r/bills'));
    const other = await agent.fetch(`${fx.asOrigin}/echo`);
    expect(other.steps[0]?.request.headers.authorization).toBeUndefined();
  });

  it('onStep streams steps live', async () => {
    const seen: string[] = [];
    const { fx, agent } = await setup({}, { onStep: (s, e) => void (e === 'added' && seen.push(s.kind)) });
    await agent.fetch(fx.rs('/r/bills'));
    // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything
    expect(seen).toEqual(['resource', 'discovery', 'discovery', 'token', 'resource']);
  });
});

describe('RS faults', () => {
  it('GET on 503 → bounded retries with backoff, then the answer', async () => {
    const { fx, agent, sleeps } = await setup();
    const result = await agent.fetch(fx.rs('/flaky'));
    expect(result.outcome).toBe('granted');
    expect(result.steps.map((s) => s.status)).toEqual([503, 503, 200]);
    expect(sleeps).toEqual([1, 2]);
  });

  it('network fault on the RS → error after retries', async () => {
    const { agent } = await setup();
    const result = await agent.fetch('http://127.0.0.1:1/x');
    expect(result.outcome).toBe('error');
    expect(result.error?.code).toBe('network');
    expect(result.steps).toHaveLength(3);
  });
});

describe('redirects and origins', () => {
  it('a UMA challenge from another origin reached by a redirect is not answered', async () => {
    const other = await startFixture();
    fixtures.push(other);
    const { fx, agent } = await setup({ redirectTo: other.rs('/r/bills') }, { trust: { authorizationServers: [{ issuer: other.asUri }] } });
    const result = await agent.fetch(fx.rs('/redirect-out'));
    expect(result.outcome).toBe('error');
    expect(result.error?.hint).toContain(other.rs('/r/bills'));
    expect(other.stats.token).toBe(0);
  });
});

describe('polling until ticket expiry', () => {
  it('tickets that keep expiring while polling: a fresh one from the RS each time (3 at most), then pending (ticket_expired)', async () => {
    const holder: { fx?: Fixture } = {};
    const { fx, agent } = await setup({ policies: { bills: 'approval' }, interval: 1 }, { sleep: async () => void holder.fx!.state.tickets.forEach((t) => (t.expires = 0)) });
    holder.fx = fx;
    const result = await agent.fetch(fx.rs('/r/bills'), { waitSeconds: 60 });
    expect(result.outcome).toBe('pending');
    expect(result.pending?.reason).toBe('ticket_expired');
    // Each ticket: request_submitted, a wait, invalid_grant; 1 + 3 fresh tickets.
    expect(fx.stats.token).toBe(8);
    expect(fx.stats.rs).toBe(5); // + the RS's /.well-known/oauth-protected-resource (RFC 9728 §3), read by default before the AS hears anything (once: cached)
  });
});
