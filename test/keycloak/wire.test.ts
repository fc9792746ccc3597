/**
 * Keycloak's wire behaviour as seen on a real server, pinned where it differs from the UMA specs or
 * from ../shared/reference/keycloak-real.md (the README's "Real Keycloak" table lists the same facts).
 * Raw HTTP on purpose: these are facts about the server, not about Tessera.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { keycloakSignIn, rsPat } from '../fixtures/keycloak-people';

const kc = inject('keycloak');
const UMA = 'urn:ietf:params:oauth:grant-type:uma-ticket';
const basic = (c: { client_id: string; client_secret: string }) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;
const PRESCRIPTIONS = '6b1c7a52-0c1e-4f5e-9a51-000000000001'; // kate-realm.json
const BILLS = '6b1c7a52-0c1e-4f5e-9a51-000000000003';
const CARE_NOTES = '6b1c7a52-0c1e-4f5e-9a51-000000000004';

describe.skipIf(!kc)('Keycloak on the wire', () => {
  const issuer = kc?.issuer ?? '';
  const token = `${issuer}/protocol/openid-connect/token`;
  let aliceIdToken = '';
  beforeAll(async () => {
    aliceIdToken = (await keycloakSignIn(issuer, 'alice', 'tessera')).idToken;
  });
  async function post(url: string, form: Record<string, string>, auth?: string) {
    const r = await fetch(url, { method: 'POST', headers: auth ? { Authorization: auth } : {}, body: new URLSearchParams(form) });
    return { status: r.status, body: (await r.json().catch(() => undefined)) as Record<string, unknown> };
  }
  async function ticket(resourceId: string, scope = 'read', pat?: string): Promise<string> {
    const r = await fetch(`${issuer}/authz/protection/permission`, { method: 'POST', headers: { Authorization: `Bearer ${pat ?? await rsPat(issuer)}`, 'Content-Type': 'application/json' }, body: JSON.stringify([{ resource_id: resourceId, resource_scopes: [scope] }]) });
    expect(r.status).toBe(201);
    return String(((await r.json()) as { ticket: string }).ticket);
  }
  const pushAlice = (extra: Record<string, string>) => post(token, { grant_type: UMA, claim_token: aliceIdToken, claim_token_format: ID_TOKEN_FORMAT, ...extra }, basic(KEYCLOAK_CLIENTS.tessera));

  it('protection API: uma_protection is not a scope; a bare permission object is not parsed; scopes come back as {name} objects', async () => {
    expect(await post(token, { grant_type: 'client_credentials', scope: 'uma_protection' }, basic(KEYCLOAK_CLIENTS.rs))).toEqual({ status: 400, body: { error: 'invalid_scope', error_description: 'Invalid scopes: uma_protection' } });
    const pat = await rsPat(issuer);
    const bare = await fetch(`${issuer}/authz/protection/permission`, { method: 'POST', headers: { Authorization: `Bearer ${pat}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ resource_id: PRESCRIPTIONS, resource_scopes: ['read'] }) });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toEqual({ error: 'unknown_error', error_description: 'Cannot parse the JSON' });
    const desc = (await (await fetch(`${issuer}/authz/protection/resource_set/${PRESCRIPTIONS}`, { headers: { Authorization: `Bearer ${pat}` } })).json()) as Record<string, unknown>;
    expect(desc).toMatchObject({ _id: PRESCRIPTIONS, name: 'prescriptions', ownerManagedAccess: true, resource_scopes: [{ name: 'read' }, { name: 'write' }] });
  });

  it('the ticket is an HS512 JWT that expires with the PAT', async () => {
    // The ticket is asked for with this same PAT: two PATs issued a second apart expire a second apart.
    const pat = await rsPat(issuer);
    const t = await ticket(PRESCRIPTIONS, 'read', pat);
    expect(decodeProtectedHeader(t).alg).toBe('HS512');
    expect(decodeJwt(t).exp).toBe(decodeJwt(pat).exp);
  });

  it('ID-token claim pushing: only the exact http:// format; an ID token of another client is refused', async () => {
    const granted = await pushAlice({ ticket: await ticket(PRESCRIPTIONS) });
    expect(granted.status).toBe(200);
    expect(granted.body.upgraded).toBe(false);
    // https:// is not "not supported": the claim token is ignored and Keycloak falls back to the
    // client's service account, which tessera does not have.
    expect(await pushAlice({ ticket: await ticket(PRESCRIPTIONS), claim_token_format: 'https://openid.net/specs/openid-connect-core-1_0.html#IDToken' })).toEqual({ status: 401, body: { error: 'unauthorized_client', error_description: 'Client not enabled to retrieve service account' } });
    const other = (await keycloakSignIn(issuer, 'alice', 'tessera-public')).idToken;
    expect(await post(token, { grant_type: UMA, ticket: await ticket(PRESCRIPTIONS), claim_token: other, claim_token_format: ID_TOKEN_FORMAT }, basic(KEYCLOAK_CLIENTS.tessera))).toEqual({ status: 400, body: { error: 'invalid_claim_token', error_description: 'Token issued to a different client' } });
  });

  it('errors: a tampered ticket is invalid_ticket; denials never carry a new ticket', async () => {
    expect(await pushAlice({ ticket: `${await ticket(PRESCRIPTIONS)}x` })).toEqual({ status: 403, body: { error: 'invalid_ticket', error_description: 'Ticket verification failed' } });
    expect(await pushAlice({ ticket: await ticket(BILLS), submit_request: 'false' })).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'not_authorized' } });
  });

  it('a scope no policy grants, on a resource another scope of which is granted: 200 with an RPT naming the resource without scopes', async () => {
    const partial = await pushAlice({ ticket: await ticket(PRESCRIPTIONS, 'write'), submit_request: 'false' });
    expect(partial.status).toBe(200);
    expect((decodeJwt(String(partial.body.access_token)) as { authorization?: unknown }).authorization).toEqual({ permissions: [{ rsid: PRESCRIPTIONS, rsname: 'prescriptions' }] });
    // …and the "can I?" decision says yes to the same question.
    expect(await pushAlice({ audience: 'health-records', permission: `${PRESCRIPTIONS}#write`, response_mode: 'decision' })).toEqual({ status: 200, body: { result: true } });
  });

  it('no ticket: permission= needs the resource id (a name of a user-owned resource is unknown); response_mode=decision', async () => {
    expect(await pushAlice({ audience: 'health-records', permission: 'prescriptions#read', response_mode: 'decision' })).toEqual({ status: 400, body: { error: 'invalid_resource', error_description: 'Resource with id [prescriptions] does not exist.' } });
    expect(await pushAlice({ audience: 'health-records', permission: `${PRESCRIPTIONS}#read`, response_mode: 'decision' })).toEqual({ status: 200, body: { result: true } });
    expect(await pushAlice({ audience: 'health-records', permission: `${BILLS}#read`, response_mode: 'decision' })).toEqual({ status: 403, body: { error: 'access_denied', error_description: 'not_authorized' } });
    const permissions = await pushAlice({ audience: 'health-records', permission: `${PRESCRIPTIONS}#read`, response_mode: 'permissions' });
    expect(permissions).toEqual({ status: 200, body: [{ scopes: ['read'], rsid: PRESCRIPTIONS, rsname: 'prescriptions' }] });
  });

  it('introspection: client credentials, not the PAT; permissions[] only with token_type_hint=requesting_party_token', async () => {
    const rpt = String((await pushAlice({ ticket: await ticket(PRESCRIPTIONS) })).body.access_token);
    const introspect = `${issuer}/protocol/openid-connect/token/introspect`;
    expect((await post(introspect, { token: rpt }, `Bearer ${await rsPat(issuer)}`)).body).toEqual({ error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
    const plain = await post(introspect, { token: rpt }, basic(KEYCLOAK_CLIENTS.rs));
    expect(plain.body.active).toBe(true);
    expect(plain.body.permissions).toBeUndefined();
    const hinted = await post(introspect, { token: rpt, token_type_hint: 'requesting_party_token' }, basic(KEYCLOAK_CLIENTS.rs));
    expect(hinted.body.permissions).toEqual([{ scopes: ['read'], rsid: PRESCRIPTIONS, rsname: 'prescriptions', resource_id: PRESCRIPTIONS, resource_scopes: ['read'] }]);
  });

  it('discovery: the UMA document has no revocation_endpoint and no introspection auth methods; the Account REST API needs Accept: application/json', async () => {
    const uma = (await (await fetch(`${issuer}/.well-known/uma2-configuration`)).json()) as Record<string, unknown>;
    expect(uma).toMatchObject({ issuer, permission_endpoint: `${issuer}/authz/protection/permission`, resource_registration_endpoint: `${issuer}/authz/protection/resource_set` });
    expect(uma.revocation_endpoint).toBeUndefined();
    expect(uma.introspection_endpoint_auth_methods_supported).toBeUndefined();
    expect(uma.claims_interaction_endpoint).toBeUndefined();
    const oidc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(oidc.revocation_endpoint).toBe(`${issuer}/protocol/openid-connect/revoke`);
    const html = await fetch(`${issuer}/account/resources/${CARE_NOTES}/permissions/requests`);
    expect(html.status).toBe(200); // without Accept it is the account console's HTML, even unauthenticated
    expect(html.headers.get('content-type')).toContain('text/html');
    await html.body?.cancel();
  });
});
