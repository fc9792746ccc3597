/**
 * Composition of the app's core, shared by the Electron main process and browser mode: the demo
 * servers (the embedded default, ones already running, or a real Keycloak with the RS), the vault,
 * the service.
 */
import { resolve } from 'node:path';
import { tesseraHome } from './config';
import { type ServiceOptions } from './service';
import { AppGate } from './gate';
import { builtInDemoSetup, keycloakDemoSetup, type DemoSetup } from './demo-setup';
import { startDemo, parseDpopNonce, DEFAULT_PORTS, type DemoConfig, type DemoHandle, type DemoOptions } from '../demo';
import type { DemoEvents } from '../demo/events';
import { ServerEventsFeed, type ServerEventStream } from './server-events';
import { eventsCredentialFromEnv, loadEventsCredential, saveEventsCredential } from './keycloak-events';
import type { KeycloakDemoConfig, KeycloakDemoHandle, KeycloakDemoOptions } from '../demo/keycloak/demo';
import type { Opener } from '@tessera/uma';
import type { SafeStorageLike, Vault } from '../vault';

export interface CoreOptions {
  env: Record<string, string | undefined>;
  mode: 'electron' | 'browser';
  opener: Opener;
  /**
   * `false`: no demo (an existing setup is configured). Default: start the built-in demo, or reuse a
   * running one. `{ keycloak }`: a real Keycloak as Kate's AS and the identity provider, with the RS
   * (on the fixed {@link KEYCLOAK_APP_PORTS} unless the options say otherwise; a Keycloak with Kate's
   * realm already there, or at `keycloakUrl` / TESSERA_KEYCLOAK_URL, is used as it is).
   */
  demo?: false | DemoOptions | KeycloakCoreDemo;
  safeStorage?: SafeStorageLike;
  /** Where Tessera's config and vault live; default `TESSERA_HOME` or `~/.tessera` (the packaged app passes its userData). */
  home?: string;
  log?: (line: string) => void;
  /** Tells the person that an owner decided a request (Electron: an OS notification). */
  notify?: ServiceOptions['notify'];
  /**
   * Which backends may protect a new vault without asking (default: safeStorage when given, then the
   * OS keyring; `TESSERA_VAULT_BACKENDS` narrows it as for the CLI). Without one, the app asks for a passphrase.
   */
  vaultBackends?: ('safeStorage' | 'keyring')[];
}

/** The Keycloak variant of the demo. */
export interface KeycloakCoreDemo { keycloak: KeycloakDemoOptions }

export interface Core {
  /** The gate in front of the service: locked until the person unlocks (or creates) the vault, then the service's API. */
  service: AppGate;
  /** The open vault (undefined while locked). */
  readonly vault: Vault | undefined;
  /** The built-in demo's servers, when it runs (started here or reused). */
  demo?: DemoConfig;
  /** The Keycloak setup, when that variant was asked for. */
  keycloak?: KeycloakDemoConfig;
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

/** Starts (or finds) the demo servers asked for: the built-in ones by default, or Keycloak and the RS. */
async function startDemoServers(options: CoreOptions, log: (line: string) => void): Promise<{ setup?: DemoSetup; demo?: DemoConfig; events?: DemoEvents; keycloak?: KeycloakDemoConfig; reused: boolean; close(): Promise<void> }> {
  const none = { reused: false, close: async () => {} };
  if (options.demo === false) return none;
  if (options.demo && 'keycloak' in options.demo) {
    // Loaded only when asked for: the Keycloak demo (JDK, Maven, realm file) is no part of a normal start.
    const { KEYCLOAK_APP_PORTS, startKeycloakDemo } = await import('../demo/keycloak/demo');
    const handle: KeycloakDemoHandle = await startKeycloakDemo({ keycloakPort: KEYCLOAK_APP_PORTS.keycloak, rsPort: KEYCLOAK_APP_PORTS.rs, log, ...options.demo.keycloak });
    return { setup: keycloakDemoSetup(handle.config), keycloak: handle.config, reused: false, close: () => handle.close() };
  }
  let dpopNonce: DemoOptions['dpopNonce'];
  try {
    dpopNonce = parseDpopNonce(options.env.TESSERA_DEMO_DPOP_NONCE);
  } catch (error) {
    throw new Error(`TESSERA_DEMO_DPOP_NONCE ${(error as Error).message}`, { cause: error });
  }
  const demoOptions: DemoOptions = options.demo ?? { dataDir: resolve(options.env.TESSERA_DEMO_DIR ?? '.tessera-demo'), ...(dpopNonce ? { dpopNonce } : {}) };
  try {
    // The demo publishes its side of each exchange for the End-to-end diagram unless told not to.
    const demo: DemoHandle = await startDemo({ events: true, ...demoOptions, log });
    return { setup: builtInDemoSetup(demo.config), demo: demo.config, ...(demo.events ? { events: demo.events } : {}), reused: false, close: () => demo.close() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const config = await runningDemo();
    if (!config) throw new Error(`The demo ports (${DEFAULT_PORTS.idp}-${DEFAULT_PORTS.rs}) are taken by something that is not the Tessera demo. Free them, or start Tessera without the demo.`, { cause: error });
    return { ...none, setup: builtInDemoSetup(config), demo: config, reused: true };
  }
}

export async function startCore(options: CoreOptions): Promise<Core> {
  const log = options.log ?? (() => {});
  const servers = await startDemoServers(options, log);
  const env = options.env;
  const home = options.home ?? tesseraHome(env);
  let gate: AppGate;
  let feed: ServerEventStream | undefined;
  // The demo fingerprints its events with this install's key; Tessera follows them with the demo's secret.
  const events = servers.events;
  const source = servers.demo?.events;
  const demo = servers.demo;
  const keycloak = servers.keycloak;
  const serverEventsFor = events && source && demo ? (key: Uint8Array | undefined) => {
    if (!key) return undefined;
    events.useFingerprintKey(key);
    feed?.close();
    feed = new ServerEventsFeed(source, log);
    return { issuer: demo.as.issuer, rsOrigin: new URL(demo.rs.url).origin, feed };
  } : keycloak ? async (_key: Uint8Array | undefined, vault: Vault) => {
    // Keycloak's own events, read by the service (src/app/keycloak-feeds.ts) as for any trusted realm
    // with a credential in the vault: here the environment's, else the demo realm's view-events client;
    // none with TESSERA_KEYCLOAK_EVENTS=off.
    const k = keycloak.keycloak;
    const given = eventsCredentialFromEnv(options.env);
    if (given === 'off') return undefined;
    if (given) await saveEventsCredential(vault, k.issuer, given);
    else if (!(await loadEventsCredential(vault, k.issuer))) await saveEventsCredential(vault, k.issuer, { clientId: k.clients.events.client_id, clientSecret: k.clients.events.client_secret });
    return undefined;
  } : undefined;
  // What the composition knows of the demo realm: Tessera's public client too, the RS's client and origin.
  const keycloakEvents = keycloak ? {
    ...(eventsCredentialFromEnv(options.env) === 'off' ? { off: [keycloak.keycloak.issuer] } : {}),
    hints: { [keycloak.keycloak.issuer]: { tessera: [keycloak.keycloak.clients.tessera.client_id, keycloak.keycloak.clients.tesseraPublic.client_id], rs: [keycloak.keycloak.clients.rs.client_id], rsOrigin: new URL(keycloak.rs.url).origin } },
  } : undefined;
  try {
    gate = await AppGate.open({
      home, mode: options.mode, opener: options.opener, ...(options.notify ? { notify: options.notify } : {}),
      ...(servers.setup ? { demo: servers.setup } : {}),
      ...(env.TESSERA_PASSPHRASE ? { passphrase: env.TESSERA_PASSPHRASE } : {}),
      ...(options.safeStorage ? { safeStorage: options.safeStorage } : {}),
      backends: quietBackends(options),
      ...(serverEventsFor ? { serverEventsFor } : {}),
      ...(keycloakEvents ? { keycloakEvents } : {}),
      log,
    });
  } catch (error) {
    feed?.close();
    // Nothing half-started stays behind (the desktop app retries without the demo after a failure).
    await servers.close().catch(() => {});
    throw error;
  }
  return {
    service: gate, get vault() { return gate.vault; }, ...(servers.demo ? { demo: servers.demo } : {}), ...(servers.keycloak ? { keycloak: servers.keycloak } : {}), demoReused: servers.reused,
    async close() {
      feed?.close();
      await gate.close();
      await servers.close();
    },
  };
}

/** The backends that protect a new vault without asking: the option, else TESSERA_VAULT_BACKENDS, else safeStorage (when given) and the keyring. */
function quietBackends(options: CoreOptions): ('safeStorage' | 'keyring')[] {
  const all: ('safeStorage' | 'keyring')[] = options.safeStorage ? ['safeStorage', 'keyring'] : ['keyring'];
  if (options.vaultBackends) return options.vaultBackends.filter((b) => all.includes(b));
  const listed = options.env.TESSERA_VAULT_BACKENDS?.split(',').map((b) => b.trim());
  return listed ? all.filter((b) => listed.includes(b)) : all;
}
