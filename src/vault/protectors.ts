/**
 * Key protection backends: each wraps (or holds) the vault's random data key. The encrypted vault
 * body never depends on which one is used; only the small `key` section of the file does.
 * @see /work/shared/reference/ecosystem.md §B.3 (safeStorage) and §C.9 (keyring)
 */
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { deriveKey, newScryptParams, open, seal, DEFAULT_SCRYPT, type ScryptParams } from './crypto';
import { VaultError } from './errors';

/** The subset of Electron's `safeStorage` the vault uses (injected by src/main; never imported here). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron; absent elsewhere. */
  getSelectedStorageBackend?(): string;
}

const sealedSchema = z.object({ iv: z.string(), ct: z.string(), tag: z.string() });

export const keySectionSchema = z.discriminatedUnion('backend', [
  z.object({
    backend: z.literal('passphrase'),
    kdf: z.object({ name: z.literal('scrypt'), N: z.number().int().min(2), r: z.number().int().min(1), p: z.number().int().min(1), salt: z.string() }),
    wrapped: sealedSchema,
  }),
  z.object({ backend: z.literal('safeStorage'), wrapped: z.string() }),
  z.object({ backend: z.literal('keyring'), service: z.string(), account: z.string() }),
]);
export type KeySection = z.infer<typeof keySectionSchema>;

/** Refuses safeStorage unless it is backed by a real OS secret store (never Linux `basic_text`). */
export function checkSafeStorage(safeStorage: SafeStorageLike): { ok: true } | { ok: false; reason: string } {
  const selected = safeStorage.getSelectedStorageBackend?.();
  if (selected === 'basic_text' || selected === 'unknown') {
    return { ok: false, reason: `Electron safeStorage uses the "${selected}" backend on this system, which is not encryption; tokens are kept in memory only. Install and unlock a Secret Service (gnome-keyring) or KWallet.` };
  }
  if (!safeStorage.isEncryptionAvailable()) return { ok: false, reason: 'Electron safeStorage reports encryption unavailable.' };
  return { ok: true };
}

export const KEYRING_SERVICE = 'tessera-vault';

interface AsyncEntryLike {
  setPassword(p: string, signal?: AbortSignal): Promise<void>;
  getPassword(signal?: AbortSignal): Promise<string | null | undefined>;
  deletePassword(signal?: AbortSignal): Promise<boolean>;
}

async function keyringEntry(service: string, account: string): Promise<AsyncEntryLike> {
  const mod = await import('@napi-rs/keyring');
  return new mod.AsyncEntry(service, account) as AsyncEntryLike;
}

const KEYRING_TIMEOUT_MS = 5_000;

/** Whether a Secret Service / Keychain / Credential Manager answers: write, read back and delete a probe. */
export async function probeKeyring(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const entry = await keyringEntry(KEYRING_SERVICE, `probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    const value = randomBytes(8).toString('hex');
    await entry.setPassword(value, AbortSignal.timeout(KEYRING_TIMEOUT_MS));
    const back = await entry.getPassword(AbortSignal.timeout(KEYRING_TIMEOUT_MS));
    await entry.deletePassword(AbortSignal.timeout(KEYRING_TIMEOUT_MS)).catch(() => false);
    return back === value ? { ok: true } : { ok: false, reason: 'the OS keyring did not return what was stored' };
  } catch (err) {
    return { ok: false, reason: `no OS keyring reachable (${(err as Error).message})` };
  }
}

export interface WrapInput {
  fileId: string;
  passphrase?: string;
  safeStorage?: SafeStorageLike;
  scryptCost?: { N: number; r: number; p: number };
}

/** Protects a new data key with `backend`; returns the section stored in the vault file. */
export async function protectKey(backend: KeySection['backend'], dataKey: Buffer, input: WrapInput): Promise<KeySection> {
  switch (backend) {
    case 'passphrase': {
      if (input.passphrase === undefined) throw new Error('passphrase required');
      const kdf: ScryptParams = newScryptParams(input.scryptCost ?? DEFAULT_SCRYPT);
      const kek = await deriveKey(input.passphrase, kdf);
      return { backend, kdf: { name: 'scrypt', ...kdf }, wrapped: seal(kek, dataKey, wrapAad(input.fileId, backend)) };
    }
    case 'safeStorage': {
      if (!input.safeStorage) throw new Error('safeStorage required');
      return { backend, wrapped: input.safeStorage.encryptString(dataKey.toString('base64')).toString('base64') };
    }
    case 'keyring': {
      const account = input.fileId;
      const entry = await keyringEntry(KEYRING_SERVICE, account);
      await entry.setPassword(dataKey.toString('base64'), AbortSignal.timeout(KEYRING_TIMEOUT_MS));
      return { backend, service: KEYRING_SERVICE, account };
    }
  }
}

/** Recovers the data key. Throws a {@link VaultError} naming `file` on any failure. */
export async function recoverKey(section: KeySection, file: string, fileId: string, input: WrapInput): Promise<Buffer> {
  switch (section.backend) {
    case 'passphrase': {
      if (input.passphrase === undefined) {
        throw new VaultError('backend_unavailable', 'This vault is protected by a passphrase and none was given', 'Set TESSERA_PASSPHRASE or run interactively to be prompted.', file);
      }
      const kek = await deriveKey(input.passphrase, section.kdf);
      try {
        return checkKey(open(kek, section.wrapped, wrapAad(fileId, 'passphrase')), file);
      } catch (err) {
        if (err instanceof VaultError) throw err;
        throw new VaultError('wrong_key', 'Wrong passphrase for the vault', 'Check TESSERA_PASSPHRASE (or TESSERA_HOME if this is another profile). The vault file was not changed.', file, { cause: err });
      }
    }
    case 'safeStorage': {
      if (!input.safeStorage) {
        throw new VaultError('backend_unavailable', 'This vault was created by the desktop app (Electron safeStorage)', 'Open it from the Tessera desktop app, or use another TESSERA_HOME for the command line.', file);
      }
      const check = checkSafeStorage(input.safeStorage);
      if (!check.ok) throw new VaultError('insecure_backend', 'Electron safeStorage is not usable', check.reason, file);
      let plain: string;
      try {
        plain = input.safeStorage.decryptString(Buffer.from(section.wrapped, 'base64'));
      } catch (err) {
        throw new VaultError('wrong_key', 'safeStorage could not decrypt the vault key', 'The OS secret store changed (another user, machine or keyring). The vault file was not changed.', file, { cause: err });
      }
      return checkKey(Buffer.from(plain, 'base64'), file);
    }
    case 'keyring': {
      let stored: string | null | undefined;
      try {
        const entry = await keyringEntry(section.service, section.account);
        stored = await entry.getPassword(AbortSignal.timeout(KEYRING_TIMEOUT_MS));
      } catch (err) {
        throw new VaultError('backend_unavailable', 'The OS keyring holding the vault key is not reachable', 'Unlock your keyring (Secret Service / Keychain / Credential Manager) and retry. The vault file was not changed.', file, { cause: err });
      }
      if (!stored) {
        throw new VaultError('key_missing', `The vault key is missing from the OS keyring (service "${section.service}", account "${section.account}")`, 'The keyring entry was deleted or this is another user/machine; the vault cannot be decrypted without it. The file was kept.', file);
      }
      return checkKey(Buffer.from(stored, 'base64'), file);
    }
  }
}

/** Deletes what the backend keeps outside the file (the keyring entry). */
export async function discardKey(section: KeySection): Promise<void> {
  if (section.backend === 'keyring') {
    const entry = await keyringEntry(section.service, section.account);
    await entry.deletePassword(AbortSignal.timeout(KEYRING_TIMEOUT_MS)).catch(() => false);
  }
}

function checkKey(key: Buffer, file: string): Buffer {
  if (key.length !== 32) throw new VaultError('wrong_key', 'The recovered vault key has the wrong length', 'The key store returned something that is not this vault\'s key. The vault file was not changed.', file);
  return key;
}

function wrapAad(fileId: string, backend: string): string {
  return `tessera-vault-key|1|${backend}|${fileId}`;
}
