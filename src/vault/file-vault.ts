/**
 * The encrypted file vault: one file `vault.json` (0600) in TESSERA_HOME (0700). The file holds a
 * cleartext header (format, schema version, file id, key-protection section) and one AES-256-GCM
 * body with all records, re-encrypted under a fresh IV on every write and bound by AAD to the
 * schema version and the file id. Writers take a cross-process lock and re-read the file inside it.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { MetaInput, RecordKind, RecordMeta, StoredRecord, TokenStore } from '@tessera/uma';
import { RECORD_KINDS } from '@tessera/uma';
import { open, seal } from './crypto';
import { VaultError } from './errors';
import { readIfExists, updateFileLocked } from './files';
import { keySectionSchema, type KeySection } from './protectors';

export const VAULT_FILE = 'vault.json';
export const LOCK_FILE = 'vault.lock';
/** Current schema version of the decrypted body. */
export const SCHEMA_VERSION = 1;

const headerSchema = z.object({
  format: z.literal('tessera-vault'),
  version: z.number().int().min(1),
  fileId: z.string().regex(/^[0-9a-f]{32}$/),
  key: keySectionSchema,
  body: z.object({ iv: z.string(), ct: z.string(), tag: z.string() }),
});
export type VaultFile = z.infer<typeof headerSchema>;

const metaSchema = z
  .object({
    kind: z.enum(RECORD_KINDS as [RecordKind, ...RecordKind[]]),
    key: z.string(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .loose();
const bodySchema = z.object({ records: z.array(z.object({ meta: metaSchema, value: z.unknown() })) });

type Records = Map<string, StoredRecord>;

/** Parses the file's cleartext header; a damaged file gives a typed error naming it. */
export function parseVaultFile(raw: Buffer, file: string): VaultFile {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw damaged(file, err);
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    throw new VaultError('unsupported_version', `The vault was written by a newer Tessera (schema ${version}, this one reads up to ${SCHEMA_VERSION})`, 'Upgrade Tessera. The vault file was not changed.', file);
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw damaged(file, parsed.error);
  return parsed.data;
}

function damaged(file: string, cause: unknown): VaultError {
  return new VaultError('damaged', 'The vault file is damaged or is not a Tessera vault', 'Restore it from a backup, or move it aside to start an empty vault. Tessera kept the file untouched.', file, { cause });
}

function bodyAad(version: number, fileId: string): string {
  return `tessera-vault-body|${version}|${fileId}`;
}

/**
 * Upgrades a decrypted body from an older schema version. Version 1 is the first; a future version 2
 * adds a case here, and the next write stores the upgraded body under the new version.
 */
export function migrateBody(version: number, body: unknown): unknown {
  switch (version) {
    case 1:
      return body;
    default:
      throw new Error(`no migration from schema ${version}`);
  }
}

const rid = (kind: RecordKind, key: string) => `${kind}\u0000${key}`;

export class FileVault implements TokenStore {
  readonly persistent = true;
  readonly file: string;
  readonly #lockFile: string;
  readonly #dataKey: Buffer;
  readonly #header: Pick<VaultFile, 'fileId' | 'key'>;
  readonly #now: () => number;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(home: string, dataKey: Buffer, header: { fileId: string; key: KeySection }, now: () => number = Date.now) {
    this.file = join(home, VAULT_FILE);
    this.#lockFile = join(home, LOCK_FILE);
    this.#dataKey = dataKey;
    this.#header = header;
    this.#now = now;
  }

  /** Encrypts `records` into a complete vault file. */
  static serialize(dataKey: Buffer, header: { fileId: string; key: KeySection }, records: StoredRecord[]): string {
    const body = seal(dataKey, Buffer.from(JSON.stringify({ records }), 'utf8'), bodyAad(SCHEMA_VERSION, header.fileId));
    const file: VaultFile = { format: 'tessera-vault', version: SCHEMA_VERSION, fileId: header.fileId, key: header.key, body };
    return `${JSON.stringify(file, null, 1)}\n`;
  }

  /** Decrypts and validates a parsed file with the data key. */
  static decrypt(dataKey: Buffer, parsed: VaultFile, file: string): Records {
    let plain: Buffer;
    try {
      plain = open(dataKey, parsed.body, bodyAad(parsed.version, parsed.fileId));
    } catch (err) {
      throw new VaultError('damaged', 'The vault body failed authentication (corrupted or tampered)', 'Restore the file from a backup, or move it aside to start an empty vault. Tessera kept the file untouched.', file, { cause: err });
    }
    let body: z.infer<typeof bodySchema>;
    try {
      body = bodySchema.parse(migrateBody(parsed.version, JSON.parse(plain.toString('utf8'))));
    } catch (err) {
      throw damaged(file, err);
    }
    const map: Records = new Map();
    for (const r of body.records) map.set(rid(r.meta.kind, r.meta.key), r as StoredRecord);
    return map;
  }

  async #read(): Promise<Records> {
    return this.#decode(await readIfExists(this.file));
  }

  #decode(raw: Buffer | undefined): Records {
    if (raw === undefined) return new Map();
    const parsed = parseVaultFile(raw, this.file);
    if (parsed.fileId !== this.#header.fileId) {
      throw new VaultError('damaged', 'The vault file was replaced by another vault while open', 'Reopen Tessera. The file was not changed.', this.file);
    }
    return FileVault.decrypt(this.#dataKey, parsed, this.file);
  }

  /**
   * Every write of this vault: serialized in this process by a queue, then one locked
   * read-modify-write across processes (re-read under the lock, apply, atomic replace, release).
   */
  #mutate<T>(fn: (records: Records) => { changed: boolean; result: T }): Promise<T> {
    this.#assertOpen();
    const run = () =>
      updateFileLocked(this.file, this.#lockFile, (raw) => {
        const records = this.#decode(raw);
        const { changed, result } = fn(records);
        return changed ? { write: FileVault.serialize(this.#dataKey, this.#header, [...records.values()]), result } : { result };
      });
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #assertOpen() {
    if (this.#closed) throw new VaultError('io', 'The vault is closed', 'Open the vault again.', this.file);
  }

  async get<T = unknown>(kind: RecordKind, key: string): Promise<StoredRecord<T> | undefined> {
    this.#assertOpen();
    const r = (await this.#read()).get(rid(kind, key));
    return r ? (structuredClone(r) as StoredRecord<T>) : undefined;
  }

  #set(records: Records, kind: RecordKind, key: string, value: unknown, meta: MetaInput = {}) {
    const now = this.#now();
    const previous = records.get(rid(kind, key));
    records.set(rid(kind, key), {
      meta: { ...structuredClone(meta), kind, key, createdAt: previous?.meta.createdAt ?? now, updatedAt: now },
      value: structuredClone(value),
    });
  }

  async put<T = unknown>(kind: RecordKind, key: string, value: T, meta?: MetaInput): Promise<void> {
    // Clone before queueing so later caller mutations don't leak in.
    const v = structuredClone(value);
    const m = meta === undefined ? undefined : structuredClone(meta);
    await this.#mutate((records) => {
      this.#set(records, kind, key, v, m);
      return { changed: true, result: undefined };
    });
  }

  async delete(kind: RecordKind, key: string): Promise<boolean> {
    return this.#mutate((records) => {
      const removed = records.delete(rid(kind, key));
      return { changed: removed, result: removed };
    });
  }

  async list(kind?: RecordKind): Promise<RecordMeta[]> {
    this.#assertOpen();
    return [...(await this.#read()).values()]
      .filter((r) => kind === undefined || r.meta.kind === kind)
      .map((r) => structuredClone(r.meta));
  }

  async update<T = unknown>(
    kind: RecordKind,
    key: string,
    fn: (current: StoredRecord<T> | undefined) => { value: T; meta?: MetaInput } | undefined,
  ): Promise<void> {
    await this.#mutate((records) => {
      const current = records.get(rid(kind, key));
      const next = fn(current ? (structuredClone(current) as StoredRecord<T>) : undefined);
      if (next === undefined) return { changed: records.delete(rid(kind, key)), result: undefined };
      this.#set(records, kind, key, next.value, next.meta);
      return { changed: true, result: undefined };
    });
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#closed = true;
    this.#dataKey.fill(0);
  }
}
