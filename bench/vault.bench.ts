/**
 * Vault cost vs MemoryStore: open (scrypt N=2^17 passphrase unwrap), put (lock + re-read + encrypt +
 * fsync + rename) and get (read + decrypt) with 100 realistic records in the vault.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryStore, type TokenStore } from '../packages/uma/src/kernel/store';
import { openVault } from '../src/vault';
import type { BenchReport } from './run';

const RPT = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(900)}.${'s'.repeat(342)}`;

async function median(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

async function measure(store: TokenStore) {
  for (let i = 0; i < 100; i++) await store.put('rpt', `https://as https://rs${i}`, { access_token: RPT, refresh_token: `rt-${i}` }, { fingerprint: `fp${i}` });
  const put = await median(50, (i) => store.put('rpt', `https://as https://rs${i}`, { access_token: RPT, refresh_token: `rt2-${i}` }, { fingerprint: `fp${i}` }));
  const get = await median(200, (i) => store.get('rpt', `https://as https://rs${i % 100}`));
  return { put, get };
}

export default async function vaultBench(): Promise<BenchReport> {
  const home = await mkdtemp(join(tmpdir(), 'tessera-vault-bench-'));
  try {
    const mem = await measure(new MemoryStore());
    const t0 = performance.now();
    const created = await openVault({ home, passphrase: 'bench-passphrase', backends: ['passphrase'] });
    const createMs = performance.now() - t0;
    await created.close();
    const t1 = performance.now();
    const vault = await openVault({ home, passphrase: 'bench-passphrase' });
    const openMs = performance.now() - t1;
    const v = await measure(vault);
    await vault.close();
    const f = (x: number) => Number(x.toFixed(3));
    return {
      name: 'vault',
      rows: [
        { op: 'open (scrypt N=2^17 r=8 p=1)', memory_ms: 0, vault_ms: f(openMs), ratio: '-' },
        { op: 'create', memory_ms: 0, vault_ms: f(createMs), ratio: '-' },
        { op: 'put (100 records, fsync)', memory_ms: f(mem.put), vault_ms: f(v.put), ratio: f(v.put / mem.put) },
        { op: 'get (100 records)', memory_ms: f(mem.get), vault_ms: f(v.get), ratio: f(v.get / mem.get) },
      ],
      targets: [
        { name: 'open under 2 s', ok: openMs < 2000, detail: `${openMs.toFixed(0)} ms` },
        { name: 'get under 5 ms with 100 records', ok: v.get < 5, detail: `${v.get.toFixed(2)} ms median` },
        { name: 'put under 50 ms with 100 records', ok: v.put < 50, detail: `${v.put.toFixed(2)} ms median` },
      ],
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
