/**
 * What the project's real Keycloak does with a DPoP proof (RFC 9449) on the UMA grant, observed and
 * pinned: the proof made by oauth4webapi (`oauth.DPoP`), sent with the ticket the demo RS in front of
 * Keycloak hands out and Alice's ID token. A control with the same kind of proof on the RS client's
 * client_credentials grant shows what Keycloak does where it does bind. Both discovery documents are
 * read for `dpop_signing_alg_values_supported`. The findings are written in DESIGN.md ("DPoP").
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-5
 * @see https://github.com/keycloak/keycloak/issues/52985
 */
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseWwwAuthenticate } from '../../packages/uma/src/uma/challenge';
import { startKeycloakDemo, type KeycloakDemoHandle } from '../../src/demo/keycloak/demo';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { deleteAllTickets, keycloakSignIn } from '../fixtures/keycloak-people';

const kc = inject('keycloak');
const UMA = 'urn:ietf:params:oauth:grant-type:uma-ticket';
const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe.skipIf(!kc)('a DPoP proof on the UMA grant at a real Keycloak', () => {
  let demo: KeycloakDemoHandle;
  let alice: string;
  const issuer = kc?.issuer ?? '';
  const as = (): oauth.AuthorizationServer => ({ issuer, token_endpoint: `${issuer}/protocol/openid-connect/token`, introspection_endpoint: `${issuer}/protocol/openid-connect/token/introspect` });
  const tessera: oauth.Client = { client_id: KEYCLOAK_CLIENTS.tessera.client_id };
  const rsClient: oauth.Client = { client_id: KEYCLOAK_CLIENTS.rs.client_id };
  const prescriptions = () => demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';

  beforeAll(async () => {
    demo = await startKeycloakDemo({ keycloakUrl: kc?.url ?? '', introspectionCacheMs: 0 });
    await deleteAllTickets(issuer);
    alice = String((await keycloakSignIn(issuer, 'alice', 'tessera')).idToken);
  });
  afterAll(async () => {
    await deleteAllTickets(issuer).catch(() => undefined);
    await demo?.close();
  });

  async function ticket(): Promise<string> {
    const r = await fetch(prescriptions());
    await r.body?.cancel();
    return parseWwwAuthenticate([r.headers.get('www-authenticate') ?? '']).find((c) => c.scheme.toLowerCase() === 'uma')?.params.ticket ?? '';
  }
  const dpopWith = async (tamper?: (h: Record<string, unknown>, p: Record<string, unknown>) => void) => {
    const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
    const handle = oauth.DPoP(tessera, keyPair, tamper ? { [oauth.modifyAssertion]: tamper } : {});
    return { handle, jkt: await handle.calculateThumbprint() };
  };
  const umaGrant = async (dpop: oauth.DPoPHandle) => {
    const r = await oauth.genericTokenEndpointRequest(as(), tessera, oauth.ClientSecretBasic(KEYCLOAK_CLIENTS.tessera.client_secret), UMA,
      new URLSearchParams({ ticket: await ticket(), claim_token: alice, claim_token_format: ID_TOKEN }), { ...insecure, DPoP: dpop });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const introspect = async (token: string, hint?: string) => {
    const r = await oauth.introspectionRequest(as(), rsClient, oauth.ClientSecretBasic(KEYCLOAK_CLIENTS.rs.client_secret), token, { ...insecure, ...(hint ? { additionalParameters: { token_type_hint: hint } } : {}) });
    return (await r.json()) as Record<string, unknown>;
  };

  it('discovery: the OpenID document advertises dpop_signing_alg_values_supported, the UMA document does not', async () => {
    const openid = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const uma = (await (await fetch(`${issuer}/.well-known/uma2-configuration`)).json()) as Record<string, unknown>;
    expect(openid.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256', 'RS256', 'EdDSA']));
    expect(uma.dpop_signing_alg_values_supported).toBeUndefined();
  });

  it('control: client_credentials with a proof is bound the standard way (token_type DPoP, cnf.jkt in the JWT)', async () => {
    const { handle, jkt } = await dpopWith();
    const r = await oauth.clientCredentialsGrantRequest(as(), rsClient, oauth.ClientSecretBasic(KEYCLOAK_CLIENTS.rs.client_secret), new URLSearchParams(), { ...insecure, DPoP: handle });
    const body = (await r.json()) as Record<string, unknown>;
    expect(r.status).toBe(200);
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(String(body.access_token)).cnf).toMatchObject({ jkt });
  });

  it('the UMA grant with a proof: token_type Bearer, yet the RPT is bound (cnf.jkt in the JWT, token_type DPoP at plain introspection); RPT-hint introspection hides it, so the demo RS serves it as Bearer', async () => {
    const { handle, jkt } = await dpopWith();
    const r = await umaGrant(handle);
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
    const rpt = String(r.body.access_token);
    expect(decodeJwt(rpt).cnf).toEqual({ jkt, 'kc-jkt-type': 'DPoP' });
    // Introspection as the demo RS does it (RS client credentials, `token_type_hint=requesting_party_token`).
    const info = await introspect(rpt, 'requesting_party_token');
    expect(info.active).toBe(true);
    expect(info.permissions).toBeTruthy();
    expect(info.cnf).toBeUndefined();
    expect(info.token_type).toBeUndefined();
    // Without that hint Keycloak tells the truth: the RPT is DPoP-bound to the proof's key.
    const plain = await introspect(rpt);
    expect(plain).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt, 'kc-jkt-type': 'DPoP' } });
    // So an RS that introspects cannot see the binding: the demo RS serves it as Bearer, and refuses
    // the DPoP scheme for it (introspection names no key to match).
    const asBearer = await fetch(prescriptions(), { headers: { Authorization: `Bearer ${rpt}` } });
    await asBearer.body?.cancel();
    expect(asBearer.status).toBe(200);
    let asDpop: Response;
    try {
      asDpop = await oauth.protectedResourceRequest(rpt, 'GET', new URL(prescriptions()), new Headers(), null, { ...insecure, DPoP: handle });
    } catch (error) {
      if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
      asDpop = error.response;
    }
    await asDpop.body?.cancel();
    expect(asDpop.status).toBe(401);
    expect(asDpop.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
  });

  it('the UMA grant checks the proof: a bad typ or a stale iat → 400 invalid_request (not invalid_dpop_proof)', async () => {
    const typ = await umaGrant((await dpopWith((header) => { header.typ = 'jwt'; })).handle);
    expect(typ.status).toBe(400);
    expect(typ.body).toMatchObject({ error: 'invalid_request', error_description: 'Invalid or missing type in DPoP header: jwt' });
    const stale = await umaGrant((await dpopWith((_h, p) => { p.iat = Number(p.iat) - 3600; })).handle);
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ error: 'invalid_request', error_description: 'DPoP proof is not active' });
  });
});
