/**
 * Tessera's engine with DPoP (RFC 9449) against the project's real Keycloak: automatic DPoP sends no
 * proof there (its UMA document does not list dpop_signing_alg_values_supported, see dpop.test.ts),
 * and DPoP required for it ends in dpop_not_bound — Keycloak answers the proof with token_type Bearer
 * although the RPT names the proof key in cnf.jkt (keycloak#52985) — with nothing kept.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import type { AsConfig } from '../../packages/uma/src/kernel/trust';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';
import { startKeycloakDemo, type KeycloakDemoHandle } from '../../src/demo/keycloak/demo';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { deleteAllTickets, keycloakSignIn } from '../fixtures/keycloak-people';

const kc = inject('keycloak');

describe.skipIf(!kc)('Tessera engine with DPoP ⇄ real Keycloak', () => {
  let demo: KeycloakDemoHandle;
  const issuer = kc?.issuer ?? '';
  beforeAll(async () => {
    demo = await startKeycloakDemo({ keycloakUrl: kc?.url ?? '', introspectionCacheMs: 0 });
    await deleteAllTickets(issuer);
  });
  afterAll(async () => {
    await deleteAllTickets(issuer).catch(() => undefined);
    await demo?.close();
  });
  const prescriptions = () => demo.config.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '';

  async function alice(as: Partial<AsConfig>) {
    const signedIn = await keycloakSignIn(issuer, 'alice', 'tessera');
    const party = `${issuer}#${String(decodeJwt(signedIn.idToken).sub)}`;
    const store = new MemoryStore();
    const agent = createAgent({
      store,
      party,
      trust: { authorizationServers: [{ issuer, ...as }] },
      defaultClient: { clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret },
      claims: { claimTokenFor: async () => ({ claim_token: signedIn.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: party }) },
    });
    return { agent, store };
  }

  it('automatic: no proof goes to Keycloak (its UMA document names no DPoP algorithm); a bearer RPT as before', async () => {
    const { agent, store } = await alice({});
    const result = await agent.fetch(prescriptions());
    expect(result.outcome).toBe('granted');
    expect(result.steps.some((s) => s.dpop !== undefined)).toBe(false);
    expect(await store.list('dpop')).toHaveLength(0);
  });

  it('required: Keycloak answers the proof with token_type Bearer and a cnf.jkt in the RPT → dpop_not_bound, nothing kept', async () => {
    const { agent, store } = await alice({ dpop: 'on' });
    const result = await agent.fetch(prescriptions());
    expect(result.outcome).toBe('error');
    expect(result.error).toMatchObject({ code: 'dpop_not_bound', message: expect.stringContaining('cnf.jkt'), facts: { asIssuer: issuer } });
    const token = result.steps.find((s) => s.kind === 'token' && s.status === 200);
    expect(token?.dpop).toMatchObject({ header: { typ: 'dpop+jwt', alg: 'ES256' }, claims: { htm: 'POST' } });
    expect(await store.list('rpt')).toHaveLength(0);
  });
});
