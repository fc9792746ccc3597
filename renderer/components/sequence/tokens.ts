/**
 * Which tokens travel in an exchange, and in what role, read from the redacted transcript: the core
 * replaces every secret by `[redacted fp:…]`, so the name in front of a placeholder (a form
 * parameter, a JSON member, a challenge parameter, an Authorization scheme) says what it is. Nothing
 * here ever sees a token, only fingerprints.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.1.3
 */
import type { StepView } from '../../../src/app/api';

export type TokenRole = 'ticket' | 'claim_token' | 'pct' | 'rpt' | 'client_secret' | 'refresh_token' | 'id_token' | 'access_token' | 'code' | 'secret' | 'pat' | 'dpop';

export const ROLE_LABEL: Record<TokenRole, string> = {
  ticket: 'permission ticket', claim_token: 'claim token', pct: 'PCT (persisted claims token)', rpt: 'RPT (requesting party token)',
  client_secret: 'client secret', refresh_token: 'refresh token', id_token: 'ID token', access_token: 'access token', code: 'authorization code', secret: 'secret',
  pat: 'PAT (the RS\'s protection API token)',
  dpop: 'DPoP proof of key',
};
/** Short prefix for chips: T1, R1, P1, C1, S1… */
export const ROLE_PREFIX: Record<TokenRole, string> = {
  ticket: 'T', rpt: 'RPT', pct: 'PCT', claim_token: 'C', client_secret: 'secret', refresh_token: 'refresh', id_token: 'ID', access_token: 'AT', code: 'code', secret: 'S', pat: 'PAT', dpop: 'DPoP',
};

export interface TokenSighting { role: TokenRole; fingerprint: string; where: 'request' | 'response'; name: string }

const PLACEHOLDER = /\[redacted (fp:[A-Za-z0-9_-]+)\]/;
/** `name=[redacted fp:x]`, `"name":"[redacted fp:x]"`, `name="[redacted fp:x]"`. */
const NAMED = /([A-Za-z_][\w-]*)"?\s*[=:]\s*"?\[redacted (fp:[A-Za-z0-9_-]+)\]/g;
const SCHEMED = /^\s*([A-Za-z][\w-]*)\s+\[redacted (fp:[A-Za-z0-9_-]+)\]/;

/** The role of a secret from the name it travels under (form parameter, JSON member, challenge parameter). */
export function roleOf(name: string, step: Pick<StepView, 'lane'>, where: 'request' | 'response'): TokenRole {
  const n = name.toLowerCase();
  if (n === 'ticket') return 'ticket';
  if (n === 'claim_token') return 'claim_token';
  if (n === 'pct') return 'pct';
  if (n === 'rpt') return 'rpt';
  if (n === 'client_secret' || n === 'client_assertion') return 'client_secret';
  if (n === 'refresh_token') return 'refresh_token';
  if (n === 'id_token') return 'id_token';
  if (n === 'code' || n === 'code_verifier') return 'code';
  // An access token from the AS's token endpoint is the RPT (UMA Grant §3.3.5); from the IdP it is an OAuth access token.
  if (n === 'access_token') return step.lane === 'as' && where === 'response' ? 'rpt' : 'access_token';
  if (n === 'token') return 'secret';
  return 'secret';
}

function scan(text: string | undefined, step: StepView, where: 'request' | 'response', out: TokenSighting[]): void {
  if (!text || !PLACEHOLDER.test(text)) return;
  for (const m of text.matchAll(NAMED)) out.push({ role: roleOf(m[1] ?? '', step, where), fingerprint: m[2] ?? '', where, name: m[1] ?? '' });
}

/** Every token an exchange carries, in order: request (headers, URL, body), then response. */
export function tokensOf(step: StepView): TokenSighting[] {
  const out: TokenSighting[] = [];
  for (const [name, value] of Object.entries(step.request.headers)) {
    const m = SCHEMED.exec(value);
    if (m && name.toLowerCase() === 'authorization') {
      const scheme = (m[1] ?? '').toLowerCase();
      // Basic carries the client id and secret (RFC 6749 §2.3.1); a bearer to the RS is the RPT.
      const role: TokenRole = scheme === 'basic' ? 'client_secret' : step.lane === 'rs' ? 'rpt' : 'access_token';
      out.push({ role, fingerprint: m[2] ?? '', where: 'request', name: `Authorization: ${m[1]}` });
    } else if (name.toLowerCase() === 'dpop') {
      // A DPoP proof (RFC 9449): named after the key that signed it (its thumbprint), not the proof.
      const proof = PLACEHOLDER.exec(value)?.[1];
      if (proof) out.push({ role: 'dpop', fingerprint: proof, where: 'request', name: 'DPoP' });
    } else scan(value, step, 'request', out);
  }
  scan(step.url, step, 'request', out);
  scan(step.request.body, step, 'request', out);
  for (const value of Object.values(step.response?.headers ?? {})) scan(value, step, 'response', out);
  scan(step.response?.body, step, 'response', out);
  // One sighting per (fingerprint, where): a header and a body naming the same ticket are one chip.
  const seen = new Set<string>();
  const unique = out.filter((t) => { const k = `${t.where} ${t.fingerprint}`; if (seen.has(k)) return false; seen.add(k); return true; });
  if (step.challenge?.ticket && !unique.some((t) => t.fingerprint === step.challenge?.ticket)) unique.push({ role: 'ticket', fingerprint: step.challenge.ticket, where: 'response', name: 'WWW-Authenticate ticket' });
  return unique;
}

/**
 * Names tokens across a flow by role and first appearance: the first ticket is T1, the rotated one
 * T2, and so on, so the audience sees a ticket being replaced (UMA Grant §5.5) rather than reused.
 */
export class TokenNamer {
  readonly #names = new Map<string, string>();
  readonly #counts = new Map<TokenRole, number>();
  /** One name per token: an ID token pushed as a claim token keeps its name, so it is seen travelling. */
  name(role: TokenRole, fingerprint: string): string {
    const key = fingerprint;
    let name = this.#names.get(key);
    if (!name) {
      const n = (this.#counts.get(role) ?? 0) + 1;
      this.#counts.set(role, n);
      const numbered = role === 'ticket' || role === 'rpt' || role === 'pct' || role === 'claim_token' || role === 'secret' || n > 1;
      name = numbered ? `${ROLE_PREFIX[role]}${n}` : ROLE_PREFIX[role];
      this.#names.set(key, name);
    }
    return name;
  }
}
