#!/usr/bin/env node
// Moves the UMA engine (src/kernel, src/http, src/uma, src/identity) into the package that publishes
// it, packages/uma/src, keeping the relative layout (so imports inside the engine stay valid), and
// rewrites every path that named the old place. Purely mechanical and idempotent: re-run it after
// merging a branch that still adds or edits files under the old folders.
//   node scripts/move-engine.mjs
// 1. `git mv` of every tracked file of the four folders (new files too, after a merge);
// 2. relative import specifiers (static, dynamic, vi.mock, vi.importActual) that resolved into an old
//    folder are recomputed from the importing file's new place;
// 3. other repository-relative mentions (`src/uma/...` in strings, configs, comments, DESIGN.md,
//    README.md) get the `packages/uma/` prefix.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['kernel', 'http', 'uma', 'identity'];
const FROM = (f) => join(ROOT, 'src', f);
const TO = (f) => join(ROOT, 'packages', 'uma', 'src', f);
const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });

/** Where an absolute path is after the move (unchanged outside the four folders). */
function moved(path) {
  for (const f of FOLDERS) {
    const from = FROM(f);
    if (path === from || path.startsWith(from + sep)) return TO(f) + path.slice(from.length);
  }
  return path;
}

// Files to edit: tracked sources, tests, benches, scripts, configs and docs (before moving, at old paths).
const EDITABLE = /\.(ts|tsx|mts|js|mjs|cjs|json|md)$/;
const SKIP = /^(node_modules|dist|packages\/uma\/dist|packages\/uma\/docs|package-lock\.json$|scripts\/move-engine\.mjs$)/;
const tracked = git('ls-files', '-z').split('\0').filter((f) => f && EDITABLE.test(f) && !SKIP.test(f) && existsSync(join(ROOT, f)));

const SPECIFIER = /((?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bvi\.(?:mock|doMock|importActual)\s*\(\s*|\brequire\s*\(\s*)(['"]))(\.{1,2}\/[^'"\n]*)\2/g;
const MENTION = /(^|[^\w./-]|\.\/)src\/(kernel|http|uma|identity)(?=[/'"`\s)\]*,:.]|$)/gm;

let edited = 0;
for (const file of tracked) {
  const abs = join(ROOT, file);
  const text = readFileSync(abs, 'utf8');
  const newAbs = moved(abs);
  let out = text;
  if (/\.(ts|tsx|mts|js|mjs|cjs)$/.test(file)) {
    out = out.replace(SPECIFIER, (whole, lead, quote, spec) => {
      const target = normalize(resolve(dirname(abs), spec));
      const newTarget = moved(target);
      if (newTarget === target && newAbs === abs) return whole;
      let rel = relative(dirname(newAbs), newTarget).split(sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      if (spec.endsWith('/') && !rel.endsWith('/')) rel += '/';
      return `${lead}${rel}${quote}`;
    });
  }
  // Repository-relative mentions: only where they are not already inside packages/uma/ and are not relative specifiers.
  out = out.replace(MENTION, (whole, before, folder) => `${before}packages/uma/src/${folder}`);
  if (out !== text) {
    writeFileSync(abs, out);
    edited++;
  }
}

// Move the files (after editing them in place, so `git mv` carries the edits along).
let movedCount = 0;
for (const f of FOLDERS) {
  if (!existsSync(FROM(f))) continue;
  for (const file of git('ls-files', '-z', '--', `src/${f}`).split('\0').filter(Boolean)) {
    const target = moved(join(ROOT, file));
    mkdirSync(dirname(target), { recursive: true });
    git('mv', '-k', file, relative(ROOT, target));
    movedCount++;
  }
}
for (const f of FOLDERS) {
  // Untracked leftovers (none expected) keep the old folder alive: say so rather than lose them.
  if (existsSync(FROM(f)) && readdirSync(FROM(f)).length > 0 && statSync(FROM(f)).isDirectory()) console.error(`left in src/${f}: ${readdirSync(FROM(f)).join(', ')}`);
}
console.log(`moved ${movedCount} file(s) into packages/uma/src; edited ${edited} file(s)`);
