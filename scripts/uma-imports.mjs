#!/usr/bin/env node
// Rewrites imports of the UMA engine (packages/uma/src/kernel, packages/uma/src/http, packages/uma/src/uma, packages/uma/src/identity) in the app, the
// faces, the vault and the demo into imports of the package's public entries (`@tessera/uma`,
// `@tessera/uma/node`, `@tessera/uma/engine`, `@tessera/uma/portable`), choosing for every imported name the first entry that
// exports it. Idempotent; re-run it after merging a branch that added such an import:
//   node scripts/uma-imports.mjs            (rewrite)
//   node scripts/uma-imports.mjs --check    (list what would change, exit 1 if anything)
// Needs only the TypeScript compiler of the repository.
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const ENGINE = ['kernel', 'http', 'uma', 'identity'];
/** Where the engine sources live (before and after the move into the package). */
const ENGINE_ROOT = existsSync(join(ROOT, 'packages/uma/src/kernel')) ? join(ROOT, 'packages/uma/src') : join(ROOT, 'src');
const CONSUMERS = ['src/app', 'src/cli', 'src/probe', 'src/host', 'src/main', 'src/preload', 'src/vault', 'src/demo', 'src/start.ts'];
const ENTRIES = [
  // No Node API first: what the renderer's type-check (DOM, no Node) may read through src/app/api.ts.
  ['@tessera/uma/portable', 'packages/uma/src/portable.ts'],
  ['@tessera/uma', 'packages/uma/src/index.ts'],
  ['@tessera/uma/node', 'packages/uma/src/node.ts'],
  ['@tessera/uma/engine', 'packages/uma/src/engine.ts'],
];

// The names each entry exports, read by the type checker.
const program = ts.createProgram(ENTRIES.map(([, f]) => join(ROOT, f)), { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2023, noEmit: true, skipLibCheck: true, customConditions: ['source'] });
const checker = program.getTypeChecker();
const exported = ENTRIES.map(([name, file]) => {
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(join(ROOT, file)));
  return [name, new Set(checker.getExportsOfModule(symbol).map((s) => s.getName()))];
});

function files(path, out = []) {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return out;
  if (statSync(abs).isFile()) { if (/\.tsx?$/.test(path)) out.push(abs); return out; }
  for (const name of readdirSync(abs)) files(join(path, name), out);
  return out;
}

const isEngine = (target) => ENGINE.some((d) => target === join(ENGINE_ROOT, d) || target.startsWith(join(ENGINE_ROOT, d) + sep));

let changed = 0;
for (const file of CONSUMERS.flatMap((c) => files(c))) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const edits = [];
  const merged = [];
  for (const node of source.statements) {
    if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) || !node.moduleSpecifier || !ts.isStringLiteral(node.moduleSpecifier)) continue;
    const spec = node.moduleSpecifier.text;
    if (!spec.startsWith('.')) continue;
    if (!isEngine(resolve(dirname(file), spec))) continue;
    const isExport = ts.isExportDeclaration(node);
    const clause = isExport ? node : node.importClause;
    const wholeType = isExport ? node.isTypeOnly : clause?.isTypeOnly;
    const named = isExport ? node.exportClause : clause?.namedBindings;
    if (!named || !ts.isNamedImports(named) && !ts.isNamedExports(named) || (!isExport && clause.name)) {
      throw new Error(`${relative(ROOT, file)}: only named imports of the engine can be rewritten (${spec})`);
    }
    const groups = new Map();
    for (const el of named.elements) {
      const name = (el.propertyName ?? el.name).text;
      const entry = exported.find(([, names]) => names.has(name))?.[0];
      if (!entry) throw new Error(`${relative(ROOT, file)}: no public entry exports ${name} (from ${spec}); export it from packages/uma/src first`);
      const list = groups.get(entry) ?? [];
      list.push(el.getText(source));
      groups.set(entry, list);
    }
    for (const [entry, list] of groups) merged.push({ key: `${isExport ? 'export' : 'import'} ${wholeType ? 'type ' : ''}@${entry}`, entry, isExport, wholeType, list });
    edits.push({ start: node.getFullStart(), end: node.getEnd(), first: edits.length === 0, at: node.getStart(source) });
  }
  if (edits.length) {
    // One statement per (entry, import/export, type-only), placed where the first engine import was.
    const statements = new Map();
    for (const m of merged) {
      const s = statements.get(m.key) ?? { ...m, list: [] };
      for (const item of m.list) if (!s.list.includes(item)) s.list.push(item);
      statements.set(m.key, s);
    }
    const replacement = [...statements.values()].map((s) => `${s.isExport ? 'export' : 'import'} ${s.wholeType ? 'type ' : ''}{ ${s.list.join(', ')} } from '${s.entry}';`).join('\n');
    const first = edits[0];
    const leading = text.slice(first.start, first.at);
    edits[0] = { start: first.start, end: first.end, replacement: leading + replacement };
    for (const e of edits.slice(1)) e.replacement = '';
  }
  if (!edits.length) continue;
  changed++;
  let out = text;
  for (const e of edits.reverse()) out = out.slice(0, e.start) + e.replacement + out.slice(e.end);
  if (check) console.log(`would rewrite ${relative(ROOT, file)}`);
  else writeFileSync(file, out);
}
console.log(`${check ? 'to rewrite' : 'rewrote'}: ${changed} file(s)`);
if (check && changed) process.exitCode = 1;
