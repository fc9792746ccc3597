/**
 * The engine speaks in codes, the faces choose the words: no string in the layers below the faces
 * names a CLI flag (`--trust`) or a CLI command (`tessera login`). The CLI's advice table turns codes
 * and facts into flag advice, and never suggests a flag that was already passed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliAdvice } from '../../src/cli/advice';
import { outcomes } from '../../packages/uma/src/uma/outcomes';

const ROOT = join(import.meta.dirname, '..', '..');
const BELOW_FACES = ['packages/uma/src/kernel', 'packages/uma/src/http', 'packages/uma/src/uma', 'packages/uma/src/identity', 'src/vault', 'src/probe', 'src/app'];

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.ts$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** String literals (quotes and template texts) with comments stripped. */
function literals(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return [...code.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
}

describe('the engine speaks in codes', () => {
  it('no user-facing string below the faces names a CLI flag or command', () => {
    const offenders: string[] = [];
    for (const dir of BELOW_FACES) {
      for (const file of files(dir)) {
        for (const lit of literals(readFileSync(join(ROOT, file), 'utf8'))) {
          const css = /[{;]\s*--[a-z-]+\s*:/.test(lit); // CSS custom properties are not flags
          if ((!css && /(^|[\s(])--[a-z][a-z-]+/.test(lit.slice(1, -1))) || /\btessera (login|logout|whoami|fetch|vault|trust)\b/.test(lit)) offenders.push(`${file}: ${lit.slice(0, 100)}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the scan finds a planted flag (the check can fail)', () => {
    expect(literals("const hint = 'run again with --trust X';").some((l) => /(^|[\s(])--[a-z]/.test(l.slice(1, -1)))).toBe(true);
  });

  it('the CLI renders flag advice from codes and facts, never a flag already passed', () => {
    const untrusted = outcomes.untrustedAs('https://as.example', 'nobody');
    expect(untrusted.hint).not.toMatch(/--/);
    expect(cliAdvice(untrusted, { passed: new Set() })).toContain('--trust https://as.example');
    const needInfo = outcomes.needInfo('https://as.example', 'nobody', [{ name: 'email' }], { origin: 'https://as.example', allowed: false });
    expect(cliAdvice(needInfo, { passed: new Set(['--no-interaction']) })).toContain('without --no-interaction');
    expect(cliAdvice(needInfo, { passed: new Set(['--claim-token', '--no-interaction']) })).not.toContain('with --claim-token');
    const waiting = outcomes.waiting('https://as.example', 'nobody', 5, 'owner_must_approve');
    expect(cliAdvice(waiting, { passed: new Set() })).toContain('--wait');
    expect(cliAdvice(waiting, { passed: new Set(['--wait']) })).not.toContain('pass --wait');
  });
});
