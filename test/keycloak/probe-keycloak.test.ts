/**
 * `tessera probe` against the real Keycloak of this test run (test/keycloak/setup.ts) acting as the
 * UMA AS behind the demo RS, which registers Kate's records there through the protection API.
 *
 * Expected deviations (reference/keycloak-real.md, reference/real-servers.md §1): the UMA grant
 * missing from grant_types_supported; `access_denied` + description `request_submitted` instead of
 * `request_submitted`, without a new ticket; no PCT; 403 `invalid_ticket` for bad tickets.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { cliRunner } from '../fixtures/cli-run';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { expectKeycloakVerdicts, keycloakDemoForFile } from '../fixtures/keycloak-demo';
import { deleteAllTickets, kateAccount, keycloakSignIn } from '../fixtures/keycloak-people';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { probeExitCode, runProbe } from '../../src/probe/runner';
import type { ProbeReport } from '../../src/probe/types';

const kc = inject('keycloak');

describe.skipIf(!kc)('tessera probe ⇄ real Keycloak', () => {
  let report: ProbeReport;
  // The probe's request_submitted checks leave pending tickets at Keycloak: removed for the other files.
  const kd = keycloakDemoForFile(kc);
  const check = (id: string) => {
    const c = report.checks.find((x) => x.id === id);
    if (!c) throw new Error(`no check ${id}`);
    return c;
  };

  it('runs against the realm with Alice’s Keycloak ID token and reports what Keycloak 26.7 really does', async () => {
    const issuer = kc?.issuer ?? '';
    const resource = kd.demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    report = await runProbe({
      resource,
      trust: { authorizationServers: [{ issuer }] },
      client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: alice.idToken, claim_token_format: ID_TOKEN_FORMAT }],
    });
    console.log(report.checks.map((c) => `${c.status.padEnd(9)} ${c.id}: ${c.detail}`).join('\n'));
    expect(report.as.issuer).toBe(issuer);
    // The verdicts the app's "Check this AS" shows too (test/keycloak/app-keycloak-browser.test.ts).
    expectKeycloakVerdicts(check);
    // The claim-less grant's deviation is graded as token.client-auth grades the same answer.
    expect(check('grant.no-claims').advice).toBe(check('token.client-auth').advice);
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
    // The ticket checks send Alice's claim token as the grant does, so only the ticket differs:
    // a garbage ticket gets Keycloak's 403 invalid_ticket (the real deviation), not the
    // service-account fallback of a claim-less request; a missing one gets 400 invalid_request.
    expect(check('token.ticket-garbage')).toMatchObject({ status: 'deviation', detail: expect.stringMatching(/with the claim token the grant sends.*403 invalid_ticket/) });
    expect(check('token.ticket-missing')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/with the claim token the grant sends.*400 invalid_request/) });
    // Keycloak's response_mode checks need the permissions to ask about; without them they say so.
    expect(check('keycloak.decision-permitted')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/No permission the requesting party is granted was given/) });
    expect(check('keycloak.permissions').status).toBe('skip');
  }, 120_000);

  it('with the OpenID configuration configured (as the app trusts Keycloak), revocation is checked and the RPTs it made are revoked', async () => {
    const issuer = kc?.issuer ?? '';
    const resource = kd.demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
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
    // RPTs are revoked; refresh tokens are left, because Alice's ID token comes from this realm and
    // revoking a refresh token ends her session there (test/keycloak/revocation-session.test.ts).
    expect(report.created.filter((x) => !x.cleanedUp && x.kind !== 'pending_request' && x.kind !== 'refresh_token')).toEqual([]);
    expect(report.created.some((x) => x.kind === 'refresh_token' && !x.cleanedUp)).toBe(true);
    expect(check('safety.created').detail).toContain('Refresh tokens were not revoked: the pushed ID token comes from this AS');
    // Keycloak's endpoints are on the issuer's origin.
    expect(check('discovery.endpoint-origins').status).toBe('pass');
    const rpts = configured.created.filter((x) => x.kind === 'rpt');
    expect(rpts.length).toBeGreaterThan(0);
    expect(rpts.every((x) => x.cleanedUp)).toBe(true);
    // Two probe runs later, Alice's ID token still gets her an RPT: the probe did not sign her out.
    const after = await runProbe({
      resource,
      trust: { authorizationServers: [{ issuer }] },
      client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: alice.idToken, claim_token_format: ID_TOKEN_FORMAT }],
      only: ['claims.push'],
    });
    expect(after.checks.find((x) => x.id === 'claims.push')?.status).toBe('pass');
  }, 120_000);

  it('`tessera probe` against the realm: the ticket checks show Keycloak’s real answers, the claim-less grant is a deviation, exit 0', async () => {
    const issuer = kc?.issuer ?? '';
    const resource = kd.demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    const home = await mkdtemp(join(tmpdir(), 'tessera-probe-kc-'));
    try {
      const tokenFile = join(home, 'alice.id_token');
      await writeFile(tokenFile, alice.idToken, { mode: 0o600 });
      const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
      const id = (name: string) => kd.demo.config.rs.resources.find((r) => r.name === name)?.id ?? '';
      const junit = join(home, 'probe.xml');
      const html = join(home, 'probe.html');
      const r = await run(['probe', resource, '--trust', issuer, '--client-id', KEYCLOAK_CLIENTS.tessera.client_id, '--client-secret', KEYCLOAK_CLIENTS.tessera.client_secret, '--claim-token', tokenFile,
        '--permitted', `${id('prescriptions')}#read`, '--denied', `${id('bills')}#read`, '--junit', junit, '--report', html]);
      console.log(r.stdout);
      // Keycloak's response_mode checks in the three report forms: text, JUnit, HTML (JSON: below).
      expect(r.stdout).toMatch(/✓ pass +keycloak\.decision-permitted +Keycloak's decision for a granted permission agrees with a real grant/);
      expect(r.stdout).toMatch(/✓ pass +keycloak\.decision-denied/);
      expect(r.stdout).toMatch(/✓ pass +keycloak\.permissions/);
      const xml = await readFile(junit, 'utf8');
      for (const idOf of ['keycloak.decision-permitted', 'keycloak.decision-denied', 'keycloak.permissions']) expect(xml).toContain(idOf);
      const page = await readFile(html, 'utf8');
      expect(page).toContain('keycloak.decision-denied');
      expect(page).toContain('403 access_denied');
      expect(page).toContain('https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions');
      await writeFile(tokenFile, (await keycloakSignIn(issuer, 'alice', 'tessera')).idToken, { mode: 0o600 });
      const json = await run(['probe', resource, '--trust', issuer, '--client-id', KEYCLOAK_CLIENTS.tessera.client_id, '--client-secret', KEYCLOAK_CLIENTS.tessera.client_secret, '--claim-token', tokenFile,
        '--permitted', `${id('prescriptions')}#read`, '--denied', `${id('prescriptions')}#write`, '--only', 'keycloak', '--json']);
      const checks = (JSON.parse(json.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks;
      expect(checks.find((c) => c.id === 'keycloak.decision-denied')).toMatchObject({ status: 'deviation', detail: expect.stringContaining('The decision says yes') });
      expect(checks.find((c) => c.id === 'keycloak.decision-permitted')).toMatchObject({ status: 'pass', detail: expect.stringContaining('200 {"result":true}') });
      const bad = await run(['probe', resource, '--trust', issuer, '--permitted', '#']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--permitted');
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
    const find = (name: string) => kd.demo.config.rs.resources.find((r) => r.name === name);
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
    // RPTs revoked; refresh tokens kept (Alice's session at this realm, see the test above).
    expect(held.created.filter((x) => x.kind !== 'pending_request' && x.kind !== 'refresh_token' && !x.cleanedUp)).toEqual([]);
    expect(probeExitCode(held)).toBe(0);
  }, 120_000);

  it("Keycloak's response_mode beside real grants: decision and permissions agree for prescriptions#read (granted) and bills#read (refused); for prescriptions#write the decision says yes while the RPT lacks write", async () => {
    const issuer = kc?.issuer ?? '';
    const find = (name: string) => kd.demo.config.rs.resources.find((r) => r.name === name)?.id ?? '';
    const resource = kd.demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    // Kate owns the records: Keycloak finds them by id (a name only among the RS's own resources).
    const rxRead = `${find('prescriptions')}#read`;
    const probeWith = async (denied: string) => runProbe({
      resource,
      trust: { authorizationServers: [{ issuer }] },
      client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      // A fresh sign-in each run: revoking the RPT's refresh token at the end ends Alice's session, and her ID token with it.
      claimTokens: [{ claim_token: (await keycloakSignIn(issuer, 'alice', 'tessera')).idToken, claim_token_format: ID_TOKEN_FORMAT }],
      // Alice is a physician: she may read the prescriptions, not the bills (insurers) and not write. The audience comes from the ticket's azp.
      keycloak: { permitted: rxRead, denied },
      only: ['keycloak', 'safety'],
    });
    const agreeing = await probeWith(`${find('bills')}#read`);
    console.log(agreeing.checks.map((x) => `${x.status.padEnd(9)} ${x.id}: ${x.detail}`).join('\n'));
    const c = (r: ProbeReport, id: string) => r.checks.find((x) => x.id === id);
    expect(c(agreeing, 'keycloak.decision-permitted')).toMatchObject({ status: 'pass', spec: expect.stringContaining('keycloak.org/docs/latest/authorization_services'), detail: expect.stringMatching(/decision .*: 200 \{"result":true\}; a real grant .*: 200 with an RPT carrying \[prescriptions#read\]\. They agree/) });
    expect(c(agreeing, 'keycloak.decision-denied')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/decision .*: 403 access_denied \("not_authorized"\); a real grant .*: 403 access_denied/) });
    expect(c(agreeing, 'keycloak.permissions')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/200 \[prescriptions#read\].*agrees/) });
    // The RPTs the real grants made are revoked.
    expect(agreeing.created.filter((x) => x.check.startsWith('keycloak.') && x.kind !== 'refresh_token' && !x.cleanedUp)).toEqual([]);
    expect(agreeing.created.some((x) => x.check.startsWith('keycloak.'))).toBe(true);

    const disagreeing = await probeWith(`${find('prescriptions')}#write`);
    console.log(disagreeing.checks.map((x) => `${x.status.padEnd(9)} ${x.id}: ${x.detail}`).join('\n'));
    // Measured on 26.7.3: decision {"result":true} for a scope no policy grants; the real grant issues an RPT for the resource with no scope.
    expect(c(disagreeing, 'keycloak.decision-denied')).toMatchObject({ status: 'deviation', detail: expect.stringMatching(/#write: 200 \{"result":true\}; a real grant .*: 200 with an RPT carrying \[prescriptions \(no scope\)\]\. The decision says yes; the real grant does not give it/) });
    expect(c(disagreeing, 'keycloak.decision-denied')?.advice).toMatch(/Do not rely on Keycloak's decision/);
    // The permission list agrees with the RPT: read, not write.
    expect(c(disagreeing, 'keycloak.permissions')?.status).toBe('pass');
    expect(disagreeing.checks.filter((x) => x.status === 'fail' || x.status === 'unsafe')).toEqual([]);
  }, 120_000);
});
