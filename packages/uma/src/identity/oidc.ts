/**
 * Requesting-party sign-in at their own OpenID provider: authorization code + PKCE S256 with `state`
 * and `nonce`, the system browser and a one-shot loopback redirect (RFC 8252). Every exchange with
 * the provider goes through packages/uma/src/http (bounds, redaction, the transcript's `idp` lane):
 *
 * - discovery with oauth4webapi (`customFetch`), issuer-checked (RFC 8414 §3.3 / OIDC Discovery §4.3);
 * - oidc-client-ts `OidcClient` builds the authorization request and keeps state, nonce and the PKCE
 *   verifier; it is given the discovered `metadata`, so it never fetches by itself (it has no fetch
 *   hook: its JsonService uses the global `fetch`);
 * - the code exchange, refresh and RFC 7009 revocation with oauth4webapi (`customFetch`);
 * - the ID-token signature with jose (`createRemoteJWKSet` with `customFetch`): signature against the
 *   provider's JWKS, `iss`, `aud`, `exp`, `nonce`;
 * - sign-out at the provider by RP-initiated logout in the system browser.
 *
 * The browser legs (authorization request, end-session request) are recorded as `browser`-lane steps.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, customFetch as joseCustomFetch, decodeJwt, errors as joseErrors, jwksCache, jwtVerify, type JWKSCacheInput, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { InMemoryWebStorage, OidcClient, WebStorageStateStore, type OidcMetadata } from 'oidc-client-ts';
import { TesseraError, toErrorInfo } from '../kernel/errors';
import { Redactor } from '../kernel/redact';
import type { StepKind, TranscriptStep } from '../kernel/transcript';
import { HttpClient } from '../http/fetch';
import { startLoopback } from '../uma/loopback';
import type { Opener } from './opener';

/**
 * Path of the loopback redirect URI of sign-in (`http://127.0.0.1:<port>/oidc/callback`).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export const SIGNIN_PATH = '/oidc/callback';
/**
 * Scopes asked for at sign-in (`openid email profile offline_access`).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
export const DEFAULT_SCOPE = 'openid email profile offline_access';

/**
 * An OpenID provider and the client registered there for signing a requesting party in.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
export interface ProviderClient {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
  /** Sent at sign-out only when the client has it registered at the provider. */
  postLogoutRedirectUri?: string;
}

/**
 * The tokens and verified ID-token claims of a completed sign-in.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
export interface SignedIn {
  idToken: string;
  claims: JWTPayload;
  refreshToken?: string;
  accessToken?: string;
  /** ms since epoch: when the ID token stops being pushable. */
  idTokenExpiresAt: number;
  scope: string;
}

/**
 * Where the provider exchanges are recorded: the caller's HTTP client (and its transcript) and flow.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
export interface IdpContext {
  /** Default: a private client with default bounds and no transcript. */
  http?: HttpClient;
  /** Transcript flow the steps belong to; default a random UUID. */
  flowId?: string;
  signal?: AbortSignal;
}

interface Bound { http: HttpClient; flowId: string; signal?: AbortSignal }

function bind(ctx: IdpContext = {}): Bound {
  return { http: ctx.http ?? new HttpClient(), flowId: ctx.flowId ?? randomUUID(), ...(ctx.signal ? { signal: ctx.signal } : {}) };
}

/** oauth4webapi options routing one exchange through packages/uma/src/http on the `idp` lane. */
function via(b: Bound, issuer: string, kind: StepKind, secrets: (string | undefined)[] = []) {
  return {
    [oauth.customFetch]: b.http.oauthFetch({ lane: 'idp', kind, flowId: b.flowId, secrets, ...(b.signal ? { signal: b.signal } : {}) }),
    // Plain http only reaches this far for a provider on this machine (the faces refuse others).
    ...(new URL(issuer).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(b.signal ? { signal: b.signal } : {}),
  };
}

const describe = (error: unknown): string =>
  error instanceof oauth.ResponseBodyError ? `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`
  : error instanceof oauth.AuthorizationResponseError ? `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`
  : error instanceof Error ? error.message : String(error);

/** OpenID discovery through src/http; the document's `issuer` must be the configured one. */
async function discover(p: ProviderClient, b: Bound): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(p.issuer);
  try {
    return await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...via(b, p.issuer, 'oidc_discovery'), algorithm: 'oidc' }));
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    throw new TesseraError('discovery_failed', `Could not read the OpenID configuration of ${p.issuer}: ${describe(error)}.`, 'Check the issuer URL (its /.well-known/openid-configuration must be reachable and name the same issuer).');
  }
}

function client(p: ProviderClient, redirectUri: string, as: oauth.AuthorizationServer): OidcClient {
  return new OidcClient({
    authority: p.issuer,
    // The discovered document: OidcClient must not fetch it again behind packages/uma/src/http's back.
    metadata: as as Partial<OidcMetadata>,
    client_id: p.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: p.scope ?? DEFAULT_SCOPE,
    loadUserInfo: false,
    stateStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
  });
}

const oauthClient = (p: ProviderClient): oauth.Client => ({ client_id: p.clientId });
const clientAuth = (p: ProviderClient): oauth.ClientAuth => (p.clientSecret ? oauth.ClientSecretBasic(p.clientSecret) : oauth.None());

/**
 * jose's JWKS cache, per HTTP client and `jwks_uri`: a fresh resolver per verification (bound to its
 * flow, so a fetch lands in the right transcript flow) shares the keys already fetched.
 */
const jwksCaches = new WeakMap<HttpClient, Map<string, JWKSCacheInput>>();

function jwksFor(jwksUri: string, b: Bound) {
  let caches = jwksCaches.get(b.http);
  if (!caches) jwksCaches.set(b.http, (caches = new Map()));
  let cache = caches.get(jwksUri);
  if (!cache) caches.set(jwksUri, (cache = {}));
  return createRemoteJWKSet(new URL(jwksUri), {
    [jwksCache]: cache,
    [joseCustomFetch]: b.http.fetchFor({ lane: 'idp', kind: 'jwks', flowId: b.flowId, ...(b.signal ? { signal: b.signal } : {}) }),
  });
}

/**
 * Verifies an ID token from `p.issuer` for `p.clientId`: signature against the provider's JWKS
 * (fetched through packages/uma/src/http), `iss`, `aud`, `exp`, `iat`, `sub`, `azp` for several audiences, and the
 * nonce when given.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export async function verifyIdToken(idToken: string, p: ProviderClient, jwksUri: string, nonce?: string, ctx: IdpContext = {}): Promise<JWTPayload> {
  const b = bind(ctx);
  try {
    const { payload } = await jwtVerify(idToken, jwksFor(jwksUri, b), { issuer: p.issuer, audience: p.clientId, requiredClaims: ['sub', 'exp', 'iat'] });
    if (nonce !== undefined && payload.nonce !== nonce) throw new TesseraError('id_token_invalid', 'The ID token does not carry the nonce of this sign-in.', 'Sign in again; if it repeats, the provider or the network is tampering with the response.');
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== p.clientId) throw new TesseraError('id_token_invalid', 'The ID token has several audiences and is not authorized for this client (azp).', 'Sign in again.');
    return payload;
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    const why = error instanceof joseErrors.JWTExpired ? 'it has expired' : error instanceof joseErrors.JWTClaimValidationFailed ? `its "${error.claim}" claim is wrong` : error instanceof joseErrors.JWSSignatureVerificationFailed ? 'its signature does not verify with the provider\'s keys' : error instanceof Error ? error.message : String(error);
    throw new TesseraError('id_token_invalid', `The ID token from ${p.issuer} is not valid: ${why}.`, 'Sign in again; check the issuer URL and client id.');
  }
}

function jwksUriOf(as: oauth.AuthorizationServer, p: ProviderClient): string {
  if (typeof as.jwks_uri !== 'string') throw new TesseraError('signin_failed', `${p.issuer} publishes no jwks_uri.`, 'Check the issuer URL.');
  return as.jwks_uri;
}

async function toSignedIn(tokens: oauth.TokenEndpointResponse, p: ProviderClient, as: oauth.AuthorizationServer, b: Bound, nonce?: string): Promise<SignedIn> {
  if (!tokens.id_token) throw new TesseraError('signin_failed', `${p.issuer} returned no ID token.`, 'Ask for the openid scope.');
  const claims = await verifyIdToken(tokens.id_token, p, jwksUriOf(as, p), nonce, b);
  return {
    idToken: tokens.id_token,
    claims,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    ...(tokens.access_token ? { accessToken: tokens.access_token } : {}),
    idTokenExpiresAt: (claims.exp ?? 0) * 1000,
    scope: tokens.scope ?? p.scope ?? DEFAULT_SCOPE,
  };
}

/** Records a browser leg (not an HTTP exchange of ours, but part of the flow) with its URL redacted. */
function browserStep(b: Bound, kind: StepKind, url: string, secrets: (string | undefined)[], note: string): TranscriptStep | undefined {
  const transcript = b.http.transcript;
  if (!transcript) return undefined;
  const redactor = new Redactor();
  for (const s of secrets) redactor.add(s);
  const step: TranscriptStep = { id: randomUUID(), flowId: b.flowId, time: new Date().toISOString(), duration: 0, lane: 'browser', kind, method: 'GET', url: redactor.url(url), status: null, request: { headers: {} }, note };
  if (redactor.tokens.size > 0) step.tokens = [...redactor.tokens.values()];
  return transcript.add(step);
}

/**
 * Options of {@link signIn}: opener, timeout, scope, cancellation.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
 */
export interface SignInOptions extends IdpContext {
  opener: Opener;
  timeoutMs?: number;
  /** e.g. `login` to force the provider's sign-in page. */
  prompt?: string;
  /**
   * "Sign in as someone else": `prompt=login` and `max_age=0` (for providers that ignore `prompt`),
   * and the ID token must show an authentication that happened during this sign-in (`auth_time`).
   * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
   */
  switchUser?: boolean;
}

/** Seconds of clock skew tolerated when checking `auth_time` after a forced re-authentication. */
const AUTH_TIME_SKEW = 60;

/**
 * Runs the browser sign-in and returns verified tokens; every provider exchange lands in `options.flowId`.
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */
export async function signIn(p: ProviderClient, options: SignInOptions): Promise<SignedIn> {
  const b = bind(options);
  const started = Date.now();
  let expectedState: string | undefined;
  const loopback = await startLoopback({
    path: SIGNIN_PATH,
    stateOk: (state) => state !== null && state === expectedState,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    doneMessage: 'You are signed in. You can close this tab and return to Tessera.',
  });
  try {
    const as = await discover(p, b);
    const oidc = client(p, loopback.redirectUri, as);
    const nonce = randomBytes(24).toString('base64url');
    const prompt = options.switchUser ? 'login' : options.prompt;
    let request;
    try {
      request = await oidc.createSigninRequest({ nonce, ...(prompt ? { prompt } : {}), ...(options.switchUser ? { max_age: 0 } : {}) });
    } catch (error) {
      throw new TesseraError('signin_failed', `Could not start sign-in at ${p.issuer}: ${describe(error)}.`, 'Check the issuer URL and its OpenID configuration.');
    }
    expectedState = request.state.id;
    const leg = browserStep(b, 'signin', request.url, [request.state.id], `sign-in: the system browser goes to ${new URL(request.url).origin}${options.switchUser ? ' (prompt=login, max_age=0: sign in as someone else)' : ''}`);
    let query: URLSearchParams;
    try {
      await options.opener(request.url);
      query = await loopback.result;
    } catch (error) {
      if (leg) { leg.duration = Date.now() - started; b.http.transcript?.annotate(leg, { outcome: 'error', error: toErrorInfo(error) }); }
      throw error;
    }
    if (leg) { leg.duration = Date.now() - started; b.http.transcript?.annotate(leg, { note: `sign-in: back from the browser at ${loopback.redirectUri} with an authorization code` }); }
    const callback = new URL(loopback.redirectUri);
    callback.search = query.toString();
    let tokens: oauth.TokenEndpointResponse;
    try {
      const { state } = await oidc.readSigninResponseState(callback.href, true);
      const params = oauth.validateAuthResponse(as, oauthClient(p), callback, state.id);
      const code = params.get('code') ?? undefined;
      const response = await oauth.authorizationCodeGrantRequest(as, oauthClient(p), clientAuth(p), params, loopback.redirectUri, state.code_verifier ?? '', via(b, p.issuer, 'token', [code, state.code_verifier, p.clientSecret, state.id]));
      tokens = await oauth.processAuthorizationCodeResponse(as, oauthClient(p), response, { expectedNonce: nonce, requireIdToken: true });
    } catch (error) {
      if (error instanceof TesseraError) throw error;
      throw new TesseraError('signin_failed', `${p.issuer} did not complete the sign-in: ${describe(error)}.`, 'Try again; check the client id and that it allows this redirect URI.');
    }
    const signed = await toSignedIn(tokens, p, as, b, nonce);
    if (options.switchUser) {
      const authTime = signed.claims.auth_time;
      if (typeof authTime !== 'number' || authTime < Math.floor(started / 1000) - AUTH_TIME_SKEW) {
        throw new TesseraError('signin_failed', `${p.issuer} did not ask who is signing in (the ID token's auth_time is older than this sign-in).`, 'Sign out at the provider in your browser, then sign in again.');
      }
    }
    return signed;
  } finally {
    loopback.close();
  }
}

/**
 * Uses a refresh token for a new ID token (and a rotated refresh token when the provider rotates).
 * With the current ID token, the new one must be about the same person (OIDC Core §12.2: same `iss`
 * and `sub`).
 * @see https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
 */
export async function refresh(p: ProviderClient, refreshToken: string, currentIdToken?: string, ctx: IdpContext = {}): Promise<SignedIn> {
  const b = bind(ctx);
  let as: oauth.AuthorizationServer;
  let tokens: oauth.TokenEndpointResponse;
  try {
    as = await discover(p, b);
    const response = await oauth.refreshTokenGrantRequest(as, oauthClient(p), clientAuth(p), refreshToken, via(b, p.issuer, 'refresh', [refreshToken, p.clientSecret]));
    tokens = await oauth.processRefreshTokenResponse(as, oauthClient(p), response);
  } catch (error) {
    throw new TesseraError('identity_expired', `The sign-in at ${p.issuer} could not be refreshed: ${error instanceof TesseraError ? error.message : describe(error)}.`, `Sign in again at ${p.issuer}.`, { facts: { idpIssuer: p.issuer, clientId: p.clientId } });
  }
  const signed = await toSignedIn(tokens, p, as, b);
  if (currentIdToken) {
    const before = decodeJwt(currentIdToken);
    if (before.sub !== signed.claims.sub || before.iss !== signed.claims.iss) throw new TesseraError('identity_expired', `${p.issuer} refreshed the sign-in for a different person.`, `Sign in again at ${p.issuer}.`, { facts: { idpIssuer: p.issuer, clientId: p.clientId } });
  }
  return { ...signed, ...(signed.refreshToken ? {} : { refreshToken }) };
}

/**
 * Revokes a refresh token at the provider (RFC 7009) when it has a revocation endpoint. oauth4webapi
 * here, not oidc-client-ts: the latter rejects the empty `200` that RFC 7009 §2.2 prescribes when it is
 * not labelled JSON (oidc-provider answers text/plain).
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
export async function revokeAtProvider(p: ProviderClient, refreshToken: string, ctx: IdpContext = {}): Promise<'revoked' | 'no_endpoint' | 'failed'> {
  const b = bind(ctx);
  try {
    const as = await discover(p, b);
    if (!as.revocation_endpoint) return 'no_endpoint';
    const response = await oauth.revocationRequest(as, oauthClient(p), clientAuth(p), refreshToken, { ...via(b, p.issuer, 'revocation', [refreshToken, p.clientSecret]), additionalParameters: { token_type_hint: 'refresh_token' } });
    await oauth.processRevocationResponse(response);
    return 'revoked';
  } catch {
    return 'failed';
  }
}

/**
 * Options of {@link endSessionAtProvider}: the opener of the system browser.
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html
 */
export interface EndSessionOptions extends IdpContext { opener: Opener }

/**
 * Ends the person's session at the provider too (RP-initiated logout): opens `end_session_endpoint`
 * with `id_token_hint` (and `post_logout_redirect_uri` only when one is registered for this client)
 * in the system browser. `no_endpoint` when the provider advertises none.
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
export async function endSessionAtProvider(p: ProviderClient, idToken: string | undefined, options: EndSessionOptions): Promise<'opened' | 'no_endpoint' | 'failed'> {
  const b = bind(options);
  let url: string;
  try {
    const as = await discover(p, b);
    if (typeof as.end_session_endpoint !== 'string') return 'no_endpoint';
    const request = await client(p, `http://127.0.0.1${SIGNIN_PATH}`, as).createSignoutRequest({
      ...(idToken ? { id_token_hint: idToken } : { client_id: p.clientId }),
      ...(p.postLogoutRedirectUri ? { post_logout_redirect_uri: p.postLogoutRedirectUri } : {}),
    });
    url = request.url;
  } catch {
    return 'failed';
  }
  const leg = browserStep(b, 'logout', url, [idToken], `sign-out: the system browser goes to ${new URL(url).origin} to end the session there too`);
  try {
    await options.opener(url);
    return 'opened';
  } catch (error) {
    if (leg) b.http.transcript?.annotate(leg, { outcome: 'error', error: toErrorInfo(error) });
    return 'failed';
  }
}
