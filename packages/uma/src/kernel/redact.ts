/**
 * Redaction: tokens, tickets and secrets never reach a transcript, a log or the renderer. A secret is
 * replaced by a placeholder holding its fingerprint; a JWT is additionally described by its decoded
 * header and claims (via jose's decoders, which never verify and never keep the token).
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.4
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { jsonDepth, MAX_JSON_DEPTH } from './json';

/**
 * Parameter / JSON member / header names whose values are secrets. Compared case-insensitively.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.4
 */
export const SECRET_NAMES = [
  'access_token',
  'refresh_token',
  'id_token',
  'pct',
  'rpt',
  'ticket',
  'claim_token',
  'client_secret',
  'client_assertion',
  'subject_token',
  'code',
  'code_verifier',
  'token',
  'registration_access_token',
  'password',
  'assertion',
  'state',
  'private_key',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'k',
] as const;

const secretNames = new Set<string>(SECRET_NAMES);
const NAMES = SECRET_NAMES.join('|');
/** Cheap pre-checks: only bodies that mention a secret name are parsed. */
const JSON_SECRET_MEMBER = new RegExp(`"(?:${NAMES})"\\s*:`, 'i');
const FORM_SECRET_PARAM = new RegExp(`(?:^|&)(?:${NAMES})=`, 'i');
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop']);

/** A fingerprint key with its own memos (a fingerprint depends on the key, so memos do too). */
interface KeyScope {
  key: Uint8Array | undefined;
  fingerprints: Map<string, string>;
  descriptions: Map<string, TokenDescription>;
}

const newScope = (key: Uint8Array | undefined): KeyScope => ({ key: key && key.length > 0 ? Uint8Array.from(key) : undefined, fingerprints: new Map(), descriptions: new Map() });

/** The process default (see {@link setFingerprintKey}); undefined key until the app layer sets it. */
let defaultScope = newScope(undefined);

/**
 * A key for one async call tree ({@link withFingerprintKey}): the engine package takes the key as an
 * option, so two clients in one process (two apps, two tenants) never share or overwrite a key.
 */
const scoped = new AsyncLocalStorage<KeyScope>();

const current = (): KeyScope => scoped.getStore() ?? defaultScope;

/**
 * Sets the per-install key that salts fingerprints (the app layer keeps it in the vault, see
 * src/app/fingerprint-key.ts). With a key a fingerprint is an HMAC, which cannot be checked offline
 * against guesses of a weak secret (a client secret, a password) by someone who only holds an
 * export or a screenshot; without one it is a bare SHA-256 prefix. A key given to
 * {@link withFingerprintKey} wins inside its call.
 * @see https://www.rfc-editor.org/rfc/rfc2104
 */
export function setFingerprintKey(key: Uint8Array | undefined): void {
  defaultScope = newScope(key);
}

/**
 * Runs `fn` (and everything it awaits) with `key` salting fingerprints, without touching the process
 * default: the per-client key of the engine package. Returns what `fn` returns.
 * @see https://www.rfc-editor.org/rfc/rfc2104
 */
export function withFingerprintKey<T>(key: Uint8Array, fn: () => T): T {
  return scoped.run(newScope(key), fn);
}

/**
 * Short, stable, one-way fingerprint of a secret: `fp:` + 10 base64url chars of HMAC-SHA-256 with the
 * install key (SHA-256 without one).
 * @see https://www.rfc-editor.org/rfc/rfc2104
 */
export function fingerprint(secret: string): string {
  const scope = current();
  // Small bounded memo: the same RPT is fingerprinted on every request that carries it.
  const cached = scope.fingerprints.get(secret);
  if (cached) return cached;
  const digest = scope.key ? createHmac('sha256', scope.key).update(secret) : createHash('sha256').update(secret);
  const fp = `fp:${digest.digest('base64url').slice(0, 10)}`;
  if (scope.fingerprints.size >= 512) scope.fingerprints.delete(scope.fingerprints.keys().next().value as string);
  scope.fingerprints.set(secret, fp);
  return fp;
}

const encodedCache = new Map<string, readonly string[]>();

/**
 * The percent- and form-encoded copies of a secret that must disappear too (only those that differ
 * from it and are long enough to scrub). Cached like fingerprints: the same RPT is registered on
 * every request that presents it, and building a URLSearchParams per request cost more than the
 * rest of that request's redaction.
 */
function encodedCopies(secret: string): readonly string[] {
  // `~` is unreserved for encodeURIComponent but form encoding writes it as %7E.
  if (/^[A-Za-z0-9_.-]*$/.test(secret)) return [];
  const cached = encodedCache.get(secret);
  if (cached) return cached;
  const copies: string[] = [];
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret && encoded.length >= 4) copies.push(encoded);
  const formEncoded = new URLSearchParams({ x: secret }).toString().slice(2);
  if (formEncoded !== secret && formEncoded.length >= 4 && formEncoded !== encoded) copies.push(formEncoded);
  if (encodedCache.size >= 512) encodedCache.delete(encodedCache.keys().next().value as string);
  encodedCache.set(secret, copies);
  return copies;
}

/**
 * What a transcript may say about a token.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.4
 */
export interface TokenDescription {
  fingerprint: string;
  length: number;
  /** Decoded JWT protected header and claims, when the token is a JWT. Never the token itself. */
  jwt?: { header: Record<string, unknown>; claims: Record<string, unknown> };
}

/**
 * What a transcript may say about a token: its fingerprint, length and, for a JWT, the decoded header and claims.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.4
 */
export function describeToken(token: string): TokenDescription {
  // Bounded memo: the held RPT is described on every request that carries it.
  const descriptionCache = current().descriptions;
  const cached = descriptionCache.get(token);
  if (cached) return cached;
  // Frozen, so the cached description can be shared by every step that mentions the token.
  const description = deepFreeze(describeUncached(token));
  if (descriptionCache.size >= 256) descriptionCache.delete(descriptionCache.keys().next().value as string);
  descriptionCache.set(token, description);
  return description;
}

function deepFreeze<T>(value: T): T {
  // Iterative: decoded claims are bounded in depth (describeUncached), but no recursion is needed.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v && typeof v === 'object' && !Object.isFrozen(v)) {
      for (const child of Object.values(v)) stack.push(child);
      Object.freeze(v);
    }
  }
  return value;
}

function describeUncached(token: string): TokenDescription {
  const description: TokenDescription = { fingerprint: fingerprint(token), length: token.length };
  // Claims nested deeper than MAX_JSON_DEPTH are not decoded: the step is serialised, exported and
  // sent to the UI by recursive code. The fingerprint still names the token.
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token) && jsonDepth(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) <= MAX_JSON_DEPTH) {
    try {
      const header = decodeProtectedHeader(token) as Record<string, unknown>;
      const claims = decodeJwt(token) as Record<string, unknown>;
      // A DPoP proof's `ath` is the access token's hash: it names that token, so it is shown as a fingerprint (RFC 9449 §4.2).
      if (header.typ === 'dpop+jwt' && typeof claims.ath === 'string') claims.ath = fingerprint(claims.ath);
      description.jwt = { header, claims };
    } catch {
      // not a JWT after all
    }
  }
  return description;
}

/**
 * The text that replaces a secret.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.4
 */
export function placeholder(secret: string): string {
  return `[redacted ${fingerprint(secret)}]`;
}

/**
 * Accumulates secret values seen during one exchange (and known secrets registered by the agent), so
 * that every occurrence anywhere in the recorded text can be scrubbed, not only the ones found under
 * a well-known name.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.4
 */
export class Redactor {
  readonly #secrets = new Set<string>();
  readonly tokens = new Map<string, TokenDescription>();

  /** Registers a secret; very short values are not scrubbed from free text (too many false hits). */
  add(secret: string | undefined | null): void {
    if (!secret || this.#secrets.has(secret)) return;
    const fp = fingerprint(secret);
    if (!this.tokens.has(fp)) this.tokens.set(fp, describeToken(secret));
    if (secret.length >= 4) this.#secrets.add(secret);
    for (const copy of encodedCopies(secret)) this.#secrets.add(copy);
  }

  /** Replaces every registered secret in `text`, longest first. */
  scrub(text: string): string {
    if (this.#secrets.size === 0 || text.length === 0) return text;
    const sorted = [...this.#secrets].sort((a, b) => b.length - a.length);
    let out = text;
    for (const secret of sorted) {
      if (out.includes(secret)) out = out.split(secret).join(placeholder(secret));
    }
    return out;
  }

  /** Redacts a URL: secret-named query parameters, userinfo, and any registered secret. */
  url(raw: string): string {
    if (!raw.includes('?') && !raw.includes('#') && !raw.includes('@')) return this.scrub(raw);
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return this.scrub(raw);
    }
    if (parsed.password) {
      this.add(decodeURIComponent(parsed.password));
      parsed.password = 'redacted';
    }
    for (const [name, value] of parsed.searchParams) {
      if (secretNames.has(name.toLowerCase())) this.add(value);
    }
    for (const [name, value] of new URLSearchParams(parsed.hash.slice(1))) {
      if (secretNames.has(name.toLowerCase())) this.add(value);
    }
    return this.scrub(parsed.href);
  }

  /** Collects secrets from headers (credentials, cookies, challenge tickets, Location queries). */
  collectHeaders(headers: Record<string, string>): void {
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (SECRET_HEADERS.has(lower)) {
        const credential = value.replace(/^\s*[A-Za-z0-9_-]+\s+/, '');
        this.add(credential);
        this.add(value);
        if (lower === 'authorization' && /^\s*basic\s/i.test(value)) {
          try {
            const decoded = Buffer.from(credential, 'base64').toString('utf8');
            const colon = decoded.indexOf(':');
            if (colon >= 0) this.add(decodeURIComponent(decoded.slice(colon + 1)));
          } catch {
            // not base64: the whole value is already registered
          }
        }
        // Cookies and auth-param credentials (`k=v, k2=v2`) hold secrets after `=`; a token68
        // credential (Basic, Bearer) does not, and its base64 padding once became a "=" token.
        const token68 = /^\s*[A-Za-z0-9_-]+\s+[A-Za-z0-9._~+/-]+=*\s*$/.test(value);
        if (!token68) {
          for (const part of value.split(/[;,]/)) {
            const eq = part.indexOf('=');
            const v = eq > 0 ? part.slice(eq + 1).trim() : '';
            if (v && !/^=+$/.test(v)) this.add(v);
          }
        }
      } else if (lower === 'www-authenticate' || lower === 'authentication-info') {
        for (const match of value.matchAll(/([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)/g)) {
          const paramName = (match[1] ?? '').toLowerCase();
          if (secretNames.has(paramName)) {
            this.add(match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : match[2]);
            if (match[3] !== undefined) this.add(match[3]);
          }
        }
      } else if (lower === 'location' || lower === 'content-location') {
        this.url(value);
      }
    }
  }

  /** Redacts headers after {@link collectHeaders}. */
  headers(headers: Record<string, string>, collected = false): Record<string, string> {
    if (!collected) this.collectHeaders(headers);
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (SECRET_HEADERS.has(name.toLowerCase())) {
        const scheme = /^\s*([A-Za-z0-9_-]+)\s+\S/.exec(value)?.[1];
        out[name] = scheme && name.toLowerCase().endsWith('authorization') ? `${scheme} ${placeholder(value.replace(/^\s*[A-Za-z0-9_-]+\s+/, ''))}` : placeholder(value);
      } else {
        out[name] = this.scrub(value);
      }
    }
    return out;
  }

  /** Collects secrets from a JSON or form body (by member / parameter name, recursively). */
  collectBody(body: string, contentType = ''): void {
    const trimmed = body.trim();
    const jsonLike = /json/i.test(contentType) || trimmed.startsWith('{') || trimmed.startsWith('[');
    if (jsonLike && !JSON_SECRET_MEMBER.test(trimmed)) return;
    if (!jsonLike && !FORM_SECRET_PARAM.test(trimmed)) return;
    if (jsonLike) {
      try {
        this.#collectJson(JSON.parse(trimmed));
        return;
      } catch {
        // not JSON
      }
    }
    if (/x-www-form-urlencoded/i.test(contentType) || /^[\w.-]+=[^\s]*(&[\w.-]+=[^\s]*)*$/.test(trimmed)) {
      for (const [name, value] of new URLSearchParams(trimmed)) {
        if (secretNames.has(name.toLowerCase())) this.add(value);
      }
    }
  }

  /** Redacts a body after {@link collectBody}. */
  body(body: string, contentType = '', collected = false): string {
    if (!collected) this.collectBody(body, contentType);
    return this.scrub(body);
  }

  /** Walks the parsed body with an explicit stack: a body nested a million levels deep is walked like any other. */
  #collectJson(root: unknown): void {
    const stack: [unknown, string | undefined][] = [[root, undefined]];
    while (stack.length > 0) {
      const [value, key] = stack.pop()!;
      if (typeof value === 'string') {
        if (key !== undefined && secretNames.has(key.toLowerCase())) this.add(value);
      } else if (Array.isArray(value)) {
        for (const item of value) stack.push([item, key]);
      } else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) stack.push([v, k]);
      }
    }
  }
}
