/**
 * The requesting party: the person Tessera acts for. RPTs and PCTs represent the claims of one
 * requesting party (UMA Grant §1.3; PCT §3.3.1), so every token is stored under the party it was
 * issued for and is never presented while acting for anyone else.
 *
 * A party is spelled `issuer#sub` (an identity signed in at an OpenID provider, or the `iss`/`sub`
 * inside a pushed claim token), `token:<fingerprint>` for a claim token whose subject cannot be read,
 * or {@link NOBODY} when no claims are presented at all — "nobody" is a party of its own.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.1.3
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
import { decodeJwt } from 'jose';
import { fingerprint } from './redact';

/**
 * The requesting party of a flow that acts for no one (no claims are ever pushed for it).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export const NOBODY = 'nobody';

/**
 * Records written before tokens were bound to a party: kept, listed, never presented.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export const UNKNOWN_PARTY = 'unknown';

/**
 * The requesting-party id `issuer#sub` of an identity.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export function partyId(issuer: string, sub: string): string {
  return `${issuer}#${sub}`;
}

/**
 * The party a claim token speaks for: `iss#sub` of a JWT, else a fingerprint of the token itself.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export function partyOfClaimToken(token: string): string {
  try {
    const claims = decodeJwt(token);
    if (typeof claims.iss === 'string' && typeof claims.sub === 'string' && claims.iss && claims.sub) return partyId(claims.iss, claims.sub);
  } catch {
    // opaque, SAML, or base64url JSON claims: identify it by its own fingerprint
  }
  return `token:${fingerprint(token)}`;
}

/**
 * Splits `issuer#sub`; undefined for `nobody`, token parties and malformed values.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken
 */
export function splitParty(party: string): { issuer: string; sub: string } | undefined {
  const at = party.lastIndexOf('#');
  if (at <= 0 || party.startsWith('token:')) return undefined;
  return { issuer: party.slice(0, at), sub: party.slice(at + 1) };
}
