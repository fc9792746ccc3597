/**
 * The demo store's `update` is one LMDB write transaction: concurrent read-modify-writes from this
 * process and from other processes on the same data directory never interleave, so an approval is
 * used once and no increment is lost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DELETE, KEEP, MemoryKv } from '../../src/demo/store/kv';
import { LmdbKv } from '../../src/demo/store/lmdb-kv';

const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-kv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function child(count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'test/integration/demo-kv-child.ts', dir, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('demo store update', () => {
  it('three processes racing on 60 approvals win each exactly once and lose no increment', async () => {
    const count = 60;
    const kv = new LmdbKv(dir);
    for (let i = 0; i < count; i++) await kv.put(`approval:${i}`, { status: 'approved' });
    await kv.close();
    const won = await Promise.all([child(count), child(count), child(count)]);
    expect(won.reduce((a, b) => a + b, 0)).toBe(count);
    const after = new LmdbKv(dir);
    expect(after.get('counter')).toBe(3 * count);
    expect(after.list('approval:').every((e) => (e.value as { status: string }).status === 'used')).toBe(true);
    await after.close();
  }, 120_000);

  it('deletes with DELETE, writes nothing with KEEP, answers whether it wrote (LMDB and memory)', async () => {
    for (const kv of [new LmdbKv(mkdtempSync(join(dir, 'x-'))), new MemoryKv()]) {
      await kv.put('k', 1, 3600);
      expect(await kv.update<number>('k', (n) => (n ?? 0) + 1)).toBe(true);
      expect(kv.get('k')).toBe(2);
      expect(await kv.update<number>('k', () => KEEP)).toBe(false);
      expect(await kv.update<number>('missing', (n) => (n === undefined ? KEEP : n))).toBe(false);
      expect(kv.get('missing')).toBeUndefined();
      expect(await kv.update<number>('k', () => DELETE)).toBe(true);
      expect(kv.get('k')).toBeUndefined();
      await kv.close();
    }
  });
});
