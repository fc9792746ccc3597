/**
 * oidc-provider's storage adapter over the demo's key-value store, so sessions, grants, clients
 * registered dynamically and issued tokens (PATs, ID-provider codes and refresh tokens) survive a
 * restart — without the store holding a usable credential.
 *
 * oidc-provider hands the adapter each model under its id, and for opaque tokens (access, refresh,
 * client-credentials tokens, codes) and sessions the id *is* the credential; payloads repeat it
 * (`jti`) and point at others (an Interaction's `session.cookie` is the session id). So:
 * - every model is stored under the SHA-256 of its id, never the id itself;
 * - its payload is sealed with AES-256-GCM under a key derived (HKDF-SHA-256) from the id, so only
 *   someone who already holds the token can read the record — the store alone reveals nothing;
 * - the secondary indexes (`uid`, `userCode`) are keyed by SHA-256 and hold the model's id sealed
 *   under a key derived from the uid or user code; the grant index holds only hashes.
 * `consume` is one transaction that fails when the model was already consumed, so a code or a
 * refresh token presented twice at once is honoured once (RFC 6749 §4.1.2, §10.4).
 * Interface: https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { DELETE, KEEP, type KeyValueStore } from './kv';

/** Models whose records carry a `grantId` that `revokeByGrantId` must find (as oidc-provider's own adapter). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
/** Key prefixes of the first adapter, which stored models under their raw ids. */
const LEGACY_PREFIXES = ['oidc:', 'oidc-grant:', 'oidc-uid:', 'oidc-usercode:'];

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

interface Sealed { s: string }

function key(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'tessera-demo/oidc-adapter/v2', purpose, 32));
}

/** AES-256-GCM under a key derived from `secret`; `slot` (the storage key) is bound as AAD. */
function seal(secret: string, purpose: string, slot: string, plaintext: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key(secret, purpose), iv);
  cipher.setAAD(Buffer.from(slot));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { s: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
}

function unseal(secret: string, purpose: string, slot: string, sealed: Sealed | undefined): string | undefined {
  if (typeof sealed?.s !== 'string') return undefined;
  const raw = Buffer.from(sealed.s, 'base64url');
  if (raw.length < 28) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key(secret, purpose), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(slot));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export function oidcAdapterFactory(kv: KeyValueStore): (name: string) => Adapter {
  return (name: string) => new KvAdapter(kv, name);
}

/**
 * Deletes what the first adapter stored under raw token values (keys `oidc:<Model>:<token>`), so an
 * existing data directory stops holding them in its live entries. (LMDB may keep the bytes in free
 * pages until they are reused; delete the data directory to be sure.)
 */
export async function purgeLegacyOidcEntries(kv: KeyValueStore): Promise<number> {
  const keys = LEGACY_PREFIXES.flatMap((prefix) => kv.list(prefix).map((e) => e.key));
  await Promise.all(keys.map((k) => kv.del(k)));
  return keys.length;
}

const epoch = () => Math.floor(Date.now() / 1000);

class KvAdapter implements Adapter {
  constructor(private readonly kv: KeyValueStore, private readonly name: string) {}

  #slot(id: string) { return `oidc2:${this.name}:${sha256(id)}`; }
  #uidSlot(uid: string) { return `oidc2-uid:${this.name}:${sha256(uid)}`; }
  #userCodeSlot(code: string) { return `oidc2-usercode:${this.name}:${sha256(code)}`; }
  #grantPrefix(grantId: string) { return `oidc2-grant:${sha256(grantId)}:`; }

  #read(id: string): AdapterPayload | undefined {
    const slot = this.#slot(id);
    const text = unseal(id, `payload:${this.name}`, slot, this.kv.get<Sealed>(slot));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as AdapterPayload;
    } catch {
      return undefined;
    }
  }

  /** The id an index entry (uid or user code) points at, readable only with that uid or code. */
  #indexed(slot: string, by: string, purpose: string): string | undefined {
    return unseal(by, `${purpose}:${this.name}`, slot, this.kv.get<Sealed>(slot));
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const ttl = expiresIn || undefined;
    const slot = this.#slot(id);
    const previous = this.#read(id);
    const writes: Promise<unknown>[] = [this.kv.put(slot, seal(id, `payload:${this.name}`, slot, JSON.stringify(payload)), ttl)];
    if (previous) writes.push(...this.#dropIndexes(id, previous, payload));
    if (GRANTABLE.has(this.name) && payload.grantId) writes.push(this.kv.put(`${this.#grantPrefix(payload.grantId)}${this.name}:${sha256(id)}`, 1, ttl));
    if (payload.userCode) {
      const s = this.#userCodeSlot(payload.userCode);
      writes.push(this.kv.put(s, seal(payload.userCode, `usercode:${this.name}`, s, id), ttl));
    }
    if (this.name === 'Session' && payload.uid) {
      const s = this.#uidSlot(payload.uid);
      writes.push(this.kv.put(s, seal(payload.uid, `uid:${this.name}`, s, id), ttl));
    }
    await Promise.all(writes);
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.#read(id));
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.#indexed(this.#userCodeSlot(userCode), userCode, 'usercode');
    return Promise.resolve(id === undefined ? undefined : this.#read(id));
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.#indexed(this.#uidSlot(uid), uid, 'uid');
    return Promise.resolve(id === undefined ? undefined : this.#read(id));
  }

  async consume(id: string): Promise<void> {
    const slot = this.#slot(id);
    let already = false;
    // One transaction: of two concurrent presentations of the same code or refresh token, exactly
    // one marks it consumed; the other is refused here instead of being issued tokens too.
    await this.kv.update<Sealed>(slot, (sealed) => {
      const text = unseal(id, `payload:${this.name}`, slot, sealed);
      if (text === undefined) return KEEP;
      const payload = JSON.parse(text) as AdapterPayload;
      if (payload.consumed) { already = true; return KEEP; }
      return seal(id, `payload:${this.name}`, slot, JSON.stringify({ ...payload, consumed: epoch() }));
    });
    if (already) {
      throw this.name === 'PushedAuthorizationRequest' ? new errors.InvalidRequestUri('request_uri already used') : new errors.InvalidGrant(`${this.name === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
    }
  }

  async destroy(id: string): Promise<void> {
    const previous = this.#read(id);
    await Promise.all([this.kv.del(this.#slot(id)), ...(previous ? this.#dropIndexes(id, previous) : [])]);
  }

  /**
   * oidc-provider calls this on each token model's adapter (AccessToken, RefreshToken, …): revoke
   * only this model's entries. Across models it also deleted the Interaction of a sign-in that
   * switches accounts (the provider's logout of the old session revokes its grant mid-interaction),
   * so the sign-in ended in "interaction session not found".
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    const prefix = this.#grantPrefix(grantId);
    const writes: Promise<void>[] = [];
    for (const { key: entry } of this.kv.list(`${prefix}${this.name}:`)) {
      const hashed = entry.slice(prefix.length + this.name.length + 1);
      if (hashed) writes.push(this.kv.del(`oidc2:${this.name}:${hashed}`));
      writes.push(this.kv.del(entry));
    }
    await Promise.all(writes);
  }

  /** Index entries of `previous` that no longer point at `id` once `next` replaces it (or it goes). */
  #dropIndexes(id: string, previous: AdapterPayload, next?: AdapterPayload): Promise<unknown>[] {
    const writes: Promise<unknown>[] = [];
    const unindex = (slot: string, by: string, purpose: string) => writes.push(this.kv.update<Sealed>(slot, (sealed) => (unseal(by, `${purpose}:${this.name}`, slot, sealed) === id ? DELETE : KEEP)));
    if (previous.uid && previous.uid !== next?.uid) unindex(this.#uidSlot(previous.uid), previous.uid, 'uid');
    if (previous.userCode && previous.userCode !== next?.userCode) unindex(this.#userCodeSlot(previous.userCode), previous.userCode, 'usercode');
    if (previous.grantId && previous.grantId !== next?.grantId) writes.push(this.kv.del(`${this.#grantPrefix(previous.grantId)}${this.name}:${sha256(id)}`));
    return writes;
  }
}
