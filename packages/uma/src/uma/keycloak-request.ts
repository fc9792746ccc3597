/**
 * Keycloak's ticketless UMA grant requests, for people who test a Keycloak authorization setup: an
 * RPT for `audience` (a resource server's client id) and `permission=RESOURCE#SCOPE` without a
 * ticket, or only the decision (`response_mode=decision`) or the granted permissions
 * (`response_mode=permissions`). Sent only to a trusted AS, with the party's own claims.
 *
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { AsConfig } from '../kernel/trust';
import { openAs, type AsAccessDeps } from './as-access';
import { keycloakUmaParameters, keycloakUmaRequest, processUmaTokenResponse, type GrantResult, type GrantedToken, type KeycloakUmaOptions } from './grant';
import type { ClaimsSource } from './ports';

/**
 * One permission as Keycloak reports it (in `response_mode=permissions` or an RPT's `authorization`).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export interface KeycloakPermission { rsid?: string; rsname?: string; scopes?: string[] }

/**
 * What Keycloak answered: a decision, a permission list, an RPT (with the permissions it carries), or a refusal.
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export type KeycloakAnswer =
  | { type: 'decision'; granted: boolean }
  | { type: 'permissions'; permissions: KeycloakPermission[] }
  | { type: 'token'; token: GrantedToken; permissions?: KeycloakPermission[] }
  | { type: 'refused'; result: GrantResult };

const permission = z.object({ rsid: z.string().max(2048).optional(), rsname: z.string().max(2048).optional(), scopes: z.array(z.string().max(512)).max(256).optional() }).loose();
const permissionList = z.array(permission).max(10_000);
const decision = z.object({ result: z.boolean() }).loose();

/**
 * Sends one ticketless request to a trusted Keycloak AS and reads its answer.
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export async function askKeycloak(deps: AsAccessDeps & { claims?: ClaimsSource }, asIssuer: string, config: AsConfig, options: KeycloakUmaOptions, flow: { flowId: string; party: string; signal?: AbortSignal }): Promise<KeycloakAnswer> {
  const access = await openAs(deps, asIssuer, config, { flowId: flow.flowId, ...(flow.signal ? { signal: flow.signal } : {}) });
  const claim = config.pushClaims === false ? undefined : await deps.claims?.claimTokenFor({ asIssuer, party: flow.party, flowId: flow.flowId, ...(flow.signal ? { signal: flow.signal } : {}) });
  const ownClaim = claim && (!claim.identity || claim.identity === flow.party) ? claim : undefined; // never another person's claims
  const submitRequest = options.submitRequest ?? config.submitRequest;
  const body = keycloakUmaParameters({ ...options, ...(ownClaim ? { claimToken: { claim_token: ownClaim.claim_token, claim_token_format: ownClaim.claim_token_format } } : {}), ...(submitRequest !== undefined ? { submitRequest } : {}) });
  const response = await keycloakUmaRequest(access.discovered.metadata, access.client, body, access.ctx);
  return readKeycloakAnswer(response, options.responseMode);
}

/**
 * Reads Keycloak's answer to a ticketless request: `{"result": true}` for `decision`, the permission
 * list for `permissions`, else the UMA token response (an RPT with the permissions it carries, or a
 * refusal; a refused decision is a "no").
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export async function readKeycloakAnswer(response: Response, responseMode?: KeycloakUmaOptions['responseMode']): Promise<KeycloakAnswer> {
  if (response.status === 200 && responseMode) {
    const json: unknown = await response.clone().json().catch(() => undefined);
    if (responseMode === 'decision') {
      const d = decision.safeParse(json);
      if (d.success) return { type: 'decision', granted: d.data.result };
    } else {
      const p = permissionList.safeParse(json);
      if (p.success) return { type: 'permissions', permissions: p.data };
    }
  }
  const result = await processUmaTokenResponse(response);
  if (result.type === 'token') {
    const permissions = rptPermissions(result.token.accessToken);
    return { type: 'token', token: result.token, ...(permissions ? { permissions } : {}) };
  }
  // A refused decision is an answer too ("no").
  if (responseMode === 'decision' && result.type === 'denied') return { type: 'decision', granted: false };
  return { type: 'refused', result };
}

/**
 * Whether an issuer has Keycloak's shape, `…/realms/NAME` (Keycloak publishes no vendor name in its
 * metadata; the realm path ends every Keycloak issuer, behind any base path such as the old `/auth`).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_authorization_api
 */
export function isKeycloakIssuer(issuer: string): boolean {
  try {
    return /\/realms\/[^/]+\/?$/.test(new URL(issuer).pathname);
  } catch {
    return false;
  }
}

/** The permissions a Keycloak RPT (a JWT) carries in `authorization.permissions`, when it is one. */
function rptPermissions(token: string): KeycloakPermission[] | undefined {
  try {
    const claims = decodeJwt(token) as { authorization?: { permissions?: unknown } };
    const parsed = permissionList.safeParse(claims.authorization?.permissions);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
