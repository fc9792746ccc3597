/**
 * `npm start`: the demo servers (unless `--no-demo`), then Tessera — the Electron window when an
 * Electron binary can run here, otherwise browser mode: the local host serves the UI on 127.0.0.1
 * and the address is opened with BROWSER or the system opener, and printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startCore } from './app/compose';
import { startHost } from './host/server';
import { systemOpener } from './identity/opener';
import { describe } from './demo/cli';

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
  const sources = Math.max(newest(join(ROOT, 'renderer')), statSync(join(ROOT, 'src', 'app', 'api.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return RENDERER_DIR;
  log('Building the user interface (vite)…');
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  return RENDERER_DIR;
}

/** The Electron binary, if one is installed (or can be fetched) and runs here; otherwise undefined. */
function electronBinary(log: (line: string) => void): string | undefined {
  if (process.env.TESSERA_NO_ELECTRON) return undefined;
  // Resolving 'electron' downloads the binary on first use (electron ≥ 42); bounded, in a child.
  const found = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (!path || !existsSync(path)) { log('No Electron binary is available here: using browser mode.'); return undefined; }
  const works = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  if (works.status !== 0) { log('The Electron binary cannot run here (no display?): using browser mode.'); return undefined; }
  return path;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'no-demo': { type: 'boolean' }, browser: { type: 'boolean' }, port: { type: 'string' }, 'no-open': { type: 'boolean' } } });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const env = process.env;
  const noDemo = values['no-demo'] || env.TESSERA_NO_DEMO === '1';
  await ensureRenderer(log);

  const electron = values.browser ? undefined : electronBinary(log);
  if (electron) {
    const { buildElectron } = await import('./main/build');
    const mainFile = await buildElectron(ROOT);
    const child = spawn(electron, [mainFile, ...(noDemo ? ['--no-demo'] : [])], { stdio: 'inherit', env: { ...env, TESSERA_ROOT: ROOT } });
    return new Promise((done) => child.on('exit', (code) => done(code ?? 0)));
  }

  const opener = systemOpener({ env, print: (line) => log(line) });
  const core = await startCore({ env, mode: 'browser', opener, ...(noDemo ? { demo: false as const } : {}), log: () => {} });
  const host = await startHost({ service: core.service, staticDir: RENDERER_DIR, ...(values.port ? { port: Number(values.port) } : {}), log });
  if (core.demo) process.stdout.write(`${core.demoReused ? 'Using the demo servers already running.\n' : ''}${describe(core.demo)}\n\n`);
  if (core.vault.warning) log(`Note: ${core.vault.warning}`);
  process.stdout.write(`Tessera is running in browser mode at ${host.origin}\nOpen: ${host.launchUrl}\n(Ctrl-C stops Tessera${core.demo && !core.demoReused ? ' and the demo servers' : ''}.)\n`);
  if (!values['no-open']) await opener(host.launchUrl);
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
