/**
 * `openVault()`: the encrypted token vault behind the {@link TokenStore} contract.
 *
 * Envelope encryption: a random 256-bit data key encrypts the records (AES-256-GCM); the data key is
 * protected by the first usable backend — Electron safeStorage (desktop; never Linux `basic_text`),
 * the OS keyring (`@napi-rs/keyring`: Secret Service / Keychain / Credential Manager), a passphrase
 * (scrypt), or nothing: then records live in memory for this run only and `warning` says so.
 * Nothing is ever written to disk in plaintext.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MemoryStore, type TokenStore } from '@tessera/uma';
import { newDataKey } from './crypto';
import { VaultError } from './errors';
import { ensurePrivateDir, readIfExists, readRegularFile, removeStaleTempFiles, updateFileLocked } from './files';
import { FileVault, LOCK_FILE, VAULT_FILE, parseVaultFile } from './file-vault';
import { checkSafeStorage, discardKey, probeKeyring, protectKey, recoverKey, type KeySection, type SafeStorageLike } from './protectors';

export { VaultError, type VaultErrorCode } from './errors';
export type { SafeStorageLike } from './protectors';
export { VAULT_FILE, SCHEMA_VERSION } from './file-vault';

export type VaultBackend = 'safeStorage' | 'keyring' | 'passphrase' | 'memory';

export interface Vault extends TokenStore {
  readonly backend: VaultBackend;
  /** Set when tokens are not protected the way the user would expect (memory only). Show it. */
  readonly warning?: string;
  /** The vault file, for persistent backends. */
  readonly path?: string;
  close(): Promise<void>;
}

export interface OpenVaultOptions {
  /** TESSERA_HOME: one vault per profile directory. */
  home: string;
  /** TESSERA_PASSPHRASE. */
  passphrase?: string;
  /** Interactive passphrase prompt (CLI, TTY only). */
  prompt?: () => Promise<string>;
  /** Electron's safeStorage, injected by src/main. */
  safeStorage?: SafeStorageLike;
  /** Order of preference; default: safeStorage (if given) → keyring → passphrase → memory. */
  backends?: VaultBackend[];
  /** Tests only: cheaper scrypt cost for new passphrase vaults. */
  scryptCost?: { N: number; r: number; p: number };
  now?: () => number;
}

class PersistentVault extends FileVault implements Vault {
  readonly path: string;
  constructor(
    home: string,
    dataKey: Buffer,
    header: { fileId: string; key: KeySection },
    readonly backend: VaultBackend,
    now?: () => number,
  ) {
    super(home, dataKey, header, now);
    this.path = this.file;
  }
}

class MemoryVault extends MemoryStore implements Vault {
  readonly backend = 'memory' as const;
  constructor(readonly warning: string, now?: () => number) {
    super(now ? { now } : {});
  }
  async close(): Promise<void> {}
}

/** A vault that keeps nothing: records live in memory for this run only (the person chose it, or nothing can protect a file). */
export function memoryVault(warning: string, now?: () => number): Vault {
  return new MemoryVault(warning, now);
}

/** What is at the profile's vault file, without unlocking it. */
export type VaultStatus =
  | { kind: 'none'; file: string }
  | { kind: 'vault'; file: string; backend: Exclude<VaultBackend, 'memory'> }
  /** Not a readable vault (truncated, foreign, a directory, a symlink): it can be kept aside. */
  | { kind: 'damaged'; file: string; reason: string };

/**
 * Reads the vault file's cleartext header only: whether there is a vault and which backend protects
 * it (so a face knows whether to ask for a passphrase). A newer Tessera's vault throws (never "damaged").
 */
export async function vaultStatus(home: string): Promise<VaultStatus> {
  const file = join(home, VAULT_FILE);
  const found = await readRegularFile(file);
  if (found.kind === 'none') return { kind: 'none', file };
  if (found.kind === 'other') return { kind: 'damaged', file, reason: found.reason };
  try {
    return { kind: 'vault', file, backend: parseVaultFile(found.bytes, file).key.backend };
  } catch (error) {
    if (error instanceof VaultError && error.code === 'damaged') return { kind: 'damaged', file, reason: found.bytes.length === 0 ? 'the file is empty' : 'not a readable Tessera vault (truncated, changed or foreign)' };
    throw error;
  }
}

/**
 * Opens (or creates) the vault of profile `home`. An existing vault is opened with the backend that
 * created it; a wrong key or damaged file throws a {@link VaultError} naming the file and leaves it
 * untouched.
 */
export async function openVault(options: OpenVaultOptions): Promise<Vault> {
  const file = join(options.home, VAULT_FILE);
  await ensurePrivateDir(options.home);
  await removeStaleTempFiles(options.home, VAULT_FILE);
  const existing = await readIfExists(file);
  if (existing !== undefined) return openExisting(options, existing, file);

  const order = options.backends ?? (['safeStorage', 'keyring', 'passphrase', 'memory'] as VaultBackend[]);
  const refusals: string[] = [];
  for (const backend of order) {
    if (backend === 'memory') {
      return new MemoryVault(
        `tokens kept in memory only for this run (lost when Tessera exits): ${refusals.join('; ') || 'no key-protection backend was allowed'}. Set TESSERA_PASSPHRASE or unlock an OS keyring to keep them encrypted on disk.`,
        options.now,
      );
    }
    if (backend === 'safeStorage') {
      if (!options.safeStorage) continue;
      const check = checkSafeStorage(options.safeStorage);
      if (!check.ok) {
        refusals.push(check.reason);
        continue;
      }
      return create(options, file, 'safeStorage', {});
    }
    if (backend === 'keyring') {
      const probe = await probeKeyring();
      if (!probe.ok) {
        refusals.push(probe.reason);
        continue;
      }
      return create(options, file, 'keyring', {});
    }
    // passphrase
    const passphrase = options.passphrase ?? (options.prompt ? await options.prompt() : undefined);
    if (passphrase === undefined) {
      refusals.push('no passphrase (TESSERA_PASSPHRASE) given');
      continue;
    }
    if (passphrase.length === 0) throw new VaultError('wrong_key', 'An empty passphrase cannot protect the vault', 'Choose a non-empty passphrase.', file);
    return create(options, file, 'passphrase', { passphrase });
  }
  throw new VaultError('backend_unavailable', 'No vault backend is usable', `Tried: ${order.join(', ')}. ${refusals.join('; ')}`, file);
}

/** Parses the file and recovers its data key with whatever its backend needs (asking for a passphrase if it must). */
async function unlock(options: OpenVaultOptions, raw: Buffer, file: string) {
  const parsed = parseVaultFile(raw, file);
  let passphrase = options.passphrase;
  if (parsed.key.backend === 'passphrase' && passphrase === undefined && options.prompt) passphrase = await options.prompt();
  const dataKey = await recoverKey(parsed.key, file, parsed.fileId, {
    fileId: parsed.fileId,
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(options.safeStorage ? { safeStorage: options.safeStorage } : {}),
  });
  return { parsed, dataKey };
}

async function openExisting(options: OpenVaultOptions, raw: Buffer, file: string): Promise<Vault> {
  const { parsed, dataKey } = await unlock(options, raw, file);
  FileVault.decrypt(dataKey, parsed, file); // fail at open, not at first use
  return new PersistentVault(options.home, dataKey, { fileId: parsed.fileId, key: parsed.key }, parsed.key.backend, options.now);
}

async function create(options: OpenVaultOptions, file: string, backend: KeySection['backend'], input: { passphrase?: string }): Promise<Vault> {
  return updateFileLocked(file, join(options.home, LOCK_FILE), async (raced) => {
    // Another process may have created the vault while we probed: open theirs instead.
    if (raced !== undefined) return { result: await openExisting({ ...options, ...input }, raced, file) };
    const fileId = randomBytes(16).toString('hex');
    const dataKey = newDataKey();
    const key = await protectKey(backend, dataKey, {
      fileId,
      ...input,
      ...(options.safeStorage ? { safeStorage: options.safeStorage } : {}),
      ...(options.scryptCost ? { scryptCost: options.scryptCost } : {}),
    });
    return { write: FileVault.serialize(dataKey, { fileId, key }, []), result: new PersistentVault(options.home, dataKey, { fileId, key }, backend, options.now) };
  });
}

export interface RekeyOptions extends OpenVaultOptions {
  /** The backend that protects the vault from now on. */
  to: Exclude<VaultBackend, 'memory'>;
  /** The new passphrase when `to` is `passphrase`. */
  newPassphrase?: string;
}

/**
 * Changes how the vault is protected — a new passphrase, or a move between passphrase, OS keyring
 * and safeStorage. Everything is re-encrypted under a fresh data key and file id (so a copy of the
 * old file stays bound to the old key), inside the cross-process lock, in one atomic replace; the old
 * keyring entry is deleted afterwards. Other processes holding the vault open must reopen it.
 */
export async function rekeyVault(options: RekeyOptions): Promise<{ from: VaultBackend; to: VaultBackend; records: number }> {
  const file = join(options.home, VAULT_FILE);
  let fresh: KeySection | undefined;
  let written = false;
  try {
    const { result, old } = await updateFileLocked(file, join(options.home, LOCK_FILE), async (raw) => {
      if (raw === undefined) throw new VaultError('io', 'There is no vault to re-key yet', 'Run a command that stores a token first, or open the vault once.', file);
      const { parsed, dataKey: oldKey } = await unlock(options, raw, file);
      const records = [...FileVault.decrypt(oldKey, parsed, file).values()];
      oldKey.fill(0);
      if (options.to === 'passphrase' && !options.newPassphrase) throw new VaultError('wrong_key', 'A new passphrase is required', 'Give the new passphrase (TESSERA_NEW_PASSPHRASE or the prompt). The vault was not changed.', file);
      if (options.to === 'safeStorage') {
        const check = options.safeStorage ? checkSafeStorage(options.safeStorage) : { ok: false as const, reason: 'safeStorage exists only in the desktop app' };
        if (!check.ok) throw new VaultError('backend_unavailable', `safeStorage cannot protect the vault: ${check.reason}`, 'The vault was not changed.', file);
      }
      if (options.to === 'keyring') {
        const probe = await probeKeyring();
        if (!probe.ok) throw new VaultError('backend_unavailable', `The OS keyring cannot protect the vault: ${probe.reason}`, 'Unlock the keyring and retry. The vault was not changed.', file);
      }
      const fileId = randomBytes(16).toString('hex');
      const dataKey = newDataKey();
      try {
        fresh = await protectKey(options.to, dataKey, {
          fileId,
          ...(options.newPassphrase !== undefined ? { passphrase: options.newPassphrase } : {}),
          ...(options.safeStorage ? { safeStorage: options.safeStorage } : {}),
          ...(options.scryptCost ? { scryptCost: options.scryptCost } : {}),
        });
        return {
          write: FileVault.serialize(dataKey, { fileId, key: fresh }, records),
          result: { result: { from: parsed.key.backend, to: options.to, records: records.length }, old: parsed.key },
        };
      } finally {
        dataKey.fill(0);
      }
    });
    written = true;
    await discardKey(old).catch(() => undefined);
    return result;
  } catch (error) {
    if (fresh && !written) await discardKey(fresh).catch(() => undefined);
    throw error;
  }
}
export { sealedDocument, type SealedDocument, type SealedRead } from './sealed-file';
export { keepAside } from './files';
