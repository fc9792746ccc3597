/**
 * The gate in front of the service: what every face talks to. It opens the vault the way a password
 * manager does. An OS keyring or Electron's safeStorage opens (or creates) it without asking; a
 * passphrase vault, or a first run with neither keyring nor safeStorage, starts **locked**: the face
 * shows the unlock (or create) screen, the passphrase crosses the contract once (`unlock` /
 * `createVault`), is used to derive the key and is dropped. Keeping nothing ("Don't keep anything")
 * is a choice the person makes, never the silent default. `TESSERA_PASSPHRASE` still opens it without
 * a screen (the CLI and the app open the same vault).
 *
 * Wrong passphrases are slowed down in time (from the third, 2 s doubling to 60 s between attempts);
 * the data is never locked away or deleted. A forgotten passphrase: `startNewVault` renames the old
 * vault and the files it encrypts aside (`vault.old-TIME.json`, …) and says where.
 *
 * A damaged vault file (not a readable vault: truncated, foreign, a directory or symlink in its place)
 * is kept aside as `vault.damaged-TIME.json`, the person is told once, and Tessera starts as on a first run.
 * A vault whose key store cannot give the key now (keyring locked or gone) starts `unavailable`
 * (`retryVault`, or a new vault), never as a failed start. `protectVault` re-keys the open vault
 * (a new passphrase, or passphrase ⇄ OS keyring) as `tessera vault rekey` does.
 * @see /work/shared/reference/ecosystem.md §B.3 (safeStorage) and §C.9 (keyring)
 */
import { join } from 'node:path';
import type { ApiEvent, ApiMethod, ApiResults, AppState, LockView } from './api';
import { apiInputs } from './api';
import { TesseraService, type ServiceOptions } from './service';
import { Notices } from './notices';
import { loadPreferences, PreferencesFile, type Preferences } from './preferences';
import { useInstallFingerprintKey } from './fingerprint-key';
import { HISTORY_FILE } from './history';
import { TesseraError, NOBODY } from '@tessera/uma';
import { keepAside, memoryVault, openVault, rekeyVault, vaultStatus, VaultError, type SafeStorageLike, type Vault, type VaultBackend } from '../vault';
import { ensurePrivateDir } from '../vault/files';

export interface GateOptions extends Omit<ServiceOptions, 'store' | 'preferences' | 'notices' | 'memoryChosen' | 'serverEvents'> {
  /**
   * The servers' side of each exchange, once the vault is open: called with the install's
   * fingerprint key (the demo must fingerprint with it, so chips match on both sides) and the vault
   * (where the credential for Keycloak's events is kept).
   */
  serverEventsFor?: (key: Uint8Array | undefined, vault: Vault) => ServiceOptions['serverEvents'] | Promise<ServiceOptions['serverEvents']>;
  /** TESSERA_PASSPHRASE: opens (or creates) a passphrase vault without the screen. */
  passphrase?: string;
  safeStorage?: SafeStorageLike;
  /** The backends that may protect the vault without asking; default safeStorage (when given), then the OS keyring. */
  backends?: ('safeStorage' | 'keyring')[];
  /** Tests only: a cheaper scrypt cost for new passphrase vaults. */
  scryptCost?: { N: number; r: number; p: number };
  now?: () => number;
}

/** Delay before the next attempt after `failures` wrong passphrases: none for the first two, then 2 s doubling, at most 60 s. */
export function unlockDelayMs(failures: number): number {
  return failures < 2 ? 0 : Math.min(60_000, 2_000 * 2 ** (failures - 2));
}

const LOCKED_METHODS = new Set<ApiMethod>(['getState', 'retryVault', 'unlock', 'createVault', 'keepNothing', 'startNewVault', 'dismissNotice', 'setTheme', 'setPreferences']);
/** Files encrypted under the vault's keys: they go aside with it when a new vault is started. */
const SEALED_FILES = [HISTORY_FILE];

export class AppGate {
  readonly #o: GateOptions;
  readonly #notices = new Notices();
  readonly #listeners = new Set<(e: ApiEvent) => void>();
  #prefs!: PreferencesFile;
  #lock: LockView | undefined;
  #failures = 0;
  #service: TesseraService | undefined;
  #vault: Vault | undefined;
  #unsubscribe: (() => void) | undefined;
  /** One unlock at a time (scrypt is slow; a double click must not derive twice). */
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(options: GateOptions) { this.#o = options; }

  /** Opens the vault if nothing needs to be asked; otherwise starts locked. */
  static async open(options: GateOptions): Promise<AppGate> {
    const gate = new AppGate(options);
    await gate.#start();
    return gate;
  }

  /** The service once the vault is open. */
  get service(): TesseraService | undefined { return this.#service; }
  get vault(): Vault | undefined { return this.#vault; }
  get locked(): boolean { return this.#lock !== undefined; }
  /** The preferences that are not secret (the desktop window's size, read before the window opens). */
  get preferences(): Preferences { return this.#prefs.current; }

  async #start(): Promise<void> {
    const { home } = this.#o;
    await ensurePrivateDir(home);
    const prefs = await loadPreferences(home);
    if (prefs.keptAside) this.#notices.add({ code: 'preferences_damaged', path: prefs.keptAside });
    this.#prefs = new PreferencesFile(home, prefs.preferences);
    let status = await vaultStatus(home);
    if (status.kind === 'damaged') {
      const path = await keepAside(status.file, 'damaged');
      this.#notices.add({ code: 'vault_damaged', ...(path ? { path } : {}), reason: status.reason });
      await this.#setSealedAside('damaged');
      status = { kind: 'none', file: status.file };
    }
    if (status.kind === 'vault') {
      if (status.backend !== 'passphrase') return this.#openByKeyStore(status.file);
      if (this.#o.passphrase) {
        try {
          return await this.#opened(await openVault({ ...this.#vaultOptions(), passphrase: this.#o.passphrase }));
        } catch (error) {
          if (!(error instanceof VaultError) || error.code !== 'wrong_key') throw error;
          this.#lock = { state: 'unlock', file: status.file, error: { code: 'wrong_passphrase', message: 'The passphrase Tessera was started with does not open this vault.' } };
          return;
        }
      }
      this.#lock = { state: 'unlock', file: status.file };
      return;
    }
    // No vault yet: an OS keyring (or safeStorage) protects it without asking.
    const quiet = this.#o.backends ?? (this.#o.safeStorage ? ['safeStorage', 'keyring'] : ['keyring']);
    if (quiet.length) {
      try {
        return await this.#opened(await openVault({ ...this.#vaultOptions(), backends: quiet }));
      } catch (error) {
        if (!(error instanceof VaultError) || error.code !== 'backend_unavailable') throw error;
      }
    }
    if (this.#o.passphrase) return this.#opened(await openVault({ ...this.#vaultOptions(), passphrase: this.#o.passphrase, backends: ['passphrase'] }));
    this.#lock = { state: 'create', file: status.file };
  }

  /**
   * A vault whose key is in the OS keyring or safeStorage: opened without asking; when the key store
   * cannot give the key now (not reachable, entry gone, another user), the app starts on a screen that
   * says so, with "Try again" and "Start a new vault" — never a failed start.
   */
  async #openByKeyStore(file: string): Promise<void> {
    try {
      await this.#opened(await openVault(this.#vaultOptions()));
    } catch (error) {
      if (!(error instanceof VaultError) || !['backend_unavailable', 'key_missing', 'wrong_key', 'insecure_backend'].includes(error.code)) throw error;
      this.#lock = { state: 'unavailable', file, error: { code: error.code, message: error.message } };
    }
  }

  #vaultOptions() {
    return {
      home: this.#o.home,
      ...(this.#o.safeStorage ? { safeStorage: this.#o.safeStorage } : {}),
      ...(this.#o.scryptCost ? { scryptCost: this.#o.scryptCost } : {}),
      ...(this.#o.now ? { now: this.#o.now } : {}),
    };
  }

  async #opened(vault: Vault, memoryChosen = false): Promise<void> {
    try {
      // Before anything is fingerprinted: salted fingerprints with this install's key.
      const key = await useInstallFingerprintKey(vault);
      const { passphrase: _p, safeStorage: _s, backends: _b, scryptCost: _c, now: _n, serverEventsFor, ...serviceOptions } = this.#o;
      const serverEvents = await serverEventsFor?.(key, vault);
      this.#service = await TesseraService.create({ ...serviceOptions, store: vault, preferences: this.#prefs, notices: this.#notices, ...(memoryChosen ? { memoryChosen } : {}), ...(serverEvents ? { serverEvents } : {}) });
    } catch (error) {
      await vault.close().catch(() => {});
      throw error;
    }
    this.#vault = vault;
    this.#lock = undefined;
    this.#failures = 0;
    this.#unsubscribe = this.#service.subscribe((e) => this.#emit(e));
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: ApiEvent): void {
    for (const l of this.#listeners) {
      try { l(event); } catch { /* a broken listener must not break the others */ }
    }
  }

  async getState(): Promise<AppState> {
    if (this.#service) return this.#service.getState();
    const prefs = this.#prefs.current;
    return {
      mode: this.#o.mode,
      vault: { backend: 'locked' },
      ...(this.#lock ? { lock: { ...this.#lock } } : {}),
      notices: this.#notices.list(),
      ...(prefs.screen ? { screen: prefs.screen } : {}),
      resources: [], trusted: [], providers: [], identities: [], tokens: [], dpopKeys: [], flows: [], untrustedSeen: [],
      actingAs: { party: NOBODY, label: 'Nobody (no claims)' },
      theme: prefs.theme ?? 'system',
    };
  }

  async #changed(): Promise<AppState> {
    const state = await this.getState();
    this.#emit({ type: 'state', state });
    return state;
  }

  /** Dispatches a call after validating its input against the contract's schema. */
  async call<M extends ApiMethod>(method: M, input: unknown): Promise<ApiResults[M]> {
    if (method === 'protectVault' && this.#service) {
      const parsed = apiInputs.protectVault.parse(input ?? {});
      return (await this.#serial(() => this.#protect(parsed))) as ApiResults[M];
    }
    if (this.#service) return this.#service.call(method, input);
    const parsed = apiInputs[method].parse(input ?? {}) as Record<string, unknown>;
    if (!LOCKED_METHODS.has(method)) throw new TesseraError('forbidden', 'Tessera is locked.', 'Unlock it first.');
    const result = await this.#lockedCall(method, parsed);
    return result as ApiResults[M];
  }

  async #lockedCall(method: ApiMethod, input: Record<string, unknown>): Promise<AppState> {
    switch (method) {
      case 'unlock': return this.#serial(() => this.#unlock(input.passphrase as string));
      case 'createVault': return this.#serial(() => this.#create(input.passphrase as string));
      case 'keepNothing': return this.#serial(async () => {
        if (this.#service) return this.getState();
        await this.#opened(memoryVault('Nothing is kept: tokens, history and waiting requests end when Tessera closes (you chose this).', this.#o.now), true);
        return this.#changed();
      });
      case 'startNewVault': return this.#serial(() => this.#startNew());
      case 'retryVault': return this.#serial(async () => {
        if (this.#lock?.state === 'unavailable') await this.#openByKeyStore(this.#lock.file);
        return this.#changed();
      });
      case 'dismissNotice': this.#notices.dismiss(input.id as string); return this.#changed();
      case 'setTheme': await this.#prefs.set({ theme: input.theme as 'system' | 'light' | 'dark' }); return this.#changed();
      case 'setPreferences': await this.#prefs.set(input); return this.getState();
      default: return this.getState();
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(fn, fn);
    this.#busy = next.catch(() => undefined);
    return next;
  }

  #now(): number { return this.#o.now?.() ?? Date.now(); }

  async #unlock(passphrase: string): Promise<AppState> {
    const lock = this.#lock;
    if (!lock || this.#service) return this.getState();
    if (lock.state !== 'unlock') return this.#changed();
    if (lock.retryAt && this.#now() < lock.retryAt) {
      this.#lock = { ...lock, error: { code: 'too_soon', message: 'Wait a moment before the next try.' } };
      return this.#changed();
    }
    try {
      await this.#opened(await openVault({ ...this.#vaultOptions(), passphrase, backends: [] }));
    } catch (error) {
      if (error instanceof VaultError && error.code === 'wrong_key') {
        this.#failures++;
        const delay = unlockDelayMs(this.#failures);
        this.#lock = { state: 'unlock', file: lock.file, error: { code: 'wrong_passphrase', message: 'That passphrase does not open this vault.' }, ...(delay ? { retryAt: this.#now() + delay } : {}) };
        return this.#changed();
      }
      if (error instanceof VaultError && error.code === 'damaged') {
        // The right key, a body that fails authentication: keep it aside, start as on a first run.
        const path = await keepAside(lock.file, 'damaged');
        this.#notices.add({ code: 'vault_damaged', ...(path ? { path } : {}), reason: 'its contents failed authentication (changed or truncated)' });
        await this.#setSealedAside('damaged');
        this.#lock = { state: 'create', file: lock.file };
        return this.#changed();
      }
      throw error;
    }
    return this.#changed();
  }

  async #create(passphrase: string): Promise<AppState> {
    const lock = this.#lock;
    if (!lock || this.#service) return this.getState();
    if (lock.state !== 'create') return this.#changed();
    // Something this vault's key would not open (a history of an older vault) goes aside first.
    await this.#setSealedAside('old');
    await this.#opened(await openVault({ ...this.#vaultOptions(), passphrase, backends: ['passphrase'] }));
    return this.#changed();
  }

  /**
   * A new passphrase, or a move between passphrase and OS keyring, from the app: the current
   * passphrase is checked first (nothing is closed on a wrong one), then the service stops, the vault
   * is re-keyed in one atomic replace (src/vault rekeyVault) and reopened, and the service starts again.
   */
  async #protect(input: { to: 'passphrase' | 'keyring'; current?: string | undefined; newPassphrase?: string | undefined }): Promise<AppState> {
    const vault = this.#vault;
    const service = this.#service;
    if (!vault || !service || !vault.persistent) throw new TesseraError('usage', 'Nothing is kept this time, so there is no vault to protect.', 'Restart Tessera and create a vault.');
    const current = vault.backend === 'passphrase' ? input.current : undefined;
    if (vault.backend === 'passphrase') {
      if (!current) throw new VaultError('wrong_key', 'Type the current passphrase first', 'The vault was not changed.');
      // Checked before anything is closed: a wrong one leaves the app as it was.
      await (await openVault({ ...this.#vaultOptions(), passphrase: current, backends: [] })).close();
    }
    this.#unsubscribe?.();
    await service.close();
    await vault.close();
    this.#service = undefined;
    this.#vault = undefined;
    let reopenWith = current;
    let failure: unknown;
    try {
      await rekeyVault({ ...this.#vaultOptions(), ...(current ? { passphrase: current } : {}), to: input.to, ...(input.newPassphrase ? { newPassphrase: input.newPassphrase } : {}) });
      reopenWith = input.to === 'passphrase' ? input.newPassphrase : undefined;
    } catch (error) {
      failure = error;
    }
    await this.#opened(await openVault({ ...this.#vaultOptions(), ...(reopenWith ? { passphrase: reopenWith } : {}), backends: [] }));
    if (failure) { await this.#changed(); throw failure; }
    return this.#changed();
  }

  /** "Start a new vault": the old one (and the files its keys encrypt) renamed aside, never deleted. */
  async #startNew(): Promise<AppState> {
    const lock = this.#lock;
    if (!lock || this.#service) return this.getState();
    const path = await keepAside(lock.file, 'old');
    if (path) this.#notices.add({ code: 'vault_moved', path });
    await this.#setSealedAside('old');
    this.#failures = 0;
    this.#lock = { state: 'create', file: lock.file };
    return this.#changed();
  }

  async #setSealedAside(label: string): Promise<void> {
    for (const name of SEALED_FILES) await keepAside(join(this.#o.home, name), label);
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    await this.#service?.close();
    await this.#vault?.close();
  }
}

export type { VaultBackend };
