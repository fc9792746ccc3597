// @ts-check
/**
 * The `tessera` command's build: every esbuild option of the CLI bundle lives here, once.
 *
 * The CLI runs from plain JavaScript (dist/cli/), not from tsx compiling TypeScript at every start:
 * `npm ci` builds it (the root package's `prepare` script), and bin/tessera.js rebuilds it first
 * when a source it was built from changed in a checkout. The freshness check reads the list of
 * inputs that esbuild's metafile named (dist/cli/manifest.json) and compares their mtimes with
 * the build's start: a few dozen `stat` calls, no walk of src/.
 *
 * Dependencies stay external (node_modules, as for the Electron main: src/main/build.ts) and the
 * commands are split into chunks, so `tessera --help` loads no command and no dependency.
 *
 * Usage: `node bin/cli-bundle.js` builds; `import { ensureCliBundle } from './cli-bundle.js'`.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository (or installed package) root: bin/.. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY_SOURCE = 'src/cli/run.ts';
const OUT = 'dist/cli';
const ENTRY_OUT = 'tessera.mjs';
const MANIFEST = 'manifest.json';
const EXTERNAL = ['@napi-rs/keyring', 'open', 'lmdb', 'electron'];

/**
 * zod carries its messages in some forty languages (about 290 kB of the 710 kB chunk every token
 * command parses at start). Tessera speaks English and never calls `z.locales`, so zod's own import
 * of its locale index resolves to English alone (the default zod registers itself).
 * @type {import('esbuild').Plugin}
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * The esbuild options of the CLI bundle (the one place to change them).
 * @param {string} root
 * @param {string} outdir
 * @returns {import('esbuild').BuildOptions}
 */
export function cliBuildOptions(root, outdir) {
  return {
    entryPoints: { tessera: join(root, ENTRY_SOURCE) },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // `@tessera/uma` from its TypeScript sources (the package's `source` export condition), so a
    // checkout needs no separate package build.
    conditions: ['source'],
    // Pure-JavaScript dependencies are bundled (one parse instead of hundreds of module files for zod,
    // jose, oauth4webapi); these stay in node_modules: native binaries, and `open`, which finds its
    // xdg-open script next to its own file.
    external: EXTERNAL,
    // CommonJS inside the bundle may `require` Node's built-ins.
    banner: { js: "import { createRequire as __tesseraRequire } from 'node:module'; const require = __tesseraRequire(import.meta.url);" },
    // Less to parse at every start (zod alone is ~750 kB unminified); names are kept for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [zodEnglishOnly],
    metafile: true,
    absWorkingDir: root,
    logLevel: 'warning',
  };
}

/**
 * Builds dist/cli/ from the sources (into a fresh directory, then swapped in, so a CLI starting
 * meanwhile sees the old bundle or the new one, never half of one). Returns the entry file.
 * @param {string} [root]
 * @returns {Promise<string>}
 */
export async function buildCli(root = ROOT) {
  const { build } = await import('esbuild');
  const out = join(root, OUT);
  const tmp = `${out}.${process.pid}.tmp`;
  const startedAt = Date.now();
  rmSync(tmp, { recursive: true, force: true });
  try {
    const result = await build(cliBuildOptions(root, tmp));
    const inputs = Object.keys(result.metafile?.inputs ?? {}).filter((p) => !p.includes('node_modules/'));
    inputs.push(relative(root, fileURLToPath(import.meta.url)));
    writeFileSync(join(tmp, MANIFEST), JSON.stringify({ startedAt, inputs }));
    const old = `${out}.${process.pid}.old`;
    mkdirSync(dirname(out), { recursive: true });
    try {
      renameSync(out, old);
    } catch {
      // no bundle yet
    }
    try {
      renameSync(tmp, out);
    } catch {
      // another process swapped its own build in first: use that one
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return join(out, ENTRY_OUT);
}

/**
 * Whether dist/cli/ is missing or older than any source it was built from (or than this file).
 * @param {string} [root]
 * @returns {boolean}
 */
export function cliBundleIsStale(root = ROOT) {
  let manifest;
  try {
    manifest = /** @type {{ startedAt: number, inputs: string[] }} */ (JSON.parse(readFileSync(join(root, OUT, MANIFEST), 'utf8')));
    statSync(join(root, OUT, ENTRY_OUT));
  } catch {
    return true;
  }
  for (const input of manifest.inputs) {
    try {
      if (statSync(join(root, input)).mtimeMs > manifest.startedAt) return true;
    } catch {
      return true; // a source was removed or renamed
    }
  }
  return false;
}

/**
 * The CLI's entry file, rebuilt first when this is a checkout whose sources changed since the
 * last build. Without esbuild (a production-only install) an existing bundle is used as it is.
 * @param {string} [root]
 * @returns {Promise<string>}
 */
export async function ensureCliBundle(root = ROOT) {
  const entry = join(root, OUT, ENTRY_OUT);
  if (!cliBundleIsStale(root)) return entry;
  try {
    statSync(join(root, ENTRY_SOURCE));
  } catch {
    return entry; // no sources here (an installed copy): the bundle is what there is
  }
  try {
    return await buildCli(root);
  } catch (error) {
    try {
      statSync(entry);
      process.stderr.write(`tessera: could not rebuild the CLI (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); running the previous build\n`);
      return entry;
    } catch {
      throw new Error(`tessera: the CLI is not built and could not be built (${error instanceof Error ? error.message.split('\n')[0] : String(error)}). Run \`npm ci\` in ${root}.`);
    }
  }
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  try {
    await buildCli();
  } catch (error) {
    // `npm ci --omit=dev` runs `prepare` without esbuild (a devDependency): not a failed install.
    if (!(error instanceof Error && 'code' in error && error.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes("'esbuild'"))) throw error;
    process.stderr.write('tessera: esbuild is not installed (devDependencies omitted): the CLI was not built; `npm ci` builds it.\n');
  }
}
