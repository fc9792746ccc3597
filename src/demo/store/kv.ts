/**
 * The demo servers' persistent state: one small key-value interface, two implementations.
 *
 * - `LmdbKv` (default): LMDB through the `lmdb` package. LMDB is a copy-on-write B-tree with ACID
 *   transactions, so a process killed at any instant reopens with the last committed state (no
 *   repair step, no journal replay). Its prebuilt binaries ship as npm optional dependencies
 *   (`@lmdb/lmdb-linux-x64` …), so it installs from the npm registry alone, and it runs on Node 20.
 * - `MemoryKv` (`--memory`): the same semantics, gone when the process ends.
 *
 * Values are JSON-compatible objects. Writes are visible to `get` at once (read-your-writes through
 * a pending map) and durable once the returned promise resolves; callers that must not lose a write
 * (tickets, grants, policies) await it before answering.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';

interface Entry<T> { v: T; exp?: number }

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

const now = () => Math.floor(Date.now() / 1000);
const live = <T>(entry: Entry<T> | undefined): T | undefined =>
  entry === undefined || (entry.exp !== undefined && entry.exp <= now()) ? undefined : entry.v;
const wrap = <T>(value: T, ttlSeconds?: number): Entry<T> =>
  ttlSeconds === undefined ? { v: value } : { v: value, exp: now() + Math.max(1, Math.ceil(ttlSeconds)) };
/** The entry `fn` asks for, or KEEP/DELETE; an expiry is kept unless a new TTL is given. */
function updated<T>(entry: Entry<T> | undefined, fn: UpdateFn<T>, ttlSeconds?: number): Entry<T> | typeof KEEP | typeof DELETE {
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

const DELETED = Symbol('deleted');

export class LmdbKv implements KeyValueStore {
  readonly persistent = true;
  readonly #db: RootDatabase<Entry<unknown>, string>;
  /** Writes issued but not yet committed, so reads see them at once. */
  readonly #pending = new Map<string, Entry<unknown> | typeof DELETED>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, 'demo.lmdb');
    // Owner-only files: the store holds the servers' signing keys and the demo's state. LMDB applies
    // `permissionsMode` when it creates the files; files made by an older version are narrowed here.
    this.#db = open<Entry<unknown>, string>({ path, compression: false, permissionsMode: 0o600 } as Parameters<typeof open>[0]);
    if (process.platform !== 'win32') for (const file of [path, `${path}-lock`]) if (existsSync(file)) chmodSync(file, 0o600);
    // Expired entries are invisible to reads; sweep them from disk now and then.
    this.#sweep = setInterval(() => void this.#removeExpired(), 60_000);
    this.#sweep.unref();
  }

  get<T>(key: string): T | undefined {
    const pending = this.#pending.get(key);
    if (pending === DELETED) return undefined;
    return live((pending ?? this.#db.get(key)) as Entry<T> | undefined);
  }

  put<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    return this.#write(key, wrap(structuredClone(value), ttlSeconds));
  }

  del(key: string): Promise<void> { return this.#write(key, DELETED); }

  async update<T>(key: string, fn: UpdateFn<T>, ttlSeconds?: number): Promise<boolean> {
    let written: Entry<unknown> | typeof DELETED | undefined;
    // lmdb-js runs the callback inside the next write transaction, after every write queued before
    // it, and commits its read and its write together: no other writer (this process or another)
    // can slip between them.
    const changed = await this.#db.transaction(() => {
      const next = updated(this.#db.get(key) as Entry<T> | undefined, fn, ttlSeconds);
      if (next === KEEP) return false;
      written = next === DELETE ? DELETED : next;
      if (next === DELETE) this.#db.removeSync(key);
      else this.#db.putSync(key, next);
      // Reads before the commit see the new value, unless a later write is already queued.
      if (!this.#pending.has(key)) this.#pending.set(key, written);
      return true;
    });
    if (written !== undefined && this.#pending.get(key) === written) this.#pending.delete(key);
    return changed;
  }

  list<T>(prefix: string): { key: string; value: T }[] {
    const keys = new Set<string>();
    for (const key of this.#db.getKeys({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      keys.add(key);
    }
    for (const key of this.#pending.keys()) if (key.startsWith(prefix)) keys.add(key);
    const out: { key: string; value: T }[] = [];
    for (const key of [...keys].sort()) {
      const value = this.get<T>(key);
      if (value !== undefined) out.push({ key, value });
    }
    return out;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.#db.flushed;
    await this.#db.close();
  }

  async #write(key: string, entry: Entry<unknown> | typeof DELETED): Promise<void> {
    this.#pending.set(key, entry);
    try {
      if (entry === DELETED) await this.#db.remove(key);
      else await this.#db.put(key, entry);
    } finally {
      if (this.#pending.get(key) === entry) this.#pending.delete(key);
    }
  }

  async #removeExpired(): Promise<void> {
    const t = now();
    for (const { key, value } of this.#db.getRange()) {
      if (value.exp !== undefined && value.exp <= t && !this.#pending.has(key)) await this.#db.remove(key);
    }
  }
}

/** Opens the demo's store: LMDB under `dataDir`, or memory. */
export function openKv(options: { dataDir?: string; memory?: boolean }): KeyValueStore {
  if (options.memory || !options.dataDir) return new MemoryKv();
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
