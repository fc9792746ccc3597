/** Which held identity is pushed for a need_info (format, issuer, claim name, or the one named). */
import { describe, expect, it } from 'vitest';
import { MemoryStore, storeKeys } from '../../src/kernel/store';
import { IdentityClaimsSource, matchScore } from '../../src/identity/claims-source';
import type { IdentityRecord } from '../../src/identity/identities';
import { ID_TOKEN_FORMAT } from '../../src/uma/ports';

const hospital = 'https://id.hospital.example';
const google = 'https://accounts.google.example';
const record = (issuer: string, sub: string, claims: IdentityRecord['claims'], extra: Partial<IdentityRecord> = {}): IdentityRecord => ({
  issuer, sub, clientId: 'tessera', scope: 'openid email', idToken: `id-token-${sub}`, idTokenExpiresAt: Date.now() + 3600_000, claims, ...extra,
});

async function source(records: IdentityRecord[]) {
  const store = new MemoryStore();
  for (const r of records) await store.put('identity', storeKeys.identity(r.issuer, r.sub), r, { issuer: r.issuer, identity: storeKeys.identity(r.issuer, r.sub) });
  return new IdentityClaimsSource(store);
}

describe('identity claims source', () => {
  it('matches required_claims by format, issuer and claim name', () => {
    const alice = record(hospital, 'alice', { email: 'a@h', role: 'physician' });
    expect(matchScore(alice, [{ claim_token_format: [ID_TOKEN_FORMAT], issuer: [hospital], name: 'role' }])).toBe(1);
    expect(matchScore(alice, [{ claim_token_format: [ID_TOKEN_FORMAT], issuer: [hospital], name: 'email' }, { name: 'role', issuer: [hospital] }])).toBe(2);
    expect(matchScore(alice, [{ issuer: [google], name: 'email' }])).toBeUndefined();
    expect(matchScore(alice, [{ claim_token_format: ['urn:ietf:params:oauth:token-type:saml2'], name: 'email' }])).toBeUndefined();
    expect(matchScore(alice, [{ issuer: [hospital], name: 'phone_number' }])).toBeUndefined();
  });

  it('pushes the identity that answers required_claims among several', async () => {
    const s = await source([record(google, 'g1', { email: 'kate.friend@gmail.example' }), record(hospital, 'alice', { email: 'alice@hospital.example', role: 'physician' })]);
    const token = await s.claimTokenFor({ asIssuer: 'https://as', requiredClaims: [{ claim_token_format: [ID_TOKEN_FORMAT], issuer: [hospital], name: 'role' }] });
    expect(token).toEqual({ claim_token: 'id-token-alice', claim_token_format: ID_TOKEN_FORMAT, identity: `${hospital}#alice` });
    expect(await s.claimTokenFor({ asIssuer: 'https://as', requiredClaims: [{ issuer: ['https://other'], name: 'email' }] })).toBeUndefined();
  });

  it('before any need_info pushes only an unambiguous identity; --identity names one', async () => {
    const one = await source([record(hospital, 'alice', { email: 'alice@hospital.example' })]);
    expect((await one.claimTokenFor({ asIssuer: 'https://as' }))?.identity).toBe(`${hospital}#alice`);
    const two = await source([record(google, 'g1', { email: 'g@g' }), record(hospital, 'alice', { email: 'alice@hospital.example' })]);
    expect(await two.claimTokenFor({ asIssuer: 'https://as' })).toBeUndefined();
    expect((await two.claimTokenFor({ asIssuer: 'https://as', identityHint: 'g@g' }))?.identity).toBe(`${google}#g1`);
    await expect(two.claimTokenFor({ asIssuer: 'https://as', identityHint: 'nobody@x' })).rejects.toMatchObject({ code: 'identity_not_found' });
  });

  it('an expired ID token without a refresh token is not pushed: the user is told to sign in again', async () => {
    const s = await source([record(hospital, 'alice', { email: 'a@h' }, { idTokenExpiresAt: Date.now() - 1000 })]);
    await expect(s.claimTokenFor({ asIssuer: 'https://as' })).rejects.toMatchObject({ code: 'identity_expired', hint: expect.stringContaining(`tessera login --issuer ${hospital}`) });
  });
});
