/**
 * The requesting parties' DPoP keys (RFC 9449): one per (AS, party), kept in the token store under
 * kind `dpop` (the vault encrypts it), the same key after a restart; the decision table; what a
 * transcript keeps of a proof.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { describeDpopProof } from '../../packages/uma/src/kernel/dpop-proof';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { decideDpop, DpopKeys, dpopHandle, generateDpopKeyPair } from '../../packages/uma/src/uma/dpop';
import { loadConfig } from '../../src/app/config';
import { openVault } from '../../src/vault';
import { fakeSafeStorage } from './vault-fakes';

const homes: string[] = [];
afterAll(async () => {
  await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })));
});

const AS1 = 'https://as-one.example';
const AS2 = 'https://as-two.example';
const ALICE = 'https://idp.example#alice';
const BOB = 'https://idp.example#bob';

describe('DpopKeys', () => {
  it('gives each (AS, party) its own key, and the same key again for the same pair', async () => {
    const keys = new DpopKeys(new MemoryStore());
    const a1 = await keys.key(AS1, ALICE);
    expect((await keys.key(AS1, ALICE)).jkt).toBe(a1.jkt);
    expect((await keys.key(AS1, BOB)).jkt).not.toBe(a1.jkt);
    expect((await keys.key(AS2, ALICE)).jkt).not.toBe(a1.jkt);
    expect(await keys.existing(AS2, BOB)).toBeUndefined();
  });

  it('makes one key for concurrent first uses', async () => {
    const store = new MemoryStore();
    const keys = new DpopKeys(store);
    const all = await Promise.all([keys.key(AS1, ALICE), keys.key(AS1, ALICE), new DpopKeys(store).key(AS1, ALICE)]);
    expect(new Set(all.map((k) => k.jkt)).size).toBe(1);
    expect(await store.list('dpop')).toHaveLength(1);
  });

  it('stores the private JWK under kind dpop with non-secret meta; the jkt is the public key thumbprint', async () => {
    const store = new MemoryStore();
    const key = await new DpopKeys(store).key(AS1, ALICE);
    const [meta] = await store.list('dpop');
    expect(meta).toMatchObject({ kind: 'dpop', issuer: AS1, identity: ALICE, label: `DPoP key ${key.jkt}` });
    const record = await store.get<{ privateJwk: Record<string, string>; publicJwk: Record<string, string> }>('dpop', meta!.key);
    expect(record?.value.privateJwk.d).toBeTruthy();
    expect(JSON.stringify(meta)).not.toContain(record!.value.privateJwk.d);
    expect(await calculateJwkThumbprint(record!.value.publicJwk, 'sha256')).toBe(key.jkt);
  });

  it('a record another party wrote under this key is not used', async () => {
    const store = new MemoryStore();
    const key = await new DpopKeys(store).key(AS1, ALICE);
    const [meta] = await store.list('dpop');
    const record = await store.get('dpop', meta!.key);
    await store.put('dpop', meta!.key, record!.value, { ...record!.meta, identity: BOB });
    expect(await new DpopKeys(store).existing(AS1, ALICE)).toBeUndefined();
    expect((await new DpopKeys(store).key(AS1, ALICE)).jkt).not.toBe(key.jkt);
  });

  it('survives a restart: the vault reopened gives the same jkt, and the file holds no private key in the clear', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-dpop-vault-'));
    homes.push(home);
    const safeStorage = fakeSafeStorage();
    const first = await openVault({ home, safeStorage, backends: ['safeStorage'] });
    const key = await new DpopKeys(first).key(AS1, ALICE);
    const [meta] = await first.list('dpop');
    const d = (await first.get<{ privateJwk: { d: string } }>('dpop', meta!.key))!.value.privateJwk.d;
    await first.close();
    for (const file of await readdir(home)) {
      const text = await readFile(join(home, file), 'utf8').catch(() => '');
      expect(text).not.toContain(d);
    }
    const again = await openVault({ home, safeStorage, backends: ['safeStorage'] });
    expect((await new DpopKeys(again).key(AS1, ALICE)).jkt).toBe(key.jkt);
    expect((await new DpopKeys(again).key(AS1, BOB)).jkt).not.toBe(key.jkt);
    await again.close();
  });
});

describe('decideDpop', () => {
  it('auto: on where an algorithm Tessera signs with is advertised, off otherwise', () => {
    expect(decideDpop(undefined, { dpop_signing_alg_values_supported: ['RS256', 'ES256'] })).toEqual({ use: true, alg: 'ES256', forced: false });
    expect(decideDpop('auto', { dpop_signing_alg_values_supported: ['PS256'] })).toEqual({ use: false, forced: false });
    expect(decideDpop('auto', {})).toEqual({ use: false, forced: false });
    expect(decideDpop('auto', { dpop_signing_alg_values_supported: 'ES256' })).toEqual({ use: false, forced: false });
  });
  it('off never; on always (ES256 where nothing is advertised), dpop_unsupported where only other algorithms are', () => {
    expect(decideDpop('off', { dpop_signing_alg_values_supported: ['ES256'] })).toEqual({ use: false, forced: false });
    expect(decideDpop('on', {})).toEqual({ use: true, alg: 'ES256', forced: true });
    expect(() => decideDpop('on', { issuer: AS1, dpop_signing_alg_values_supported: ['PS256'] })).toThrow(expect.objectContaining({ code: 'dpop_unsupported' }));
  });
});

describe('describeDpopProof', () => {
  it('keeps the decoded header (public JWK only), claims with ath as a fingerprint, and the jkt', async () => {
    const pair = await generateDpopKeyPair();
    const handle = dpopHandle(pair, (header) => {
      // a defective client that leaks a private member into the header: never recorded
      (header.jwk as Record<string, unknown>).d = 'leaked-private-member';
    });
    const headers = new Headers();
    await (handle as unknown as { addProof(u: URL, h: Headers, m: string, t?: string): Promise<void> }).addProof(new URL('https://rs.example/r?x=1'), headers, 'GET', 'the-rpt');
    const proof = headers.get('dpop') as string;
    const info = await describeDpopProof(proof);
    expect(info?.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(info?.header.jwk).not.toHaveProperty('d');
    expect(info?.claims).toMatchObject({ htm: 'GET', htu: 'https://rs.example/r' });
    expect(info?.claims.ath).toMatch(/^fp:/);
    expect(info?.jkt).toBe(await calculateJwkThumbprint(await exportJWK(pair.publicKey), 'sha256'));
    expect(JSON.stringify(info)).not.toContain(proof);
    expect(await describeDpopProof('not a jws')).toBeUndefined();
  });
});

describe('config.json: the per-AS dpop switch', () => {
  async function load(as: Record<string, unknown>) {
    const home = await mkdtemp(join(tmpdir(), 'tessera-dpop-config-'));
    homes.push(home);
    await writeFile(join(home, 'config.json'), JSON.stringify({ trust: { authorizationServers: [{ issuer: AS1, ...as }] } }));
    return loadConfig(home);
  }
  it('reads auto/on/off, keeps files without it as they were, and refuses anything else', async () => {
    expect((await load({})).trust.authorizationServers[0]?.dpop).toBeUndefined();
    expect((await load({ dpop: 'on' })).trust.authorizationServers[0]?.dpop).toBe('on');
    await expect(load({ dpop: 'sometimes' })).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringContaining('dpop') });
    await expect(load({ dpop: true })).rejects.toMatchObject({ code: 'config_invalid' });
  });
});

describe('dpopResourceRequest', () => {
  it('refuses plain http to another machine with insecure_transport, before anything is sent', async () => {
    const { dpopResourceRequest } = await import('../../packages/uma/src/uma/dpop');
    const key = await new DpopKeys(new MemoryStore()).key(AS1, ALICE);
    let sent = 0;
    await expect(dpopResourceRequest('http://rs.example/r', 'GET', {}, 'the-rpt', key, async () => { sent++; throw new Error('sent'); })).rejects.toMatchObject({ code: 'insecure_transport' });
    expect(sent).toBe(0);
  });
});
