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
  'packages/uma/src/kernel': 0,
  'packages/uma/src/http': 1,
  'src/demo': 1, // the demo servers are self-contained: they import nothing of the client
  'packages/uma/src/uma': 2,
  'src/vault': 2,
  'packages/uma/src/identity': 3, // signs the requesting party in; implements the engine's ports
  'src/probe': 3,
  'src/app': 4,
  'src/cli': 5,
  'src/host': 5,
  'src/main': 5,
  'src/preload': 5,
  'src/start.ts': 6,
  'packages/uma/src': 3.5, // the package's entry files: they re-export the engine folders (the app imports them by name)
};

const ROOT = join(import.meta.dirname, '..', '..');

/** The engine: the protocol layer published as packages/uma (`@tessera/uma`). */
const ENGINE = ['packages/uma/src/kernel', 'packages/uma/src/http', 'packages/uma/src/uma', 'packages/uma/src/identity'];

function packageJson(dir: string): { exports: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
}

/** Static and dynamic imports of `@tessera/…` in `files`. */
function packageImports(files: string[]): { file: string; spec: string }[] {
  return files.flatMap((file) => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](@tessera\/[^'"]+)['"]/g)].map((m) => ({ file, spec: m[1]! })));
}

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (/\.(ts|tsx)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/**
 * `src/<folder>` for files in a folder, the file itself for top-level files, `renderer` for the UI;
 * in the package, `packages/uma/src/<folder>` for the engine's folders and `packages/uma/src` for its entries.
 */
function unit(file: string): string {
  const inPackage = normalize(file).split(sep);
  if (inPackage.slice(0, 3).join('/') === 'packages/uma/src') {
    const rest = inPackage.slice(3);
    const asDir = rest.length === 1 && existsSync(join(ROOT, file)) && statSync(join(ROOT, file)).isDirectory();
    return rest.length > 1 || asDir ? `packages/uma/src/${rest[0]}` : 'packages/uma/src';
  }
  const parts = normalize(file).split(sep);
  if (parts[0] !== 'src') return parts[0]!;
  if (parts.length === 2 && existsSync(join(ROOT, file)) && statSync(join(ROOT, file)).isDirectory()) return file; // `../vault` (index)
  return parts.length > 2 ? `src/${parts[1]}` : `src/${parts[1]!.replace(/\.tsx?$/, '')}.ts`;
}

interface Edge { from: string; to: string; file: string; spec: string; typeOnly: boolean }

function edges(): Edge[] {
  const result: Edge[] = [];
  for (const file of [...sources('src'), ...sources('renderer'), ...sources('packages/uma/src')]) {
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
    expect(graph.filter((e) => e.from === 'packages/uma/src/kernel').map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it('the renderer imports only the contract, and only its types (or its dependency-free method list, or the kernel\'s URL rules and bounded JSON parse)', () => {
    const bad = graph
      .filter((e) => e.from === 'renderer')
      .filter((e) => !(e.to === 'src/app' && /\/app\/(api|api-methods|views|trace-import)$/.test(e.spec.replace(/\.(ts|tsx)$/, '')) && (e.typeOnly || /(api-methods|trace-import)$/.test(e.spec))))
      .filter((e) => !(e.to === 'packages/uma/src/kernel' && /\/kernel\/(urls|json)$/.test(e.spec)))
      .map((e) => `${e.file} imports ${e.spec}`);
    expect(bad).toEqual([]);
  });

  it('the URL rules the renderer loads (packages/uma/src/kernel/urls.ts) depend on the kernel\'s errors only, which depend on nothing', () => {
    const imports = (file: string) => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^import\s+(?:type\s+)?[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    expect(imports('packages/uma/src/kernel/urls.ts')).toEqual(['./errors']);
    expect(imports('packages/uma/src/kernel/errors.ts')).toEqual([]);
  });

  it('the bounded JSON parse the renderer loads (packages/uma/src/kernel/json.ts) depends on nothing', () => {
    const source = readFileSync(join(ROOT, 'packages/uma/src/kernel/json.ts'), 'utf8');
    expect([...source.matchAll(/^import\s/gm)]).toEqual([]);
  });

  it('the trace-import schema the renderer loads depends on zod, the contract\'s types and the server-event schema only', () => {
    const source = readFileSync(join(ROOT, 'src/app/trace-import.ts'), 'utf8');
    const imports = [...source.matchAll(/^import\s+(type\s+)?[^'"]*['"]([^'"]+)['"]/gm)].map((m) => `${m[1] ? 'type ' : ''}${m[2]}`);
    expect(imports).toEqual(['zod', 'type ./api', '../demo/event-schema']);
  });

  it('the server-event schema (the demo\'s wire format, which trace-import loads into the renderer) depends on zod only', () => {
    const source = readFileSync(join(ROOT, 'src/demo/event-schema.ts'), 'utf8');
    expect([...source.matchAll(/^import\s+(?:type\s+)?[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1])).toEqual(['zod']);
  });

  it('the app, the faces, the probe, the vault and the demo reach the engine only through @tessera/uma', () => {
    const engine = new Set(ENGINE);
    const relative = graph.filter((e) => !engine.has(e.from) && e.from !== 'renderer' && e.from !== 'packages/uma/src' && engine.has(e.to)).map((e) => `${e.file} imports ${e.spec}`);
    expect(relative, 'import it from @tessera/uma (run node scripts/uma-imports.mjs)').toEqual([]);
    const exported = new Set(Object.keys(packageJson('packages/uma').exports).map((k) => `@tessera/uma${k.slice(1)}`));
    const bare = packageImports(sources('src').filter((f) => !engine.has(unit(f))));
    expect(bare.length).toBeGreaterThan(20); // the check sees the imports it polices
    expect(bare.filter((i) => !exported.has(i.spec)).map((i) => `${i.file} imports ${i.spec}`), 'only the entries in packages/uma/package.json exports').toEqual([]);
  });

  it('the engine and its package entry import nothing of the app, the faces, the vault or the demo, nor the package itself', () => {
    const engine = new Set(ENGINE);
    const out = graph.filter((e) => engine.has(e.from) && !engine.has(e.to)).map((e) => `${e.file} imports ${e.spec}`);
    expect(out).toEqual([]);
    const entry = sources('packages/uma/src');
    expect(entry.length).toBeGreaterThan(2);
    const bad = [];
    for (const file of entry) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (spec.startsWith('@tessera/')) bad.push(`${file} imports ${spec}`);
        else if (spec.startsWith('.') && !engine.has(unit(normalize(join(dirname(file), spec)))) && !normalize(join(dirname(file), spec)).startsWith(normalize('packages/uma/src'))) bad.push(`${file} imports ${spec}`);
      }
    }
    for (const file of [...ENGINE.flatMap((d) => sources(d))]) {
      for (const i of packageImports([file])) bad.push(`${i.file} imports ${i.spec}`);
    }
    expect(bad).toEqual([]);
  });

  it('finds an engine import that bypasses the package when one is planted (the check can fail)', () => {
    const planted: Edge = { from: 'src/app', to: 'packages/uma/src/uma', file: 'src/app/x.ts', spec: '../uma/agent', typeOnly: false };
    expect([planted].filter((e) => ENGINE.includes(e.to) && !ENGINE.includes(e.from))).toHaveLength(1);
  });

  it('finds a cycle when one is planted (the check can fail)', () => {
    const planted = [...graph, { from: 'packages/uma/src/kernel', to: 'src/app', file: 'x', spec: 'y', typeOnly: false }];
    expect(planted.some((e) => (LAYERS[e.to] ?? 99) >= (LAYERS[e.from] ?? -1) && e.from !== e.to)).toBe(true);
  });
});
