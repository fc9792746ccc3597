/**
 * The demo's persistent store on LMDB (see kv.ts for the interface and why LMDB). Its own module so
 * that `lmdb`, a native module, is loaded only when a persistent demo store is opened (`openKv`).
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { DELETE, KEEP, live, now, updated, wrap, type Entry, type KeyValueStore, type UpdateFn } from './kv';

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
    // This process's earlier writes first, so the update applies after them (as `put` then `update`
    // reads). Then one synchronous write transaction: LMDB's write lock (shared by every process on
    // the directory) is held from the read to the commit, and the read is the transaction's own, so no
    // other writer can slip between them. The asynchronous form (`db.transaction`) let two processes
    // both claim one approval, once, under a loaded full test run (demo-kv.test.ts: 61 of 60).
    await this.#db.committed;
    return this.#db.transactionSync(() => {
      const next = updated(this.#db.get(key) as Entry<T> | undefined, fn, ttlSeconds);
      if (next === KEEP) return false;
      if (next === DELETE) this.#db.removeSync(key);
      else this.#db.putSync(key, next);
      return true;
    });
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

