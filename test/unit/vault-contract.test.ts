import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, storeKeys, type TokenStore } from '../../packages/uma/src/kernel/store';
import { openVault, type Vault } from '../../src/vault';
import { fakeSafeStorage } from './vault-fakes';

/** One contract, run against MemoryStore and every vault backend: the vault must behave exactly like it. */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function home() {
  const d = await mkdtemp(join(tmpdir(), 'tessera-vault-'));
  dirs.push(d);
  return d;
}

type Factory = (now: () => number) => Promise<TokenStore & { close?: () => Promise<void> }>;
const factories: [string, Factory][] = [
  ['MemoryStore', async (now) => new MemoryStore({ now })],
  ['vault: memory', async (now) => openVault({ home: await home(), backends: ['memory'], now })],
  ['vault: passphrase', async (now) => openVault({ home: await home(), backends: ['passphrase'], passphrase: 'correct horse', scryptCost: { N: 1024, r: 8, p: 1 }, now })],
  ['vault: safeStorage', async (now) => openVault({ home: await home(), safeStorage: fakeSafeStorage(), backends: ['safeStorage'], now })],
];

describe.each(factories)('TokenStore contract: %s', (_name, make) => {
  it('round-trips, keeps createdAt, updates updatedAt, lists metadata only', async () => {
    let t = 1000;
    const store = await make(() => t);
    const key = storeKeys.rpt('https://as.example', 'https://rs.example', 'nobody');
    await store.put('rpt', key, { access_token: 'SECRET-1' }, { issuer: 'https://as.example', fingerprint: 'fp1', permissions: [{ resource_id: 'r1', resource_scopes: ['read'] }] });
    t = 2000;
    await store.put('rpt', key, { access_token: 'SECRET-2' }, { fingerprint: 'fp2' });
    const rec = await store.get<{ access_token: string }>('rpt', key);
    expect(rec).toEqual({ meta: { kind: 'rpt', key, createdAt: 1000, updatedAt: 2000, fingerprint: 'fp2' }, value: { access_token: 'SECRET-2' } });
    await store.put('pct', 'p', { pct: 'x' });
    expect((await store.list()).map((m) => m.kind).sort()).toEqual(['pct', 'rpt']);
    expect(await store.list('pct')).toHaveLength(1);
    expect(JSON.stringify(await store.list())).not.toContain('SECRET');
    await store.close?.();
  });

  it('returns copies and isolates stored state from caller mutations', async () => {
    const store = await make(Date.now);
    const value = { a: 1 };
    await store.put('settings', 'k', value);
    value.a = 2;
    const rec = await store.get<{ a: number }>('settings', 'k');
    rec!.value.a = 3;
    expect((await store.get<{ a: number }>('settings', 'k'))?.value.a).toBe(1);
    await store.close?.();
  });

  it('delete reports whether something was removed; get of a missing record is undefined', async () => {
    const store = await make(Date.now);
    expect(await store.get('client', 'nope')).toBeUndefined();
    expect(await store.delete('client', 'nope')).toBe(false);
    await store.put('client', 'c', { client_secret: 's' });
    expect(await store.delete('client', 'c')).toBe(true);
    expect(await store.get('client', 'c')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    await store.close?.();
  });

  it('update() creates, modifies and deletes; concurrent updates in one process lose nothing', async () => {
    const store = await make(Date.now);
    await store.update<number>('settings', 'n', (cur) => ({ value: (cur?.value ?? 0) + 1 }));
    await Promise.all(Array.from({ length: 20 }, () => store.update<number>('settings', 'n', (cur) => ({ value: (cur?.value ?? 0) + 1 }))));
    expect((await store.get<number>('settings', 'n'))?.value).toBe(21);
    await store.update('settings', 'n', () => undefined);
    expect(await store.get('settings', 'n')).toBeUndefined();
    await store.close?.();
  });

  it('keeps kinds apart for the same key', async () => {
    const store = await make(Date.now);
    await store.put('trust', 'https://as', { t: 1 });
    await store.put('client', 'https://as', { c: 1 });
    expect((await store.get('trust', 'https://as'))?.value).toEqual({ t: 1 });
    expect((await store.get('client', 'https://as'))?.value).toEqual({ c: 1 });
    await store.close?.();
  });
});

describe('persistence', () => {
  it.each([
    ['passphrase', { backends: ['passphrase'], passphrase: 'pw', scryptCost: { N: 1024, r: 8, p: 1 } }],
    ['safeStorage', { backends: ['safeStorage'], safeStorage: fakeSafeStorage() }],
  ] as const)('%s: records survive close and reopen', async (backend, opts) => {
    const h = await home();
    const v1: Vault = await openVault({ home: h, ...opts, backends: [...opts.backends] });
    expect(v1.backend).toBe(backend);
    expect(v1.persistent).toBe(true);
    await v1.put('identity', 'https://op#alice', { id_token: 'a.b.c', refresh_token: 'r' }, { identity: 'https://op#alice' });
    await v1.close();
    const v2 = await openVault({ home: h, ...opts, backends: [...opts.backends] });
    expect((await v2.get('identity', 'https://op#alice'))?.value).toEqual({ id_token: 'a.b.c', refresh_token: 'r' });
    await v2.close();
  });
});
