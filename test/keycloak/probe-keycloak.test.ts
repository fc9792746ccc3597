/**
 * `tessera probe` against the real Keycloak of this test run (test/keycloak/setup.ts) acting as the
 * UMA AS behind the demo RS, which registers Kate's records there through the protection API.
 *
 * Expected deviations (reference/keycloak-real.md, reference/real-servers.md §1): the UMA grant
 * missing from grant_types_supported; `access_denied` + description `request_submitted` instead of
 * `request_submitted`, without a new ticket; no PCT; 403 `invalid_ticket` for bad tickets.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKeycloakDemo, type KeycloakDemoHandle } from '../../src/demo/keycloak/demo';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { deleteAllTickets, keycloakSignIn } from '../fixtures/keycloak-people';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { runProbe } from '../../src/probe/runner';
import type { ProbeReport } from '../../src/probe/types';

const kc = inject('keycloak');

describe.skipIf(!kc)('tessera probe ⇄ real Keycloak', () => {
  let report: ProbeReport;
  let demo: KeycloakDemoHandle;
  beforeAll(async () => {
    demo = await startKeycloakDemo({ keycloakUrl: kc?.url ?? '', introspectionCacheMs: 0 });
  });
  afterAll(async () => {
    await demo?.close();
    // The probe's request_submitted checks leave pending tickets at Keycloak: remove them for the other files.
    await deleteAllTickets(kc?.issuer ?? '').catch(() => undefined);
  });
  const check = (id: string) => {
    const c = report.checks.find((x) => x.id === id);
    if (!c) throw new Error(`no check ${id}`);
    return c;
  };

  it('runs against the realm with Alice’s Keycloak ID token and reports what Keycloak 26.7 really does', async () => {
    const issuer = kc?.issuer ?? '';
    const resource = demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    report = await runProbe({
      resource,
      trust: { authorizationServers: [{ issuer }] },
      client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: alice.idToken, claim_token_format: ID_TOKEN_FORMAT }],
    });
    console.log(report.checks.map((c) => `${c.status.padEnd(9)} ${c.id}: ${c.detail}`).join('\n'));
    expect(report.as.issuer).toBe(issuer);
    expect(check('rs.challenge').status).toBe('pass');
    expect(check('discovery.location').status).toBe('pass');
    expect(check('discovery.issuer').status).toBe('pass');
    // Measured: 26.7.3 lists urn:ietf:params:oauth:grant-type:uma-ticket (the reference expected it missing).
    expect(check('discovery.grant-type').status).toBe('pass');
    // A pushed ID token issued to this client gets an RPT.
    expect(check('claims.push').status).toBe('pass');
    // A UMA grant without claims: Keycloak falls back to the client's service account (401 unauthorized_client), not need_info.
    expect(check('grant.no-claims').detail).toMatch(/401 unauthorized_client|service account/);
    // Keycloak has no PCTs and no claims-interaction endpoint.
    expect(['deviation', 'skip']).toContain(check('pct.issued').status);
    expect(check('interaction.unregistered-redirect').status).toBe('skip');
    // Dynamic registration refuses the UMA client metadata claims_redirect_uris (400, unrecognized field).
    expect(check('registration.dynamic').detail).toMatch(/claims_redirect_uris/);
    // Client authentication works; the claim-less 401 unauthorized_client is reported as a deviation.
    expect(check('token.client-auth').status).toBe('deviation');
    expect(check('rpt.upgrade').status).toBe('pass');
    expect(check('safety.origins').status).toBe('pass');
  }, 120_000);

  it('with the OpenID configuration configured (as the app trusts Keycloak), revocation is checked and the RPTs it made are revoked', async () => {
    const issuer = kc?.issuer ?? '';
    const resource = demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    const discoveryUrl = `${issuer}/.well-known/openid-configuration`;
    const configured = await runProbe({
      resource,
      trust: { authorizationServers: [{ issuer, discoveryUrl }] },
      client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: alice.idToken, claim_token_format: ID_TOKEN_FORMAT }],
    });
    const c = (id: string) => configured.checks.find((x) => x.id === id);
    // The UMA document is still the one judged; it lacks revocation_endpoint, the configured one has it.
    expect(c('discovery.location')?.status).toBe('pass');
    expect(c('discovery.location')?.detail).toContain(`Taken from the configured ${discoveryUrl} because it is missing here: revocation_endpoint`);
    expect(c('rpt.revocation')?.status).not.toBe('skip');
    expect(report.checks.find((x) => x.id === 'rpt.revocation')?.status).toBe('skip');
    const rpts = configured.created.filter((x) => x.kind === 'rpt');
    expect(rpts.length).toBeGreaterThan(0);
    expect(rpts.every((x) => x.cleanedUp)).toBe(true);
  }, 120_000);
});
