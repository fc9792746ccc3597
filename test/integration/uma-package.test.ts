/**
 * Proof that @tessera/uma stands alone: the package is built and packed (`npm pack`, which runs its
 * build), the tarball is installed into a scratch project in a temp directory outside the repository
 * with nothing else of Tessera, type-checked there as a consumer would (moduleResolution node16 and
 * bundler), and the README's examples plus a need_info round run from it under Node 24 and Node 22
 * (the `node` package of the npm registry, cached like .ci/run does) against demo servers started here
 * on ephemeral ports (fresh ones per runtime, so an approval of one run does not pre-empt the next): granted with a pushed ID token, need_info answered by pushing, interactive claims
 * in the browser, pending until the owner approves.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { ownerSession, personOpens, signIn } from '../fixtures/demo-people';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
/** The runtimes the package declares (engines: node >=22): 24 LTS as .ci/run pins it, and 22 LTS. */
const NODE24_VERSION = '24.21.0';
const NODE22_VERSION = '22.23.3';
const CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tessera');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Node `version` from the cache, installed from the npm registry when missing; else why not. */
async function nodeFromRegistry(version: string): Promise<{ path: string } | { skip: string }> {
  const prefix = join(CACHE, `node-${version}`);
  const binary = join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(binary)) {
    try {
      mkdirSync(prefix, { recursive: true });
      await run(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', `node@${version}`], { timeout: 240_000 });
    } catch (error) {
      return { skip: `Node ${version} could not be installed from the npm registry (${(error as Error).message.split('\n')[0]})` };
    }
  }
  try {
    const { stdout } = await run(binary, ['--version']);
    return stdout.trim() === `v${version}` ? { path: binary } : { skip: `${binary} is ${stdout.trim()}` };
  } catch (error) {
    return { skip: `${binary} does not run (${(error as Error).message.split('\n')[0]})` };
  }
}

let scratch: string | undefined;
let node: string | undefined;
let node22: string | undefined;
let skipped: string | undefined;
let skipped22: string | undefined;
let packed: { filename: string; size: number; unpackedSize: number; entryCount: number } | undefined;

beforeAll(async () => {
  const found = await nodeFromRegistry(NODE24_VERSION);
  const found22 = await nodeFromRegistry(NODE22_VERSION);
  if ('skip' in found22) {
    skipped22 = found22.skip;
    process.stdout.write(`skipped: ${skipped22}\n`);
  } else node22 = found22.path;
  if ('skip' in found) {
    skipped = found.skip;
    process.stdout.write(`skipped: ${skipped}\n`);
    return;
  }
  node = found.path;
  // With Node 24 first on PATH, npm (and the package's engines check) run on it too.
  const env = { ...process.env, PATH: `${dirname(node)}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}` };
  scratch = mkdtempSync(join(tmpdir(), 'tessera-uma-consumer-'));
  const packDir = join(scratch, 'pack');
  mkdirSync(packDir);
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', packDir, '-w', '@tessera/uma'], { cwd: ROOT, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
  [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as NonNullable<typeof packed>[];
  process.stdout.write(`@tessera/uma packed: ${packed!.filename} ${(packed!.size / 1024).toFixed(1)} kB (unpacked ${(packed!.unpackedSize / 1024).toFixed(1)} kB, ${packed!.entryCount} files)\n`);

  const app = join(scratch, 'app');
  mkdirSync(join(app, 'examples'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uma-consumer', private: true, type: 'module' }));
  for (const file of ['push-id-token.ts', 'interactive-claims.ts', 'pending-polling.ts']) cpSync(join(ROOT, 'packages/uma/examples', file), join(app, 'examples', file));
  cpSync(join(ROOT, 'test/fixtures/uma-package-consumer.ts'), join(app, 'main.ts'));
  // Only the tarball and tools from the registry (typescript and Node's types, for the type-check).
  await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(packDir, packed!.filename), 'typescript@6.0.3', '@types/node@20.19.43'], { cwd: app, env, timeout: 240_000 });
}, 600_000);

afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('@tessera/uma from its packed tarball, in a project with nothing else of Tessera', () => {
  it('the tarball holds the built package only: ESM, declarations, README, CHANGELOG', async (ctx) => {
    if (skipped) return ctx.skip();
    const app = join(scratch!, 'app');
    const installed = join(app, 'node_modules', '@tessera', 'uma');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
    expect(manifest.version).toBe('0.1.0');
    expect(manifest.engines.node).toBe('>=22');
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'dist/engine.js', 'README.md', 'CHANGELOG.md']) expect(existsSync(join(installed, file)), file).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'lmdb'))).toBe(false); // the demo's store stays out
    expect(existsSync(join(app, 'node_modules', 'tessera'))).toBe(false);
  });

  it('type-checks as a consumer with moduleResolution node16 and bundler (declarations checked too)', async (ctx) => {
    if (skipped) return ctx.skip();
    const app = join(scratch!, 'app');
    const check = async (resolution: 'node16' | 'bundler') => {
      const config = { compilerOptions: { strict: true, noEmit: true, allowImportingTsExtensions: true, target: 'ES2023', lib: ['ES2023'], types: ['node'], skipLibCheck: false, module: resolution === 'node16' ? 'node16' : 'esnext', moduleResolution: resolution }, include: ['main.ts', 'examples/*.ts'] };
      writeFileSync(join(app, `tsconfig.${resolution}.json`), JSON.stringify(config));
      const result = await run(node!, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${resolution}.json`], { cwd: app, timeout: 150_000 }).catch((e: { stdout: string }) => e);
      return `${resolution}: ${'stdout' in result ? result.stdout : ''}`.trim();
    };
    expect(await Promise.all([check('node16'), check('bundler')])).toEqual(['node16:', 'bundler:']);
  }, 180_000);

  for (const [major, version] of [['24', NODE24_VERSION], ['22', NODE22_VERSION]] as const) it(`runs the full loop under Node ${major}: granted, need_info answered by pushing, interactive claims, pending then approved`, async (ctx) => {
    const runtime = major === '24' ? node : node22;
    if (skipped || !runtime) return ctx.skip();
    const demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
    try {
      await fullLoop(runtime, version, demo);
    } finally {
      await demo.close();
    }
  }, 120_000);
});

async function fullLoop(runtime: string, version: string, demo: DemoHandle): Promise<void> {
  const config = demo.config;
  const idToken = String((await signIn(config, 'alice')).id_token);
  const input = {
    rs: Object.fromEntries(config.rs.resources.map((r) => [r.name, r.url])),
    asIssuer: config.as.issuer,
    client: { clientId: config.as.tesseraClient.client_id, clientSecret: config.as.tesseraClient.client_secret },
    party: `${config.idp.issuer}#alice`,
    idToken,
  };
  const child = spawn(runtime, ['main.ts', JSON.stringify(input)], { cwd: join(scratch!, 'app'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const events: { event: string; [k: string]: unknown }[] = [];
  const kate = await ownerSession(config);
  const person = personOpens(config, 'alice');
  const acting: Promise<unknown>[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const event = JSON.parse(line) as { event: string; url?: string };
    events.push(event);
    // The person and the owner act when the scratch app asks, as they would in life.
    if (event.event === 'open') acting.push(person(event.url!));
    if (event.event === 'pending') acting.push(kate.decide('approve'));
  }
  await Promise.all(acting);
  const code = await new Promise<number | null>((resolve) => { if (child.exitCode !== null) resolve(child.exitCode); else child.once('exit', resolve); });
  expect(stderr.replace(/^.*ExperimentalWarning.*$|^.*--trace-warnings.*$/gm, '').trim()).toBe('');
  expect(code).toBe(0);
  expect(events.map((e) => e.event)).toEqual(['node', 'granted', 'need_info_pushed', 'open', 'granted', 'pending', 'granted', 'done']);
  expect(events[0]).toMatchObject({ version: `v${version}` });
  expect(events[1]).toMatchObject({ example: 'push-id-token', kind: 'prescriptions' });
  expect(events[2]).toMatchObject({ steps: ['resource:401', 'discovery:200', 'discovery:200', 'token:403:need_info', 'token:200:rpt_issued', 'resource:200'], kind: 'prescriptions' });
  expect(events[4]).toMatchObject({ example: 'interactive-claims', kind: 'lab-report' });
  expect(events[5]).toMatchObject({ interval: 1 });
  expect(events[6]).toMatchObject({ example: 'pending-polling', kind: 'care-notes' });
}
