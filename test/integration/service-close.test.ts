/**
 * Closing the core while a watched request ends: the watch's end tells the service, which reads the
 * vault to send the new state. `close()` must not return while that read is still to come, or the
 * caller closes the vault under it (a rejection nobody handles, at every shutdown that met a watch
 * ending). The store here is a real MemoryStore that, like the vault, refuses every call once closed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TesseraService } from '../../src/app/service';
import { MAX_WATCH_MS } from '../../src/app/approvals';
import { MemoryStore, type TokenStore } from '../../packages/uma/src/kernel/store';

const homes: string[] = [];
afterEach(async () => { for (const h of homes.splice(0)) await rm(h, { recursive: true, force: true }); });

/** A MemoryStore that can be closed (like the vault), holds the watch record's removal until `release`, and answers `list` slowly. */
function closableStore() {
  const inner = new MemoryStore();
  const state = { closed: false, afterClose: [] as string[], release: () => {}, reached: undefined as unknown as Promise<void> };
  let reached!: () => void;
  state.reached = new Promise<void>((r) => { reached = r; });
  const held = new Promise<void>((r) => { state.release = r; });
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (prop === 'delete' && args[0] === 'settings' && args[1] === 'approvals') { reached(); await held; }
        // The state a watch's end sends is read a little later than the shutdown goes on.
        if (prop === 'list') await new Promise((r) => setTimeout(r, 30));
        if (state.closed) { state.afterClose.push(String(prop)); throw new Error(`the store is closed (${String(prop)})`); }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as TokenStore;
  return { store, state };
}

describe('closing the service', () => {
  it('waits for the state a watch that just ended sends, so the vault is never read after close', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-close-'));
    homes.push(home);
    const { store, state } = closableStore();
    // A request watched since more than a day: the first check ends it ('expired') without any network.
    const since = Date.now() - MAX_WATCH_MS - 60_000;
    await store.put('settings', 'approvals', { requests: [{ flowId: 'f1', url: 'http://127.0.0.1:9/records/r1', method: 'GET', party: 'nobody', since, delayMs: 0, nextPollAt: 0, startedAt: new Date(since).toISOString() }] });
    const service = await TesseraService.create({ home, store, mode: 'browser', opener: async () => {} });
    await state.reached; // the watch is ending: the vault is forgetting it
    const closing = service.close();
    state.release();
    await closing;
    state.closed = true; // what the caller does next: close the vault
    await new Promise((r) => setTimeout(r, 100));
    expect(state.afterClose).toEqual([]);
  });
});
