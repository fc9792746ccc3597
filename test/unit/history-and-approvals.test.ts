/**
 * The history document and the approval watcher's rules, on a real encrypted vault: history is
 * bounded to the newest 200 flows, drops binary bodies, is unreadable without the vault (and gone
 * after Clear history); the watcher honours the AS's interval, backs off ×1.5 up to 60 s, and gives
 * up after 24 hours.
 */
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { ApprovalWatcher, MAX_WATCH_MS, nextDelay, type WatchEnd } from '../../src/app/approvals';
import { History, HISTORY_FILE, HISTORY_LIMIT } from '../../src/app/history';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import type { FetchResult } from '../../packages/uma/src/uma/agent';
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
    const loaded = await again.load();
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
    expect((await history.load())[0]).toMatchObject({ running: false, outcome: 'error', error: { code: 'interrupted' } });
    await history.clear();
    expect(await readdir(home)).not.toContain(HISTORY_FILE);
    expect(await vault.get('settings', 'sealed:history')).toBeUndefined();
    expect(await history.load()).toEqual([]);
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
    const watcher = new ApprovalWatcher({ store, now: () => now, poll: async () => { polls++; return pending; }, onResult: async () => {}, onScheduled: () => {}, onEnd: (_r, end) => ends.push(end), defaultIntervalS: 0.01 });
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
    const deps = { store, poll: async (r: { ticket?: string }) => { tickets.push(r.ticket); return answer; }, onResult: async () => {}, onScheduled: () => {}, onEnd: () => {}, defaultIntervalS: 0.02 };
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
});
