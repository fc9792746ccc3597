/**
 * The CLI runs from a bundle (bin/cli-bundle.js): the freshness check that decides a rebuild in a
 * checkout, and what `tessera --help` loads (no command module, no dependency).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { cliBuildOptions, cliBundleIsStale, ensureCliBundle, ROOT } from '../../bin/cli-bundle.js';
import { commands } from '../../src/cli/registry';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fakeCheckout(): string {
  const root = mkdtempSync(join(tmpdir(), 'tessera-cli-bundle-'));
  dirs.push(root);
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'src', 'cli', 'a.ts'), 'export {}');
  writeFileSync(join(root, 'src', 'cli', 'b.ts'), 'export {}');
  const past = new Date(Date.now() - 60_000);
  for (const f of ['a.ts', 'b.ts']) utimesSync(join(root, 'src', 'cli', f), past, past);
  writeFileSync(join(root, 'dist', 'cli', 'tessera.mjs'), '');
  writeFileSync(join(root, 'dist', 'cli', 'manifest.json'), JSON.stringify({ startedAt: Date.now() - 30_000, inputs: ['src/cli/a.ts', 'src/cli/b.ts'] }));
  return root;
}

describe('the CLI bundle', () => {
  it('is fresh when no input changed since the build started', () => {
    expect(cliBundleIsStale(fakeCheckout())).toBe(false);
  });

  it('is stale when an input is newer than the build, was removed, or there is no bundle or manifest', () => {
    const edited = fakeCheckout();
    writeFileSync(join(edited, 'src', 'cli', 'b.ts'), 'export const x = 1;');
    expect(cliBundleIsStale(edited)).toBe(true);

    const removed = fakeCheckout();
    rmSync(join(removed, 'src', 'cli', 'a.ts'));
    expect(cliBundleIsStale(removed)).toBe(true);

    const noBundle = fakeCheckout();
    rmSync(join(noBundle, 'dist', 'cli', 'tessera.mjs'));
    expect(cliBundleIsStale(noBundle)).toBe(true);

    const noManifest = fakeCheckout();
    rmSync(join(noManifest, 'dist', 'cli', 'manifest.json'));
    expect(cliBundleIsStale(noManifest)).toBe(true);
  });

  it('an installed copy without sources runs the bundle it has, even when it looks stale', async () => {
    const root = fakeCheckout();
    rmSync(join(root, 'dist', 'cli', 'manifest.json'));
    expect(await ensureCliBundle(root)).toBe(join(root, 'dist', 'cli', 'tessera.mjs'));
  });

  it('--help loads no command module and no dependency: what the entry imports at start holds no node_modules code', async () => {
    const outdir = join(tmpdir(), `tessera-cli-meta-${process.pid}`);
    const { metafile } = await build({ ...cliBuildOptions(ROOT, outdir), write: false });
    const outputs = metafile!.outputs;
    const entry = Object.keys(outputs).find((o) => o.endsWith('/tessera.mjs'))!;
    const atStart = new Set<string>();
    const visit = (out: string) => {
      if (atStart.has(out)) return;
      atStart.add(out);
      for (const i of outputs[out]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
    };
    visit(entry);
    const inputs = [...atStart].flatMap((o) => Object.keys(outputs[o]!.inputs));
    expect(inputs).toContain('src/cli/main.ts');
    expect(inputs.filter((i) => i.includes('node_modules/') || i.startsWith('src/cli/commands/'))).toEqual([]);
    const external = [...atStart].flatMap((o) => outputs[o]!.imports.filter((i) => i.external).map((i) => i.path));
    expect(external.every((p) => p.startsWith('node:')), external.join(', ')).toBe(true);
    expect(cliBundleIsStale((await ensureCliBundle(), ROOT))).toBe(false);
  }, 60_000);

  it('holds zod\'s English messages only (its other languages were 290 kB parsed at every start)', async () => {
    const outdir = join(tmpdir(), `tessera-cli-meta-zod-${process.pid}`);
    const { metafile } = await build({ ...cliBuildOptions(ROOT, outdir), write: false });
    const inputs = Object.values(metafile!.outputs).flatMap((o) => Object.keys(o.inputs));
    const locales = [...new Set(inputs.filter((i) => /node_modules\/zod\/.*\/locales\/(?!index)/.test(i)))];
    expect(locales.map((i) => i.replace(/.*\/locales\//, ''))).toEqual(['en.js']);
    expect(inputs.some((i) => i.includes('node_modules/zod/v4/classic/schemas.js'))).toBe(true);
  }, 60_000);

  it('each command line of the registry carries its module\'s own summary', async () => {
    for (const [name, { summary, load }] of Object.entries(commands)) expect(summary, name).toBe((await load()).default.summary);
  });
});
