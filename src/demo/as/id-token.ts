/**
 * Verifies an ID token pushed as a claim token (UMA Grant §3.3.1, OIDC Core §3.1.3.7): signature
 * with the trusted IdP's JWKS, `iss`, `exp`, and the audience policy. Audience policy of the demo AS:
 * it accepts ID tokens Hospital ID issued to Tessera (the client that pushes them) or to the AS itself
 * (claims interaction) — tokens minted for any other relying party are refused (UMA Grant §5.7).
 */
import { createRemoteJWKSet, jwtVerify, errors } from 'jose';
import type { RqpClaims } from './policy';

export class ClaimTokenError extends Error {}

export function idTokenVerifier(idpIssuer: () => string, audiences: string[]) {
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  return async (token: string): Promise<RqpClaims> => {
    jwks ??= createRemoteJWKSet(new URL(`${idpIssuer()}/jwks`), { timeoutDuration: 5000, cooldownDuration: 1000 });
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: idpIssuer(), audience: audiences, algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'], requiredClaims: ['sub', 'exp', 'iat'] });
      return {
        issuer: String(payload.iss),
        sub: String(payload.sub),
        ...(typeof payload.email === 'string' ? { email: payload.email } : {}),
        ...(typeof payload.email_verified === 'boolean' ? { email_verified: payload.email_verified } : {}),
        ...(typeof payload.role === 'string' ? { role: payload.role } : {}),
        ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
      };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new ClaimTokenError('the ID token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw new ClaimTokenError(`the ID token's "${error.claim}" claim is not acceptable here`);
      if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) throw new ClaimTokenError('the ID token signature does not verify with the identity provider\'s keys');
      if (error instanceof errors.JOSEError) throw new ClaimTokenError(`the claim token is not a valid ID token (${error.code})`);
      throw new ClaimTokenError('the identity provider\'s keys could not be fetched');
    }
  };
}
