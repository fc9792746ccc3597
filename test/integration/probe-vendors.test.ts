/**
 * `tessera probe` against the vendor fixtures (test/fixtures/uma-fixture.ts): it finds the quirks
 * each one imitates, check by check, and never calls them failures a client cannot live with.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeExitCode, runProbe, type ProbeOptions } from '../../src/probe/runner';
import type { CheckStatus, ProbeReport } from '../../src/probe/types';
import { FIXTURE_ID_TOKEN_FORMAT, fakeIdToken, startFixture, type Fixture, type FixtureOptions } from '../fixtures/uma-fixture';

const open: Fixture[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

const client = { client_id: 'tessera', client_secret: 'fixture-secret-123', auth_method: 'client_secret_basic' as const, registration: 'static' as const };

async function probe(options: FixtureOptions, resource: string, extra: Partial<ProbeOptions> = {}): Promise<{ f: Fixture; report: ProbeReport }> {
  const f = await startFixture(options);
  open.push(f);
  const flavor = options.flavor ?? 'spec';
  const config = { issuer: f.asUri, ...(flavor === 'janssen' || flavor === 'forgerock' ? { discoveryUrl: f.discoveryUrl } : {}), ...(flavor === 'wso2' ? { metadata: { token_endpoint: f.tokenEndpoint, revocation_endpoint: `${f.asOrigin}/revoke` } } : {}) };
  const report = await runProbe({ resource: f.rs(`/r/${resource}`), trust: { authorizationServers: [config] }, client, claimTokens: [{ claim_token: fakeIdToken({ email: 'alice@example.org' }), claim_token_format: FIXTURE_ID_TOKEN_FORMAT }], ...extra });
  return { f, report };
}

const check = (r: ProbeReport, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};
function expectVerdicts(r: ProbeReport, expected: Record<string, CheckStatus>) {
  const actual = Object.fromEntries(Object.keys(expected).map((id) => [id, check(r, id).status]));
  expect(actual, JSON.stringify(r.checks.filter((c) => c.id in expected && c.status !== expected[c.id]).map((c) => [c.id, c.detail]))).toEqual(expected);
}
/** Every fixture is a server a client can live with: no fail; safety holds. */
function expectLivable(r: ProbeReport) {
  expect(r.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
  expect(check(r, 'safety.origins').status).toBe('pass');
  expect(probeExitCode(r)).toBe(0);
}

describe('tessera probe ⇄ vendor fixtures', () => {
  it('spec: need_info with a new ticket, PCTs, upgrade, no deviations', async () => {
    const { report } = await probe({ flavor: 'spec', policies: { docs: 'claims' } }, 'docs');
    expectLivable(report);
    expect(report.checks.filter((c) => c.status === 'deviation').map((c) => c.id)).toEqual([]);
    expectVerdicts(report, { 'rs.challenge': 'pass', 'discovery.location': 'pass', 'discovery.grant-type': 'pass', 'token.ticket-garbage': 'pass', 'token.ticket-reused': 'pass', 'grant.no-claims': 'pass', 'grant.need-info': 'pass', 'claims.push': 'pass', 'claims.unsupported-format': 'pass', 'pct.issued': 'pass', 'pct.reuse': 'pass', 'pct.revoked': 'pass', 'rpt.upgrade': 'pass', 'rpt.revocation': 'pass', 'registration.dynamic': 'pass', 'rpt.refresh': 'skip' });
  });

  it('endpoints on another origin than the issuer are reported as info (where the client credentials go); on the issuer origin, pass', async () => {
    const f = await startFixture({ flavor: 'spec' });
    open.push(f);
    // The same server under another name: another origin, nothing leaves the machine.
    const elsewhere = f.asOrigin.replace('127.0.0.1', 'localhost');
    const only = { only: ['discovery'] };
    const moved = await runProbe({ resource: f.rs('/r/docs'), trust: { authorizationServers: [{ issuer: f.asUri, metadata: { token_endpoint: f.tokenEndpoint, revocation_endpoint: `${elsewhere}/revoke` } }] }, client, ...only });
    expect(check(moved, 'discovery.endpoint-origins')).toMatchObject({ status: 'info', detail: expect.stringContaining(`revocation_endpoint ${elsewhere}`) });
    expect(check(moved, 'discovery.endpoint-origins').detail).toContain('RFC 8414');
    expect(probeExitCode(moved)).toBe(0);
    const home = await runProbe({ resource: f.rs('/r/docs'), trust: { authorizationServers: [{ issuer: f.asUri }] }, client, ...only });
    expect(check(home, 'discovery.endpoint-origins').status).toBe('pass');
  });

  it('a held resource whose AS asks for 90 s between polls: the probe never polls sooner, it says the wait was too short', async () => {
    const f = await startFixture({ flavor: 'spec', policies: { album: 'approval' }, interval: 90 });
    open.push(f);
    const started = Date.now();
    const report = await runProbe({ resource: f.rs('/r/docs'), pendingResource: f.rs('/r/album'), pendingWaitMs: 2000, trust: { authorizationServers: [{ issuer: f.asUri }] }, client, claimTokens: [{ claim_token: fakeIdToken({ email: 'alice@example.org' }), claim_token_format: FIXTURE_ID_TOKEN_FORMAT }], only: ['grant.request-submitted'] });
    expect(check(report, 'grant.request-submitted')).toMatchObject({ status: 'pass', detail: expect.stringContaining('Not approved during the run: the AS asks for 90 s between polls, longer than the wait (2 s); 0 poll(s).') });
    expect(f.stats.token).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('spec: request_submitted with a new ticket and interval', async () => {
    const { report } = await probe({ flavor: 'spec', policies: { album: 'approval' }, interval: 2 }, 'album');
    expectLivable(report);
    expectVerdicts(report, { 'grant.no-claims': 'pass', 'grant.request-submitted': 'pass' });
    expect(check(report, 'grant.request-submitted').detail).toMatch(/new ticket and interval 2/);
    expect(report.created.some((c) => c.kind === 'pending_request' && !c.cleanedUp)).toBe(true);
  });

  it("keycloak: no UMA grant in metadata, 403 invalid_ticket, reusable tickets, access_denied forms, no PCT, 403 invalid_rpt", async () => {
    const { report } = await probe({ flavor: 'keycloak', policies: { docs: 'claims' } }, 'docs');
    expectLivable(report);
    expectVerdicts(report, {
      'discovery.location': 'pass', 'discovery.grant-type': 'deviation', 'token.ticket-garbage': 'deviation', 'token.ticket-reused': 'deviation',
      'grant.no-claims': 'deviation', 'claims.push': 'pass', 'claims.unsupported-format': 'pass', 'pct.issued': 'deviation', 'pct.reuse': 'skip',
      'rpt.upgrade': 'pass', 'rpt.upgrade-unknown': 'deviation', 'rpt.refresh': 'pass', 'interaction.unregistered-redirect': 'skip',
    });
    expect(check(report, 'token.ticket-garbage').detail).toMatch(/403 invalid_ticket/);
    expect(check(report, 'grant.no-claims').detail).toMatch(/access_denied \("not_authorized"\)/);
    expect(check(report, 'rpt.upgrade-unknown').detail).toMatch(/403 invalid_rpt/);
  });

  it('keycloak: access_denied + request_submitted without a new ticket', async () => {
    const { report } = await probe({ flavor: 'keycloak', policies: { album: 'approval' } }, 'album');
    expectLivable(report);
    expectVerdicts(report, { 'grant.no-claims': 'deviation', 'grant.request-submitted': 'deviation' });
    expect(check(report, 'grant.request-submitted').advice).toMatch(/no new ticket/);
  });

  it('janssen: discovery elsewhere, 400 invalid_ticket, ?-less redirect_user, 401 invalid_pct after revocation', async () => {
    const { report } = await probe({ flavor: 'janssen', policies: { docs: 'claims' } }, 'docs');
    expectLivable(report);
    expectVerdicts(report, { 'rs.challenge': 'pass', 'discovery.location': 'deviation', 'discovery.issuer': 'pass', 'token.ticket-garbage': 'deviation', 'grant.need-info': 'deviation', 'pct.issued': 'pass', 'pct.reuse': 'pass', 'pct.revoked': 'pass', 'rpt.upgrade': 'pass', 'rpt.upgrade-unknown': 'deviation' });
    expect(check(report, 'discovery.location').detail).toContain('/jans-auth/restv1/uma2-configuration');
    expect(check(report, 'token.ticket-garbage').detail).toMatch(/400 invalid_ticket/);
    expect(check(report, 'grant.need-info').detail).toMatch(/without "\?"/);
    expect(check(report, 'pct.revoked').detail).toMatch(/401 invalid_pct.*Janssen/);
    expect(check(report, 'rpt.upgrade').detail).toMatch(/the same RPT string/);
  });

  it('forgerock: ticket in a JSON body, discovery under /uma, no upgraded member', async () => {
    const { report } = await probe({ flavor: 'forgerock', policies: { docs: 'claims' } }, 'docs');
    expectLivable(report);
    expectVerdicts(report, { 'rs.challenge': 'deviation', 'discovery.location': 'deviation', 'discovery.issuer': 'pass', 'grant.no-claims': 'pass', 'rpt.upgrade': 'deviation' });
    expect(check(report, 'rs.challenge').detail).toMatch(/JSON body/);
    expect(check(report, 'discovery.location').detail).toContain('/am/uma/realms/root/realms/alpha/.well-known/uma2-configuration');
  });

  it('wso2: no discovery (manual endpoints), claim token mandatory, invalid_grant for bad tickets, reusable tickets', async () => {
    const { report } = await probe({ flavor: 'wso2', policies: { docs: 'allow' } }, 'docs');
    expectLivable(report);
    expectVerdicts(report, { 'discovery.location': 'deviation', 'discovery.grant-type': 'skip', 'token.ticket-garbage': 'pass', 'token.ticket-reused': 'deviation', 'grant.no-claims': 'deviation', 'claims.push': 'pass', 'rpt.upgrade': 'deviation', 'rpt.refresh': 'pass' });
    expect(check(report, 'grant.no-claims').detail).toMatch(/claim_token missing/);
  });

  it('the origin guard: an RS that redirects elsewhere is stopped before anything reaches the other origin', async () => {
    let hits = 0;
    const elsewhere: Server = createServer((_req, res) => { hits++; res.end('nope'); });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', () => r()));
    try {
      const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
      const f = await startFixture({ flavor: 'spec', redirectTo: `${other}/collect` });
      open.push(f);
      const report = await runProbe({ resource: f.rs('/redirect-out'), trust: { authorizationServers: [{ issuer: f.asUri }] }, client });
      expect(check(report, 'rs.challenge').status).toBe('fail');
      // Sending the person's requests elsewhere is unsafe, not merely unusable.
      expect(check(report, 'safety.origins').status).toBe('unsafe');
      expect(check(report, 'safety.origins').detail).toContain(other);
      expect(hits).toBe(0);
      expect(probeExitCode(report)).toBe(1);
    } finally {
      await new Promise((r) => elsewhere.close(r));
    }
  });
});
