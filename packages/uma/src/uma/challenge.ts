/**
 * Reads an RS answer: parses `WWW-Authenticate` per RFC 9110 §11.6.1 / RFC 7235 (case-insensitive
 * scheme and parameter names, quoted strings with escapes, any spacing, several challenges per
 * header and several headers) and finds the UMA challenge (`as_uri`, `ticket`). Also accepts the
 * ticket and `as_uri` in a JSON body (ForgeRock's demo RS) and recognises `403` +
 * `Warning: 199 - "UMA Authorization Server Unreachable"`.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 */
import { z } from 'zod';
import { SPEC, TesseraError } from '../kernel/errors';

/**
 * One challenge: a scheme plus either auth-params or a token68. Parameter names are lower-cased.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
  /** Parameter names that came more than once (RFC 9110 §11.2 allows each once); the first value is in `params`. */
  repeated?: string[];
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const TOKEN68 = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses one or more `WWW-Authenticate` header values into challenges. Throws
 * `challenge_invalid` on malformed syntax.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2
 */
export function parseWwwAuthenticate(values: string | string[]): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const value of Array.isArray(values) ? values : [values]) out.push(...parseOne(value));
  return out;
}

function parseOne(input: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const n = input.length;
  const ws = () => {
    while (i < n && (input[i] === ' ' || input[i] === '\t' || input[i] === '\r' || input[i] === '\n')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && TCHAR.test(input[i] as string)) i++;
    return input.slice(start, i);
  };
  const fail = (what: string): never => {
    throw new TesseraError('challenge_invalid', `Malformed WWW-Authenticate header: ${what} at position ${i}.`, 'The resource server sent a challenge Tessera cannot read; report it to its operator.', { spec: SPEC.rfc7235 });
  };
  const quoted = () => {
    i++; // opening quote
    let value = '';
    while (i < n) {
      const c = input[i] as string;
      if (c === '\\') {
        if (i + 1 >= n) fail('dangling escape');
        value += input[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return value;
      } else {
        value += c;
        i++;
      }
    }
    return fail('unterminated quoted string');
  };
  /** After a name and OWS, decides whether `=` starts a param value (vs. token68 padding). */
  const isParamStart = (): boolean => {
    const save = i;
    const name = token();
    ws();
    const result = name.length > 0 && input[i] === '=' && (() => {
      i++;
      ws();
      return i < n && (input[i] === '"' || TCHAR.test(input[i] as string));
    })();
    i = save;
    return result;
  };

  for (;;) {
    while (i < n && (input[i] === ',' || /\s/.test(input[i] as string))) i++;
    if (i >= n) break;
    const scheme = token();
    if (!scheme) fail('expected an auth-scheme');
    const challenge: AuthChallenge = { scheme, params: {} };
    challenges.push(challenge);
    const afterScheme = i;
    ws();
    if (i >= n) break;
    if (input[i] === ',') continue; // scheme without params
    if (i === afterScheme) fail('expected a space after the auth-scheme');
    // token68?
    if (!isParamStart()) {
      const start = i;
      while (i < n && TOKEN68.test(input[i] as string)) i++;
      while (i < n && input[i] === '=') i++;
      if (i === start) fail('expected auth-params or a token68');
      challenge.token68 = input.slice(start, i);
      ws();
      if (i < n && input[i] !== ',') fail('unexpected text after token68');
      continue;
    }
    // auth-params, comma separated; stop when the next item is a new scheme
    for (;;) {
      const name = token().toLowerCase();
      ws();
      i++; // '='
      ws();
      let value: string;
      if (input[i] === '"') value = quoted();
      else {
        // token; tolerate token68-style values (`/`, trailing `=` padding) that real servers send unquoted
        const start = i;
        while (i < n && (TCHAR.test(input[i] as string) || input[i] === '/')) i++;
        while (i < n && input[i] === '=') i++;
        value = input.slice(start, i);
        if (!value) fail(`empty value for "${name}"`);
      }
      // Own properties only: `constructor` is an ordinary name; `__proto__` cannot be kept as one.
      if (name === '__proto__') { /* dropped */ } else if (!Object.hasOwn(challenge.params, name)) challenge.params[name] = value;
      else (challenge.repeated ??= []).push(name);
      ws();
      if (i >= n) break;
      if (input[i] !== ',') fail('expected "," between auth-params');
      while (i < n && (input[i] === ',' || /\s/.test(input[i] as string))) i++;
      if (i >= n || !isParamStart()) break;
    }
  }
  return challenges;
}

/**
 * What the RS answer means for the client.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2
 */
export type RsReading =
  | { type: 'ok' }
  | {
    type: 'uma'; asUri: string; ticket: string; realm?: string; params: Record<string, string>; source: 'header' | 'body';
    /**
     * The RS's metadata URL (RFC 9728 §5.1): the UMA challenge's own `resource_metadata`, else the
     * first one on any other challenge of the same answer (the parameter belongs to no one scheme).
     */
    resourceMetadata?: string;
  }
  | { type: 'as_unreachable' }
  /**
   * A challenge in a scheme Tessera does not run: GNAP (RFC 9635 §9.1, with its `as_uri`), or an
   * OAuth `Bearer`/`DPoP` challenge naming protected-resource metadata (RFC 9728 §5.1) but no ticket.
   */
  | { type: 'other_scheme'; status: number; scheme: 'GNAP' | 'Bearer' | 'DPoP'; asUri?: string; resourceMetadata?: string }
  | { type: 'no_challenge'; status: number };

/** Where the schemes Tessera recognises but does not run are defined. */
export const OTHER_SCHEME_SPEC = {
  GNAP: 'https://www.rfc-editor.org/rfc/rfc9635#section-9.1',
  Bearer: 'https://www.rfc-editor.org/rfc/rfc9728#section-5.1',
  DPoP: 'https://www.rfc-editor.org/rfc/rfc9728#section-5.1',
} as const;

const bodyTicket = z.object({ ticket: z.string().min(1), as_uri: z.string().min(1).optional() }).loose();

/**
 * Interprets an RS response. A UMA challenge is accepted on 401 or 403 (UMA 1.0 legacy / ForgeRock
 * IG); the ticket and `as_uri` may come from the header or, failing that, from a JSON body.
 * Throws `challenge_missing_ticket` when a UMA challenge carries no ticket anywhere.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2.2
 */
export function readRsResponse(status: number, headers: Headers, body: string): RsReading {
  if (status !== 401 && status !== 403) return { type: 'ok' };
  const header = headers.get('www-authenticate');
  const all = header ? parseWwwAuthenticate(header) : [];
  const uma = all.find((c) => c.scheme.toLowerCase() === 'uma');
  let fromBody: z.infer<typeof bodyTicket> | undefined;
  if (/json/i.test(headers.get('content-type') ?? '') || body.trim().startsWith('{')) {
    try {
      const parsed = bodyTicket.safeParse(JSON.parse(body));
      if (parsed.success) fromBody = parsed.data;
    } catch {
      // not JSON: ignore
    }
  }
  // The parameters Tessera acts on must be unambiguous: with one twice, which one an RS meant (or a
  // value it reflected unescaped injected) cannot be told (RFC 9110 §11.2: once per challenge).
  const twice = uma?.repeated?.find((n) => ['as_uri', 'ticket', 'resource_metadata'].includes(n));
  if (twice) {
    throw new TesseraError('challenge_invalid', `The resource server's UMA challenge names ${twice} more than once.`, 'Tessera cannot tell which one the resource server meant; report it to its operator.', { spec: 'https://www.rfc-editor.org/rfc/rfc9110#section-11.2' });
  }
  if (uma || fromBody) {
    const params = uma?.params ?? {};
    const headerTicket = params.ticket;
    const ticket = headerTicket ?? fromBody?.ticket;
    const asUri = params.as_uri ?? fromBody?.as_uri;
    if (!uma && fromBody && !fromBody.as_uri) {
      // a JSON body with a ticket but no UMA challenge and no as_uri: not a UMA answer
    } else {
      if (!ticket) {
        throw new TesseraError('challenge_missing_ticket', `The resource server sent a UMA challenge without a permission ticket (status ${status}).`, 'The RS could not obtain a ticket from its AS; try again later or contact the RS operator.', { spec: SPEC.challenge });
      }
      if (!asUri) {
        throw new TesseraError('challenge_invalid', `The resource server sent a UMA challenge without as_uri (status ${status}).`, 'Tessera cannot tell which authorization server to ask; contact the RS operator.', { spec: SPEC.challenge });
      }
      const resourceMetadata = params.resource_metadata ?? all.find((c) => c.params.resource_metadata)?.params.resource_metadata;
      return { type: 'uma', asUri, ticket, ...(params.realm ? { realm: params.realm } : {}), params, source: headerTicket ? 'header' : 'body', ...(resourceMetadata ? { resourceMetadata } : {}) };
    }
  }
  const warning = headers.get('warning') ?? '';
  if (status === 403 && /\b199\b[^"]*"UMA Authorization Server Unreachable"/i.test(warning)) return { type: 'as_unreachable' };
  return otherScheme(status, all) ?? { type: 'no_challenge', status };
}

/** GNAP first (it names its AS), then an OAuth challenge that points at RS metadata. */
function otherScheme(status: number, challenges: AuthChallenge[]): RsReading | undefined {
  const gnap = challenges.find((c) => c.scheme.toLowerCase() === 'gnap');
  if (gnap) return { type: 'other_scheme', status, scheme: 'GNAP', ...(gnap.params.as_uri ? { asUri: gnap.params.as_uri } : {}) };
  for (const c of challenges) {
    const scheme = c.scheme.toLowerCase() === 'bearer' ? 'Bearer' : c.scheme.toLowerCase() === 'dpop' ? 'DPoP' : undefined;
    if (scheme && c.params.resource_metadata) return { type: 'other_scheme', status, scheme, resourceMetadata: c.params.resource_metadata };
  }
  return undefined;
}
