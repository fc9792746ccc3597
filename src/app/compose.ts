/**
 * Composition of the app's core, shared by the Electron main process and browser mode: the demo
 * servers (the embedded default, or ones already running), the vault, the service.
 */
import { resolve } from 'node:path';
import { tesseraHome } from './config';
import { useInstallFingerprintKey } from './fingerprint-key';
import { TesseraService, type ServiceOptions } from './service';
import { startDemo, DEFAULT_PORTS, type DemoConfig, type DemoHandle, type DemoOptions } from '../demo';
import type { Opener } from '../identity/opener';
import { openVault, type SafeStorageLike, type Vault } from '../vault';

export interface CoreOptions {
  env: Record<string, string | undefined>;
  mode: 'electron' | 'browser';
  opener: Opener;
  /** `false`: no demo (an existing setup is configured). Default: start it, or reuse a running one. */
  demo?: false | DemoOptions;
  safeStorage?: SafeStorageLike;
  /** Where Tessera's config and vault live; default `TESSERA_HOME` or `~/.tessera` (the packaged app passes its userData). */
  home?: string;
  log?: (line: string) => void;
  /** Tells the person that an owner decided a request (Electron: an OS notification). */
  notify?: ServiceOptions['notify'];
}

export interface Core {
  service: TesseraService;
  vault: Vault;
  demo?: DemoConfig;
  demoReused: boolean;
  close(): Promise<void>;
}

/** A demo already running on the default ports (e.g. `npm run demo` in another terminal). */
async function runningDemo(): Promise<DemoConfig | undefined> {
  try {
    const rs = `http://127.0.0.1:${DEFAULT_PORTS.rs}`;
    const response = await fetch(`${rs}/`, { signal: AbortSignal.timeout(1500) });
    const body = (await response.json()) as { service?: string; authorization_server?: string; resources?: DemoConfig['rs']['resources'] };
    if (body.service !== "Kate's health records" || !body.authorization_server || !body.resources) return undefined;
    const { AS_TESSERA_CLIENT, IDP_TESSERA_CLIENT, USERS } = await import('../demo/seed');
    return {
      idp: { issuer: `http://127.0.0.1:${DEFAULT_PORTS.idp}`, tesseraClient: { ...IDP_TESSERA_CLIENT } },
      as: { issuer: body.authorization_server, dashboardUrl: `${body.authorization_server}/dashboard`, tesseraClient: { ...AS_TESSERA_CLIENT, claims_redirect_uris: [...AS_TESSERA_CLIENT.claims_redirect_uris] } },
      rs: { url: rs, resources: body.resources },
      users: USERS,
    };
  } catch {
    return undefined;
  }
}

export async function startCore(options: CoreOptions): Promise<Core> {
  const log = options.log ?? (() => {});
  let demo: DemoHandle | undefined;
  let config: DemoConfig | undefined;
  let demoReused = false;
  if (options.demo !== false) {
    const demoOptions: DemoOptions = options.demo ?? { dataDir: resolve(options.env.TESSERA_DEMO_DIR ?? '.tessera-demo') };
    try {
      demo = await startDemo({ ...demoOptions, log });
      config = demo.config;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      config = await runningDemo();
      if (!config) throw new Error(`The demo ports (${DEFAULT_PORTS.idp}-${DEFAULT_PORTS.rs}) are taken by something that is not the Tessera demo. Free them, or start Tessera without the demo.`, { cause: error });
      demoReused = true;
    }
  }
  const env = options.env;
  const home = options.home ?? tesseraHome(env);
  let vault: Vault | undefined;
  let service: TesseraService;
  try {
    vault = await openVault({
      home,
      ...(env.TESSERA_PASSPHRASE ? { passphrase: env.TESSERA_PASSPHRASE } : {}),
      ...(options.safeStorage ? { safeStorage: options.safeStorage } : {}),
      backends: options.safeStorage ? ['safeStorage', 'keyring', 'passphrase', 'memory'] : ['keyring', 'passphrase', 'memory'],
    });
    // Before anything is fingerprinted: salted fingerprints with this install's key.
    await useInstallFingerprintKey(vault);
    service = await TesseraService.create({
      home, store: vault, mode: options.mode, opener: options.opener, ...(options.notify ? { notify: options.notify } : {}),
      ...(config ? { demo: { as: config.as, idp: config.idp, rs: config.rs, users: config.users } } : {}),
    });
  } catch (error) {
    // Nothing half-started stays behind (the desktop app retries without the demo after a failure).
    await vault?.close().catch(() => {});
    await demo?.close().catch(() => {});
    throw error;
  }
  const openedVault = vault;
  return {
    service, vault: openedVault, ...(config ? { demo: config } : {}), demoReused,
    async close() {
      await service.close();
      await openedVault.close();
      await demo?.close();
    },
  };
}
