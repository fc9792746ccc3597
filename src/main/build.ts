/**
 * Bundles the Electron main process and the preload with esbuild (a sandboxed preload can only
 * `require('electron')`, so it must be one file). Output: dist/electron/{main,preload}.cjs (tests pass
 * another directory at the same depth, so `../../dist/renderer` still names the renderer).
 */
import { join } from 'node:path';

export async function buildElectron(root: string, outdir = join(root, 'dist', 'electron')): Promise<string> {
  const { build } = await import('esbuild');
  // The Keycloak demo finds its files through import.meta.url and falls back to the working
  // directory where a CommonJS bundle leaves it empty (src/demo/keycloak/dist.ts): not a problem here.
  // Dependencies stay external, except the engine package of this repository: it is bundled from its
  // TypeScript sources (its `source` export condition), so the app needs no separate build of it.
  const externals = { name: 'externals-but-engine', setup(b: { onResolve(o: { filter: RegExp }, f: (a: { path: string; kind: string }) => { external: boolean } | undefined): void }) {
    b.onResolve({ filter: /^[^./]/ }, (a) => (a.kind === 'entry-point' || a.path === '@tessera/uma' || a.path.startsWith('@tessera/uma/') ? undefined : { external: true }));
  } };
  await build({ entryPoints: { main: join(root, 'src/main/index.ts') }, outdir, outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', conditions: ['source'], plugins: [externals], external: ['electron'], logLevel: 'warning', logOverride: { 'empty-import-meta': 'silent' } });
  await build({ entryPoints: { preload: join(root, 'src/preload/index.ts') }, outdir, outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['electron'], logLevel: 'warning' });
  return join(outdir, 'main.cjs');
}
