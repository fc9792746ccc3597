/**
 * The CLI's token store. For now a {@link MemoryStore} (tokens live for this run only); the vault
 * helper swaps in the encrypted vault (`openVault` from src/vault) keyed by TESSERA_PASSPHRASE or the
 * OS keyring.
 */
import { MemoryStore, type TokenStore } from '../core/store';

export interface CliStore {
  store: TokenStore;
  /** One line for stderr when tokens will not persist. */
  warning?: string;
  close?: () => Promise<void>;
}

export async function openCliStore(env: Record<string, string | undefined>, _home?: string): Promise<CliStore> {
  void env.TESSERA_PASSPHRASE;
  return { store: new MemoryStore(), warning: 'tessera: tokens kept in memory for this run' };
}
