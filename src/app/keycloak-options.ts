/**
 * The request builder's Keycloak options, between the contract and the engine: the validated input
 * becomes the engine's {@link KeycloakUmaOptions}; Keycloak's answer becomes a view without any token
 * (the decision, the permissions listed or carried by the RPT, the refusal).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
import type { KeycloakAnswer, KeycloakPermission, KeycloakUmaOptions } from '@tessera/uma';
import type { ApiOutput, KeycloakAnswerView } from './api';

export type KeycloakRequest = NonNullable<ApiOutput<'openResource'>['keycloak']>;

/** The engine's options for one request builder input (`token` mode is Keycloak's default: no response_mode). */
export function keycloakUmaOptions(k: KeycloakRequest): KeycloakUmaOptions {
  return {
    ...(k.audience ? { audience: k.audience } : {}),
    ...(k.permissions.length ? { permissions: k.permissions } : {}),
    ...(k.responseMode !== 'token' ? { responseMode: k.responseMode } : {}),
    submitRequest: k.submitRequest,
  };
}

/** The view of an answer: no token, no ticket, only what Keycloak decided and listed. */
export function keycloakAnswerView(mode: KeycloakRequest['responseMode'], answer: KeycloakAnswer): KeycloakAnswerView {
  switch (answer.type) {
    case 'decision': return { mode, granted: answer.granted };
    case 'permissions': return { mode, granted: answer.permissions.length > 0, permissions: answer.permissions.slice(0, 200).map(permissionView) };
    case 'token': return { mode, granted: true, ...(answer.permissions ? { permissions: answer.permissions.slice(0, 200).map(permissionView) } : {}) };
    case 'refused': {
      const r = answer.result;
      const error = 'error' in r && typeof r.error === 'string' ? r.error : r.type;
      const description = 'description' in r && typeof r.description === 'string' ? r.description : undefined;
      return { mode, granted: false, refused: `${error}${description ? ` (${description.slice(0, 200)})` : ''}`.slice(0, 300) };
    }
  }
}

function permissionView(p: KeycloakPermission): { resource: string; scopes: string[] } {
  return { resource: (p.rsname ?? p.rsid ?? '?').slice(0, 512), scopes: (p.scopes ?? []).slice(0, 50).map((s) => s.slice(0, 200)) };
}
