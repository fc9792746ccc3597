/**
 * The per-install key that salts token fingerprints (packages/uma/src/kernel/redact.ts): 32 random bytes made
 * once and kept in the vault (record `settings`/`fingerprint-key`), so the app and the CLI on one
 * TESSERA_HOME agree on fingerprints, and a fingerprint in an export or on a slide cannot be
 * tested offline against guesses of a weak secret. A memory-only vault gives a key for this run.
 */
import { randomBytes } from 'node:crypto';
import { setFingerprintKey } from '@tessera/uma/engine';
import type { TokenStore } from '@tessera/uma';

export const FINGERPRINT_KEY_RECORD = 'fingerprint-key';

/**
 * Loads (or, with `create`, makes and saves) the install's fingerprint key and makes redaction use
 * it. The app and the CLI commands that talk to servers create it; read-only commands only load
 * it, so `tessera whoami` on a fresh home does not grow a record.
 */
export async function useInstallFingerprintKey(store: TokenStore, options: { create?: boolean } = {}): Promise<void> {
  const saved = await store.get<{ key?: unknown }>('settings', FINGERPRINT_KEY_RECORD);
  let key = typeof saved?.value.key === 'string' ? Buffer.from(saved.value.key, 'base64url') : undefined;
  if (!key || key.length < 32) {
    if (options.create === false) return;
    key = randomBytes(32);
    await store.put('settings', FINGERPRINT_KEY_RECORD, { key: key.toString('base64url') }, { label: 'fingerprint key (salts token fingerprints)' });
  }
  setFingerprintKey(key);
}
