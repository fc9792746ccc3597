/**
 * The UMA grant at the token endpoint (UMA Grant §3.3.1, §3.3.5, §3.3.6): build the request (through
 * oauth4webapi, which does client authentication), then process the response into a typed
 * {@link GrantResult}, folding real servers' deviations (Keycloak, Janssen, WSO2) into the spec's
 * outcomes.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
import * as oauth from 'oauth4webapi';
import { importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { TesseraError } from '../kernel/errors';
import type { TokenAuthMethod } from '../kernel/trust';
import { allowsInsecureRequests, requireSecureTransport } from '../kernel/urls';
import type { HttpClient } from '../http/fetch';
import type { AsMetadata } from './discovery';
import { normalizeInterval } from './poll-policy';
import { demandsDpopNonce } from './dpop';
import type { RequiredClaim } from './ports';

/**
 * The UMA grant type `urn:ietf:params:oauth:grant-type:uma-ticket`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export const UMA_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:uma-ticket';

/**
 * Client credentials at one AS (secrets: kept in the token store under kind `client`).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export interface ClientCredentials {
  client_id: string;
  client_secret?: string;
  /** Private JWK for private_key_jwt. */
  private_jwk?: JWK;
  auth_method: TokenAuthMethod;
  registration: 'static' | 'dynamic';
}

/**
 * The UMA grant parameters Tessera sends: ticket, claim token, PCT, RPT to upgrade, scope.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export interface UmaTokenParams {
  ticket: string;
  claimToken?: { claim_token: string; claim_token_format: string };
  pct?: string;
  rpt?: string;
  scope?: string;
  /** Keycloak extension: `submit_request=true|false` (absent: Keycloak's default, true). */
  submitRequest?: boolean;
}

/**
 * Keycloak's extensions of the UMA grant request (not in UMA 2.0): ask for an RPT without a ticket
 * (`audience`, the resource server's client id, and `permission=RESOURCE#SCOPE`, repeatable), and
 * `response_mode=decision` (a yes/no `{"result": true}`) or `permissions` (the granted permissions,
 * no token).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export interface KeycloakUmaOptions {
  audience?: string;
  /** `RESOURCE` or `RESOURCE#SCOPE[,SCOPE]` (resource name or id); `#SCOPE` alone asks for a scope on any resource. */
  permissions?: string[];
  responseMode?: 'decision' | 'permissions';
  /** `submit_request` for this request (absent: the AS's configured value, else Keycloak's default). */
  submitRequest?: boolean;
}

/**
 * The form parameters of Keycloak's ticketless UMA grant request (`submit_request` as configured).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export function keycloakUmaParameters(options: KeycloakUmaOptions & { claimToken?: UmaTokenParams['claimToken'] }): URLSearchParams {
  const body = new URLSearchParams();
  if (options.audience) body.set('audience', options.audience);
  for (const p of options.permissions ?? []) body.append('permission', p);
  if (options.responseMode) body.set('response_mode', options.responseMode);
  if (options.claimToken) {
    body.set('claim_token', options.claimToken.claim_token);
    body.set('claim_token_format', options.claimToken.claim_token_format);
  }
  if (options.submitRequest !== undefined) body.set('submit_request', String(options.submitRequest));
  return body;
}

/**
 * The HTTP client, transcript flow and cancel signal of one token-endpoint exchange.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export interface RequestContext {
  http: HttpClient;
  flowId: string;
  signal?: AbortSignal;
  /** The requesting party's access token for Keycloak's bearer mode. */
  bearerToken?: string;
  /**
   * oauth4webapi's DPoP handle: token requests carry a proof signed with its key (RFC 9449 §5);
   * the AS's `DPoP-Nonce` is kept in it. See `DpopKeys`, `dpopHandle`.
   */
  dpop?: oauth.DPoPHandle;
}

/**
 * oauth4webapi client authentication for a configured method.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export async function clientAuthFor(client: ClientCredentials, bearerToken?: string): Promise<oauth.ClientAuth> {
  switch (client.auth_method) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(requireSecret(client));
    case 'client_secret_post':
      return oauth.ClientSecretPost(requireSecret(client));
    case 'private_key_jwt': {
      if (!client.private_jwk) throw new TesseraError('client_not_configured', `No private key for client "${client.client_id}".`, 'Give Tessera the private JWK registered for this client at this AS.', { facts: { clientId: client.client_id } });
      const alg = typeof client.private_jwk.alg === 'string' ? client.private_jwk.alg : client.private_jwk.kty === 'EC' ? 'ES256' : client.private_jwk.kty === 'OKP' ? 'EdDSA' : 'RS256';
      const key = await importJWK(client.private_jwk, alg);
      if (key instanceof Uint8Array) throw new TesseraError('client_not_configured', 'The private key is not an asymmetric key.', 'Use an RSA, EC or OKP private JWK.');
      return oauth.PrivateKeyJwt({ key, ...(client.private_jwk.kid ? { kid: client.private_jwk.kid } : {}) });
    }
    case 'none':
      return oauth.None();
    case 'keycloak_bearer':
      if (!bearerToken) throw new TesseraError('client_not_configured', 'Keycloak bearer mode needs the requesting party signed in.', 'Sign in as the requesting party at this AS first, or use client credentials for it.');
      return (_as, c, body, headers) => {
        body.set('client_id', c.client_id);
        headers.set('authorization', `Bearer ${bearerToken}`);
      };
  }
}

function requireSecret(client: ClientCredentials): string {
  if (!client.client_secret) throw new TesseraError('client_not_configured', `No client secret for client "${client.client_id}".`, 'Give Tessera the client secret, or choose another client authentication method for this AS.', { facts: { clientId: client.client_id } });
  return client.client_secret;
}

function asServer(metadata: AsMetadata): oauth.AuthorizationServer {
  return metadata as unknown as oauth.AuthorizationServer;
}

/**
 * oauth4webapi options for one request to `endpoint` through packages/uma/src/http. The endpoint must be https
 * (plain http only on this machine): the request carries the client's credentials and tokens.
 */
function options(ctx: RequestContext, endpoint: string | undefined, kind: 'token' | 'refresh' | 'revocation', secrets: (string | undefined)[]) {
  if (endpoint) requireSecureTransport(endpoint);
  return {
    [oauth.customFetch]: ctx.http.oauthFetch({ kind, flowId: ctx.flowId, ...(ctx.signal ? { signal: ctx.signal } : {}), secrets }),
    ...(endpoint && allowsInsecureRequests(endpoint) ? { [oauth.allowInsecureRequests]: true } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.dpop && kind !== 'revocation' ? { DPoP: ctx.dpop } : {}),
  };
}

/**
 * Sends a token request, and once more when the AS answers `use_dpop_nonce` (RFC 9449 §8): the
 * DPoP handle has kept the AS's `DPoP-Nonce`, so the second proof carries it.
 */
async function withNonceRetry(ctx: RequestContext, send: () => Promise<Response>): Promise<Response> {
  const first = await send();
  if (!ctx.dpop || !(await demandsDpopNonce(first))) return first;
  const step = ctx.http.transcript?.flow(ctx.flowId).at(-1);
  if (step) ctx.http.transcript?.annotate(step, { note: 'use_dpop_nonce: the AS asked for its nonce in the DPoP proof; sent again with it (RFC 9449 §8)' });
  return send();
}

/**
 * Builds the form parameters of a UMA grant request (§3.3.1).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export function umaTokenParameters(params: UmaTokenParams): URLSearchParams {
  const body = new URLSearchParams({ ticket: params.ticket });
  if (params.claimToken) {
    body.set('claim_token', params.claimToken.claim_token);
    body.set('claim_token_format', params.claimToken.claim_token_format);
  }
  if (params.pct) body.set('pct', params.pct);
  if (params.rpt) body.set('rpt', params.rpt);
  if (params.scope) body.set('scope', params.scope);
  if (params.submitRequest !== undefined) body.set('submit_request', String(params.submitRequest));
  return body;
}

/**
 * POSTs the UMA grant to the token endpoint (with a DPoP proof when `ctx.dpop` is set; once more
 * with the AS's nonce when it answers `use_dpop_nonce`).
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-8
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export async function umaTokenRequest(metadata: AsMetadata, client: ClientCredentials, params: UmaTokenParams, ctx: RequestContext): Promise<Response> {
  const auth = await clientAuthFor(client, ctx.bearerToken);
  const secrets = [params.ticket, params.pct, params.rpt, params.claimToken?.claim_token, client.client_secret, ctx.bearerToken];
  return withNonceRetry(ctx, () => oauth.genericTokenEndpointRequest(asServer(metadata), { client_id: client.client_id }, auth, UMA_GRANT_TYPE, umaTokenParameters(params), options(ctx, metadata.token_endpoint, 'token', secrets)));
}

/**
 * POSTs the UMA grant with exactly the given form parameters (no `ticket` required): `tessera probe`
 * uses it to send deliberately incomplete or wrong requests. `secrets` are scrubbed from the step.
 * With `ctx.dpop` a DPoP proof is sent (a wrong one too, see `dpopHandle`), and a `use_dpop_nonce`
 * answer is returned as is, not retried: the probe reads it.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export async function umaTokenRequestRaw(metadata: AsMetadata, client: ClientCredentials, body: URLSearchParams, ctx: RequestContext, secrets: (string | undefined)[] = []): Promise<Response> {
  const auth = await clientAuthFor(client, ctx.bearerToken);
  return oauth.genericTokenEndpointRequest(asServer(metadata), { client_id: client.client_id }, auth, UMA_GRANT_TYPE, body, options(ctx, metadata.token_endpoint, 'token', [...secrets, ...body.values(), client.client_secret, ctx.bearerToken]));
}

/**
 * POSTs Keycloak's ticketless UMA grant ({@link keycloakUmaParameters}); only the claim token and
 * client credentials are scrubbed from the step (audience, permissions and mode are not secrets).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export async function keycloakUmaRequest(metadata: AsMetadata, client: ClientCredentials, body: URLSearchParams, ctx: RequestContext): Promise<Response> {
  const auth = await clientAuthFor(client, ctx.bearerToken);
  return oauth.genericTokenEndpointRequest(asServer(metadata), { client_id: client.client_id }, auth, UMA_GRANT_TYPE, body, options(ctx, metadata.token_endpoint, 'token', [body.get('claim_token') ?? undefined, client.client_secret, ctx.bearerToken]));
}

/**
 * POSTs a refresh_token grant (UMA Grant §3.6).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.6
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export async function refreshRequest(metadata: AsMetadata, client: ClientCredentials, refreshToken: string, ctx: RequestContext): Promise<Response> {
  const auth = await clientAuthFor(client, ctx.bearerToken);
  return withNonceRetry(ctx, () => oauth.refreshTokenGrantRequest(asServer(metadata), { client_id: client.client_id }, auth, refreshToken, options(ctx, metadata.token_endpoint, 'refresh', [refreshToken, client.client_secret])));
}

/**
 * RFC 7009 revocation (UMA Grant §3.7; `token_type_hint=pct` for PCTs).
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
export async function revokeToken(metadata: AsMetadata, client: ClientCredentials, token: string, hint: 'pct' | 'access_token' | 'refresh_token', ctx: RequestContext): Promise<void> {
  const response = await revocationRequest(metadata, client, token, hint, ctx);
  if (response.status !== 200) throw new TesseraError('token_error', `Revocation at ${metadata.issuer} answered ${response.status}.`, 'The token was forgotten locally; it expires at the AS on its own.');
}

/**
 * The RFC 7009 revocation request itself; the caller reads the status (`tessera probe`).
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export async function revocationRequest(metadata: AsMetadata, client: ClientCredentials, token: string, hint: 'pct' | 'access_token' | 'refresh_token', ctx: RequestContext): Promise<Response> {
  const auth = await clientAuthFor(client, ctx.bearerToken);
  return oauth.revocationRequest(asServer(metadata), { client_id: client.client_id }, auth, token, {
    ...options(ctx, metadata.revocation_endpoint, 'revocation', [token, client.client_secret]),
    additionalParameters: { token_type_hint: hint },
  });
}

const successBody = z
  .object({
    access_token: z.string().min(1),
    token_type: z.string().min(1),
    expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
    refresh_token: z.string().min(1).optional(),
    pct: z.string().min(1).optional(),
    upgraded: z.boolean().optional(),
  })
  .loose();

const requiredClaim = z
  .object({
    claim_token_format: z.array(z.string()).optional(),
    claim_type: z.string().optional(),
    friendly_name: z.string().optional(),
    issuer: z.array(z.string()).optional(),
    name: z.string().optional(),
  })
  .loose();

const errorBody = z
  .object({
    error: z.string(),
    error_description: z.string().optional(),
    error_uri: z.string().optional(),
    ticket: z.string().min(1).optional(),
    required_claims: z.array(requiredClaim).optional(),
    redirect_user: z.string().optional(),
    // Any value: the polling policy reads and bounds it (packages/uma/src/uma/poll-policy.ts); a bad interval must not hide request_submitted.
    interval: z.unknown().transform((v) => normalizeInterval(v)).optional(),
  })
  .loose();

/**
 * A successful token response: the RPT, its lifetime, refresh token, PCT, and whether it upgraded the one sent.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface GrantedToken {
  accessToken: string;
  tokenType: string;
  expiresIn?: number;
  refreshToken?: string;
  pct?: string;
  upgraded?: boolean;
}

/**
 * Typed reading of a token-endpoint answer.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export type GrantResult =
  | { type: 'token'; token: GrantedToken }
  | { type: 'need_info'; ticket: string; requiredClaims?: RequiredClaim[]; redirectUser?: string }
  | { type: 'request_submitted'; ticket?: string; interval?: number; vendor?: 'keycloak' }
  | { type: 'denied'; error: string; description?: string }
  | { type: 'invalid_ticket'; error: string; description?: string }
  | { type: 'invalid_pct'; description?: string }
  | { type: 'invalid_rpt'; description?: string }
  | { type: 'invalid_scope'; description?: string }
  | { type: 'invalid_client'; status: number; description?: string }
  | { type: 'server_error'; status: number; description?: string }
  | { type: 'error'; status: number; error: string; description?: string };

/**
 * Processes a token-endpoint response into a {@link GrantResult}.
 *
 * Mapping (spec → vendor forms from reference/real-servers.md §7):
 * - 200 → token (a partial grant is judged later by the RS).
 * - `need_info` (403, new ticket) → need_info.
 * - `request_submitted` (403, new ticket, interval) and Keycloak `access_denied`/`request_submitted`
 *   (no ticket) → request_submitted.
 * - `request_denied`, Keycloak `access_denied`/`not_authorized`, Janssen `forbidden_by_policy`,
 *   `not_authorized_permission` → denied.
 * - `invalid_grant` (spec, WSO2), Keycloak 403 `invalid_ticket`, Janssen 400
 *   `invalid_ticket`/`expired_ticket` → invalid_ticket (go back to the RS once).
 * - Janssen 401 `invalid_pct` → invalid_pct; `invalid_rpt` (Keycloak 403, Janssen 400) → invalid_rpt.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export async function processUmaTokenResponse(response: Response): Promise<GrantResult> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.status === 200) {
    const parsed = successBody.safeParse(json);
    if (!parsed.success) return { type: 'error', status: 200, error: 'invalid_response', description: 'The token response is not a valid token response.' };
    const b = parsed.data;
    return {
      type: 'token',
      token: {
        accessToken: b.access_token,
        tokenType: b.token_type,
        ...(b.expires_in !== undefined ? { expiresIn: b.expires_in } : {}),
        ...(b.refresh_token ? { refreshToken: b.refresh_token } : {}),
        ...(b.pct ? { pct: b.pct } : {}),
        ...(b.upgraded !== undefined ? { upgraded: b.upgraded } : {}),
      },
    };
  }
  const parsed = errorBody.safeParse(json);
  if (!parsed.success) {
    if (response.status >= 500) return { type: 'server_error', status: response.status };
    return { type: 'error', status: response.status, error: 'invalid_response', description: `HTTP ${response.status} without an OAuth error body.` };
  }
  const e = parsed.data;
  const desc = e.error_description;
  const d = { ...(desc ? { description: desc } : {}) };
  switch (e.error) {
    case 'need_info':
      if (!e.ticket) return { type: 'error', status: response.status, error: 'need_info', description: 'need_info without a new ticket' };
      return { type: 'need_info', ticket: e.ticket, ...(e.required_claims ? { requiredClaims: e.required_claims as RequiredClaim[] } : {}), ...(e.redirect_user ? { redirectUser: e.redirect_user } : {}) };
    case 'request_submitted':
      return { type: 'request_submitted', ...(e.ticket ? { ticket: e.ticket } : {}), ...(e.interval !== undefined ? { interval: e.interval } : {}) };
    case 'request_denied':
    case 'forbidden_by_policy':
    case 'not_authorized_permission':
      return { type: 'denied', error: e.error, ...d };
    case 'access_denied':
      if (desc === 'request_submitted') return { type: 'request_submitted', vendor: 'keycloak', ...(e.ticket ? { ticket: e.ticket } : {}) };
      return { type: 'denied', error: e.error, ...d };
    case 'invalid_grant':
    case 'invalid_ticket':
    case 'expired_ticket':
      return { type: 'invalid_ticket', error: e.error, ...d };
    case 'invalid_pct':
      return { type: 'invalid_pct', ...d };
    case 'invalid_rpt':
      return { type: 'invalid_rpt', ...d };
    case 'invalid_scope':
      return { type: 'invalid_scope', ...d };
    case 'invalid_client':
    case 'unauthorized_client':
      return { type: 'invalid_client', status: response.status, ...d };
    case 'server_error':
    case 'temporarily_unavailable':
      return { type: 'server_error', status: response.status, ...d };
    default:
      if (response.status >= 500) return { type: 'server_error', status: response.status, ...d };
      return { type: 'error', status: response.status, error: e.error, ...d };
  }
}
