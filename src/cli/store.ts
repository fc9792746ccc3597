/**
 * The CLI's token store: the encrypted vault of TESSERA_HOME (src/vault). Key protection, in order:
 * the OS keyring, then TESSERA_PASSPHRASE (or a no-echo prompt on a TTY), else memory only for this run (with a warning).
 * `TESSERA_VAULT_BACKENDS` (comma list of keyring, passphrase, memory) overrides the order.
 */
import type { TokenStore } from '@tessera/uma';
import { openVault, type VaultBackend } from '../vault';
import { ttyPassphrasePrompt } from './passphrase-prompt';

export interface CliStore {
  store: TokenStore;
  /** One line for stderr when tokens will not persist. */
  warning?: string;
  close?: () => Promise<void>;
}

const CLI_BACKENDS: readonly VaultBackend[] = ['keyring', 'passphrase', 'memory'];

/**
 * Opens the vault. Commands that talk to servers (`makeFingerprintKey`) make the install's
 * fingerprint key when the home has none yet, so their transcripts are salted from the first run;
 * read-only commands only load it (a `whoami` on a fresh home adds no record).
 */
export async function openCliStore(env: Record<string, string | undefined>, home?: string, options: { makeFingerprintKey?: boolean } = {}): Promise<CliStore> {
  const { tesseraHome } = await import('../app/config');
  const requested = env.TESSERA_VAULT_BACKENDS?.split(',').map((s) => s.trim()).filter((s): s is VaultBackend => (CLI_BACKENDS as string[]).includes(s));
  const prompt = env.TESSERA_PASSPHRASE ? undefined : ttyPassphrasePrompt();
  const vault = await openVault({
    home: home ?? tesseraHome(env),
    ...(env.TESSERA_PASSPHRASE ? { passphrase: env.TESSERA_PASSPHRASE } : {}),
    ...(prompt ? { prompt } : {}),
    backends: requested && requested.length > 0 ? requested : [...CLI_BACKENDS],
  });
  // The same salted fingerprints as the app on this TESSERA_HOME.
  const { useInstallFingerprintKey } = await import('../app/fingerprint-key');
  await useInstallFingerprintKey(vault, { create: options.makeFingerprintKey === true });
  return { store: vault, ...(vault.warning ? { warning: `tessera: ${vault.warning}` } : {}), close: () => vault.close() };
}
