/**
 * Bounded JSON: what the faces show parsed (`tessera fetch --json`'s `json`, decoded JWT claims in
 * the transcript) must be walkable by recursive code (JSON.stringify, structured clone, freezing),
 * which a hostile body nested 20 000 or a million levels deep would overflow. `JSON.parse` itself
 * copes (V8 parses iteratively); the depth is measured before it, by one scan of the text.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-9 (parsers may limit nesting depth)
 */

/**
 * The deepest nesting parsed for display; deeper documents stay text.
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-9
 */
export const MAX_JSON_DEPTH = 256;

/**
 * The nesting depth of JSON text (objects and arrays), strings skipped; an iterative scan, any size.
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-9
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * The outcome of {@link parseJsonBounded}.
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-9
 */
export type BoundedJson = { ok: true; value: unknown } | { ok: false; reason: 'invalid' | 'too_deep'; depth?: number };

/**
 * Parses JSON text nested at most `maxDepth` levels; deeper or invalid text is reported, never thrown.
 * @see https://www.rfc-editor.org/rfc/rfc8259#section-9
 */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH): BoundedJson {
  const depth = jsonDepth(text);
  if (depth > maxDepth) return { ok: false, reason: 'too_deep', depth };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'invalid' };
  }
}
