/**
 * `tessera probe` against the real Keycloak of this test run (test/keycloak/setup.ts) acting as the
 * UMA AS behind the demo RS, which registers Kate's records there through the protection API.
 *
 * Expected deviations (reference/keycloak-real.md, reference/real-servers.md §1): the UMA grant
 * missing from grant_types_supported; `access_denied` + description `request_submitted` instead of
 * `request_submitted`, without a new ticket; no PCT; 403 `invalid_ticket` for bad tickets.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliRunner } from '../fixtures/cli-run';
import { startKeycloakDemo, type KeycloakDemoHandle } from '../../src/demo/keycloak/demo';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { deleteAllTickets, kateAccount, keycloakSignIn } from '../fixtures/keycloak-people';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { probeExitCode, runProbe } from '../../src/probe/runner';
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
    // A UMA grant without claims: Keycloak falls back to the client's service account (401
    // unauthorized_client), not need_info. Tessera copes by pushing claims: a deviation, graded as
    // token.client-auth grades the same answer.
    expect(check('grant.no-claims').detail).toMatch(/401 unauthorized_client|service account/);
    expect(check('grant.no-claims').status).toBe('deviation');
    expect(check('grant.no-claims').advice).toBe(check('token.client-auth').advice);
    // Keycloak has no PCTs and no claims-interaction endpoint.
    expect(['deviation', 'skip']).toContain(check('pct.issued').status);
    expect(check('interaction.unregistered-redirect').status).toBe('skip');
    // Dynamic registration refuses the UMA client metadata claims_redirect_uris (400, unrecognized field).
    expect(check('registration.dynamic').detail).toMatch(/claims_redirect_uris/);
    // A client registered by hand works: a deviation, not a failure.
    expect(check('registration.dynamic').status).toBe('deviation');
    // Nothing unsafe or unusable: `tessera probe` exits 0 on Keycloak.
    expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'unsafe').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(probeExitCode(report)).toBe(0);
    // DPoP (RFC 9449; keycloak#52985): the UMA grant with a proof answers token_type Bearer, yet the
    // RPT names the proof key in cnf.jkt — bound, but not said to be. Its proof checks answer
    // invalid_request, not invalid_dpop_proof.
    expect(check('dpop.binding')).toMatchObject({ status: 'deviation', detail: expect.stringContaining('token_type Bearer, yet the RPT names the proof key in cnf.jkt') });
    // Measured on 26.7.3: a proof for another htu → 400 invalid_request "DPoP HTTP URL mismatch".
    expect(check('dpop.bad-proof')).toMatchObject({ status: 'deviation', detail: expect.stringContaining('400 invalid_request') });
    expect(check('dpop.nonce').status).toBe('info');
    // Client authentication works; the claim-less 401 unauthorized_client is reported as a deviation.
    expect(check('token.client-auth').status).toBe('deviation');
    expect(check('rpt.upgrade').status).toBe('pass');
    expect(check('safety.origins').status).toBe('pass');
    // The ticket checks send Alice's claim token as the grant does, so only the ticket differs:
    // a garbage ticket gets Keycloak's 403 invalid_ticket (the real deviation), not the
    // service-account fallback of a claim-less request; a missing one gets 400 invalid_request.
    expect(check('token.ticket-garbage')).toMatchObject({ status: 'deviation', detail: expect.stringMatching(/with the claim token the grant sends.*403 invalid_ticket/) });
    expect(check('token.ticket-missing')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/with the claim token the grant sends.*400 invalid_request/) });
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
    // Without a configured URL the probe reads the realm's OpenID document too (same issuer) for the
    // revocation_endpoint its UMA document lacks, so the first run revoked what it made as well.
    expect(check('discovery.location').detail).toContain(`Taken from the OpenID configuration ${issuer}/.well-known/openid-configuration because it is missing here: revocation_endpoint`);
    expect(check('rpt.revocation').status).not.toBe('skip');
    expect(report.created.filter((x) => !x.cleanedUp && x.kind !== 'pending_request')).toEqual([]);
    expect(report.created.some((x) => x.kind === 'refresh_token')).toBe(true);
    // Keycloak's endpoints are on the issuer's origin.
    expect(check('discovery.endpoint-origins').status).toBe('pass');
    const rpts = configured.created.filter((x) => x.kind === 'rpt');
    expect(rpts.length).toBeGreaterThan(0);
    expect(rpts.every((x) => x.cleanedUp)).toBe(true);
  }, 120_000);

  it('`tessera probe` against the realm: the ticket checks show Keycloak’s real answers, the claim-less grant is a deviation, exit 0', async () => {
    const issuer = kc?.issuer ?? '';
    const resource = demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    const home = await mkdtemp(join(tmpdir(), 'tessera-probe-kc-'));
    try {
      const tokenFile = join(home, 'alice.id_token');
      await writeFile(tokenFile, alice.idToken, { mode: 0o600 });
      const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
      const r = await run(['probe', resource, '--trust', issuer, '--client-id', KEYCLOAK_CLIENTS.tessera.client_id, '--client-secret', KEYCLOAK_CLIENTS.tessera.client_secret, '--claim-token', tokenFile]);
      console.log(r.stdout);
      expect(r.stdout).toMatch(/≈ deviation +token\.ticket-garbage[\s\S]*?403 invalid_ticket/);
      expect(r.stdout).toMatch(/✓ pass +token\.ticket-missing/);
      expect(r.stdout).toMatch(/≈ deviation +grant\.no-claims[\s\S]*?401 unauthorized_client/);
      expect(r.stdout).toContain('0 fail, 0 unsafe');
      expect(r.stdout).toContain('Nothing unsafe, no check failed');
      expect(r.code).toBe(0);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('--pending-url: Keycloak holds the care notes (access_denied/request_submitted, no interval, no new ticket); after Kate approves, the same ticket gets the RPT', async () => {
    const issuer = kc?.issuer ?? '';
    const find = (name: string) => demo.config.rs.resources.find((r) => r.name === name);
    const careNotes = find('care-notes');
    // The Keycloak of the run is shared by the test files: what another file shared with Alice goes first.
    await deleteAllTickets(issuer);
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    const kate = await kateAccount(issuer);
    let shared = 0;
    // Kate approves in her Account REST API once Alice's request is there.
    const approving = (async () => {
      for (let i = 0; i < 300 && !shared; i++) {
        if ((await kate.requests(careNotes?.id ?? '')).some((r) => r.username === 'alice')) shared = await kate.share(careNotes?.id ?? '', 'alice', ['read']);
        else await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const held = await runProbe({
      resource: find('prescriptions')?.url ?? '', pendingResource: careNotes?.url ?? '', pendingWaitMs: 60_000,
      trust: { authorizationServers: [{ issuer }] },
      client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: alice.idToken, claim_token_format: ID_TOKEN_FORMAT }],
      only: ['grant.request-submitted'],
    });
    await approving;
    expect(shared).toBe(204);
    const c = held.checks.find((x) => x.id === 'grant.request-submitted');
    console.log(c?.detail);
    expect(c?.status).toBe('deviation');
    expect(c?.detail).toContain(`${careNotes?.url} was put on hold (no interval, no new ticket)`);
    expect(c?.detail).toMatch(/Approved during the run: poll \d+ with the same ticket as the first request \(no new ticket came with the hold\) got the RPT\./);
    expect(held.created.filter((x) => x.kind !== 'pending_request' && !x.cleanedUp)).toEqual([]);
    expect(probeExitCode(held)).toBe(0);
  }, 120_000);
});
