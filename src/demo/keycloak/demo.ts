/**
 * The demo with a real Keycloak as Kate's UMA authorization server (and as the requesting parties'
 * identity provider): starts Keycloak with Kate's realm — or uses one already running at
 * `TESSERA_KEYCLOAK_URL` — and the health-records RS, which speaks to it only through the UMA
 * protection API (PAT, resource registration, permission tickets, introspection).
 */
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { listen } from '../http/util';
import { openKv, scoped } from '../store/kv';
import { startRs, type RsResource } from '../rs';
import { USERS, type DemoUser } from '../seed';
import { KEYCLOAK_CLIENTS, REALM, startKeycloak, type KeycloakHandle } from './server';

export interface KeycloakDemoConfig {
  keycloak: {
    url: string;
    issuer: string;
    /** The realm's name (`kate`). */
    realm: string;
    version: string;
    jdk?: number;
    startupMs?: number;
    accountConsole: string;
    clients: typeof KEYCLOAK_CLIENTS;
  };
  rs: { url: string; resources: RsResource[] };
  users: DemoUser[];
}

export interface KeycloakDemoHandle {
  config: KeycloakDemoConfig;
  keycloak?: KeycloakHandle;
  close(): Promise<void>;
}

export interface KeycloakDemoOptions {
  log?: (line: string) => void;
  /** RS port (0 = ephemeral). */
  rsPort?: number;
  introspectionCacheMs?: number;
  /** Use this running Keycloak (base URL, realm `kate` imported) instead of starting one. */
  keycloakUrl?: string;
  /**
   * Keycloak's HTTP port (default: a free one). With a fixed port a Keycloak with Kate's realm
   * already listening there is used as it is, and the realm's issuer stays the same across starts.
   */
  keycloakPort?: number;
  /** How long a Keycloak start may take (default: TESSERA_KEYCLOAK_TIMEOUT seconds, else KEYCLOAK_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
}

/** TESSERA_KEYCLOAK_TIMEOUT (seconds, 30–3600) as milliseconds, or undefined when unset or out of range. */
export function keycloakTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number | undefined {
  const raw = env.TESSERA_KEYCLOAK_TIMEOUT;
  if (!raw || !/^\d{1,5}$/.test(raw.trim())) return undefined;
  const seconds = Number(raw.trim());
  return seconds >= 30 && seconds <= 3600 ? seconds * 1000 : undefined;
}

/**
 * Fixed ports of the Keycloak setup the app opens (`npm start` with Keycloak): the issuer, the
 * records' addresses and so the app's trust, bookmarks and tokens stay valid from one start to the
 * next. Beside the built-in demo's 4401–4403.
 */
export const KEYCLOAK_APP_PORTS = { keycloak: 4404, rs: 4405 } as const;

/** Whether a Keycloak with Kate's realm answers at `url`. */
async function servesKateRealm(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/realms/${REALM}/.well-known/uma2-configuration`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { issuer?: unknown };
    return response.ok && body.issuer === `${url}/realms/${REALM}`;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createTcpServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The Keycloak to use: the given URL, one already serving Kate's realm on the fixed port, or none (start one). */
async function existingKeycloak(options: KeycloakDemoOptions): Promise<string | undefined> {
  const given = options.keycloakUrl || process.env.TESSERA_KEYCLOAK_URL || undefined;
  if (given || !options.keycloakPort) return given;
  const url = `http://127.0.0.1:${options.keycloakPort}`;
  if (await servesKateRealm(url)) return url;
  if (!(await portFree(options.keycloakPort))) throw new Error(`Port ${options.keycloakPort} is taken by something that is not a Keycloak with Kate's realm. Free it, or point Tessera at a running Keycloak with TESSERA_KEYCLOAK_URL.`);
  return undefined;
}

export async function startKeycloakDemo(options: KeycloakDemoOptions = {}): Promise<KeycloakDemoHandle> {
  const log = options.log ?? (() => {});
  const external = await existingKeycloak(options);
  const timeoutMs = options.startTimeoutMs ?? keycloakTimeoutFromEnv();
  const keycloak = external ? undefined : await startKeycloak({ log, ...(options.keycloakPort ? { port: options.keycloakPort } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
  const url = (external ?? keycloak?.url ?? '').replace(/\/+$/, '');
  const issuer = `${url}/realms/${REALM}`;
  const kv = await openKv({ memory: true });
  const server = createServer();
  try {
    const rsUrl = `http://127.0.0.1:${await listen(server, options.rsPort ?? 0)}`;
    const rs = await startRs({ kv: scoped(kv, 'rs/'), server, url: rsUrl, asIssuer: issuer, log, client: KEYCLOAK_CLIENTS.rs, realm: REALM, ...(options.introspectionCacheMs !== undefined ? { introspectionCacheMs: options.introspectionCacheMs } : {}) });
    const version = keycloak?.dist.version ?? 'external';
    return {
      config: {
        keycloak: { url, issuer, realm: REALM, version, ...(keycloak ? { jdk: keycloak.dist.jdk.major, startupMs: keycloak.startupMs } : {}), accountConsole: `${issuer}/account`, clients: KEYCLOAK_CLIENTS },
        rs: { url: rsUrl, resources: rs.resources },
        users: USERS,
      },
      ...(keycloak ? { keycloak } : {}),
      close: async () => {
        await rs.close().catch(() => {});
        await kv.close();
        await keycloak?.close();
      },
    };
  } catch (error) {
    if (server.listening) server.close();
    await kv.close();
    await keycloak?.close();
    throw error;
  }
}

export function describeKeycloakDemo(config: KeycloakDemoConfig): string {
  const k = config.keycloak;
  return [
    'Tessera demo against a real Keycloak is running:',
    `  Keycloak ${k.version}${k.jdk ? ` (JDK ${k.jdk}, ready in ${((k.startupMs ?? 0) / 1000).toFixed(1)} s)` : ''}  ${k.url}`,
    `  Kate's realm (UMA AS)    ${k.issuer}`,
    `  Kate's account console   ${k.accountConsole}  (sign in as kate; "Resources" shows requests to approve)`,
    `  Health records (RS)      ${config.rs.url}`,
    '',
    "Kate's records:",
    ...config.rs.resources.map((r) => `  ${r.title.padEnd(28)} ${r.url}`),
    '',
    'People (username / password), all signing in at Keycloak:',
    ...config.users.map((u) => `  ${`${u.username} / ${u.password}`.padEnd(26)} ${u.role}`),
    '',
    'Policies: physicians (alice) and sam read the prescriptions; physicians read the blood test; the insurer',
    'reads the bills; care notes only after Kate approves a request; everyone else is refused (or, with',
    "Keycloak's default submit_request, their request waits for Kate).",
    '',
    'Tessera clients in the realm:',
    `  ${k.clients.tessera.client_id} / ${k.clients.tessera.client_secret} (confidential; push the Keycloak ID token issued to it)`,
    `  ${k.clients.tesseraPublic.client_id} (public, PKCE S256, redirect http://127.0.0.1/* on any port; bearer mode)`,
    `  ${k.clients.events.client_id} / ${k.clients.events.client_secret} (realm-management view-events only: Tessera reads the realm's events for End to end)`,
    '',
    'Try (sign in at Keycloak, then fetch; the ID token is pushed as claim_token):',
    `  npx tessera login --issuer ${k.issuer} --client-id ${k.clients.tessera.client_id} --client-secret ${k.clients.tessera.client_secret}`,
    `  npx tessera fetch ${config.rs.resources[0]?.url ?? config.rs.url} --trust ${k.issuer} --client-id ${k.clients.tessera.client_id} --client-secret ${k.clients.tessera.client_secret}`,
    'State is in memory only (Keycloak uses dev-mem). Ctrl-C stops.',
  ].join('\n');
}
