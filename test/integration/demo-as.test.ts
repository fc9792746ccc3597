/**
 * Kate's AS over real HTTP: discovery, the protection API (PAT, resource registration, permission,
 * introspection), the token endpoint's UMA outcomes, tickets, PCTs, upgrade, refresh, revocation,
 * dynamic registration, and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { ownerSession, signIn } from '../fixtures/demo-people';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const UMA = 'urn:ietf:params:oauth:grant-type:uma-ticket';
let demo: DemoHandle;
let as: string;
let pat: string;
const idTokens: Record<string, string> = {};

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const tessera = () => basic(demo.config.as.tesseraClient.client_id, demo.config.as.tesseraClient.client_secret);
const rid = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.id ?? '';

async function json(response: Response) {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
async function getPat(): Promise<string> {
  const r = await json(await fetch(`${as}/token`, { method: 'POST', headers: { Authorization: basic('health-records-rs', 'health-records-rs-demo-secret'), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=uma_protection' }));
  return String(r.body.access_token);
}
const api = (path: string, init: RequestInit = {}, token = pat) => fetch(`${as}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) } }).then(json);
async function ticketFor(name: string, scopes = ['read']): Promise<string> {
  const r = await api('/uma/permission', { method: 'POST', body: JSON.stringify({ resource_id: rid(name), resource_scopes: scopes }) });
  expect(r.status).toBe(201);
  return String(r.body.ticket);
}
const token = (params: Record<string, string>, auth = tessera()) => fetch(`${as}/token`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: UMA, ...params }).toString() }).then(json);
const introspect = (t: string) => fetch(`${as}/uma/introspect`, { method: 'POST', headers: { Authorization: `Bearer ${pat}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t }).toString() }).then(json);
const revoke = (t: string, hint?: string) => fetch(`${as}/uma/revoke`, { method: 'POST', headers: { Authorization: tessera(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t, ...(hint ? { token_type_hint: hint } : {}) }).toString() });
const push = (who: string) => ({ claim_token: idTokens[who] ?? '', claim_token_format: ID_TOKEN });

beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 2, lifetimes: { ticket: 2 } });
  as = demo.config.as.issuer;
  pat = await getPat();
  for (const who of ['alice', 'sam', 'mallory', 'insurer']) idTokens[who] = String((await signIn(demo.config, who)).id_token);
});
afterAll(async () => demo.close());

describe('discovery', () => {
  it('publishes /.well-known/uma2-configuration with issuer equal to the as_uri and every UMA endpoint', async () => {
    const r = await json(await fetch(`${as}/.well-known/uma2-configuration`));
    expect(r.status).toBe(200);
    expect(r.body.issuer).toBe(as);
    for (const key of ['token_endpoint', 'claims_interaction_endpoint', 'permission_endpoint', 'resource_registration_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'registration_endpoint', 'jwks_uri']) {
      expect(String(r.body[key])).toMatch(new RegExp(`^${as}/`));
    }
    expect(r.body.grant_types_supported).toContain(UMA);
  });
});

describe('protection API', () => {
  it('requires a PAT with uma_protection: none, garbage or a non-RS token → 401 invalid_token', async () => {
    for (const t of ['', 'not-a-token']) {
      const r = await api('/uma/resource_set', {}, t);
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_token');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
  });

  it('resource registration: create, read, update, list, delete, and the spec errors', async () => {
    const created = await api('/uma/resource_set', { method: 'POST', body: JSON.stringify({ name: 'x-ray', resource_scopes: ['read'], description: 'Chest X-ray', icon_uri: 'https://example.com/i.png', 'description#fr': 'Radio' }) });
    expect(created.status).toBe(201);
    const id = String(created.body._id);
    expect(created.headers.get('location')).toBe(`${as}/uma/resource_set/${id}`);
    expect(String(created.body.user_access_policy_uri)).toContain('/dashboard');
    const read = await api(`/uma/resource_set/${id}`);
    expect(read.body).toMatchObject({ _id: id, name: 'x-ray', resource_scopes: ['read'], 'description#fr': 'Radio' });
    expect(read.body.owner).toBeUndefined();
    const updated = await api(`/uma/resource_set/${id}`, { method: 'PUT', body: JSON.stringify({ name: 'x-ray', resource_scopes: ['read', 'write'] }) });
    expect(updated).toMatchObject({ status: 200, body: { _id: id } });
    expect((await api(`/uma/resource_set/${id}`)).body.description).toBeUndefined(); // complete replacement
    expect((await api('/uma/resource_set')).body).toContain(id);
    const deleted = await fetch(`${as}/uma/resource_set/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${pat}` } });
    expect(deleted.status).toBe(204);
    expect(await api(`/uma/resource_set/${id}`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await api('/uma/resource_set/nope', { method: 'PUT', body: '{"resource_scopes":["a"]}' })).toMatchObject({ status: 404 });
    expect(await api('/uma/resource_set', { method: 'PATCH', body: '{}' })).toMatchObject({ status: 405, body: { error: 'unsupported_method_type' } });
    expect(await api('/uma/resource_set', { method: 'POST', body: '{"name":"no scopes"}' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await api('/uma/resource_set', { method: 'POST', body: '{not json' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await api('/uma/resource_set', { method: 'POST', body: '{"_id":"mine","resource_scopes":["a"]}' })).toMatchObject({ status: 400 });
  });

  it('permission endpoint: one object or an array → 201 {ticket}; unknown resource or scope → the spec errors', async () => {
    const one = await api('/uma/permission', { method: 'POST', body: JSON.stringify({ resource_id: rid('bills'), resource_scopes: ['read'] }) });
    expect(one.status).toBe(201);
    expect(typeof one.body.ticket).toBe('string');
    const many = await api('/uma/permission', { method: 'POST', body: JSON.stringify([{ resource_id: rid('bills'), resource_scopes: ['read'] }, { resource_id: rid('prescriptions'), resource_scopes: [] }]) });
    expect(many.status).toBe(201);
    expect(many.body.ticket).not.toBe(one.body.ticket);
    expect(await api('/uma/permission', { method: 'POST', body: JSON.stringify({ resource_id: 'unknown', resource_scopes: ['read'] }) })).toMatchObject({ status: 400, body: { error: 'invalid_resource_id' } });
    expect(await api('/uma/permission', { method: 'POST', body: JSON.stringify({ resource_id: rid('bills'), resource_scopes: ['fly'] }) })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(await api('/uma/permission', { method: 'POST', body: '[]' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('introspection returns permissions[] and no scope for an active RPT; false for anything else', async () => {
    const granted = await token({ ticket: await ticketFor('bills'), ...push('insurer') });
    expect(granted.status).toBe(200);
    const info = await introspect(String(granted.body.access_token));
    expect(info.body).toMatchObject({ active: true, permissions: [{ resource_id: rid('bills'), resource_scopes: ['read'] }] });
    expect(info.body.scope).toBeUndefined();
    expect((await introspect('nope')).body).toEqual({ active: false });
  });
});

describe('token endpoint: the UMA grant', () => {
  it('need_info: required_claims (ID-token format, Hospital ID, email and role) and redirect_user, with a new ticket', async () => {
    const ticket = await ticketFor('prescriptions');
    const r = await token({ ticket });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('need_info');
    expect(r.body.ticket).toBeTruthy();
    expect(r.body.ticket).not.toBe(ticket);
    expect(r.body.redirect_user).toBe(`${as}/uma/claims`);
    expect(r.body.required_claims).toEqual([
      { claim_token_format: [ID_TOKEN], issuer: [demo.config.idp.issuer], name: 'email', friendly_name: 'email' },
      { claim_token_format: [ID_TOKEN], issuer: [demo.config.idp.issuer], name: 'role', friendly_name: 'role' },
    ]);
    expect(r.headers.get('cache-control')).toContain('no-store');
    // Continuing with the new ticket and a pushed ID token succeeds, with a PCT.
    const ok = await token({ ticket: String(r.body.ticket), ...push('alice') });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(ok.body.pct).toBeTruthy();
    expect(ok.body.refresh_token).toBeTruthy();
    expect(ok.body.upgraded).toBeUndefined();
  });

  it('tickets are single use: a second presentation → invalid_grant; unknown → invalid_grant', async () => {
    const ticket = await ticketFor('prescriptions');
    expect((await token({ ticket, ...push('alice') })).status).toBe(200);
    expect(await token({ ticket, ...push('alice') })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await token({ ticket: 'made-up' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('tickets expire (lifetime 2 s here)', async () => {
    const ticket = await ticketFor('prescriptions');
    await new Promise((r) => setTimeout(r, 3100));
    expect(await token({ ticket, ...push('alice') })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a ticket continued by one client cannot be used by another', async () => {
    const reg = await json(await fetch(`${as}/reg`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ client_name: 'Other', grant_types: [UMA], response_types: [], token_endpoint_auth_method: 'client_secret_basic' }) }));
    const other = basic(String(reg.body.client_id), String(reg.body.client_secret));
    const first = await token({ ticket: await ticketFor('prescriptions') });
    expect(await token({ ticket: String(first.body.ticket), ...push('alice') }, other)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('request_denied for Mallory; need_info with a reason for a forged, foreign-format or missing-format claim token', async () => {
    expect(await token({ ticket: await ticketFor('prescriptions'), ...push('mallory') })).toMatchObject({ status: 403, body: { error: 'request_denied' } });
    const forged = `${(idTokens.alice ?? '').slice(0, -4)}AAAA`;
    const bad = await token({ ticket: await ticketFor('prescriptions'), claim_token: forged, claim_token_format: ID_TOKEN });
    expect(bad.body).toMatchObject({ error: 'need_info' });
    expect(String(bad.body.error_description)).toContain('signature');
    const https = await token({ ticket: await ticketFor('prescriptions'), claim_token: idTokens.alice ?? '', claim_token_format: 'https://openid.net/specs/openid-connect-core-1_0.html#IDToken' });
    expect(String(https.body.error_description)).toContain('not supported');
    expect(await token({ ticket: await ticketFor('prescriptions'), claim_token: 'x' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('invalid_scope for a scope no resource in the ticket offers; write is denied by policy', async () => {
    expect(await token({ ticket: await ticketFor('bills'), scope: 'print', ...push('insurer') })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(await token({ ticket: await ticketFor('prescriptions'), scope: 'write', ...push('alice') })).toMatchObject({ status: 403, body: { error: 'request_denied' } });
  });

  it('a partial grant: of two resources, the RPT carries only the one the policy allows', async () => {
    const r = await api('/uma/permission', { method: 'POST', body: JSON.stringify([{ resource_id: rid('bills'), resource_scopes: ['read'] }, { resource_id: rid('prescriptions'), resource_scopes: ['read'] }]) });
    const ok = await token({ ticket: String(r.body.ticket), ...push('insurer') });
    expect(ok.status).toBe(200);
    const info = await introspect(String(ok.body.access_token));
    expect((info.body.permissions as { resource_id: string }[]).map((p) => p.resource_id)).toEqual([rid('bills')]);
  });

  it('PCT reuse: claims persisted behind the PCT satisfy the next request without pushing; an unknown PCT is ignored', async () => {
    const first = await token({ ticket: await ticketFor('prescriptions'), ...push('sam') });
    const pct = String(first.body.pct);
    const second = await token({ ticket: await ticketFor('prescriptions'), pct });
    expect(second.status).toBe(200);
    expect(second.body.pct).toBeUndefined();
    expect((await token({ ticket: await ticketFor('prescriptions'), pct: 'unknown' })).body.error).toBe('need_info');
    // Revoked PCT: claims are asked for again.
    expect((await revoke(pct, 'pct')).status).toBe(200);
    expect((await token({ ticket: await ticketFor('prescriptions'), pct })).body.error).toBe('need_info');
  });

  it('RPT upgrade: sending the held RPT → upgraded:true, a new RPT with both permissions, the old one revoked', async () => {
    const first = await token({ ticket: await ticketFor('prescriptions'), ...push('alice') });
    const rpt = String(first.body.access_token);
    const second = await token({ ticket: await ticketFor('prescriptions'), rpt, ...push('alice') });
    expect(second.body.upgraded).toBe(true);
    expect(second.body.access_token).not.toBe(rpt);
    expect((await introspect(rpt)).body.active).toBe(false);
    // Another requesting party's RPT is never merged into Mallory's or anyone else's.
    const samRpt = await token({ ticket: await ticketFor('prescriptions'), ...push('sam') });
    const crossed = await token({ ticket: await ticketFor('bills'), rpt: String(samRpt.body.access_token), ...push('insurer') });
    expect(crossed.body.upgraded).toBe(false);
    expect((await introspect(String(samRpt.body.access_token))).body.active).toBe(true);
  });

  it('refresh: same permissions, rotated refresh token, old RPT gone; revocation of the refresh token ends the grant', async () => {
    const first = await token({ ticket: await ticketFor('bills'), ...push('insurer') });
    const refresh = await json(await fetch(`${as}/token`, { method: 'POST', headers: { Authorization: tessera(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) }).toString() }));
    expect(refresh.status).toBe(200);
    expect(refresh.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await introspect(String(first.body.access_token))).body.active).toBe(false);
    expect((await introspect(String(refresh.body.access_token))).body.active).toBe(true);
    const again = await json(await fetch(`${as}/token`, { method: 'POST', headers: { Authorization: tessera(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(first.body.refresh_token) }).toString() }));
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await revoke(String(refresh.body.refresh_token), 'refresh_token')).status).toBe(200);
    expect((await introspect(String(refresh.body.access_token))).body.active).toBe(false);
  });

  it('revocation: an RPT revoked by its client is inactive; unknown tokens answer 200; bad client auth → 401', async () => {
    const first = await token({ ticket: await ticketFor('bills'), ...push('insurer') });
    expect((await revoke(String(first.body.access_token))).status).toBe(200);
    expect((await introspect(String(first.body.access_token))).body.active).toBe(false);
    expect((await revoke('unknown')).status).toBe(200);
    const bad = await fetch(`${as}/uma/revoke`, { method: 'POST', headers: { Authorization: basic('tessera', 'wrong'), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
    expect(bad.status).toBe(401);
  });

  it('request_submitted with interval for care notes; Kate approves; the next poll gets the RPT; the approval is used once', async () => {
    const first = await token({ ticket: await ticketFor('care-notes'), ...push('alice') });
    expect(first).toMatchObject({ status: 403, body: { error: 'request_submitted', interval: 2 } });
    const poll = await token({ ticket: String(first.body.ticket) });
    expect(poll.body.error).toBe('request_submitted');
    const kate = await ownerSession(demo.config);
    await kate.decide('approve');
    const granted = await token({ ticket: String(poll.body.ticket) });
    expect(granted.status).toBe(200);
    // "Each time": a new request needs a new approval.
    expect((await token({ ticket: await ticketFor('care-notes'), ...push('alice') })).body.error).toBe('request_submitted');
  });

  it('unsupported grant, missing ticket and bad client are standard errors', async () => {
    expect(await token({})).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect((await token({ ticket: 'x' }, basic('tessera', 'wrong'))).body.error).toBe('invalid_client');
    const r = await json(await fetch(`${as}/token`, { method: 'POST', headers: { Authorization: tessera(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=a&password=b' }));
    expect(r.body.error).toMatch(/unsupported_grant_type|unauthorized_client/);
  });
});

describe('dynamic client registration (RFC 7591)', () => {
  const register = (body: unknown) => fetch(`${as}/reg`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(json);

  it('accepts claims_redirect_uris (loopback) and the UMA grant; the client can use the grant', async () => {
    const r = await register({ client_name: 'Tessera (dynamic)', grant_types: [UMA, 'refresh_token'], response_types: [], token_endpoint_auth_method: 'client_secret_basic', claims_redirect_uris: ['http://127.0.0.1/uma/claims-callback'] });
    expect(r.status).toBe(201);
    expect(r.body.claims_redirect_uris).toEqual(['http://127.0.0.1/uma/claims-callback']);
    const ok = await token({ ticket: await ticketFor('bills'), ...push('insurer') }, basic(String(r.body.client_id), String(r.body.client_secret)));
    expect(ok.status).toBe(200);
  });

  it('rejects bad claims_redirect_uris and any attempt to speak for a resource owner', async () => {
    for (const uris of [['http://evil.example/cb'], ['not a uri'], ['https://ok.example/cb#frag'], []]) {
      expect((await register({ grant_types: [UMA], response_types: [], claims_redirect_uris: uris })).body.error).toBe('invalid_client_metadata');
    }
    expect((await register({ grant_types: ['client_credentials'], response_types: [], uma_resource_owner: 'kate' })).body.error).toBe('invalid_client_metadata');
  });
});
