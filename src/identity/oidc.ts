/**
 * Requesting-party sign-in at their own OpenID provider: oidc-client-ts `OidcClient` (not
 * `UserManager`: no window, no storage events) in the privileged process, authorization code + PKCE
 * S256 with `state` and `nonce` (an in-process state store), the system browser and a one-shot
 * loopback redirect (RFC 8252). oidc-client-ts does not verify ID-token signatures, so every ID token
 * is verified here with jose: signature against the provider's JWKS, `iss`, `aud`, `exp`, `nonce`.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { InMemoryWebStorage, OidcClient, WebStorageStateStore, type SigninResponse } from 'oidc-client-ts';
import { TesseraError } from '../kernel/errors';
import { startLoopback } from '../uma/loopback';
import type { Opener } from './opener';

export const SIGNIN_PATH = '/oidc/callback';
export const DEFAULT_SCOPE = 'openid email profile offline_access';

export interface ProviderClient {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
}

export interface SignedIn {
  idToken: string;
  claims: JWTPayload;
  refreshToken?: string;
  accessToken?: string;
  /** ms since epoch: when the ID token stops being pushable. */
  idTokenExpiresAt: number;
  scope: string;
}

const jwksByIssuer = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function client(p: ProviderClient, redirectUri: string): OidcClient {
  return new OidcClient({
    authority: p.issuer,
    client_id: p.clientId,
    ...(p.clientSecret ? { client_secret: p.clientSecret, client_authentication: 'client_secret_basic' as const } : {}),
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: p.scope ?? DEFAULT_SCOPE,
    // oidc-client-ts would otherwise fetch userinfo and merge it into the profile; the ID token is what is pushed.
    loadUserInfo: false,
    stateStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
  });
}

/** Verifies an ID token from `issuer` for `clientId` (signature, iss, aud, exp, and nonce when given). */
export async function verifyIdToken(idToken: string, p: ProviderClient, jwksUri: string, nonce?: string): Promise<JWTPayload> {
  let jwks = jwksByIssuer.get(jwksUri);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000 });
    jwksByIssuer.set(jwksUri, jwks);
  }
  try {
    const { payload } = await jwtVerify(idToken, jwks, { issuer: p.issuer, audience: p.clientId, requiredClaims: ['sub', 'exp', 'iat'] });
    if (nonce !== undefined && payload.nonce !== nonce) throw new TesseraError('id_token_invalid', 'The ID token does not carry the nonce of this sign-in.', 'Sign in again; if it repeats, the provider or the network is tampering with the response.');
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== p.clientId) throw new TesseraError('id_token_invalid', 'The ID token has several audiences and is not authorized for this client (azp).', 'Sign in again.');
    return payload;
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    const why = error instanceof joseErrors.JWTExpired ? 'it has expired' : error instanceof joseErrors.JWTClaimValidationFailed ? `its "${error.claim}" claim is wrong` : error instanceof joseErrors.JWSSignatureVerificationFailed ? 'its signature does not verify with the provider\'s keys' : error instanceof Error ? error.message : String(error);
    throw new TesseraError('id_token_invalid', `The ID token from ${p.issuer} is not valid: ${why}.`, 'Sign in again; check the issuer URL and client id.');
  }
}

async function jwksUriOf(oidc: OidcClient): Promise<string> {
  const uri = await oidc.metadataService.getKeysEndpoint(true);
  if (typeof uri !== 'string') throw new TesseraError('signin_failed', 'The provider publishes no jwks_uri.', 'Check the issuer URL.');
  return uri;
}

async function toSignedIn(response: SigninResponse, p: ProviderClient, oidc: OidcClient, nonce?: string): Promise<SignedIn> {
  if (!response.id_token) throw new TesseraError('signin_failed', `${p.issuer} returned no ID token.`, 'Ask for the openid scope.');
  const claims = await verifyIdToken(response.id_token, p, await jwksUriOf(oidc), nonce);
  return {
    idToken: response.id_token,
    claims,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(response.access_token ? { accessToken: response.access_token } : {}),
    idTokenExpiresAt: (claims.exp ?? 0) * 1000,
    scope: response.scope ?? p.scope ?? DEFAULT_SCOPE,
  };
}

export interface SignInOptions {
  opener: Opener;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** e.g. `login` to force the provider's sign-in page. */
  prompt?: string;
}

/** Runs the browser sign-in and returns verified tokens. */
export async function signIn(p: ProviderClient, options: SignInOptions): Promise<SignedIn> {
  let expectedState: string | undefined;
  const loopback = await startLoopback({
    path: SIGNIN_PATH,
    stateOk: (state) => state !== null && state === expectedState,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    doneMessage: 'You are signed in. You can close this tab and return to Tessera.',
  });
  try {
    const oidc = client(p, loopback.redirectUri);
    const nonce = randomBytes(24).toString('base64url');
    let request;
    try {
      request = await oidc.createSigninRequest({ nonce, ...(options.prompt ? { prompt: options.prompt } : {}) });
    } catch (error) {
      throw new TesseraError('signin_failed', `Could not start sign-in at ${p.issuer}: ${error instanceof Error ? error.message : String(error)}.`, 'Check the issuer URL (its /.well-known/openid-configuration must be reachable).');
    }
    expectedState = request.state.id;
    await options.opener(request.url);
    const query = await loopback.result;
    let response: SigninResponse;
    try {
      response = await oidc.processSigninResponse(`${loopback.redirectUri}?${query.toString()}`);
    } catch (error) {
      throw new TesseraError('signin_failed', `${p.issuer} did not complete the sign-in: ${error instanceof Error ? error.message : String(error)}.`, 'Try again; check the client id and that it allows this redirect URI.');
    }
    return await toSignedIn(response, p, oidc, nonce);
  } finally {
    loopback.close();
  }
}

/** Uses a refresh token for a new ID token (and a rotated refresh token when the provider rotates). */
export async function refresh(p: ProviderClient, refreshToken: string, currentIdToken?: string): Promise<SignedIn> {
  const oidc = client(p, `http://127.0.0.1${SIGNIN_PATH}`);
  let response: SigninResponse;
  try {
    const profile = currentIdToken ? decodeJwt(currentIdToken) : {};
    response = await oidc.useRefreshToken({
      state: { refresh_token: refreshToken, ...(currentIdToken ? { id_token: currentIdToken } : {}), session_state: null, scope: p.scope ?? DEFAULT_SCOPE, profile: profile as never, data: undefined },
    } as never);
  } catch (error) {
    throw new TesseraError('identity_expired', `The sign-in at ${p.issuer} could not be refreshed: ${error instanceof Error ? error.message : String(error)}.`, `Sign in again at ${p.issuer}.`, { facts: { idpIssuer: p.issuer, clientId: p.clientId } });
  }
  const signed = await toSignedIn(response, p, oidc);
  return { ...signed, ...(signed.refreshToken ? {} : { refreshToken }) };
}

/**
 * Revokes a refresh token at the provider (RFC 7009) when it has a revocation endpoint. oauth4webapi
 * here, not oidc-client-ts: the latter rejects the empty `200` that RFC 7009 §2.2 prescribes when it is
 * not labelled JSON (oidc-provider answers text/plain).
 */
export async function revokeAtProvider(p: ProviderClient, refreshToken: string): Promise<'revoked' | 'no_endpoint' | 'failed'> {
  const issuer = new URL(p.issuer);
  const insecure = issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
  try {
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, signal: AbortSignal.timeout(10_000) }));
    if (!as.revocation_endpoint) return 'no_endpoint';
    const client: oauth.Client = { client_id: p.clientId };
    const auth = p.clientSecret ? oauth.ClientSecretBasic(p.clientSecret) : oauth.None();
    const response = await oauth.revocationRequest(as, client, auth, refreshToken, { ...insecure, additionalParameters: { token_type_hint: 'refresh_token' }, signal: AbortSignal.timeout(10_000) });
    await oauth.processRevocationResponse(response);
    return 'revoked';
  } catch {
    return 'failed';
  }
}
