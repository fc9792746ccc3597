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
import { deleteAllTickets } from '../fixtures/keycloak-people';
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

  it('runs against the realm and lists Keycloak’s deviations', async () => {
    const issuer = kc?.issuer ?? '';
    const resource = demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';
    report = await runProbe({ resource, trust: { authorizationServers: [{ issuer }] }, client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' } });
    expect(report.as.issuer).toBe(issuer);
    console.log(report.checks.map((c) => `${c.status.padEnd(9)} ${c.id}: ${c.detail}`).join('\n'));
    expect(check('rs.challenge').status).toBe('pass');
    expect(check('discovery.location').status).toBe('pass');
    expect(check('discovery.issuer').status).toBe('pass');
    // Keycloak omits the UMA grant from grant_types_supported.
    expect(check('discovery.grant-type').status).toBe('deviation');
    // 403 invalid_ticket instead of 400 invalid_grant.
    expect(check('token.ticket-garbage').status).toBe('deviation');
    expect(check('token.ticket-garbage').detail).toMatch(/403 invalid_ticket/);
    // access_denied + request_submitted, no new ticket.
    expect(check('grant.no-claims').status).toBe('deviation');
    expect(check('grant.request-submitted').status).toBe('deviation');
    expect(check('grant.request-submitted').detail).toMatch(/access_denied/);
    expect(check('grant.request-submitted').advice).toMatch(/no new ticket/);
    // No PCTs (skipped when the service account gets no RPT for this resource).
    expect(['deviation', 'skip']).toContain(check('pct.issued').status);
    // No claims-interaction endpoint, no need_info.
    expect(check('interaction.unregistered-redirect').status).toBe('skip');
    expect(check('grant.need-info').status).toBe('skip');
    expect(check('safety.origins').status).toBe('pass');
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    expect(probeExitCode(report)).toBe(0);
  }, 120_000);
});
