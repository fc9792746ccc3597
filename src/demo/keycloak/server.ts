/**
 * Starts a real Keycloak (`kc.sh start-dev`) on 127.0.0.1 with free ports, an in-memory H2 database
 * (`--db=dev-mem`: nothing survives a stop) and Kate's realm imported at start-up; waits until the
 * management interface reports ready; stops it by signalling the whole process group.
 *
 * @see https://www.keycloak.org/server/health
 * @see https://www.keycloak.org/server/importExport
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKeycloak, REPO_ROOT, type KeycloakDist } from './dist';

export const REALM = 'kate';
export const REALM_FILE = import.meta.url ? join(dirname(fileURLToPath(import.meta.url)), 'kate-realm.json') : join(REPO_ROOT, 'src', 'demo', 'keycloak', 'kate-realm.json');
/** The realm's clients and their demo secrets (also in kate-realm.json). */
export const KEYCLOAK_CLIENTS = {
  rs: { client_id: 'health-records', client_secret: 'health-records-demo-secret' },
  tessera: { client_id: 'tessera', client_secret: 'tessera-demo-secret', redirect_uri: 'http://127.0.0.1/oidc/callback' },
  tesseraPublic: { client_id: 'tessera-public', redirect_uri: 'http://127.0.0.1/oidc/callback' },
  /** Reads the realm's events through the Admin REST API (realm-management view-events only): Keycloak's side in the End-to-end diagram. */
  events: { client_id: 'tessera-events', client_secret: 'tessera-events-demo-secret' },
} as const;

export interface KeycloakHandle {
  dist: KeycloakDist;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Realm issuer, http://127.0.0.1:PORT/realms/kate */
  issuer: string;
  port: number;
  managementPort: number;
  pid: number;
  /** Milliseconds from spawn to /health/ready answering 200. */
  startupMs: number;
  /** Resident memory of the server JVM in kB (Linux /proc), or undefined elsewhere. */
  rssKb(): number | undefined;
  /** Last lines of the server log (for error messages). */
  logTail(): string;
  close(): Promise<void>;
}

/** Keycloak did not become ready within the limit: the limit, the last step it reached, and its log's tail. */
export class KeycloakStartTimeout extends Error {
  constructor(readonly limitMs: number, readonly phase: string, readonly tail: string) {
    super(`Keycloak was not ready after ${Math.round(limitMs / 1000)} s (last step: ${phase}):\n${tail}`);
  }
}

export interface KeycloakStartOptions {
  log?: (line: string) => void;
  /** Fetch the distribution with Maven when it is not cached (default true). */
  fetch?: boolean;
  /**
   * Give up waiting after this long (default {@link KEYCLOAK_START_TIMEOUT_MS}; a loaded 2-core box
   * needs one to four minutes). While waiting, `log` gets what Keycloak is doing (its log summarised).
   */
  timeoutMs?: number;
  /** HTTP port (default: a free one). A fixed port keeps the realm's issuer the same across starts. */
  port?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function javaPid(groupLeader: number): number | undefined {
  // kc.sh runs java as a child (not exec): find the JVM in the process group.
  try {
    const children = readFileSync(`/proc/${groupLeader}/task/${groupLeader}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    for (const child of children) {
      if (readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')[0]?.endsWith('/java')) return child;
    }
  } catch {
    // not Linux, or gone
  }
  return undefined;
}

function rssOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The server's environment: the chosen JDK, and no inherited KC_* settings (no admin account either). */
function keycloakEnv(dist: KeycloakDist): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KC_') && !k.startsWith('KEYCLOAK_') && !k.startsWith('JAVA_OPTS')) env[k] = v;
  return { ...env, JAVA_HOME: dist.jdk.home, JAVA: dist.jdk.java };
}

/**
 * Starts Keycloak with Kate's realm. The realm file is copied into the distribution's
 * `data/import` (the only folder `--import-realm` reads); with `dev-mem` it is imported afresh each start.
 */
/** The default limit of a Keycloak start (10 min: under load a start took 227 s of the former 240). */
export const KEYCLOAK_START_TIMEOUT_MS = 600_000;

/**
 * What a Keycloak log line says it is doing, in words, or undefined for a line that marks no step.
 * @see /work/shared/reference/keycloak-real.md (start-up log lines)
 */
export function keycloakPhase(line: string): string | undefined {
  if (/Updating the configuration and installing your custom providers/i.test(line)) return 'building its configuration (first step of start-dev)';
  if (/Quarkus augmentation completed/i.test(line)) return 'configuration built; starting the server';
  if (/Server configuration updated and persisted/i.test(line)) return 'configuration built; starting the server';
  if (/Running the server in development mode/i.test(line)) return 'starting the server (development mode)';
  if (/KC-SERVICES0050|Initializing master realm/i.test(line)) return 'creating its master realm';
  if (/KC-SERVICES0077|Created temporary admin user/i.test(line)) return 'creating its admin user';
  if (/Full model import requested|Importing from directory|KC-SERVICES0030/i.test(line)) return "importing Kate's realm";
  if (/Realm '([^']+)' imported|KC-SERVICES0032/i.test(line)) return "Kate's realm imported";
  if (/ started in [\d.]+s\. Listening on/i.test(line)) return 'started; waiting until it answers for the realm';
  if (/ERROR/.test(line)) return `reported an error: ${line.replace(/^.*ERROR\s*/, '').slice(0, 160)}`;
  return undefined;
}

export async function startKeycloak(options: KeycloakStartOptions = {}): Promise<KeycloakHandle> {
  const log = options.log ?? (() => {});
  const dist = await ensureKeycloak({ log, ...(options.fetch === false ? { fetch: false } : {}) });
  const importDir = join(dist.home, 'data', 'import');
  mkdirSync(importDir, { recursive: true });
  const staged = join(importDir, `.kate-realm.json.${process.pid}`);
  copyFileSync(REALM_FILE, staged);
  renameSync(staged, join(importDir, 'kate-realm.json'));

  const port = options.port || (await freePort());
  let managementPort = await freePort();
  while (managementPort === port) managementPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    'start-dev',
    '--http-host=127.0.0.1', `--http-port=${port}`,
    `--http-management-port=${managementPort}`, '--health-enabled=true',
    // One fixed issuer: tokens minted via 127.0.0.1 are then never compared with a localhost issuer.
    `--hostname=${url}`,
    '--db=dev-mem',
    '--import-realm',
    '--log-console-output=default',
  ];
  const started = performance.now();
  const child: ChildProcess = spawn(join(dist.home, 'bin', 'kc.sh'), args, {
    cwd: dist.home,
    detached: true, // own process group: close() signals kc.sh and the JVM together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: keycloakEnv(dist),
  });
  const lines: string[] = [];
  const limitMs = options.timeoutMs ?? KEYCLOAK_START_TIMEOUT_MS;
  let phase = 'starting the JVM';
  let ready = false;
  const elapsed = () => Math.round((performance.now() - started) / 1000);
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      // Progress: each new step Keycloak takes, once, while it starts.
      const next = ready ? undefined : keycloakPhase(line);
      if (next && next !== phase) { phase = next; log(`keycloak: ${phase} (${elapsed()} s)`); }
    }
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => { exited = code; resolve(); }));
  const pid = child.pid as number;
  const logTail = () => lines.slice(-15).join('\n');

  // Detached, so a Ctrl-C in the terminal does not reach it: when this process exits without
  // close() (process.exit after an error, a signal handled by exiting) the JVM must not stay behind.
  const orphanGuard = () => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } };
  process.once('exit', orphanGuard);

  const close = async () => {
    if (exited === undefined) {
      try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 15_000);
      await exit;
      clearTimeout(timer);
    }
    // kc.sh may exit before its JVM: make sure nothing of the group survives.
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    process.off('exit', orphanGuard);
  };

  log(`keycloak: starting ${dist.version} on ${url} (JDK ${dist.jdk.major}, management port ${managementPort})…`);
  const deadline = Date.now() + limitMs;
  let nextNote = Date.now() + 30_000;
  for (;;) {
    if (Date.now() > nextNote) {
      nextNote += 30_000;
      log(`keycloak: still starting — ${phase} (${elapsed()} s of at most ${Math.round(limitMs / 1000)} s)`);
    }
    if (exited !== undefined) {
      await close();
      throw new Error(`Keycloak exited (code ${exited}) before it was ready:\n${logTail()}`);
    }
    if (Date.now() > deadline) {
      await close();
      throw new KeycloakStartTimeout(limitMs, phase, logTail());
    }
    try {
      const health = await fetch(`http://127.0.0.1:${managementPort}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await health.body?.cancel();
      if (health.ok) {
        const realm = await fetch(`${url}/realms/${REALM}/.well-known/uma2-configuration`, { signal: AbortSignal.timeout(5000) });
        await realm.body?.cancel();
        if (realm.ok) break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  ready = true;
  const startupMs = Math.round(performance.now() - started);
  log(`keycloak: ready in ${startupMs} ms`);
  let jvm: number | undefined;
  return {
    dist, url, issuer: `${url}/realms/${REALM}`, port, managementPort, pid, startupMs,
    rssKb: () => rssOf((jvm ??= javaPid(pid))),
    logTail,
    close,
  };
}
