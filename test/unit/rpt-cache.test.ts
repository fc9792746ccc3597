/**
 * RptCache: RPTs per (AS, RS origin, requesting party) in the token store, presented only for the
 * party they were issued for, replaced (never merged) by a new RPT, expiry from expires_in or the
 * JWT's exp with a small skew.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import { RptCache } from '../../packages/uma/src/uma/rpt-cache';

const AS = 'https://as.example';
const RS = 'https://rs.example';
const ALICE = 'https://idp.example#alice';
const BOB = 'https://idp.example#bob';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'none' })}.${b64(claims)}.sig`;

function setup(start = 1_000_000) {
  let now = start;
  const store = new MemoryStore();
  const cache = new RptCache(store, () => now);
  return { store, cache, advance: (ms: number) => (now += ms), now: () => now };
}

describe('RptCache', () => {
  it('keeps an RPT for its party only', async () => {
    const { cache } = setup();
    await cache.save(AS, RS, ALICE, { accessToken: 'rpt-alice', tokenType: 'Bearer', expiresIn: 300 });
    expect((await cache.get(AS, RS, ALICE))?.value.access_token).toBe('rpt-alice');
    expect(await cache.get(AS, RS, BOB)).toBeUndefined();
    expect(await cache.held(RS, BOB, () => true)).toEqual([]);
    const held = await cache.held(RS, ALICE, () => true);
    expect(held.map((h) => [h.asIssuer, h.value.access_token, h.usable])).toEqual([[AS, 'rpt-alice', true]]);
  });

  it('never hands out a record whose meta names another party, or none (older records)', async () => {
    const { store, cache } = setup();
    await store.put('rpt', storeKeys.rpt(AS, RS, ALICE), { access_token: 'planted', token_type: 'Bearer' }, { issuer: AS, rsOrigin: RS, identity: BOB });
    await store.put('rpt', storeKeys.rpt('https://old.example', RS, ALICE), { access_token: 'legacy', token_type: 'Bearer' }, { issuer: 'https://old.example', rsOrigin: RS });
    expect(await cache.get(AS, RS, ALICE)).toBeUndefined();
    expect(await cache.held(RS, ALICE, () => true)).toEqual([]);
  });

  it('expires by expires_in, else the JWT exp, with a 5 s skew; no expiry means usable', async () => {
    const { cache, advance, now } = setup();
    await cache.save(AS, RS, ALICE, { accessToken: 'short', tokenType: 'Bearer', expiresIn: 60 });
    advance(54_000);
    expect((await cache.held(RS, ALICE, () => true))[0]?.usable).toBe(true);
    advance(2_000);
    expect((await cache.held(RS, ALICE, () => true))[0]?.usable).toBe(false);
    await cache.save(AS, 'https://rs2.example', ALICE, { accessToken: jwt({ exp: Math.floor(now() / 1000) + 3 }), tokenType: 'Bearer' });
    expect((await cache.held('https://rs2.example', ALICE, () => true))[0]?.usable).toBe(false);
    await cache.save(AS, 'https://rs3.example', ALICE, { accessToken: 'opaque-forever', tokenType: 'Bearer' });
    expect((await cache.held('https://rs3.example', ALICE, () => true))[0]).toMatchObject({ usable: true, value: { access_token: 'opaque-forever' } });
  });

  it('a new RPT replaces the old one (never assumed merged); permissions come from a Keycloak-style JWT', async () => {
    const { store, cache } = setup();
    await cache.save(AS, RS, ALICE, { accessToken: 'first', tokenType: 'Bearer', refreshToken: 'rt-1' });
    await cache.save(AS, RS, ALICE, { accessToken: jwt({ authorization: { permissions: [{ rsid: 'bills', scopes: ['read'] }] } }), tokenType: 'Bearer' });
    const record = await cache.get(AS, RS, ALICE);
    expect(record?.value.refresh_token).toBeUndefined();
    expect(record?.meta.permissions).toEqual([{ resource_id: 'bills', resource_scopes: ['read'] }]);
    expect(await store.list('rpt')).toHaveLength(1);
  });

  it('held lists only trusted ASes, newest first; dropRefresh keeps the RPT; delete forgets it', async () => {
    const { store, cache } = setup();
    await cache.save('https://as-a.example', RS, ALICE, { accessToken: 'from-a', tokenType: 'Bearer', refreshToken: 'rt-a' });
    await new Promise((r) => setTimeout(r, 5)); // the store stamps updatedAt with the wall clock
    await cache.save('https://as-b.example', RS, ALICE, { accessToken: 'from-b', tokenType: 'Bearer' });
    // A cache without the "last used" hint lists from the store.
    const fresh = new RptCache(store, () => 0);
    expect((await fresh.held(RS, ALICE, () => true)).map((h) => h.value.access_token)).toEqual(['from-b', 'from-a']);
    expect((await fresh.held(RS, ALICE, (i) => i === 'https://as-a.example')).map((h) => h.value.access_token)).toEqual(['from-a']);
    const a = await cache.get('https://as-a.example', RS, ALICE);
    const kept = await cache.dropRefresh('https://as-a.example', RS, ALICE, a!.value);
    expect(kept).toEqual({ access_token: 'from-a', token_type: 'Bearer' });
    expect((await cache.get('https://as-a.example', RS, ALICE))?.value).toEqual(kept);
    expect(await cache.delete('https://as-a.example', RS, ALICE)).toBe(true);
    expect(await cache.get('https://as-a.example', RS, ALICE)).toBeUndefined();
  });
});
