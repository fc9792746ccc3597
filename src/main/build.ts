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
  await build({ entryPoints: { main: join(root, 'src/main/index.ts') }, outdir, outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', external: ['electron'], logLevel: 'warning', logOverride: { 'empty-import-meta': 'silent' } });
  await build({ entryPoints: { preload: join(root, 'src/preload/index.ts') }, outdir, outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['electron'], logLevel: 'warning' });
  return join(outdir, 'main.cjs');
}
