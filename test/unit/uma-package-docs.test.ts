/**
 * Every public export of @tessera/uma (its entries index, node and engine) has TSDoc with an `@see`
 * link to the spec section it implements: the TypeDoc reference is generated from these comments.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRIES = ['index', 'node', 'engine', 'portable'].map((e) => join(ROOT, 'packages', 'uma', 'src', `${e}.ts`));

function undocumented(): string[] {
  const program = ts.createProgram(ENTRIES, { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2023, noEmit: true, skipLibCheck: true, customConditions: ['source'], types: [] });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  for (const entry of ENTRIES) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!);
    const exports = module ? checker.getExportsOfModule(module) : [];
    expect(exports.length, entry).toBeGreaterThan(2);
    for (const symbol of exports) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const tags = (target.declarations ?? []).flatMap((d) => ts.getJSDocTags(d).map((t) => t.tagName.text));
      const documented = target.getDocumentationComment(checker).length > 0;
      if (!documented || !tags.includes('see')) missing.push(`${symbol.getName()} (${documented ? 'no @see' : 'no TSDoc'})`);
    }
  }
  return missing;
}

describe('@tessera/uma public API', () => {
  it('every export of every entry has TSDoc with an @see link', () => {
    expect(undocumented()).toEqual([]);
  }, 60_000);
});
