/**
 * Keycloak's own events as the servers' side of a flow (src/app/keycloak-events.ts): the mapping of
 * events recorded from a real Keycloak 26.7.3 (test/fixtures/keycloak-events.json), what is dropped
 * (other clients, sign-ins, token ids in clear), the polling against a Keycloak-shaped server on
 * 127.0.0.1 (credential, dateFrom, pages, backoff), the join to a flow by time and requesting party,
 * and the diagram's words for them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import recorded from '../fixtures/keycloak-events.json';
import type { FlowView, ServerEventView, StepView } from '../../src/app/api';
import { correlate } from '../../src/app/server-events';
import { KeycloakEventsFeed, keycloakEventSchema, keycloakRealmOf, mapKeycloakEvent, PAGE, saveEventsCredential, loadEventsCredential, eventsCredentialFromEnv } from '../../src/app/keycloak-events';
import { fingerprint } from '../../packages/uma/src/kernel/redact';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { layoutFlow } from '../../renderer/components/sequence/layout';

const clients = { tessera: ['tessera', 'tessera-public'], rs: ['health-records'] };
const raw = recorded.events.map((e) => keycloakEventSchema.parse(e));
const byType = (type: string, reason?: string) => {
  const e = raw.find((x) => x.type === type && (reason === undefined || x.details?.reason === reason));
  if (!e) throw new Error(`no recorded ${type}`);
  return e;
};

describe('mapKeycloakEvent (recorded Keycloak 26.7.3 events)', () => {
  it('PERMISSION_TOKEN is the AS granting an RPT to Tessera, with the RPT id only as a fingerprint', () => {
    const e = byType('PERMISSION_TOKEN');
    const view = mapKeycloakEvent(e, clients);
    expect(view).toMatchObject({ side: 'as', kind: 'decision', outcome: 'granted', status: 200, at: new Date(e.time).toISOString(), native: { server: 'keycloak', type: 'PERMISSION_TOKEN', client: 'tessera', user: e.userId } });
    expect(view?.native?.tokenId).toBe(fingerprint(e.details?.token_id ?? ''));
    // Nothing of the details in clear: token and refresh-token ids, grant type, IP address.
    const text = JSON.stringify(view);
    for (const secret of [e.details?.token_id, e.details?.refresh_token_id, e.details?.token_id?.split(':')[1], '127.0.0.1']) expect(text).not.toContain(secret);
  });

  it('PERMISSION_TOKEN_ERROR: request_submitted is a request filed for Kate, not_authorized a refusal, with the error and reason', () => {
    expect(mapKeycloakEvent(byType('PERMISSION_TOKEN_ERROR', 'request_submitted'), clients)).toMatchObject({ side: 'as', kind: 'decision', outcome: 'request_submitted', status: 403, native: { error: 'access_denied', reason: 'request_submitted' } });
    expect(mapKeycloakEvent(byType('PERMISSION_TOKEN_ERROR', 'not_authorized'), clients)).toMatchObject({ side: 'as', kind: 'decision', outcome: 'denied', status: 403, native: { error: 'access_denied', reason: 'not_authorized' } });
  });

  it("INTROSPECT_TOKEN(_ERROR) by the RS's client is the RS introspecting: active, or not with Keycloak's reason", () => {
    const ok = byType('INTROSPECT_TOKEN');
    expect(mapKeycloakEvent(ok, clients)).toMatchObject({ side: 'rs', kind: 'introspection', active: true, native: { client: 'health-records', tokenId: fingerprint(ok.details?.token_id ?? '') } });
    expect(mapKeycloakEvent(byType('INTROSPECT_TOKEN_ERROR'), clients)).toMatchObject({ side: 'rs', kind: 'introspection', active: false, native: { error: 'invalid_token', reason: 'Access token JWT check failed' } });
  });

  it("drops what is not an exchange of Tessera's: sign-ins, code exchanges, the RS's PAT, Tessera's own events client, another client's grant", () => {
    for (const type of ['LOGIN', 'CODE_TO_TOKEN', 'CLIENT_LOGIN']) for (const e of raw.filter((x) => x.type === type)) expect(mapKeycloakEvent(e, clients)).toBeUndefined();
    expect(mapKeycloakEvent({ ...byType('PERMISSION_TOKEN'), clientId: 'someone-else' }, clients)).toBeUndefined();
    expect(mapKeycloakEvent({ ...byType('INTROSPECT_TOKEN'), clientId: 'tessera' }, clients)).toBeUndefined();
  });

  it('hostile events: a token-like reason is not shown; wrong types and huge values are refused at the boundary', () => {
    const jwtish = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl';
    const view = mapKeycloakEvent({ ...byType('PERMISSION_TOKEN_ERROR', 'not_authorized'), details: { reason: jwtish } }, clients);
    expect(view?.native?.reason).toBeUndefined();
    expect(JSON.stringify(view)).not.toContain('eyJ');
    expect(keycloakEventSchema.safeParse({ type: 'PERMISSION_TOKEN', time: '1' }).success).toBe(false);
    expect(keycloakEventSchema.safeParse({ type: 'x'.repeat(61), time: 1 }).success).toBe(false);
    expect(keycloakEventSchema.safeParse({ type: 'PERMISSION_TOKEN', time: 1, details: { reason: 'x'.repeat(5000) } }).success).toBe(false);
  });
});

describe('a realm trusted by hand', () => {
  it("keycloakRealmOf: Keycloak's base URL (any base path) and the realm from its issuer; nothing for another issuer", () => {
    expect(keycloakRealmOf('https://id.example/realms/kate')).toEqual({ url: 'https://id.example', realm: 'kate' });
    expect(keycloakRealmOf('https://id.example/auth/realms/my%20realm/')).toEqual({ url: 'https://id.example/auth', realm: 'my realm' });
    for (const other of ['https://as.example', 'https://id.example/realms/', 'https://id.example/realms/a/b', 'https://id.example/realms/%E0%A4%A', 'not a url']) expect(keycloakRealmOf(other)).toBeUndefined();
  });

  it("names no RS: any client other than Tessera's that introspects is the RS; Tessera's own introspection is not", () => {
    const mine = { tessera: ['my-tessera'] };
    expect(mapKeycloakEvent({ ...byType('INTROSPECT_TOKEN'), clientId: 'whatever-rs' }, mine)).toMatchObject({ side: 'rs', kind: 'introspection', native: { client: 'whatever-rs' } });
    expect(mapKeycloakEvent({ ...byType('INTROSPECT_TOKEN'), clientId: 'my-tessera' }, mine)).toBeUndefined();
    expect(mapKeycloakEvent({ ...byType('PERMISSION_TOKEN'), clientId: 'my-tessera' }, mine)).toMatchObject({ side: 'as', outcome: 'granted' });
    expect(mapKeycloakEvent(byType('PERMISSION_TOKEN'), mine)).toBeUndefined();
  });
});

describe('the events credential', () => {
  it('is kept in the vault (settings record), read back, and given by the environment or turned off', async () => {
    const store = new MemoryStore();
    await saveEventsCredential(store, 'http://127.0.0.1:1/realms/kate', { clientId: 'ev', clientSecret: 's3cret' });
    expect(await loadEventsCredential(store, 'http://127.0.0.1:1/realms/kate')).toEqual({ clientId: 'ev', clientSecret: 's3cret' });
    expect(JSON.stringify(await store.list())).not.toContain('s3cret');
    expect(await loadEventsCredential(store, 'http://127.0.0.1:1/realms/other')).toBeUndefined();
    expect(eventsCredentialFromEnv({ TESSERA_KEYCLOAK_EVENTS_CLIENT_ID: 'a', TESSERA_KEYCLOAK_EVENTS_CLIENT_SECRET: 'b' })).toEqual({ clientId: 'a', clientSecret: 'b' });
    expect(eventsCredentialFromEnv({ TESSERA_KEYCLOAK_EVENTS: 'off', TESSERA_KEYCLOAK_EVENTS_CLIENT_ID: 'a', TESSERA_KEYCLOAK_EVENTS_CLIENT_SECRET: 'b' })).toBe('off');
    expect(eventsCredentialFromEnv({ TESSERA_KEYCLOAK_EVENTS_CLIENT_ID: 'a' })).toBeUndefined();
  });
});

/** A Keycloak-shaped server: the realm's token endpoint (client_credentials) and the admin events, newest first. */
async function fakeKeycloak(events: unknown[], options: { failFirst?: number } = {}) {
  const seen: { path: string; query: URLSearchParams; auth: string | undefined }[] = [];
  let failures = options.failFirst ?? 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, query: url.searchParams, auth: req.headers.authorization });
    if (failures > 0) { failures--; res.writeHead(503).end(); return; }
    if (url.pathname === '/realms/kate/protocol/openid-connect/token') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('tessera-events:ev-secret').toString('base64')}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { access_token: 'admin-access-token', expires_in: 300 } : { error: 'unauthorized_client' }));
      return;
    }
    if (url.pathname === '/admin/realms/kate/events') {
      if (req.headers.authorization !== 'Bearer admin-access-token') { res.writeHead(401).end(); return; }
      const from = Number(url.searchParams.get('dateFrom'));
      const types = url.searchParams.getAll('type');
      const first = Number(url.searchParams.get('first'));
      const max = Number(url.searchParams.get('max'));
      const matching = (events as { time: number; type: string }[]).filter((e) => e.time >= from && types.includes(e.type)).sort((a, b) => b.time - a.time);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(matching.slice(first, first + max)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('KeycloakEventsFeed (polling a Keycloak-shaped server on 127.0.0.1)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

  it('reads the events with the credential (Basic, then Bearer), from dateFrom, by pages, once each; the secret is never in an event or a log line', async () => {
    const now = Date.now();
    // 2.5 pages of grants, and the recorded ones moved to now.
    const many = Array.from({ length: Math.floor(PAGE * 2.5) }, (_, i) => ({ ...byType('PERMISSION_TOKEN'), id: `g${i}`, time: now - 1000 + i }));
    const kc = await fakeKeycloak([...many, ...recorded.events.map((e, i) => ({ ...e, time: now + i }))]);
    cleanups.push(kc.close);
    const log: string[] = [];
    const feed = new KeycloakEventsFeed({ url: kc.url, realm: 'kate', credential: { clientId: 'tessera-events', clientSecret: 'ev-secret' }, clients, intervalMs: 60_000, log: (l) => log.push(l) });
    cleanups.push(() => feed.close());
    await feed.nextPoll();
    // Every grant once, plus the recorded decisions and introspections (not the sign-ins or PAT requests).
    expect(feed.events.length).toBe(many.length + 5);
    expect(new Set(feed.events.map((e) => e.id)).size).toBe(feed.events.length);
    const eventCalls = kc.seen.filter((s) => s.path.endsWith('/events'));
    expect(eventCalls.map((s) => s.query.get('first'))).toEqual(['0', String(PAGE), String(2 * PAGE)]);
    expect(eventCalls[0]?.query.getAll('type')).toEqual(['PERMISSION_TOKEN', 'PERMISSION_TOKEN_ERROR', 'INTROSPECT_TOKEN', 'INTROSPECT_TOKEN_ERROR']);
    expect(Number(eventCalls[0]?.query.get('dateFrom'))).toBeLessThan(now - 60_000);
    // A second poll asks from the newest event's time and adds nothing it had.
    expect(await feed.poll()).toBe(0);
    expect(Number(kc.seen.filter((s) => s.path.endsWith('/events')).at(-1)?.query.get('dateFrom'))).toBe(now + recorded.events.length - 1);
    expect(kc.seen.filter((s) => s.path.endsWith('/token'))).toHaveLength(1);
    for (const text of [JSON.stringify(feed.events), log.join('\n')]) for (const secret of ['ev-secret', 'admin-access-token']) expect(text).not.toContain(secret);
  });

  it('backs off while Keycloak fails, says so once, and reads again after', async () => {
    const kc = await fakeKeycloak([{ ...byType('PERMISSION_TOKEN'), time: Date.now() }], { failFirst: 2 });
    cleanups.push(kc.close);
    const log: string[] = [];
    const feed = new KeycloakEventsFeed({ url: kc.url, realm: 'kate', credential: { clientId: 'tessera-events', clientSecret: 'ev-secret' }, clients, intervalMs: 500, log: (l) => log.push(l) });
    cleanups.push(() => feed.close());
    const started = Date.now();
    expect(feed.readable).toBeUndefined();
    await feed.nextPoll();
    expect(feed.events).toHaveLength(0);
    expect(feed.readable).toBe(false);
    await feed.nextPoll();
    await feed.nextPoll();
    expect(feed.events).toHaveLength(1);
    expect(feed.readable).toBe(true);
    // 1 s then 2 s: the delay doubled after each failure.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(log.filter((l) => l.includes('backoff'))).toHaveLength(1);
    expect(log.at(-1)).toContain('reading again');
  });

  it('a wrong credential is said in the log without the secret, and no events come', async () => {
    const kc = await fakeKeycloak([{ ...byType('PERMISSION_TOKEN'), time: Date.now() }]);
    cleanups.push(kc.close);
    const log: string[] = [];
    const feed = new KeycloakEventsFeed({ url: kc.url, realm: 'kate', credential: { clientId: 'tessera-events', clientSecret: 'wrong-secret' }, clients, intervalMs: 60_000, log: (l) => log.push(l) });
    cleanups.push(() => feed.close());
    await feed.nextPoll();
    expect(feed.events).toHaveLength(0);
    expect(log.join('\n')).toMatch(/refused the events credential \(401\)/);
    expect(log.join('\n')).not.toContain('wrong-secret');
  });

  it('0 and 10^9 intervals are clamped (500 ms floor, 60 s ceiling)', () => {
    const clamped = [0, 1e9, Number.NaN, 2500].map((intervalMs) => {
      const feed = new KeycloakEventsFeed({ url: 'http://127.0.0.1:9', realm: 'kate', credential: { clientId: 'a', clientSecret: 'b' }, clients, intervalMs });
      feed.close();
      return feed.intervalMs;
    });
    expect(clamped).toEqual([500, 60_000, 2000, 2500]);
  });
});

describe('Keycloak events in a flow and in the diagram', () => {
  const sub = raw.find((e) => e.type === 'PERMISSION_TOKEN')?.userId ?? '';
  const issuer = 'http://127.0.0.1:4404/realms/kate';
  const t0 = Date.parse('2026-12-07T06:12:48.000Z');
  const step = (i: number, lane: StepView['lane'], kind: string, at: number, duration: number, status: number, jti?: string): StepView => ({
    id: `s${i}`, flowId: 'f', time: new Date(at).toISOString(), duration, lane, kind, method: lane === 'as' ? 'POST' : 'GET', url: lane === 'as' ? `${issuer}/protocol/openid-connect/token` : 'http://127.0.0.1:4405/patients/kate/prescriptions', status,
    request: { headers: {} }, ...(jti ? { tokens: [{ fingerprint: 'fp:rptrptrptr', length: 900, jwt: { header: {}, claims: { jti } } }] } : {}),
  });
  const jti = byType('PERMISSION_TOKEN').details?.token_id ?? '';
  const flow: FlowView = {
    flowId: 'f', url: 'http://127.0.0.1:4405/patients/kate/prescriptions', startedAt: new Date(t0).toISOString(), running: false, party: `${issuer}#${sub}`, asIssuer: issuer,
    steps: [step(0, 'rs', 'resource', t0, 100, 401), step(1, 'as', 'token', t0 + 500, 200, 200, jti), step(2, 'rs', 'resource', t0 + 800, 100, 200)],
  };
  const at = (e: (typeof raw)[number], t: number, patch: Partial<(typeof raw)[number]> = {}) => mapKeycloakEvent({ ...e, ...patch, time: t }, clients) as ServerEventView;

  it("joins the AS's decision during the token request and the RS's introspection during its call, for this party only", () => {
    const decision = at(byType('PERMISSION_TOKEN'), t0 + 650);
    const introspection = at(byType('INTROSPECT_TOKEN'), t0 + 850, { userId: sub, details: { token_id: jti } });
    const otherParty = at(byType('PERMISSION_TOKEN'), t0 + 600, { userId: 'someone-else', id: 'x1' });
    const otherRpt = at(byType('INTROSPECT_TOKEN'), t0 + 820, { userId: sub, id: 'x2', details: { token_id: 'ntrtna:another' } });
    const outside = at(byType('PERMISSION_TOKEN'), t0 + 5000, { id: 'x3' });
    expect(correlate(flow, [outside, otherRpt, introspection, otherParty, decision]).map((e) => e.id)).toEqual([decision.id, introspection.id]);
  });

  it("a refusal's event joins too (no token id), and the diagram says what Keycloak said and what it does not say", () => {
    const refused: FlowView = { ...flow, steps: [flow.steps[0] as StepView, { ...(flow.steps[1] as StepView), status: 403, tokens: [] }] };
    const e = at(byType('PERMISSION_TOKEN_ERROR', 'not_authorized'), t0 + 600, { userId: sub });
    const joined = correlate(refused, [e]);
    expect(joined).toHaveLength(1);
    const layout = layoutFlow(refused.steps, { server: joined });
    const notes = layout.messages.filter((m) => m.server);
    expect(notes.map((m) => [m.from, m.tone])).toEqual([['as', 'bad']]);
    expect(notes[0]?.label).toContain('PERMISSION_TOKEN_ERROR (access_denied, not_authorized)');
    expect(notes[0]?.detail).toContain('do not say which policy');
  });
});
