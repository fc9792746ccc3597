/**
 * Which pushed claim token can satisfy a `need_info`'s `required_claims` (UMA Grant §3.3.6): match
 * by `claim_token_format`, by `issuer` (the token's `iss`), and by claim `name` when the token is a
 * JWT whose claims can be read.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
import { decodeJwt } from 'jose';
import type { ClaimToken, RequiredClaim } from './ports';

function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Whether `token` can satisfy one required claim. Unknown facts (opaque tokens) do not disqualify.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function satisfies(required: RequiredClaim, token: ClaimToken): boolean {
  if (required.claim_token_format && required.claim_token_format.length > 0 && !required.claim_token_format.includes(token.claim_token_format)) return false;
  const claims = jwtClaims(token.claim_token);
  if (claims && required.issuer && required.issuer.length > 0 && typeof claims.iss === 'string' && !required.issuer.includes(claims.iss)) return false;
  // Gravitee asks for the parameters themselves ({name: "claim_token"}): any matching format will do.
  const meta = required.name === 'claim_token' || required.name === 'claim_token_format';
  if (claims && required.name && !meta && !(required.name in claims)) {
    // Some ASes name a claim by its friendly name only.
    if (!(required.friendly_name && required.friendly_name in claims)) return false;
  }
  return true;
}

/**
 * Whether `token` satisfies every required claim (true when none are listed).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function matchesRequiredClaims(required: RequiredClaim[] | undefined, token: ClaimToken): boolean {
  return (required ?? []).every((r) => satisfies(r, token));
}
