/**
 * The token-store contract shared by the engine (packages/uma/src/uma), identity (packages/uma/src/identity), the faces and the
 * encrypted vault (src/vault). The engine only ever talks to a {@link TokenStore}; whether records
 * live in memory or in the encrypted vault is the caller's choice.
 *
 * A record is a JSON value (which holds secrets: tokens, client secrets, private keys) plus
 * {@link RecordMeta}: the non-secret description that `tessera vault list`, the Tokens screen and the
 * transcript may show. Nothing secret may ever be put in `meta`.
 */

/**
 * What a record holds. Keys are built with the helpers below so every module agrees on them.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export type RecordKind =
  /** An RPT (+ refresh token) per (AS issuer, RS origin, requesting party). */
  | 'rpt'
  /** A persisted claims token per (AS issuer, requesting-party identity, client). */
  | 'pct'
  /** ID, access and refresh tokens of a requesting-party identity at its OpenID provider. */
  | 'identity'
  /** A client registration at an AS or OP (static or dynamic), including secrets and private keys. */
  | 'client'
  /** A trusted AS and its per-AS configuration (alias, manual endpoints, auth mode). */
  | 'trust'
  /** Settings. */
  | 'settings'
  /**
   * A DPoP key pair per (AS issuer, requesting party): the private JWK is a secret like a token
   * (RFC 9449 §2), kept encrypted by the vault and never exported; `meta.label` holds its public thumbprint.
   */
  | 'dpop';

/**
 * Every kind of record a {@link TokenStore} holds.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export const RECORD_KINDS: readonly RecordKind[] = ['rpt', 'pct', 'identity', 'client', 'trust', 'settings', 'dpop'];

/**
 * Non-secret description of a record. Safe for logs, the renderer and redacted exports.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface RecordMeta {
  kind: RecordKind;
  key: string;
  /** AS issuer (rpt, pct, client at an AS, trust) or OP issuer (identity, client at an OP). */
  issuer?: string;
  /** RS origin (rpt). */
  rsOrigin?: string;
  /**
   * The requesting party the token was issued for (rpt, pct: `issuer#sub`, `token:…` or `nobody`;
   * identity: its own `issuer#sub`). Absent on records written before tokens were bound to a party:
   * those are kept and listed but never presented (see packages/uma/src/kernel/party.ts).
   */
  identity?: string;
  /** Client id (pct, client). */
  clientId?: string;
  /** Epoch milliseconds after which the main secret is expired, if known. */
  expiresAt?: number;
  /** Granted permissions, if known (rpt): resource id and scopes. */
  permissions?: { resource_id: string; resource_scopes: string[] }[];
  /** Short fingerprint of the main secret (see packages/uma/src/kernel/redact), never the secret. */
  fingerprint?: string;
  /** The AS's `token_type` for the token (rpt): `Bearer` or `DPoP` (RFC 9449 §5). Absent on records written before it was kept here. */
  tokenType?: string;
  /**
   * A DPoP key's public thumbprint (RFC 7638, base64url SHA-256 of the public JWK): for a `dpop`
   * record its own, for a bound RPT the key it is bound to (`cnf.jkt`). Public, never the key.
   */
  dpopJkt?: string;
  /** Free-form human label. */
  label?: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * A record of a {@link TokenStore}: its value and non-secret metadata.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface StoredRecord<T = unknown> {
  meta: RecordMeta;
  value: T;
}

/**
 * Metadata a caller supplies on write; kind, key and timestamps are filled in by the store.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export type MetaInput = Omit<RecordMeta, 'kind' | 'key' | 'createdAt' | 'updatedAt'>;

/**
 * The storage port: RPTs, PCTs, identities, client registrations and settings, with a locked read-modify-write.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface TokenStore {
  /** The record of `kind` under `key`, or undefined. */
  get<T = unknown>(kind: RecordKind, key: string): Promise<StoredRecord<T> | undefined>;
  /** Insert or replace. Keeps `createdAt` of a replaced record. */
  put<T = unknown>(kind: RecordKind, key: string, value: T, meta?: MetaInput): Promise<void>;
  /** Returns whether a record was removed. */
  delete(kind: RecordKind, key: string): Promise<boolean>;
  /** Metadata only, never values. All kinds when `kind` is omitted. */
  list(kind?: RecordKind): Promise<RecordMeta[]>;
  /**
   * Read-modify-write of one record under the store's lock, so that concurrent writers (the app
   * and the CLI on one vault, or two grants in one process) never lose an update. Return
   * `undefined` from `fn` to delete the record.
   */
  update<T = unknown>(
    kind: RecordKind,
    key: string,
    fn: (current: StoredRecord<T> | undefined) => { value: T; meta?: MetaInput } | undefined,
  ): Promise<void>;
  /** Whether records survive this process (false for the memory store: the UI shows a warning). */
  readonly persistent: boolean;
}

/**
 * Key helpers: one place decides how composite keys are spelled.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export const storeKeys = {
  /** An RPT belongs to one (AS, RS origin, requesting party). */
  rpt: (asIssuer: string, rsOrigin: string, party: string) => `${asIssuer} ${rsOrigin} ${party}`,
  /** A PCT belongs to one (AS, requesting party, client). */
  pct: (asIssuer: string, party: string, clientId: string) => `${asIssuer} ${party} ${clientId}`,
  /** A signed-in identity: `issuer#sub` at its OpenID provider. */
  identity: (opIssuer: string, sub: string) => `${opIssuer}#${sub}`,
  /** The client registration at one AS. */
  client: (issuer: string) => issuer,
  /** The trust record of one AS. */
  trust: (asIssuer: string) => asIssuer,
  /** A DPoP key belongs to one (AS, requesting party). */
  dpop: (asIssuer: string, party: string) => `${asIssuer} ${party}`,
} as const;

/**
 * In-memory store: tokens live for this process only. Also the reference behaviour for the vault.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export class MemoryStore implements TokenStore {
  readonly persistent = false;
  #records = new Map<string, StoredRecord>();
  #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** The record of `kind` under `key`, or undefined. */
  async get<T>(kind: RecordKind, key: string): Promise<StoredRecord<T> | undefined> {
    const record = this.#records.get(id(kind, key));
    return record ? (structuredClone(record) as StoredRecord<T>) : undefined;
  }

  async put<T>(kind: RecordKind, key: string, value: T, meta: MetaInput = {}): Promise<void> {
    const now = this.#now();
    const previous = this.#records.get(id(kind, key));
    this.#records.set(id(kind, key), {
      meta: { ...structuredClone(meta), kind, key, createdAt: previous?.meta.createdAt ?? now, updatedAt: now },
      value: structuredClone(value),
    });
  }

  async delete(kind: RecordKind, key: string): Promise<boolean> {
    return this.#records.delete(id(kind, key));
  }

  async list(kind?: RecordKind): Promise<RecordMeta[]> {
    return [...this.#records.values()]
      .filter((r) => kind === undefined || r.meta.kind === kind)
      .map((r) => structuredClone(r.meta));
  }

  async update<T>(
    kind: RecordKind,
    key: string,
    fn: (current: StoredRecord<T> | undefined) => { value: T; meta?: MetaInput } | undefined,
  ): Promise<void> {
    // Single-threaded and synchronous between read and write: no lock needed in memory.
    const current = this.#records.get(id(kind, key));
    const next = fn(current ? (structuredClone(current) as StoredRecord<T>) : undefined);
    if (next === undefined) {
      this.#records.delete(id(kind, key));
      return;
    }
    await this.put(kind, key, next.value, next.meta);
  }
}

function id(kind: RecordKind, key: string): string {
  return `${kind}\u0000${key}`;
}
