/**
 * `npm start`: the demo servers (unless `--no-demo`; `--as keycloak`: a real Keycloak and the RS
 * instead of the built-in demo), then Tessera — the Electron window when an
 * Electron binary resolves (downloaded on the first launch), a display exists and a window really
 * comes up (main prints a ready line); otherwise browser mode, saying why: the local host serves
 * the UI on 127.0.0.1 and the address is opened with BROWSER or the system opener, and printed.
 * Electron's tooling needs Node 22.12+; browser mode and the CLI run on Node 20.19+.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startCore } from './app/compose';
import { startHost } from './host/server';
import { launchFromRunning, startHostOnLastPort } from './host/last-port';
import { tesseraHome } from './app/config';
import { systemOpener } from '@tessera/uma/node';
import { describe } from './demo/cli';
import { describeKeycloakDemo, KEYCLOAK_APP_PORTS, keycloakTimeoutFromEnv } from './demo/keycloak/demo';
import { KeycloakUnavailable } from './demo/keycloak/dist';
import { KEYCLOAK_START_TIMEOUT_MS, KeycloakStartTimeout } from './demo/keycloak/server';
import { READY_LINE } from './main/options';

const ROOT = resolve(import.meta.dirname, '..');
export const RENDERER_DIR = join(ROOT, 'dist', 'renderer');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/** Builds the renderer with vite when dist/renderer is missing or older than its sources. */
export async function ensureRenderer(log: (line: string) => void = () => {}): Promise<string> {
  const index = join(RENDERER_DIR, 'index.html');
  // The renderer bundles the contract (src/app/api.ts and what it imports: the method list, the AS form's schema).
  const sources = Math.max(newest(join(ROOT, 'renderer')), newest(join(ROOT, 'src', 'app')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return RENDERER_DIR;
  log('Building the user interface (vite)…');
  const { build } = await import('vite');
  // Always the production build (React's and the JSX runtime's): vite keeps a NODE_ENV it finds set,
  // and the UI is also built from inside the tests (vitest sets NODE_ENV=test), a build `npm start` reuses.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(ROOT, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return RENDERER_DIR;
}

/** Node version Electron's own tooling (electron 42's downloader, @electron/get 5) requires; Tessera itself runs on 20.19+. */
export const ELECTRON_TOOLING_NODE = '22.12.0';

function nodeAtLeast(version: string, min: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/**
 * The Electron binary's path from the stdout of `require('electron')`: its last non-empty line.
 * On the launch that downloads the binary the package prints "Downloading Electron binary..."
 * (and the installer's own output) before the path.
 */
export function electronPathFromOutput(stdout: string): string | undefined {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.at(-1);
}

/** Why no window can appear here, before trying: on Linux/BSD neither X11 nor Wayland is reachable. */
export function displayProblem(platform: NodeJS.Platform, env: Record<string, string | undefined>): string | undefined {
  if (platform === 'darwin' || platform === 'win32') return undefined;
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  return undefined;
}

export type Resolved = { binary: string } | { reason: string };

export interface ResolveOptions {
  cwd: string;
  /** The resolver command; default: this Node running `require('electron')` (which downloads on first use). */
  command?: readonly [string, ...string[]];
  timeoutMs?: number;
  nodeVersion?: string;
  log?: (line: string) => void;
}

/** Resolves (and on the first launch downloads) the Electron binary in a child process, bounded. */
export function resolveElectron(options: ResolveOptions): Promise<Resolved> {
  const [cmd, ...args] = options.command ?? [process.execPath, '-e', "process.stdout.write(String(require('electron')))"];
  const log = options.log ?? (() => {});
  const nodeVersion = options.nodeVersion ?? process.versions.node;
  const oldNode = nodeAtLeast(nodeVersion, ELECTRON_TOOLING_NODE) ? '' : ` Electron's downloader needs Node ${ELECTRON_TOOLING_NODE} or later; this is Node ${nodeVersion}.`;
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    let announced = false;
    let settled = false;
    const settle = (value: Resolved) => { if (!settled) { settled = true; clearTimeout(timer); done(value); } };
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); settle({ reason: `fetching the Electron binary took longer than ${Math.round(timeoutMs / 1000)} s` }); }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!announced && stdout.includes('Downloading Electron')) { announced = true; log('Downloading the Electron binary (first launch only, about 100 MB)…'); }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4000); });
    child.once('error', (error) => settle({ reason: `the Electron package could not be resolved (${error.message})` }));
    child.once('close', (code, signal) => {
      if (code !== 0) {
        const errors = [...new Set(stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^[A-Za-z]*Error\b/.test(l)))];
        const said = errors.length > 0 ? [errors[0], ...(errors.length > 1 ? [errors.at(-1)] : [])].join('; ') : electronPathFromOutput(stderr);
        return settle({ reason: `the Electron binary could not be fetched (${said ?? (signal ? `signal ${signal}` : `exit code ${code}`)}).${oldNode}` });
      }
      const binary = electronPathFromOutput(stdout);
      if (!binary || !existsSync(binary)) return settle({ reason: `the Electron binary is missing${binary ? ` at ${binary}` : ''}.${oldNode}` });
      settle({ binary });
    });
  });
}

export type Launched = { child: ChildProcess } | { reason: string };

export interface LaunchOptions {
  binary: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** How long to wait for the window (default 60 s). */
  timeoutMs?: number;
  /** Where the child's output goes once its window is up. */
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/**
 * Starts Electron and waits for main's {@link READY_LINE} on stdout (printed once the window's page
 * has loaded). A crash, an exec error or silence until the timeout is a reason for browser mode,
 * with the tail of what Electron printed (e.g. the Linux sandbox's complaint).
 */
export function launchElectron(options: LaunchOptions): Promise<Launched> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((done) => {
    let ready = false;
    let settled = false;
    let tail = '';
    let pending = '';
    const settle = (value: Launched) => { if (!settled) { settled = true; clearTimeout(timer); done(value); } };
    const child = spawn(options.binary, options.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...options.env, TESSERA_READY_SIGNAL: '1' } });
    const timer = setTimeout(() => { child.kill('SIGKILL'); settle({ reason: `Electron showed no window within ${Math.round(timeoutMs / 1000)} s${hint(tail)}` }); }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (ready) { out.write(chunk); return; }
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!ready && line.trim() === READY_LINE) { ready = true; settle({ child }); continue; }
        if (ready) out.write(`${line}\n`);
        else tail = (tail + line + '\n').slice(-2000);
      }
      if (ready && pending) { out.write(pending); pending = ''; }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (ready) err.write(chunk);
      else tail = (tail + chunk).slice(-2000);
    });
    child.once('error', (error) => settle({ reason: `the Electron binary cannot be executed (${error.message})` }));
    child.once('exit', (code, signal) => {
      if (!ready) settle({ reason: `Electron exited before showing a window (${signal ? `signal ${signal}` : `exit code ${code}`})${hint(tail)}` });
    });
  });
}

function hint(tail: string): string {
  const text = tail.trim();
  if (!text) return '';
  const sandbox = /sandbox/i.test(text) ? ' — the Linux sandbox cannot start here (e.g. AppArmor restricts unprivileged user namespaces); see https://www.electronjs.org/docs/latest/tutorial/sandbox' : '';
  const last = text.split('\n').filter((l) => l.trim()).slice(-3).join(' | ');
  return `${sandbox}. Electron said: ${last.slice(0, 600)}`;
}

/**
 * How long `npm start` waits for the Electron window. Main opens it once the core is up, and with
 * Keycloak that includes starting Keycloak (a minute; the first start also fetches it with Maven):
 * giving up earlier would kill Electron with SIGKILL, which leaves its Keycloak (its own process
 * group, no exit hook runs) holding the port browser mode then needs.
 */
export function electronWindowTimeoutMs(demo: StartArgs['demo']): number {
  return demo === 'keycloak' ? 600_000 : 60_000;
}

export type Choice = { kind: 'electron'; child: ChildProcess } | { kind: 'browser'; reason: string };

export interface ChooseOptions {
  browser: boolean;
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  resolve: () => Promise<Resolved>;
  /** Builds the main-process bundle; returns dist/electron/main.cjs. */
  prepare: () => Promise<string>;
  launch: (binary: string, mainFile: string) => Promise<Launched>;
}

/**
 * `npm start`'s choice: Electron when a binary resolves, a display exists and a window actually
 * comes up (the ready signal); otherwise browser mode, with the reason.
 */
export async function chooseLaunch(o: ChooseOptions): Promise<Choice> {
  if (o.browser) return { kind: 'browser', reason: 'browser mode was asked for (--browser)' };
  if (o.env.TESSERA_NO_ELECTRON) return { kind: 'browser', reason: 'TESSERA_NO_ELECTRON is set' };
  const noDisplay = displayProblem(o.platform, o.env);
  if (noDisplay) return { kind: 'browser', reason: noDisplay };
  const resolved = await o.resolve();
  if ('reason' in resolved) return { kind: 'browser', reason: resolved.reason };
  const launched = await o.launch(resolved.binary, await o.prepare());
  return 'reason' in launched ? { kind: 'browser', reason: launched.reason } : { kind: 'electron', child: launched.child };
}

export const START_USAGE = `Usage: npm start -- [options]

  --as demo|keycloak  which authorization server Tessera opens on: the built-in demo (default) or a
                      real Keycloak (fetched with Maven on first use, needs a JDK; starts in about a
                      minute) with the health-records RS; TESSERA_KEYCLOAK_URL uses a running one
  --keycloak-timeout S  with --as keycloak: how long Keycloak may take to start, in seconds (30-3600;
                      default 600, or TESSERA_KEYCLOAK_TIMEOUT); progress is printed meanwhile
  --no-demo           no demo servers: Tessera with your own configuration
  --browser           browser mode, even where the Electron window could open
  --port N            browser mode's port (default: any free port)
  --no-open           print the address instead of opening a browser
  -h, --help          this help`;

export interface StartArgs {
  /** Which demo: the built-in servers, Keycloak with the RS, or none. */
  demo: 'demo' | 'keycloak' | 'none';
  browser: boolean;
  port?: number;
  open: boolean;
  help: boolean;
  /** `--keycloak-timeout`: seconds a Keycloak start may take. */
  keycloakTimeoutSeconds?: number;
}

/** A command line `npm start` cannot run; the message says why (printed with {@link START_USAGE}). */
export class StartUsageError extends Error {}

/** `npm start`'s options; unknown options and values are {@link StartUsageError}s. TESSERA_NO_DEMO=1 is `--no-demo`. */
export function parseStartArgs(argv: string[], env: Record<string, string | undefined> = {}): StartArgs {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { 'no-demo': { type: 'boolean' }, browser: { type: 'boolean' }, port: { type: 'string' }, 'no-open': { type: 'boolean' }, as: { type: 'string' }, 'keycloak-timeout': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    throw new StartUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.as !== undefined && values.as !== 'demo' && values.as !== 'keycloak') throw new StartUsageError(`--as must be demo or keycloak, not "${values.as}"`);
  if (values.as === 'keycloak' && values['no-demo']) throw new StartUsageError('--as keycloak starts the Keycloak demo; it cannot be combined with --no-demo');
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new StartUsageError(`--port must be a port number (0-65535), not "${values.port}"`);
  }
  let keycloakTimeoutSeconds: number | undefined;
  if (values['keycloak-timeout'] !== undefined) {
    keycloakTimeoutSeconds = Number(values['keycloak-timeout']);
    if (!/^\d{1,5}$/.test(values['keycloak-timeout']) || keycloakTimeoutSeconds < 30 || keycloakTimeoutSeconds > 3600) throw new StartUsageError(`--keycloak-timeout must be a number of seconds from 30 to 3600, not "${values['keycloak-timeout']}"`);
    if (values.as !== 'keycloak') throw new StartUsageError('--keycloak-timeout only applies with --as keycloak');
  }
  const demo = values.as === 'keycloak' ? 'keycloak' : values['no-demo'] || (env.TESSERA_NO_DEMO === '1' && values.as === undefined) ? 'none' : 'demo';
  return { demo, browser: Boolean(values.browser), ...(port !== undefined ? { port } : {}), open: !values['no-open'], help: Boolean(values.help), ...(keycloakTimeoutSeconds !== undefined ? { keycloakTimeoutSeconds } : {}) };
}

/**
 * Why `npm start` could not start, as one line for the terminal (never a stack trace): a port in use
 * says which and what to do, a Keycloak that cannot run here says why and what else works; other
 * errors keep their first line and, when they carry a log tail (Keycloak exited early), its last line.
 */
export function startFailure(error: unknown, args: Pick<StartArgs, 'demo' | 'port'>): string {
  const e = error as NodeJS.ErrnoException & { port?: number };
  if (e?.code === 'EADDRINUSE' && typeof e.port === 'number') {
    if (e.port === args.port) return `Port ${e.port} is in use by another program. Choose another with --port, or leave --port out to use any free port.`;
    if (args.demo === 'keycloak' && e.port === KEYCLOAK_APP_PORTS.rs) return `Port ${e.port} (the Keycloak demo's health records) is in use. Is Tessera already running with Keycloak? Stop it, or free the port.`;
    return `Port ${e.port} is in use by another program. Free it and start again.`;
  }
  if (e?.code === 'EACCES' && typeof e.port === 'number') return `Tessera may not listen on port ${e.port} (ports below 1024 need special rights). Choose another with --port.`;
  if (error instanceof KeycloakStartTimeout) return `Keycloak was not ready after ${Math.round(error.limitMs / 1000)} s (it was ${error.phase}). A busy machine needs longer: start again with --keycloak-timeout 1200 (seconds), or set TESSERA_KEYCLOAK_TIMEOUT.`;
  if (error instanceof KeycloakUnavailable) return `Keycloak cannot run here: ${error.message.replace(/\.+$/, '')}. Start without --as keycloak for the built-in demo, or set TESSERA_KEYCLOAK_URL to a running Keycloak.`;
  const lines = (error instanceof Error ? error.message : String(error)).split('\n').map((l) => l.trim()).filter(Boolean);
  const [first = 'unknown error', ...rest] = lines;
  return rest.length ? `${first.replace(/:$/, '')} (last output: ${rest.at(-1)})` : first;
}

/**
 * Opens a new tab of the Tessera already running in browser mode on this home (a fresh single-use
 * address from it, src/host/last-port.ts), and says so. False when none answers.
 */
export async function openRunning(env: Record<string, string | undefined>, open = true, opener?: (url: string) => Promise<void>): Promise<boolean> {
  const url = await launchFromRunning(tesseraHome(env));
  if (!url) return false;
  process.stdout.write(`Tessera is already running at ${new URL(url).origin}; ${open ? 'opening a new tab' : 'a new tab opens at this address (once)'}:\n${url}\n`);
  if (open) await (opener ?? systemOpener({ env, print: (line) => process.stderr.write(`${line}\n`) }))(url);
  return true;
}

export async function main(argv: string[]): Promise<number> {
  let args: StartArgs;
  try {
    args = parseStartArgs(argv, process.env);
  } catch (error) {
    if (!(error instanceof StartUsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${START_USAGE}\n`);
    return 2;
  }
  if (args.help) { process.stdout.write(`${START_USAGE}\n`); return 0; }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const env = process.env;
  const noDemo = args.demo === 'none';
  // The Electron main process starts Keycloak itself: the limit reaches it through the environment.
  if (args.keycloakTimeoutSeconds !== undefined) env.TESSERA_KEYCLOAK_TIMEOUT = String(args.keycloakTimeoutSeconds);
  // Already running in browser mode on this home: a new tab of that Tessera, not a second one.
  if (await openRunning(env, args.open)) return 0;
  await ensureRenderer(log);

  const choice = await chooseLaunch({
    browser: args.browser, env, platform: process.platform,
    resolve: () => resolveElectron({ cwd: ROOT, log }),
    prepare: async () => (await import('./main/build')).buildElectron(ROOT),
    launch: (binary, mainFile) => launchElectron({ binary, args: [mainFile, ...(noDemo ? ['--no-demo'] : []), ...(args.demo === 'keycloak' ? ['--as', 'keycloak'] : [])], env, timeoutMs: electronWindowTimeoutMs(args.demo) }),
  });
  if (choice.kind === 'electron') {
    const child = choice.child;
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    return new Promise((done) => child.on('exit', (code) => done(code ?? 0)));
  }
  log(`Using browser mode: ${choice.reason.replace(/\.+$/, '')}.`);

  const opener = systemOpener({ env, print: (line) => log(line) });
  if (args.demo === 'keycloak') log(`Starting Keycloak (the first start also fetches it with Maven; it takes one to a few minutes, at most ${args.keycloakTimeoutSeconds ?? Math.round((keycloakTimeoutFromEnv(env) ?? KEYCLOAK_START_TIMEOUT_MS) / 1000)} s); its progress follows…`);
  const demo = noDemo ? { demo: false as const } : args.demo === 'keycloak' ? { demo: { keycloak: {} } } : {};
  // Ctrl-C while starting (Keycloak takes a minute): exit through process.exit, so the exit hooks
  // stop what was started (Keycloak runs in its own process group and would not get the signal).
  const early = () => process.exit(130);
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
  let core: Awaited<ReturnType<typeof startCore>>;
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    core = await startCore({ env, mode: 'browser', opener, ...demo, log: args.demo === 'keycloak' ? log : () => {} });
  } catch (error) {
    log(`Tessera could not start: ${startFailure(error, args)}`);
    return 1;
  }
  try {
    // The same address as last time when it is free (the page's origin includes the port).
    host = args.port
      ? await startHost({ service: core.service, staticDir: RENDERER_DIR, port: args.port, log })
      : await startHostOnLastPort({ service: core.service, staticDir: RENDERER_DIR, home: tesseraHome(env), log });
  } catch (error) {
    // Nothing started stays behind: the demo servers, Keycloak, the vault.
    await core.close().catch(() => {});
    log(`Tessera could not start: ${startFailure(error, args)}`);
    return 1;
  } finally {
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
  }
  if (core.demo) process.stdout.write(`${core.demoReused ? 'Using the demo servers already running.\n' : ''}${describe(core.demo)}\n\n`);
  if (core.keycloak) process.stdout.write(`${describeKeycloakDemo(core.keycloak)}\n\n`);
  if (core.vault?.warning) log(`Note: ${core.vault.warning}`);
  const lock = (await core.service.getState()).lock;
  if (lock) log(lock.state === 'create' ? 'No OS keyring here: the page asks you to choose a passphrase for your vault (or to keep nothing).' : 'Your vault is locked: the page asks for its passphrase.');
  process.stdout.write(`Tessera is running in browser mode at ${host.origin}\nOpen: ${host.launchUrl}\n(Ctrl-C stops Tessera${(core.demo && !core.demoReused) || core.keycloak ? ' and the demo servers' : ''}.)\n`);
  if (args.open) await opener(host.launchUrl);
  let forced = false;
  await new Promise<void>((done) => {
    const stop = () => { if (forced) process.exit(130); forced = true; done(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write('Stopping…\n');
  await host.close();
  await core.close();
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    process.stderr.write(`Tessera could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
