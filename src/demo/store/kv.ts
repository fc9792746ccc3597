/**
 * The demo servers' persistent state: one small key-value interface, two implementations.
 *
 * - `LmdbKv` (default, in lmdb-kv.ts): LMDB through the `lmdb` package. LMDB is a copy-on-write B-tree with ACID
 *   transactions, so a process killed at any instant reopens with the last committed state (no
 *   repair step, no journal replay). Its prebuilt binaries ship as npm optional dependencies
 *   (`@lmdb/lmdb-linux-x64` …), so it installs from the npm registry alone, and it runs on Node 20.
 * - `MemoryKv` (`--memory`): the same semantics, gone when the process ends.
 *
 * Values are JSON-compatible objects. Writes are visible to `get` at once (read-your-writes through
 * a pending map) and durable once the returned promise resolves; callers that must not lose a write
 * (tickets, grants, policies) await it before answering.
 */

/** A stored value and its expiry (seconds since the epoch). */
export interface Entry<T> { v: T; exp?: number }

/** Returned by an `update` function to leave the entry as it is. */
export const KEEP: unique symbol = Symbol('keep');
/** Returned by an `update` function to delete the entry. */
export const DELETE: unique symbol = Symbol('delete');
export type UpdateFn<T> = (current: T | undefined) => T | typeof KEEP | typeof DELETE;

export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  /** `ttlSeconds`: the entry disappears after this long (checked on read). */
  put<T>(key: string, value: T, ttlSeconds?: number): Promise<void>;
  del(key: string): Promise<void>;
  /**
   * Atomic read-modify-write of one key: `fn` sees the committed value and decides the new one, in
   * one transaction, so of concurrent updates each sees the previous one's result (LMDB: one write
   * transaction; across processes too). Resolves once durable, with whether anything was written.
   * `ttlSeconds` undefined keeps the entry's current expiry.
   */
  update<T>(key: string, fn: UpdateFn<T>, ttlSeconds?: number): Promise<boolean>;
  /** Live entries whose key starts with `prefix`, in key order. */
  list<T>(prefix: string): { key: string; value: T }[];
  close(): Promise<void>;
  readonly persistent: boolean;
}

export const now = (): number => Math.floor(Date.now() / 1000);
export const live = <T>(entry: Entry<T> | undefined): T | undefined =>
  entry === undefined || (entry.exp !== undefined && entry.exp <= now()) ? undefined : entry.v;
export const wrap = <T>(value: T, ttlSeconds?: number): Entry<T> =>
  ttlSeconds === undefined ? { v: value } : { v: value, exp: now() + Math.max(1, Math.ceil(ttlSeconds)) };
/** The entry `fn` asks for, or KEEP/DELETE; an expiry is kept unless a new TTL is given. */
export function updated<T>(entry: Entry<T> | undefined, fn: UpdateFn<T>, ttlSeconds?: number): Entry<T> | typeof KEEP | typeof DELETE {
  const result = fn(live(entry));
  if (result === KEEP || result === DELETE) return result as typeof KEEP | typeof DELETE;
  const next = result as T;
  if (ttlSeconds !== undefined) return wrap(structuredClone(next), ttlSeconds);
  const exp = live(entry) === undefined ? undefined : entry?.exp;
  return exp === undefined ? { v: structuredClone(next) } : { v: structuredClone(next), exp };
}

export class MemoryKv implements KeyValueStore {
  readonly persistent = false;
  readonly #map = new Map<string, Entry<unknown>>();
  get<T>(key: string): T | undefined { return live(this.#map.get(key) as Entry<T> | undefined); }
  put<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    this.#map.set(key, wrap(structuredClone(value), ttlSeconds));
    return Promise.resolve();
  }
  del(key: string): Promise<void> { this.#map.delete(key); return Promise.resolve(); }
  update<T>(key: string, fn: UpdateFn<T>, ttlSeconds?: number): Promise<boolean> {
    // Synchronous: nothing else runs between the read and the write.
    const next = updated(this.#map.get(key) as Entry<T> | undefined, fn, ttlSeconds);
    if (next === KEEP) return Promise.resolve(false);
    if (next === DELETE) this.#map.delete(key);
    else this.#map.set(key, next);
    return Promise.resolve(true);
  }
  list<T>(prefix: string): { key: string; value: T }[] {
    const out: { key: string; value: T }[] = [];
    for (const key of [...this.#map.keys()].filter((k) => k.startsWith(prefix)).sort()) {
      const value = this.get<T>(key);
      if (value !== undefined) out.push({ key, value });
    }
    return out;
  }
  close(): Promise<void> { return Promise.resolve(); }
}

/**
 * Opens the demo's store: LMDB under `dataDir`, or memory. LMDB (a native module) is loaded only
 * here, on demand, so what never opens a persistent demo store (the packaged desktop app) neither
 * loads nor ships it.
 */
export async function openKv(options: { dataDir?: string; memory?: boolean }): Promise<KeyValueStore> {
  if (options.memory || !options.dataDir) return new MemoryKv();
  const { LmdbKv } = await import('./lmdb-kv');
  return new LmdbKv(options.dataDir);
}

/** A view of a store under a key prefix, so the IdP, AS and RS never see each other's keys. */
export function scoped(kv: KeyValueStore, prefix: string): KeyValueStore {
  return {
    persistent: kv.persistent,
    get: (key) => kv.get(prefix + key),
    put: (key, value, ttl) => kv.put(prefix + key, value, ttl),
    del: (key) => kv.del(prefix + key),
    update: (key, fn, ttl) => kv.update(prefix + key, fn, ttl),
    list: <T>(p: string) => kv.list<T>(prefix + p).map(({ key, value }) => ({ key: key.slice(prefix.length), value })),
    close: () => Promise.resolve(),
  };
}
