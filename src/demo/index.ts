/**
 * The demo: Hospital ID (IdP), Kate's authorization server and her health-records RS, three
 * separate loopback origins in one process, sharing one crash-safe store (separate key spaces).
 * `startDemo()` is what `npm run demo`, `npm start` and the tests use.
 */
import { createServer, type Server } from 'node:http';
import { listen } from './http/util';
import { openKv, scoped } from './store/kv';
import { startIdp } from './idp';
import { startAs } from './as';
import { startRs } from './rs';
import { AS_TESSERA_CLIENT, IDP_TESSERA_CLIENT, USERS, type DemoUser } from './seed';
import type { Lifetimes } from './as/state';
import { DemoEvents, EVENTS_PATH } from './events';

export interface DemoOptions {
  /** Where state persists (LMDB). Ignored with `memory`. */
  dataDir?: string;
  /** Throw-away state. */
  memory?: boolean;
  /** 0 = ephemeral. Defaults: 4401 IdP, 4402 AS, 4403 RS. */
  ports?: { idp?: number; as?: number; rs?: number };
  log?: (line: string) => void;
  /** Shorter lifetimes for tests (seconds). */
  lifetimes?: Partial<Lifetimes>;
  /** `interval` announced with request_submitted (seconds, default 5). */
  pollInterval?: number;
  /** RS introspection cache (ms, default 5000). */
  introspectionCacheMs?: number;
  /** Publish the AS's and RS's side of each exchange as event streams (src/demo/events.ts). */
  events?: boolean;
  /**
   * Server nonces in DPoP proofs (RFC 9449 §8 at the AS's token endpoint, §9 at the RS): a proof
   * without the current nonce gets `use_dpop_nonce` and a `DPoP-Nonce` header. Default: neither.
   */
  dpopNonce?: { as?: boolean; rs?: boolean };
}

export interface DemoConfig {
  idp: { issuer: string; tesseraClient: { client_id: string; redirect_uri: string } };
  as: {
    issuer: string;
    dashboardUrl: string;
    tesseraClient: { client_id: string; client_secret: string; token_endpoint_auth_method: 'client_secret_basic'; claims_redirect_uris: string[] };
  };
  rs: { url: string; resources: { id: string; name: string; title: string; url: string; scopes: string[]; owner: string }[] };
  users: DemoUser[];
  dataDir?: string;
  /** The servers' event streams (when asked for): where, and the secret a subscriber presents. */
  events?: { as: string; rs: string; secret: string };
}

export interface DemoHandle {
  config: DemoConfig;
  /** The three listening servers (e.g. to take the AS down and watch the RS answer 403 + Warning). */
  servers: { idp: Server; as: Server; rs: Server };
  /** The event hub, when `events` was asked for: hand it Tessera's fingerprint key to start it. */
  events?: DemoEvents;
  /** Kate's records as the demo seeds them again (`npm run demo -- --reset`, the dashboard's Reset button). */
  resetRecords(): Promise<number>;
  close(): Promise<void>;
}

export const DEFAULT_PORTS = { idp: 4401, as: 4402, rs: 4403 } as const;

/**
 * `as`, `rs` or `both` (`--dpop-nonce`, `TESSERA_DEMO_DPOP_NONCE`) as {@link DemoOptions.dpopNonce};
 * undefined for none or an empty value; throws for anything else.
 * @see https://www.rfc-editor.org/rfc/rfc9449.html#section-8
 */
export function parseDpopNonce(value: string | undefined): DemoOptions['dpopNonce'] {
  if (value === undefined || value === '') return undefined;
  if (value !== 'as' && value !== 'rs' && value !== 'both') throw new Error(`must be as, rs or both, not "${value}"`);
  return { as: value !== 'rs', rs: value !== 'as' };
}

export async function startDemo(options: DemoOptions = {}): Promise<DemoHandle> {
  const log = options.log ?? (() => {});
  const kv = await openKv(options);
  const servers: Server[] = [];
  const closers: (() => Promise<void>)[] = [];
  const events = options.events ? new DemoEvents() : undefined;
  if (events) closers.push(async () => events.close());
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    for (const s of servers) if (s.listening) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
    await kv.close();
  };
  try {
    const ports = { ...DEFAULT_PORTS, ...options.ports };
    const idpServer = createServer();
    const asServer = createServer();
    const rsServer = createServer();
    servers.push(idpServer, asServer, rsServer);
    // Listen first: each server's issuer (its origin) must be known before the others are configured.
    const idpIssuer = `http://127.0.0.1:${await listen(idpServer, ports.idp)}`;
    const asIssuer = `http://127.0.0.1:${await listen(asServer, ports.as)}`;
    const rsUrl = `http://127.0.0.1:${await listen(rsServer, ports.rs)}`;
    const idp = await startIdp({ kv: scoped(kv, 'idp/'), server: idpServer, issuer: idpIssuer, asIssuer, log });
    closers.push(idp.close);
    // The dashboard's Reset button resets the RS's records (the RS starts after the AS).
    let resetRecords = async (): Promise<number> => 0;
    const as = await startAs({ kv: scoped(kv, 'as/'), server: asServer, issuer: asIssuer, idpIssuer, log, resetRecords: () => resetRecords(), ...(options.lifetimes ? { lifetimes: options.lifetimes } : {}), ...(options.pollInterval !== undefined ? { pollInterval: options.pollInterval } : {}), ...(events ? { events } : {}), ...(options.dpopNonce?.as ? { dpopNonce: true } : {}) });
    closers.push(as.close);
    const rs = await startRs({ kv: scoped(kv, 'rs/'), server: rsServer, url: rsUrl, asIssuer, log, ...(options.introspectionCacheMs !== undefined ? { introspectionCacheMs: options.introspectionCacheMs } : {}), ...(events ? { events } : {}), ...(options.dpopNonce?.rs ? { dpopNonce: true } : {}) });
    closers.push(rs.close);
    resetRecords = rs.resetRecords;
    const config: DemoConfig = {
      idp: { issuer: idpIssuer, tesseraClient: { client_id: IDP_TESSERA_CLIENT.client_id, redirect_uri: IDP_TESSERA_CLIENT.redirect_uri } },
      as: { issuer: asIssuer, dashboardUrl: `${asIssuer}/dashboard`, tesseraClient: { ...AS_TESSERA_CLIENT, claims_redirect_uris: [...AS_TESSERA_CLIENT.claims_redirect_uris] } },
      rs: { url: rsUrl, resources: rs.resources },
      users: USERS,
      ...(kv.persistent && options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(events ? { events: { as: `${asIssuer}${EVENTS_PATH}`, rs: `${rsUrl}${EVENTS_PATH}`, secret: events.secret } } : {}),
    };
    return { config, servers: { idp: idpServer, as: asServer, rs: rsServer }, ...(events ? { events } : {}), resetRecords: () => rs.resetRecords(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
