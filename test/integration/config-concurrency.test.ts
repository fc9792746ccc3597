/**
 * config.json is read-modified-written under the cross-process lock (src/vault/lock.ts) with an
 * atomic, fsynced replace: `tessera trust add` run while the app runs is never overwritten by the
 * app's next save, and the reverse.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TesseraService } from '../../src/app/service';
import { updateConfig } from '../../src/app/config';
import { withFileLock } from '../../src/vault/files';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { cliRunner } from '../fixtures/cli-run';

const ROOT = join(import.meta.dirname, '..', '..');
let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tessera-config-race-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

async function trustedInFile(): Promise<string[]> {
  const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as { trust: { authorizationServers: { issuer: string }[] } };
  return config.trust.authorizationServers.map((a) => a.issuer).sort();
}

function cliProcess(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/tessera.js'), ...args], { env: { ...process.env, TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(0) : reject(new Error(`tessera ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

describe('config.json with the CLI and the app at once', () => {
  it('loses no trust decision: 20 CLI adds (4 of them other processes) interleaved with 20 app trusts', async () => {
    const service = await TesseraService.create({ home, store: new MemoryStore(), mode: 'browser', opener: async () => {} });
    const run = cliRunner(() => ({ TESSERA_HOME: home, TESSERA_VAULT_BACKENDS: 'memory' }));
    try {
      const expected: string[] = [];
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 4; i++) {
        expected.push(`https://cli-process-${i}.example`);
        work.push(cliProcess(['trust', 'add', `https://cli-process-${i}.example`]));
      }
      for (let i = 0; i < 16; i++) {
        expected.push(`https://cli-${i}.example`, `https://app-${i}.example`);
        work.push(run(['trust', 'add', `https://cli-${i}.example`]).then((r) => expect(r.code, r.stderr).toBe(0)));
        work.push(service.call('trustAs', { issuer: `https://app-${i}.example` }));
      }
      for (let i = 16; i < 20; i++) {
        expected.push(`https://app-${i}.example`);
        work.push(service.call('trustAs', { issuer: `https://app-${i}.example` }));
      }
      await Promise.all(work);
      expect(await trustedInFile()).toEqual(expected.sort());
      // The app's removal re-reads too: it removes one and keeps everything the CLI added meanwhile.
      await Promise.all([service.call('untrustAs', { issuer: 'https://app-0.example' }), run(['trust', 'add', 'https://cli-late.example'])]);
      expect(await trustedInFile()).toEqual([...expected.filter((e) => e !== 'https://app-0.example'), 'https://cli-late.example'].sort());
      // No temp file or lock left behind.
      expect((await readdir(home)).filter((n) => n.includes('config.json') && n !== 'config.json')).toEqual([]);
    } finally {
      await service.close();
    }
  }, 60_000);

  it('a config.json lock held too long is said as the configuration\'s, not the vault\'s', async () => {
    const file = join(home, 'config.json');
    let release!: () => void;
    const holding = new Promise<void>((r) => { release = r; });
    let taken!: () => void;
    const held = new Promise<void>((r) => { taken = r; });
    const holder = withFileLock(`${file}.lock`, async () => { taken(); await holding; });
    await held;
    try {
      const error = await updateConfig(home, () => false, { timeoutMs: 200 }).then(() => undefined, (e: unknown) => e as Error & { code?: string; hint?: string });
      expect(error?.code).toBe('locked');
      expect(error?.message).toMatch(/^The configuration \(config\.json\) is locked by another process/);
      expect(`${error?.message} ${error?.hint}`).not.toMatch(/vault/i);
      expect(error?.hint).toContain(`pid ${process.pid}`);
      expect(error?.hint).toContain(`${file}.lock`);
    } finally {
      release();
      await holder;
    }
  });
});
