// Builds the package: one ESM bundle per entry (esbuild; shared modules in shared chunks, so the
// three entries share one TesseraError class and one redaction scope) and the type declarations
// (tsc, then relative specifiers get their `.js` so consumers on moduleResolution node16 resolve
// them). Dependencies stay external: they are the package's own dependencies.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const entries = ['index', 'node', 'engine', 'portable'];
rmSync(dist, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(entries.map((e) => [e, `src/${e}.ts`])),
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  packages: 'external',
  conditions: ['source'],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

/** Every .d.ts under `dir`. */
function declarations(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) declarations(path, out);
    else if (name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

// `'..'` too: tsc may name a type through the package's own index (`import("..").RecordMeta`).
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*)(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g;
for (const file of declarations(join(dist, 'types'))) {
  const text = readFileSync(file, 'utf8').replace(SPECIFIER, (whole, lead, quote, spec) => {
    if (/\.(js|mjs|cjs)$/.test(spec)) return whole;
    const target = join(dirname(file), spec);
    if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${spec}.js${quote}`;
    if (existsSync(join(target, 'index.d.ts'))) return `${lead}${quote}${spec.replace(/\/$/, '')}/index.js${quote}`;
    throw new Error(`${relative(root, file)}: cannot resolve ${spec}`);
  });
  writeFileSync(file, text);
}

// Stable entry declarations beside the bundles, wherever tsc placed the sources' declarations.
for (const entry of entries) {
  const [declared] = declarations(join(dist, 'types')).filter((f) => f.endsWith(`${join('packages', 'uma', 'src', entry)}.d.ts`) || f === join(dist, 'types', `${entry}.d.ts`));
  if (!declared) throw new Error(`no declarations for ${entry}`);
  const spec = `./${relative(dist, declared).split('\\').join('/').replace(/\.d\.ts$/, '.js')}`;
  writeFileSync(join(dist, `${entry}.d.ts`), `export * from '${spec}';\n`);
}
console.log(`built ${relative(process.cwd(), dist) || '.'}: ${entries.map((e) => `${e}.js`).join(', ')} + declarations`);
