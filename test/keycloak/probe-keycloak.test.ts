/**
 * `tessera probe` against a real Keycloak (26.5.x) acting as the UMA AS behind a Keycloak-style RS.
 * Enabled once the Keycloak globalSetup lands: it provides `keycloak` (vitest `provide`), or the
 * environment names the servers (KEYCLOAK_URL …). Without either, the file skips with one line.
 *
 * Expected deviations (reference/keycloak-real.md, reference/real-servers.md §1): the UMA grant
 * missing from grant_types_supported; `access_denied` + description `request_submitted` instead of
 * `request_submitted`, without a new ticket; no PCT; 403 `invalid_ticket` for bad tickets.
 */
import { describe, expect, inject, it } from 'vitest';
import { probeExitCode, runProbe } from '../../src/probe/runner';
import type { ProbeReport } from '../../src/probe/types';

/** What the probe needs from the Keycloak setup. */
interface KeycloakProbeTarget {
  /** Realm issuer, e.g. http://127.0.0.1:18080/realms/uma (the RS's as_uri). */
  issuer: string;
  /** A resource of the test RS that answers 401 WWW-Authenticate: UMA with a Keycloak ticket. */
  resourceUrl: string;
  clientId: string;
  clientSecret: string;
}

function target(): KeycloakProbeTarget | undefined {
  let provided: unknown;
  try {
    provided = (inject as unknown as (key: string) => unknown)('keycloak');
  } catch {
    provided = undefined;
  }
  const p = (provided ?? {}) as Partial<KeycloakProbeTarget> & { url?: string; realm?: string; rsUrl?: string; resource?: string; client?: { id?: string; clientId?: string; secret?: string; clientSecret?: string } };
  const env = process.env;
  const issuer = p.issuer ?? (p.url && p.realm ? `${p.url}/realms/${p.realm}` : undefined) ?? (env.KEYCLOAK_URL ? `${env.KEYCLOAK_URL}/realms/${env.KEYCLOAK_REALM ?? 'uma'}` : undefined);
  const resourceUrl = p.resourceUrl ?? p.resource ?? p.rsUrl ?? env.KEYCLOAK_RESOURCE_URL;
  const clientId = p.clientId ?? p.client?.clientId ?? p.client?.id ?? env.KEYCLOAK_CLIENT_ID;
  const clientSecret = p.clientSecret ?? p.client?.clientSecret ?? p.client?.secret ?? env.KEYCLOAK_CLIENT_SECRET;
  if (!issuer || !resourceUrl || !clientId || !clientSecret) return undefined;
  return { issuer, resourceUrl, clientId, clientSecret };
}

const kc = target();
if (!kc) console.log('skipped: tessera probe ⇄ Keycloak (no inject("keycloak") and no KEYCLOAK_URL / KEYCLOAK_RESOURCE_URL / KEYCLOAK_CLIENT_ID / KEYCLOAK_CLIENT_SECRET)');

describe.skipIf(!kc)('tessera probe ⇄ real Keycloak', () => {
  let report: ProbeReport;
  const check = (id: string) => {
    const c = report.checks.find((x) => x.id === id);
    if (!c) throw new Error(`no check ${id}`);
    return c;
  };

  it('runs against the realm and lists Keycloak’s deviations', async () => {
    const t = kc as KeycloakProbeTarget;
    report = await runProbe({ resource: t.resourceUrl, trust: { authorizationServers: [{ issuer: t.issuer }] }, client: { client_id: t.clientId, client_secret: t.clientSecret, auth_method: 'client_secret_basic', registration: 'static' } });
    expect(report.as.issuer).toBe(t.issuer);
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
