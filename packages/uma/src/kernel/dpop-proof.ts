/**
 * What a transcript keeps of a DPoP proof (RFC 9449 §4.2): its decoded JOSE header (with the public
 * JWK) and claims, and the key's thumbprint (`jkt`, RFC 7638) — never the compact JWS, which a
 * server could be made to accept again within its replay window. `ath` is a hash of the access
 * token, not the token, but it is shown as a fingerprint: it still names one token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 * @see https://www.rfc-editor.org/rfc/rfc7638
 */
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { fingerprint } from './redact';

/**
 * A DPoP proof as recorded: decoded header and claims (`ath` as a fingerprint), and the thumbprint
 * of the key that signed it.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export interface DpopProofInfo {
  header: { typ?: string; alg?: string; jwk?: Record<string, unknown> } & Record<string, unknown>;
  claims: { htm?: string; htu?: string; iat?: number; jti?: string; nonce?: string; ath?: string } & Record<string, unknown>;
  /** base64url SHA-256 JWK thumbprint of `header.jwk`, when it is a public key. */
  jkt?: string;
}

/** Members of a public JWK that may be shown (a proof carrying private members would be a defect, and they are dropped). */
const PUBLIC_JWK_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'alg', 'kid', 'use'];

/**
 * Decodes a DPoP proof for the transcript, or undefined when it is not a JWS. Never verifies, never keeps the proof.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export async function describeDpopProof(proof: string): Promise<DpopProofInfo | undefined> {
  if (proof.length > 16_384) return undefined;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof) as Record<string, unknown>;
    claims = decodeJwt(proof) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const info: DpopProofInfo = { header: { ...header }, claims: { ...claims } };
  const jwk = header.jwk;
  if (jwk && typeof jwk === 'object' && !Array.isArray(jwk)) {
    const publicJwk = Object.fromEntries(Object.entries(jwk as Record<string, unknown>).filter(([k]) => PUBLIC_JWK_MEMBERS.includes(k)));
    info.header.jwk = publicJwk;
    try {
      info.jkt = await calculateJwkThumbprint(publicJwk as JWK, 'sha256');
    } catch {
      // not a usable public key: shown as sent, without a thumbprint
    }
  }
  if (typeof claims.ath === 'string') info.claims.ath = fingerprint(claims.ath);
  return info;
}
