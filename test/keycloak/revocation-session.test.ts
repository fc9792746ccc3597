/**
 * What revoking a UMA grant's tokens does to the requesting party's Keycloak session (RFC 7009 at a
 * real Keycloak), observed and pinned: the probe and "Check this AS" revoke what they obtained, and
 * must not end the session whose ID token the person keeps pushing as their claim token.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
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

describe.skipIf(!kc)('revoking an RPT and its refresh token at a real Keycloak', () => {
  let demo: KeycloakDemoHandle;
  const issuer = kc?.issuer ?? '';
  const as = (): oauth.AuthorizationServer => ({ issuer, token_endpoint: `${issuer}/protocol/openid-connect/token`, revocation_endpoint: `${issuer}/protocol/openid-connect/revoke` });
  const tessera: oauth.Client = { client_id: KEYCLOAK_CLIENTS.tessera.client_id };
  const auth = () => oauth.ClientSecretBasic(KEYCLOAK_CLIENTS.tessera.client_secret);
  const prescriptions = () => demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';

  beforeAll(async () => {
    demo = await startKeycloakDemo({ keycloakUrl: kc?.url ?? '', introspectionCacheMs: 0 });
    await deleteAllTickets(issuer);
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
  const grant = async (idToken: string) => {
    const r = await oauth.genericTokenEndpointRequest(as(), tessera, auth(), UMA, new URLSearchParams({ ticket: await ticket(), claim_token: idToken, claim_token_format: ID_TOKEN }), insecure);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const revoke = async (token: string, hint: 'access_token' | 'refresh_token') => {
    const r = await oauth.revocationRequest(as(), tessera, auth(), token, { ...insecure, additionalParameters: { token_type_hint: hint } });
    await r.body?.cancel();
    return r.status;
  };

  it("revoking the RPT leaves Alice's session; revoking its refresh token ends it, and her ID token is refused as a claim token", async () => {
    const alice = String((await keycloakSignIn(issuer, 'alice', 'tessera')).idToken);
    const first = await grant(alice);
    expect(first.status).toBe(200);
    expect(typeof first.body.refresh_token).toBe('string');
    expect(await revoke(String(first.body.access_token), 'access_token')).toBe(200);
    const second = await grant(alice);
    expect(second.status).toBe(200);
    expect(await revoke(String(second.body.refresh_token), 'refresh_token')).toBe(200);
    const third = await grant(alice);
    expect(third).toMatchObject({ status: 400, body: { error: 'unauthorized_client', error_description: 'Invalid identity' } });
  }, 60_000);
});
