/**
 * `tessera probe` against the demo's real IdP, AS and RS: every applicable check passes; the owner-
 * approval resource exercises request_submitted and the report lists the pending request it left;
 * an untrusted AS is never contacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { probeExitCode, runProbe } from '../../src/probe/runner';
import type { ProbeReport } from '../../src/probe/types';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { ownerSession, signIn } from '../fixtures/demo-people';

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
    expect(report.checks.filter((c) => c.status === 'skip').map((c) => c.id).sort()).toEqual(['grant.request-submitted', 'keycloak.decision-denied', 'keycloak.decision-permitted', 'keycloak.permissions', 'token.ticket-expired']);
    // Keycloak's response_mode checks run only against Keycloak, and say why they skip elsewhere.
    for (const id of ['keycloak.decision-permitted', 'keycloak.decision-denied', 'keycloak.permissions']) expect(report.checks.find((c) => c.id === id)?.detail).toMatch(/not Keycloak .*\/realms\/NAME/);
    for (const id of ['rs.challenge', 'rs.resource-metadata', 'discovery.location', 'discovery.issuer', 'discovery.grant-type', 'token.client-auth', 'token.ticket-garbage', 'token.ticket-reused', 'grant.no-claims', 'grant.need-info', 'claims.push', 'claims.unsupported-format', 'pct.issued', 'pct.reuse', 'pct.revoked', 'rpt.upgrade', 'rpt.upgrade-unknown', 'rpt.refresh', 'rpt.revocation', 'dpop.binding', 'dpop.bad-proof', 'registration.dynamic', 'interaction.unregistered-redirect', 'interaction.state', 'token.error-format', 'token.no-store', 'safety.trusted-as', 'safety.origins', 'safety.created']) {
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

  it('--pending-url: prescriptions are granted at once, the care notes are held (new ticket, interval); Kate approves during the wait and the held ticket resolves', async () => {
    // A demo of its own: no earlier request of Alice's is waiting in Kate's dashboard.
    const own = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
    try {
      const token = String((await signIn(own.config, 'alice')).id_token);
      const at = (name: string) => own.config.rs.resources.find((r) => r.name === name)?.url ?? '';
      const kate = await ownerSession(own.config);
      let approved = false;
      // Kate approves once the probe's request shows up in her dashboard.
      const approving = (async () => {
        for (let i = 0; i < 200 && !approved; i++) {
          if ((await kate.page()).includes('/dashboard/requests/')) {
            await kate.decide('approve');
            approved = true;
          } else await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const report = await runProbe({
        resource: at('prescriptions'), pendingResource: at('care-notes'), pendingWaitMs: 20_000,
        trust: { authorizationServers: [{ issuer: own.config.as.issuer }] },
        client: { client_id: own.config.as.tesseraClient.client_id, client_secret: own.config.as.tesseraClient.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
        claimTokens: [{ claim_token: token, claim_token_format: ID_TOKEN_FORMAT }], only: ['grant.request-submitted'],
      });
      await approving;
      expect(approved).toBe(true);
      const held = report.checks.find((c) => c.id === 'grant.request-submitted');
      expect(held?.status).toBe('pass');
      expect(held?.detail).toContain(`${at('care-notes')} was put on hold (interval 1 s, a new ticket)`);
      expect(held?.detail, held?.detail).toMatch(/Approved during the run: poll \d+ with the ticket that came with the last hold got the RPT\./);
      expect(report.created.find((c) => c.kind === 'pending_request')?.description).toContain('approved by the owner during the run');
      expect(report.created.filter((c) => c.kind === 'rpt').every((c) => c.cleanedUp)).toBe(true);
      expect(probeExitCode(report)).toBe(0);

    } finally {
      await own.close();
    }
    // Nobody approves within the bounded wait (the shared demo: Kate never looks): said so.
    const alone = await runProbe({ resource: url('prescriptions'), pendingResource: url('care-notes'), pendingWaitMs: 1500, trust: trust(), client: client(), claimTokens: [{ claim_token: aliceToken, claim_token_format: ID_TOKEN_FORMAT }], only: ['grant.request-submitted'] });
    expect(alone.checks.find((c) => c.id === 'grant.request-submitted')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/on hold \(interval 1 s, a new ticket\).*Not approved during the run \(waited 2 s, 1 poll\(s\)\)\./) });
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
