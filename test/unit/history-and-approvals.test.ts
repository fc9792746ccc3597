/**
 * The history document and the approval watcher's rules, on a real encrypted vault: history is
 * bounded to the newest 200 flows, drops binary bodies, is unreadable without the vault (and gone
 * after Clear history); the watcher honours the AS's interval, backs off ×1.5 up to 60 s, and gives
 * up after 24 hours.
 */
import { lstat, mkdir, mkdtemp, readFile, rm, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { ApprovalWatcher, MAX_WATCH_MS, type WatchEnd, type WatchTimers } from '../../src/app/approvals';
import { History, HISTORY_FILE, HISTORY_LIMIT } from '../../src/app/history';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import type { FetchResult } from '../../packages/uma/src/uma/agent';
import { nextPoll } from '../../packages/uma/src/uma/poll-policy';

/** Real timers on a faster clock (the policy's delays are seconds; these tests run in milliseconds). */
const scaled = (factor: number): WatchTimers => ({ setTimeout: (fn, ms) => setTimeout(fn, ms * factor), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) });
const nextDelay = (previousMs: number, intervalS: number | undefined) => nextPoll(previousMs ? { delayMs: previousMs } : undefined, intervalS).delayMs;
import { openVault, type Vault } from '../../src/vault';

const homes: string[] = [];
const vaults: Vault[] = [];
afterEach(async () => {
  for (const v of vaults.splice(0)) await v.close().catch(() => undefined);
  for (const h of homes.splice(0)) await rm(h, { recursive: true, force: true });
});
async function vaultAt(home?: string): Promise<{ home: string; vault: Vault }> {
  const h = home ?? await mkdtemp(join(tmpdir(), 'tessera-history-'));
  if (!home) homes.push(h);
  const vault = await openVault({ home: h, passphrase: 'history-unit', backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
  vaults.push(vault);
  return { home: h, vault };
}
const flow = (i: number, extra: Partial<FlowView> = {}): FlowView => ({ flowId: `f${i}`, url: `https://rs.example/r/${i}`, startedAt: new Date(1_700_000_000_000 + i).toISOString(), running: false, outcome: 'granted', body: `{"secret":"record ${i} Riverside"}`, steps: [], ...extra });

describe('history at rest', () => {
  it('keeps the newest 200 flows, drops binary bodies, and never holds a record in plaintext', async () => {
    const { home, vault } = await vaultAt();
    const history = new History(vault, home);
    const flows = Array.from({ length: 205 }, (_, i) => flow(i, i === 204 ? { bodyBase64: 'JVBERi0xLjQK', contentType: 'application/pdf', body: undefined as never } : {}));
    history.save(() => flows);
    await history.flush();
    for (const name of await readdir(home)) expect(await readFile(join(home, name), 'latin1'), name).not.toContain('Riverside');
    const again = new History((await reopen(home, vault)), home);
    const { flows: loaded } = await again.load();
    expect(loaded).toHaveLength(HISTORY_LIMIT);
    expect(loaded[0]?.flowId).toBe('f5');
    expect(loaded.at(-1)?.flowId).toBe('f204');
    expect(loaded.at(-1)?.bodyBase64).toBeUndefined();
    expect(loaded[0]?.body).toContain('record 5');
  });

  it('a running flow is kept as interrupted; Clear history removes the file and its key', async () => {
    const { home, vault } = await vaultAt();
    const history = new History(vault, home);
    history.save(() => [flow(1, { running: true, outcome: undefined as never })]);
    await history.flush();
    expect((await history.load()).flows[0]).toMatchObject({ running: false, outcome: 'error', error: { code: 'interrupted' } });
    await history.clear();
    expect(await readdir(home)).not.toContain(HISTORY_FILE);
    expect(await vault.get('settings', 'sealed:history')).toBeUndefined();
    expect(await history.load()).toEqual({ flows: [] });
  });

  it('a memory-only store writes nothing to disk', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-history-mem-'));
    homes.push(home);
    const history = new History(new MemoryStore(), home);
    history.save(() => [flow(1)]);
    await history.flush();
    expect(await readdir(home)).toEqual([]);
  });
});

describe('damaged history', () => {
  /** Each way the history file can be damaged, made from a good file written first. */
  const damages: [string, (file: string, good: Buffer) => Promise<void>][] = [
    ['a directory in its place', async (file) => { await rm(file); await mkdir(join(file, 'inside'), { recursive: true }); }],
    ['truncated', async (file, good) => writeFile(file, good.subarray(0, Math.floor(good.length / 2)))],
    ['one byte flipped', async (file, good) => {
      const doc = JSON.parse(good.toString('utf8')) as { ct: string };
      const ct = Buffer.from(doc.ct, 'base64');
      ct[3] = (ct[3] ?? 0) ^ 0x01;
      await writeFile(file, JSON.stringify({ ...doc, ct: ct.toString('base64') }));
    }],
    ['a foreign file', async (file) => writeFile(file, '{"format":"something-else","rows":[1,2,3]}')],
    ['empty', async (file) => writeFile(file, '')],
    ['a symlink', async (file) => { await rm(file); await writeFile(`${file}.target`, 'x'); await symlink(`${file}.target`, file); }],
  ];
  for (const [what, damage] of damages) {
    it(`${what}: the history starts empty, the file is kept aside (never overwritten), and load says where`, async () => {
      const { home, vault } = await vaultAt();
      const history = new History(vault, home);
      history.save(() => [flow(1)]);
      await history.flush();
      const file = join(home, HISTORY_FILE);
      const good = await readFile(file);
      await damage(file, good);
      const loaded = await new History(vault, home).load();
      expect(loaded.flows).toEqual([]);
      expect(loaded.keptAside?.path).toMatch(/history\.damaged-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
      expect(loaded.keptAside?.reason).toBeTruthy();
      const aside = await lstat(loaded.keptAside!.path);
      expect(aside.isDirectory() || aside.isSymbolicLink() || aside.isFile()).toBe(true);
      // The next save writes a new history; the damaged one stays where it was put.
      const again = new History(vault, home);
      again.save(() => [flow(2)]);
      await again.flush();
      expect((await new History(vault, home).load()).flows.map((f) => f.flowId)).toEqual(['f2']);
      expect((await lstat(loaded.keptAside!.path)).isDirectory() || what !== 'a directory in its place').toBe(true);
      // Said once: the next start finds a good file and nothing to report.
      expect((await new History(vault, home).load()).keptAside).toBeUndefined();
    });
  }
});

async function reopen(home: string, vault: Vault): Promise<Vault> {
  await vault.close();
  return (await vaultAt(home)).vault;
}

describe('the approval watcher', () => {
  it('honours the interval, backs off ×1.5, never waits more than 60 s', () => {
    expect(nextDelay(0, 2)).toBe(2000);
    expect(nextDelay(2000, 2)).toBe(3000);
    expect(nextDelay(3000, 2)).toBe(4500);
    expect(nextDelay(50_000, 2)).toBe(60_000);
    expect(nextDelay(60_000, 2)).toBe(60_000);
    expect(nextDelay(0, undefined)).toBe(5000);
    // An AS asking for more than 60 s is obeyed (UMA Grant §3.3.6: at least the interval).
    expect(nextDelay(0, 90)).toBe(90_000);
    expect(nextDelay(90_000, 90)).toBe(90_000);
  });

  it('gives up after 24 hours and forgets the request', async () => {
    const store = new MemoryStore();
    let now = 1_000_000;
    const ends: WatchEnd[] = [];
    let polls = 0;
    const pending = { outcome: 'pending', pending: { reason: 'owner_must_approve', ticket: 't2', interval: 0.01 }, steps: [] } as unknown as FetchResult;
    const watcher = new ApprovalWatcher({ store, now: () => now, poll: async () => { polls++; return pending; }, onResult: async () => {}, onScheduled: () => {}, onEnd: (_r, end) => ends.push(end), timers: scaled(0.01) });
    await watcher.watch({ flowId: 'f', url: 'https://rs.example/x', method: 'GET', party: 'nobody', asUri: 'https://as.example', ticket: 't1', interval: 0.01, startedAt: new Date().toISOString() });
    expect(await store.get('settings', 'approvals')).toBeDefined();
    await new Promise((r) => setTimeout(r, 60));
    expect(polls).toBeGreaterThan(0);
    now += MAX_WATCH_MS + 1;
    await new Promise((r) => setTimeout(r, 80));
    expect(ends).toEqual(['expired']);
    expect(await store.get('settings', 'approvals')).toBeUndefined();
    await watcher.close();
  });

  it('keeps the ticket the AS returned for the next check, and resumes from the store after a restart', async () => {
    const store = new MemoryStore();
    const tickets: (string | undefined)[] = [];
    let answer: FetchResult = { outcome: 'pending', pending: { reason: 'owner_must_approve', ticket: 'second' }, steps: [] } as unknown as FetchResult;
    const deps = { store, poll: async (r: { ticket?: string }) => { tickets.push(r.ticket); return answer; }, onResult: async () => {}, onScheduled: () => {}, onEnd: () => {}, timers: scaled(0.004) };
    const first = new ApprovalWatcher(deps);
    await first.watch({ flowId: 'f', url: 'https://rs.example/x', method: 'GET', party: 'nobody', asUri: 'https://as.example', ticket: 'first', startedAt: new Date().toISOString() });
    await new Promise((r) => setTimeout(r, 35));
    await first.close();
    expect(tickets).toEqual(['first']);
    const ends: WatchEnd[] = [];
    answer = { outcome: 'granted', steps: [] } as unknown as FetchResult;
    const second = new ApprovalWatcher({ ...deps, onEnd: (_r, end) => ends.push(end) });
    expect((await second.resume()).map((r) => r.ticket)).toEqual(['second']);
    await new Promise((r) => setTimeout(r, 120));
    expect(tickets).toEqual(['first', 'second']);
    expect(ends).toEqual(['granted']);
    await second.close();
  });

  it('kept requests that cannot be read are counted and kept aside in the store, not dropped silently', async () => {
    const store = new MemoryStore();
    const good = { flowId: 'ok', url: 'https://rs.example/x', method: 'GET', party: 'nobody', startedAt: new Date().toISOString(), since: Date.now(), delayMs: 1000, nextPollAt: Date.now() + 60_000 };
    await store.put('settings', 'approvals', { requests: [good, { flowId: 42, url: null }] }, {});
    const deps = { store, poll: async () => ({ outcome: 'pending', steps: [] }) as unknown as FetchResult, onResult: async () => {}, onScheduled: () => {}, onEnd: () => {} };
    const watcher = new ApprovalWatcher(deps);
    expect((await watcher.resume()).map((r) => r.flowId)).toEqual(['ok']);
    expect(watcher.unreadable).toBe(1);
    const aside = (await store.list('settings')).find((m) => m.key.startsWith('approvals.damaged-'));
    expect((await store.get('settings', aside!.key))?.value).toEqual({ requests: [good, { flowId: 42, url: null }] });
    await watcher.close();
    // A record that is not a list at all: counted once, kept aside too.
    const broken = new MemoryStore();
    await broken.put('settings', 'approvals', 'garbage', {});
    const w2 = new ApprovalWatcher({ ...deps, store: broken });
    expect(await w2.resume()).toEqual([]);
    expect(w2.unreadable).toBe(1);
    await w2.close();
  });
});
