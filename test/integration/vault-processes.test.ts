import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openVault } from '../../src/vault';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const PASS = 'process-test-passphrase';
const CHILD = join(import.meta.dirname, 'vault-child.ts');

function child(home: string, tag: string, count: number) {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, home, tag, String(count)], { env: { ...process.env, TESSERA_PASSPHRASE: PASS }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve) => p.stdout.on('data', () => out.includes('ready') && resolve()));
  return { p, exited, ready, output: () => ({ out, err }) };
}

async function newHome() {
  const d = await mkdtemp(join(tmpdir(), 'tessera-vault-proc-'));
  dirs.push(d);
  const v = await openVault({ home: d, passphrase: PASS, backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
  await v.close();
  return d;
}

describe('vault across processes', () => {
  it('two processes writing concurrently lose nothing', async () => {
    const home = await newHome();
    const a = child(home, 'a', 25);
    const b = child(home, 'b', 25);
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    expect([ca, cb], JSON.stringify([a.output(), b.output()])).toEqual([0, 0]);
    const v = await openVault({ home, passphrase: PASS });
    expect((await v.get<number>('settings', 'counter'))?.value).toBe(50);
    expect(await v.list('rpt')).toHaveLength(50);
    await v.close();
    expect((await readdir(home)).sort()).toEqual(['vault.json']);
  }, 120_000);

  it('SIGKILL in the middle of writes always leaves a vault that opens, with every completed write intact', async () => {
    const home = await newHome();
    let previous = 0;
    for (let i = 0; i < 12; i++) {
      const c = child(home, `k${i}`, 1000);
      await c.ready;
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 150)));
      c.p.kill('SIGKILL');
      await c.exited;
      // Opens as the old or the new state; never damaged. The counter never goes back.
      const v = await openVault({ home, passphrase: PASS });
      const counter = (await v.get<number>('settings', 'counter'))?.value ?? 0;
      expect(counter).toBeGreaterThanOrEqual(previous);
      previous = counter;
      // The killed process's stale lock must not block the next writer.
      await v.put('settings', `after-${i}`, i);
      await v.close();
    }
    const v = await openVault({ home, passphrase: PASS });
    expect(await v.list('settings')).toHaveLength(13);
    await v.close();
    // Temp files of killed writers may remain; they are 0600 ciphertext, never plaintext.
  }, 180_000);
});
