/**
 * The layering of DESIGN.md, checked on the import graph: every folder imports only folders of a
 * lower layer (or itself), so there can be no folder-level cycle; the kernel imports nothing of
 * Tessera; the renderer sees only the contract's types. Reads the sources as text (static and
 * dynamic relative imports), so a new folder must be given a layer here before it can land.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Lower number = lower layer; a folder imports only folders with a lower number. */
const LAYERS: Record<string, number> = {
  'src/kernel': 0,
  'src/http': 1,
  'src/demo': 1, // the demo servers are self-contained: they import nothing of the client
  'src/uma': 2,
  'src/vault': 2,
  'src/identity': 3, // signs the requesting party in; implements the engine's ports
  'src/probe': 3,
  'src/app': 4,
  'src/cli': 5,
  'src/host': 5,
  'src/main': 5,
  'src/preload': 5,
  'src/start.ts': 6,
};

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (/\.(ts|tsx)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** `src/<folder>` for files in a folder, the file itself for top-level files, `renderer` for the UI. */
function unit(file: string): string {
  const parts = normalize(file).split(sep);
  if (parts[0] !== 'src') return parts[0]!;
  if (parts.length === 2 && existsSync(join(ROOT, file)) && statSync(join(ROOT, file)).isDirectory()) return file; // `../vault` (index)
  return parts.length > 2 ? `src/${parts[1]}` : `src/${parts[1]!.replace(/\.tsx?$/, '')}.ts`;
}

interface Edge { from: string; to: string; file: string; spec: string; typeOnly: boolean }

function edges(): Edge[] {
  const result: Edge[] = [];
  for (const file of [...sources('src'), ...sources('renderer')]) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(import\s+type\s[^'"]*?from\s*|(?:from|import)\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(file), m[2]!));
      const from = unit(file);
      const toUnit = unit(target);
      if (from !== toUnit) result.push({ from, to: toUnit, file, spec: m[2]!, typeOnly: m[1]!.startsWith('import type') });
    }
  }
  return result;
}

describe('architecture', () => {
  const graph = edges();

  it('every folder has a layer', () => {
    const units = new Set(graph.flatMap((e) => [e.from, e.to]).filter((u) => u !== 'renderer'));
    const unknown = [...units].filter((u) => LAYERS[u] === undefined);
    expect(unknown, 'give new folders a layer in test/unit/architecture.test.ts').toEqual([]);
  });

  it('imports go only downwards (so no folder-level cycle exists)', () => {
    const upward = graph
      .filter((e) => e.from !== 'renderer')
      .filter((e) => (LAYERS[e.to] ?? 99) >= (LAYERS[e.from] ?? -1))
      .map((e) => `${e.file} imports ${e.spec} (${e.from} → ${e.to})`);
    expect(upward).toEqual([]);
  });

  it('the kernel imports nothing of Tessera', () => {
    expect(graph.filter((e) => e.from === 'src/kernel').map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it('the renderer imports only the contract, and only its types (or its dependency-free method list, or the kernel\'s URL rules)', () => {
    const bad = graph
      .filter((e) => e.from === 'renderer')
      .filter((e) => !(e.to === 'src/app' && /\/app\/(api|api-methods|views|trace-import)$/.test(e.spec.replace(/\.(ts|tsx)$/, '')) && (e.typeOnly || /(api-methods|trace-import)$/.test(e.spec))))
      .filter((e) => !(e.to === 'src/kernel' && /\/kernel\/urls$/.test(e.spec)))
      .map((e) => `${e.file} imports ${e.spec}`);
    expect(bad).toEqual([]);
  });

  it('the URL rules the renderer loads (src/kernel/urls.ts) depend on the kernel\'s errors only, which depend on nothing', () => {
    const imports = (file: string) => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^import\s+(?:type\s+)?[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    expect(imports('src/kernel/urls.ts')).toEqual(['./errors']);
    expect(imports('src/kernel/errors.ts')).toEqual([]);
  });

  it('the trace-import schema the renderer loads depends on zod and the contract\'s types only', () => {
    const source = readFileSync(join(ROOT, 'src/app/trace-import.ts'), 'utf8');
    const imports = [...source.matchAll(/^import\s+(type\s+)?[^'"]*['"]([^'"]+)['"]/gm)].map((m) => `${m[1] ? 'type ' : ''}${m[2]}`);
    expect(imports).toEqual(['zod', 'type ./api']);
  });

  it('finds a cycle when one is planted (the check can fail)', () => {
    const planted = [...graph, { from: 'src/kernel', to: 'src/app', file: 'x', spec: 'y', typeOnly: false }];
    expect(planted.some((e) => (LAYERS[e.to] ?? 99) >= (LAYERS[e.from] ?? -1) && e.from !== e.to)).toBe(true);
  });
});
