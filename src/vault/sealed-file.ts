/**
 * A sealed document: one JSON value kept in its own file beside the vault, encrypted with AES-256-GCM
 * under a random key that lives **in the vault** (a `settings` record). For data too large to sit in
 * `vault.json` itself — every token read decrypts that whole file, so a few megabytes of history
 * there would slow each flow's store reads by tens of milliseconds — but as private as the vault:
 * without the vault's key the file is noise, clearing the vault record makes it unreadable, and a
 * re-key of the vault carries the document's key along with the other records.
 *
 * Only for persistent stores: with a memory-only vault the key would die with the process, so the
 * caller keeps such data in memory instead.
 */
import { randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { z } from 'zod';
import type { TokenStore } from '@tessera/uma';
import { open, seal } from './crypto';
import { keepAside, readRegularFile, writeFileAtomic } from './files';

const fileSchema = z.object({ format: z.literal('tessera-sealed'), name: z.string(), iv: z.string(), ct: z.string(), tag: z.string() }).strict();
const keySchema = z.object({ key: z.string().regex(/^[A-Za-z0-9+/]{43}=$/) });

/** What reading a sealed document found: nothing, the document, or a file that cannot be opened (and why). */
export type SealedRead<T> = { kind: 'none' } | { kind: 'ok'; value: T } | { kind: 'damaged'; reason: string };

export interface SealedDocument<T> {
  /** The document, or undefined when there is none or it cannot be opened (key gone, file damaged). */
  read(): Promise<T | undefined>;
  /**
   * The document, or why the file in its place cannot be opened: a directory or symlink, truncated,
   * tampered (authentication fails), another document, empty, or its key gone from the vault.
   */
  inspect(): Promise<SealedRead<T>>;
  /** Moves whatever is at the file aside (`NAME.damaged-TIME.json`) instead of overwriting it; returns where. */
  setAside(label?: string): Promise<string | undefined>;
  write(value: T): Promise<void>;
  /** Removes the file and forgets its key. */
  remove(): Promise<void>;
}

/** The document `name` in `file`, its key in `store` under (`settings`, `sealed:NAME`). */
export function sealedDocument<T>(store: TokenStore, file: string, name: string): SealedDocument<T> {
  const keyRecord = `sealed:${name}`;
  const aad = `tessera-sealed:${name}`;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <R>(fn: () => Promise<R>): Promise<R> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const existingKey = async (): Promise<Buffer | undefined> => {
    const record = await store.get('settings', keyRecord);
    const parsed = keySchema.safeParse(record?.value);
    return parsed.success ? Buffer.from(parsed.data.key, 'base64') : undefined;
  };
  const keyForWrite = async (): Promise<Buffer> => {
    const found = await existingKey();
    if (found) return found;
    // Under the store's lock: two writers never end up with two keys.
    await store.update<{ key: string }>('settings', keyRecord, (current) => (keySchema.safeParse(current?.value).success ? { value: current!.value, meta: current!.meta } : { value: { key: randomBytes(32).toString('base64') }, meta: { label: `key of ${name}` } }));
    return (await existingKey()) as Buffer;
  };
  const inspect = (): Promise<SealedRead<T>> => serial(async () => {
    const found = await readRegularFile(file);
    if (found.kind === 'none') return { kind: 'none' };
    if (found.kind === 'other') return { kind: 'damaged', reason: found.reason };
    if (found.bytes.length === 0) return { kind: 'damaged', reason: 'the file is empty' };
    let sealed;
    try {
      sealed = fileSchema.parse(JSON.parse(found.bytes.toString('utf8')));
    } catch {
      return { kind: 'damaged', reason: 'not a Tessera sealed file (truncated or foreign)' };
    }
    if (sealed.name !== name) return { kind: 'damaged', reason: `another sealed document ("${sealed.name.slice(0, 40)}")` };
    const key = await existingKey();
    if (!key) return { kind: 'damaged', reason: 'its key is not in this vault (another or a new vault)' };
    try {
      return { kind: 'ok', value: JSON.parse(open(key, sealed, aad).toString('utf8')) as T };
    } catch {
      return { kind: 'damaged', reason: 'failed authentication (changed or tampered)' };
    }
  });
  return {
    read: async () => { const r = await inspect(); return r.kind === 'ok' ? r.value : undefined; },
    inspect,
    setAside: (label = 'damaged') => serial(() => keepAside(file, label)),
    write: (value) => serial(async () => {
      const key = await keyForWrite();
      const sealed = seal(key, Buffer.from(JSON.stringify(value), 'utf8'), aad);
      await writeFileAtomic(file, `${JSON.stringify({ format: 'tessera-sealed', name, ...sealed })}\n`);
    }),
    remove: () => serial(async () => {
      await unlink(file).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'ENOENT') throw error; });
      await store.delete('settings', keyRecord);
    }),
  };
}
