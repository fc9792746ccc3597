/**
 * Dynamic client registration of Tessera at an AS (RFC 7591), with the UMA grant type and the
 * `claims_redirect_uris` UMA Grant §5.2 adds to client metadata. A request/process pair in the
 * oauth4webapi style: {@link registrationRequest} sends, {@link processRegistrationResponse} turns
 * the answer into {@link ClientCredentials} or a typed `registration_failed` error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.2
 */
import * as oauth from 'oauth4webapi';
import { SPEC, TesseraError } from '../kernel/errors';
import type { TokenAuthMethod } from '../kernel/trust';
import type { AsMetadata } from './discovery';
import { UMA_GRANT_TYPE, type ClientCredentials, type RequestContext } from './grant';

/**
 * What to register: loopback `claims_redirect_uris` and a client name.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 */
export interface RegistrationParams {
  /** Loopback `claims_redirect_uris` for claims interaction (RFC 8252 §7.3), if any. */
  claimsRedirectUris?: string[];
  clientName?: string;
}

/**
 * Sends the registration request to `registration_endpoint`.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.1
 */
export async function registrationRequest(metadata: AsMetadata, params: RegistrationParams, ctx: RequestContext): Promise<Response> {
  return oauth.dynamicClientRegistrationRequest(
    metadata as unknown as oauth.AuthorizationServer,
    {
      client_name: params.clientName ?? 'Tessera',
      grant_types: [UMA_GRANT_TYPE, 'refresh_token'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(params.claimsRedirectUris?.length ? { claims_redirect_uris: params.claimsRedirectUris } : {}),
    },
    {
      [oauth.customFetch]: ctx.http.oauthFetch({ kind: 'registration', flowId: ctx.flowId, ...(ctx.signal ? { signal: ctx.signal } : {}) }),
      [oauth.allowInsecureRequests]: true,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    },
  );
}

/**
 * Validates the registration response (RFC 7591 §3.2.1) into credentials Tessera can store.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2
 */
export async function processRegistrationResponse(asIssuer: string, response: Response): Promise<ClientCredentials> {
  let registered: oauth.Client;
  try {
    registered = await oauth.processDynamicClientRegistrationResponse(response);
  } catch (error) {
    throw new TesseraError('registration_failed', `Dynamic client registration at ${asIssuer} failed: ${error instanceof Error ? error.message : String(error)}.`, 'Register Tessera at this AS by hand and give Tessera its client id.', { spec: SPEC.registration, cause: error, facts: { asIssuer } });
  }
  const secret = typeof registered.client_secret === 'string' ? registered.client_secret : undefined;
  const method = (registered.token_endpoint_auth_method as TokenAuthMethod | undefined) ?? (secret ? 'client_secret_basic' : 'none');
  return { client_id: registered.client_id, ...(secret ? { client_secret: secret } : {}), auth_method: secret ? method : 'none', registration: 'dynamic' };
}
