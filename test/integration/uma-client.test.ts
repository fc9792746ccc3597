/**
 * The package's headline API (`createUmaClient` from `@tessera/uma`) against the demo's IdP, AS and RS:
 * the typed outcome, the Response, options checked up front, and the per-client fingerprint key.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUmaClient, fingerprint, ID_TOKEN_FORMAT, UmaErrorCode, type ClaimsSource, type TranscriptStep } from '@tessera/uma';
import { startDemo, type DemoHandle } from '../../src/demo';
import { signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
let idToken: string;
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
  idToken = String((await signIn(demo.config, 'alice')).id_token);
});
afterAll(async () => demo.close());

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
const alice = () => `${demo.config.idp.issuer}#alice`;
const claims = (): ClaimsSource => ({ claimTokenFor: async () => ({ claim_token: idToken, claim_token_format: ID_TOKEN_FORMAT, identity: alice() }) });
const client = () => ({ clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret });

describe('createUmaClient', () => {
  it('answers with a Response and a typed outcome: issued, then held', async () => {
    const umaFetch = createUmaClient({ trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] }, client: client(), claims: claims(), fingerprintKey: randomBytes(32) });
    const first = await umaFetch(url('prescriptions'), {}, { party: alice() });
    expect(first.outcome).toEqual({ type: 'granted', access: 'issued', asIssuer: demo.config.as.issuer });
    expect(first.response?.status).toBe(200);
    expect((await first.response!.json() as { kind: string }).kind).toBe('prescriptions');
    const second = await umaFetch(new URL(url('prescriptions')), { headers: { accept: 'application/json' } }, { party: alice() });
    expect(second.outcome.type === 'granted' && second.outcome.access).toBe('held');
    expect(second.steps).toHaveLength(1);
    expect(await umaFetch.tokens()).toHaveLength(2); // the RPT and the PCT
  });

  it('an AS outside the trust list is untrusted_as, with its issuer; nothing is sent to it', async () => {
    const umaFetch = createUmaClient({ trust: { authorizationServers: [] }, claims: claims(), fingerprintKey: randomBytes(32) });
    const result = await umaFetch(url('prescriptions'), {}, { party: alice() });
    expect(result.outcome).toMatchObject({ type: 'untrusted_as', asUri: demo.config.as.issuer, error: { code: UmaErrorCode.untrusted_as } });
    // The resource, then the RS's own metadata (RFC 9728) its challenge names: nothing goes to the AS.
    expect(result.steps.map((s) => `${s.lane}:${s.kind}`)).toEqual(['rs:resource', 'rs:discovery']);
    expect(result.response?.status).toBe(401);
  });

  it('without claims the outcome is need_info with the ticket and the claims asked for', async () => {
    const umaFetch = createUmaClient({ trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] }, client: client(), fingerprintKey: randomBytes(32) });
    const result = await umaFetch(url('prescriptions'));
    expect(result.outcome.type).toBe('need_info');
    if (result.outcome.type !== 'need_info') return;
    expect(result.outcome.ticket).toMatch(/.{8,}/);
    expect(result.outcome.requiredClaims?.map((c) => c.name).sort()).toEqual(['email', 'role']);
    expect(result.outcome.error.code).toBe('need_info');
  });

  it('refuses unusable options with a usage error', () => {
    expect(() => createUmaClient({ trust: { authorizationServers: [] }, fingerprintKey: new Uint8Array(8) })).toThrow(expect.objectContaining({ code: 'usage' }));
    expect(() => createUmaClient({ trust: { authorizationServers: [{ issuer: 42 }] } as never, fingerprintKey: randomBytes(32) })).toThrow(expect.objectContaining({ code: 'usage' }));
  });

  it('each client salts fingerprints with its own key, and the process default stays untouched', async () => {
    const seen: TranscriptStep[][] = [[], []];
    const keys = [randomBytes(32), randomBytes(32)];
    const clients = keys.map((fingerprintKey, i) => createUmaClient({ trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] }, client: client(), claims: claims(), fingerprintKey, transcript: (step) => seen[i]!.push(step) }));
    const before = fingerprint(idToken);
    await Promise.all(clients.map((c) => c(url('prescriptions'), {}, { party: alice() })));
    const idTokenFingerprint = (steps: TranscriptStep[]) => steps.flatMap((s) => s.tokens ?? []).find((t) => t.jwt?.claims.sub === 'alice' && t.jwt.claims.aud !== undefined && t.jwt.claims.nonce !== undefined)?.fingerprint;
    const [a, b] = seen.map(idTokenFingerprint);
    expect(a).toMatch(/^fp:/);
    expect(b).toMatch(/^fp:/);
    expect(a).not.toBe(b);
    expect(fingerprint(idToken)).toBe(before);
    expect([a, b]).not.toContain(before);
    expect(JSON.stringify(seen)).not.toContain(idToken);
  });
});
