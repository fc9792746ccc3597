/**
 * TokenAdmin: forgetting an RPT or PCT revokes it at its AS first (RFC 7009) when the AS is still
 * trusted and offers revocation; nothing is sent to an AS no longer trusted; signing a party out
 * forgets only that party's tokens. Against the fixture AS on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../packages/uma/src/http/fetch';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';
import type { TrustPolicy } from '../../packages/uma/src/kernel/trust';
import { ClientResolver } from '../../packages/uma/src/uma/clients';
import { DiscoveryCache } from '../../packages/uma/src/uma/discovery';
import { TokenAdmin } from '../../packages/uma/src/uma/token-admin';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

const ALICE = 'https://idp.example#alice';
const BOB = 'https://idp.example#bob';
const RS = 'https://rs.example';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx.close();
});

function setup(trust: TrustPolicy) {
  const store = new MemoryStore();
  const access = { http: new HttpClient(), discovery: new DiscoveryCache(), clients: new ClientResolver({ store, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } }) };
  const admin = new TokenAdmin({ store, trust: () => trust, access });
  const rpt = (party: string, token: string) => store.put('rpt', storeKeys.rpt(fx.asUri, RS, party), { access_token: token, token_type: 'Bearer' }, { issuer: fx.asUri, rsOrigin: RS, identity: party });
  const pct = (party: string, token: string) => store.put('pct', storeKeys.pct(fx.asUri, party, 'tessera'), { pct: token }, { issuer: fx.asUri, identity: party, clientId: 'tessera' });
  return { store, admin, rpt, pct };
}

describe('TokenAdmin', () => {
  it('forgets an RPT and a PCT, revoking each at the trusted AS with its type hint', async () => {
    const { store, admin, rpt, pct } = setup({ authorizationServers: [{ issuer: fx.asUri }] });
    await rpt(ALICE, 'rpt-alice-1');
    await pct(ALICE, 'pct-alice-1');
    expect((await admin.tokens()).map((m) => m.kind).sort()).toEqual(['pct', 'rpt']);
    expect(await admin.forgetRpt(fx.asUri, RS, ALICE, { revoke: true })).toBe(true);
    expect(await admin.forgetPct(`${fx.asUri}/`, ALICE, 'tessera', { revoke: true })).toBe(true);
    expect(fx.state.revoked).toEqual(expect.arrayContaining(['access_token:rpt-alice-1', 'pct:pct-alice-1']));
    expect(await store.list()).toEqual([]);
    expect(await admin.forgetRpt(fx.asUri, RS, ALICE, { revoke: true })).toBe(false);
  });

  it('forgets without revoking when not asked, and sends nothing to an AS no longer trusted', async () => {
    const before = fx.stats.revocation + fx.stats.discovery;
    const untrusted = setup({ authorizationServers: [] });
    await untrusted.rpt(ALICE, 'rpt-untrusted');
    expect(await untrusted.admin.forgetRpt(fx.asUri, RS, ALICE, { revoke: true })).toBe(true);
    const trusted = setup({ authorizationServers: [{ issuer: fx.asUri }] });
    await trusted.rpt(ALICE, 'rpt-kept-at-as');
    expect(await trusted.admin.forgetRpt(fx.asUri, RS, ALICE)).toBe(true);
    expect(fx.stats.revocation + fx.stats.discovery).toBe(before);
    expect(fx.state.revoked).not.toContain('access_token:rpt-untrusted');
  });

  it("signOut forgets (and revokes) every token of one party, none of another's", async () => {
    const { store, admin, rpt, pct } = setup({ authorizationServers: [{ issuer: fx.asUri }] });
    await rpt(ALICE, 'rpt-alice-2');
    await pct(ALICE, 'pct-alice-2');
    await rpt(BOB, 'rpt-bob');
    await pct(BOB, 'pct-bob');
    expect(await admin.signOut(ALICE)).toBe(2);
    expect((await store.list()).map((m) => m.identity)).toEqual([BOB, BOB]);
    expect(fx.state.revoked).toEqual(expect.arrayContaining(['access_token:rpt-alice-2', 'pct:pct-alice-2']));
    expect(fx.state.revoked.filter((r) => r.includes('bob'))).toEqual([]);
  });
});
