/** The held identity pushed for a flow is always the party the flow acts for — never another one. */
import { describe, expect, it } from 'vitest';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import { IdentityClaimsSource } from '../../packages/uma/src/identity/claims-source';
import { Identities } from '../../packages/uma/src/identity/identities';
import type { IdentityRecord } from '../../packages/uma/src/identity/identities';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';

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
  it('pushes only the ID token of the party the flow acts for, whatever else is held', async () => {
    const s = await source([record(google, 'g1', { email: 'kate.friend@gmail.example' }), record(hospital, 'alice', { email: 'alice@hospital.example', role: 'physician' })]);
    const asAlice = await s.claimTokenFor({ asIssuer: 'https://as', party: `${hospital}#alice`, requiredClaims: [{ claim_token_format: [ID_TOKEN_FORMAT], issuer: [hospital], name: 'role' }] });
    expect(asAlice).toEqual({ claim_token: 'id-token-alice', claim_token_format: ID_TOKEN_FORMAT, identity: `${hospital}#alice` });
    // Acting as the Google identity, Alice's token is never offered, even though it would match.
    const asG = await s.claimTokenFor({ asIssuer: 'https://as', party: `${google}#g1`, requiredClaims: [{ issuer: [hospital], name: 'role' }] });
    expect(asG?.identity).toBe(`${google}#g1`);
    expect(await s.claimTokenFor({ asIssuer: 'https://as', party: 'nobody' })).toBeUndefined();
    expect(await s.claimTokenFor({ asIssuer: 'https://as', party: 'token:fp:abc' })).toBeUndefined();
  });

  it('a party that is no longer signed in is an error, not a fallback to someone else', async () => {
    const s = await source([record(hospital, 'alice', { email: 'alice@hospital.example' })]);
    await expect(s.claimTokenFor({ asIssuer: 'https://as', party: `${hospital}#mallory` })).rejects.toMatchObject({ code: 'identity_not_found' });
  });

  it('names resolve to exactly one party; the acting-as default is shared and survives only while signed in', async () => {
    const store = new MemoryStore();
    for (const r of [record(google, 'g1', { email: 'g@g' }), record(hospital, 'alice', { email: 'alice@hospital.example' })]) await store.put('identity', storeKeys.identity(r.issuer, r.sub), r, { issuer: r.issuer, identity: storeKeys.identity(r.issuer, r.sub) });
    const ids = new Identities(store);
    expect(await ids.resolve('g@g')).toBe(`${google}#g1`);
    expect(await ids.resolve('nobody')).toBe('nobody');
    await expect(ids.resolve('nobody@x')).rejects.toMatchObject({ code: 'identity_not_found' });
    expect(await ids.actingAs()).toBe('nobody');
    await ids.setActingAs(`${hospital}#alice`);
    expect(await ids.actingAs()).toBe(`${hospital}#alice`);
    await expect(ids.setActingAs(`${hospital}#mallory`)).rejects.toMatchObject({ code: 'identity_not_found' });
    await ids.remove(`${hospital}#alice`);
    expect(await ids.actingAs()).toBe('nobody');
  });

  it('an expired ID token without a refresh token is not pushed: the facts name the provider to sign in at again', async () => {
    const s = await source([record(hospital, 'alice', { email: 'a@h' }, { idTokenExpiresAt: Date.now() - 1000 })]);
    await expect(s.claimTokenFor({ asIssuer: 'https://as', party: `${hospital}#alice` })).rejects.toMatchObject({ code: 'identity_expired', facts: { idpIssuer: hospital, clientId: 'tessera' } });
  });
});
