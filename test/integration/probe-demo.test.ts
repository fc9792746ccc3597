/**
 * `tessera probe` against the demo's real IdP, AS and RS: every applicable check passes; the owner-
 * approval resource exercises request_submitted and the report lists the pending request it left;
 * an untrusted AS is never contacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { probeExitCode, runProbe } from '../../src/probe/runner';
import type { ProbeReport } from '../../src/probe/types';
import { ID_TOKEN_FORMAT } from '../../src/uma/ports';
import { signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
let aliceToken: string;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
  aliceToken = String((await signIn(demo.config, 'alice')).id_token);
});
afterAll(async () => demo?.close());

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
const client = () => ({ client_id: demo.config.as.tesseraClient.client_id, client_secret: demo.config.as.tesseraClient.client_secret, auth_method: 'client_secret_basic' as const, registration: 'static' as const });
const trust = () => ({ authorizationServers: [{ issuer: demo.config.as.issuer }] });
const status = (r: ProbeReport, id: string) => r.checks.find((c) => c.id === id)?.status;

describe('tessera probe ⇄ demo AS', () => {
  it("passes every applicable check on Kate's prescriptions with Dr. Alice's ID token", async () => {
    const report = await runProbe({ resource: url('prescriptions'), trust: trust(), client: client(), claimTokens: [{ claim_token: aliceToken, claim_token_format: ID_TOKEN_FORMAT }] });
    const bad = report.checks.filter((c) => c.status === 'fail' || c.status === 'deviation');
    expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
    expect(probeExitCode(report)).toBe(0);
    // Only checks that cannot apply to this resource are skipped.
    expect(report.checks.filter((c) => c.status === 'skip').map((c) => c.id).sort()).toEqual(['grant.request-submitted', 'token.ticket-expired']);
    for (const id of ['rs.challenge', 'rs.resource-metadata', 'discovery.location', 'discovery.issuer', 'discovery.grant-type', 'token.client-auth', 'token.ticket-garbage', 'token.ticket-reused', 'grant.no-claims', 'grant.need-info', 'claims.push', 'claims.unsupported-format', 'pct.issued', 'pct.reuse', 'pct.revoked', 'rpt.upgrade', 'rpt.upgrade-unknown', 'rpt.refresh', 'rpt.revocation', 'registration.dynamic', 'interaction.unregistered-redirect', 'interaction.state', 'token.error-format', 'token.no-store', 'safety.trusted-as', 'safety.origins', 'safety.created']) {
      expect(status(report, id), id).toBe('pass');
    }
    // The demo RS names its RFC 9728 metadata in the challenge, and it lists the AS.
    expect(report.checks.find((c) => c.id === 'rs.resource-metadata')?.detail).toContain('named by the challenge');
    expect(report.origins.sort()).toEqual([demo.config.as.issuer, demo.config.rs.url].sort());
    // The probe cleaned up: the registered client is deleted (RFC 7592) and every token revoked.
    expect(report.created.filter((c) => !c.cleanedUp)).toEqual([]);
    expect(report.created.some((c) => c.kind === 'registered_client')).toBe(true);
    // Every check names its exchanges, and no exchange carries Alice's ID token.
    const ids = new Set(report.exchanges.map((s) => s.id));
    for (const c of report.checks.filter((x) => x.status !== 'skip' && !x.id.startsWith('safety.') && !['grant.need-info', 'token.error-format', 'token.no-store'].includes(x.id))) {
      expect(c.steps.length, c.id).toBeGreaterThan(0);
      for (const s of c.steps) expect(ids.has(s)).toBe(true);
    }
    expect(JSON.stringify(report)).not.toContain(aliceToken);
    expect(JSON.stringify(report)).not.toContain(demo.config.as.tesseraClient.client_secret);
  });

  it('care notes: request_submitted carries a new ticket and interval; the pending request is listed', async () => {
    const report = await runProbe({ resource: url('care-notes'), trust: trust(), client: client(), claimTokens: [{ claim_token: aliceToken, claim_token_format: ID_TOKEN_FORMAT }], only: ['grant', 'claims.push', 'safety'] });
    expect(status(report, 'grant.request-submitted')).toBe('pass');
    expect(report.checks.find((c) => c.id === 'grant.request-submitted')?.detail).toMatch(/new ticket and interval 1/);
    expect(report.checks.map((c) => c.id)).not.toContain('pct.issued');
    const pending = report.created.filter((c) => c.kind === 'pending_request');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((p) => !p.cleanedUp)).toBe(true);
    expect(report.checks.find((c) => c.id === 'safety.created')?.detail).toMatch(/pending access request/);
    expect(probeExitCode(report)).toBe(0);
  });

  it('an untrusted AS: reported, nothing sent to it, exit 1', async () => {
    const report = await runProbe({ resource: url('prescriptions'), trust: { authorizationServers: [] }, client: client() });
    expect(status(report, 'safety.trusted-as')).toBe('fail');
    expect(status(report, 'rs.challenge')).toBe('pass');
    expect(report.checks.filter((c) => c.status !== 'skip').map((c) => c.id).sort()).toEqual(['rs.challenge', 'safety.created', 'safety.origins', 'safety.trusted-as']);
    expect(status(report, 'safety.origins')).toBe('pass');
    expect(report.origins).toEqual([demo.config.rs.url]);
    expect(report.exchanges.every((s) => s.url.startsWith(demo.config.rs.url))).toBe(true);
    expect(probeExitCode(report)).toBe(1);
  });

  it('without client credentials only discovery and safety run; nothing reaches the token endpoint', async () => {
    const report = await runProbe({ resource: url('prescriptions'), trust: trust() });
    expect(status(report, 'discovery.location')).toBe('pass');
    expect(status(report, 'token.ticket-garbage')).toBe('skip');
    expect(report.exchanges.some((s) => s.kind === 'token')).toBe(false);
    expect(probeExitCode(report)).toBe(0);
  });
});
