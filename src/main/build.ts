/**
 * Bundles the Electron main process and the preload with esbuild (a sandboxed preload can only
 * `require('electron')`, so it must be one file). Output: dist/electron/{main,preload}.cjs.
 */
import { join } from 'node:path';

export async function buildElectron(root: string): Promise<string> {
  const { build } = await import('esbuild');
  const outdir = join(root, 'dist', 'electron');
  await build({ entryPoints: { main: join(root, 'src/main/index.ts') }, outdir, outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', external: ['electron'], logLevel: 'warning' });
  await build({ entryPoints: { preload: join(root, 'src/preload/index.ts') }, outdir, outExtension: { '.js': '.cjs' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['electron'], logLevel: 'warning' });
  return join(outdir, 'main.cjs');
}
