/**
 * Everything needed to send a request to one trusted AS: its metadata (discovery, cached), the
 * client Tessera is there, and the request context (the one HTTP client, the flow's transcript id,
 * cancellation, Keycloak's bearer credential when configured).
 */
import type { AsConfig } from '../kernel/trust';
import type { HttpClient } from '../http/fetch';
import type { ClientResolver } from './clients';
import type { DiscoveredAs, DiscoveryCache } from './discovery';
import type { ClientCredentials, RequestContext } from './grant';

/**
 * What a grant needs at one AS: its discovered metadata, the client, the request context.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export interface AsAccess {
  discovered: DiscoveredAs;
  client: ClientCredentials;
  ctx: RequestContext;
}

/**
 * What {@link openAs} uses: the HTTP client, discovery cache, client resolver, bearer token source.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export interface AsAccessDeps {
  http: HttpClient;
  discovery: DiscoveryCache;
  clients: ClientResolver;
  /** The requesting party's access token for Keycloak bearer mode. */
  bearerToken?: (asIssuer: string) => Promise<string | undefined>;
}

/**
 * Resolves metadata and client for `asIssuer`. `asUri` is the name the RS used (it may be an alias
 * of the configured issuer).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export async function openAs(deps: AsAccessDeps, asIssuer: string, config: AsConfig, flow: { flowId: string; signal?: AbortSignal; asUri?: string }): Promise<AsAccess> {
  const base = { http: deps.http, flowId: flow.flowId, ...(flow.signal ? { signal: flow.signal } : {}) };
  const discovered = await deps.discovery.resolve(flow.asUri ?? asIssuer, config, base);
  const client = await deps.clients.resolve(asIssuer, config, discovered, base);
  const bearer = client.auth_method === 'keycloak_bearer' ? await deps.bearerToken?.(asIssuer) : undefined;
  return { discovered, client, ctx: { ...base, ...(bearer ? { bearerToken: bearer } : {}) } };
}
