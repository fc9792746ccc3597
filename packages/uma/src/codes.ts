/**
 * The stable codes of the package as values a program can switch on: every {@link ErrorCode} a
 * `TesseraError` / {@link ErrorInfo} may carry, and every outcome type {@link umaFetch} reports.
 * The `satisfies` clauses make the compiler fail when a code is added to the engine but not here.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
import type { ErrorCode, ErrorInfo } from './kernel/errors';
import type { Outcome } from './kernel/outcome';

/**
 * Every error code, as a constant (`UmaErrorCode.need_info === 'need_info'`). Codes are stable across
 * minor versions; a new code is a minor release, a removed or renamed one a major release.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export const UmaErrorCode = {
  usage: 'usage',
  config_invalid: 'config_invalid',
  network: 'network',
  timeout: 'timeout',
  body_too_large: 'body_too_large',
  too_many_redirects: 'too_many_redirects',
  challenge_invalid: 'challenge_invalid',
  challenge_missing_ticket: 'challenge_missing_ticket',
  no_uma_challenge: 'no_uma_challenge',
  rs_forbidden: 'rs_forbidden',
  rs_error: 'rs_error',
  discovery_failed: 'discovery_failed',
  issuer_mismatch: 'issuer_mismatch',
  untrusted_as: 'untrusted_as',
  as_unreachable: 'as_unreachable',
  client_not_configured: 'client_not_configured',
  registration_failed: 'registration_failed',
  invalid_client: 'invalid_client',
  invalid_scope: 'invalid_scope',
  invalid_ticket: 'invalid_ticket',
  ticket_not_rotated: 'ticket_not_rotated',
  token_error: 'token_error',
  server_error: 'server_error',
  interaction_failed: 'interaction_failed',
  interaction_error: 'interaction_error',
  interaction_timeout: 'interaction_timeout',
  interaction_cancelled: 'interaction_cancelled',
  state_mismatch: 'state_mismatch',
  signin_failed: 'signin_failed',
  id_token_invalid: 'id_token_invalid',
  identity_expired: 'identity_expired',
  identity_not_found: 'identity_not_found',
  loop_guard: 'loop_guard',
  aborted: 'aborted',
  invalid_input: 'invalid_input',
  interaction_endpoint_insecure: 'interaction_endpoint_insecure',
  insecure_transport: 'insecure_transport',
  rs_metadata_resource_mismatch: 'rs_metadata_resource_mismatch',
  rs_metadata_as_mismatch: 'rs_metadata_as_mismatch',
  other_scheme: 'other_scheme',
  dpop_unsupported: 'dpop_unsupported',
  dpop_not_bound: 'dpop_not_bound',
  need_info: 'need_info',
  pending_approval: 'pending_approval',
  ticket_expired: 'ticket_expired',
  denied: 'denied',
  party_mismatch: 'party_mismatch',
  forbidden: 'forbidden',
  damaged: 'damaged',
  wrong_key: 'wrong_key',
  key_missing: 'key_missing',
  unsupported_version: 'unsupported_version',
  backend_unavailable: 'backend_unavailable',
  insecure_backend: 'insecure_backend',
  locked: 'locked',
  io: 'io',
  internal: 'internal',
} as const satisfies { [K in ErrorCode]: K };

/**
 * Every outcome a fetch can end in, as a constant.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
export const UmaOutcomeType = {
  granted: 'granted',
  denied: 'denied',
  need_info: 'need_info',
  pending: 'pending',
  untrusted_as: 'untrusted_as',
  as_unreachable: 'as_unreachable',
  error: 'error',
} as const satisfies { [K in Outcome]: K };

/**
 * Whether a value is an {@link ErrorInfo} with the given code (a `TesseraError` thrown by a step
 * function, or the `error` of an outcome).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function isUmaError(value: unknown, code?: ErrorCode): value is ErrorInfo {
  if (!value || typeof value !== 'object' || typeof (value as { code?: unknown }).code !== 'string') return false;
  return code === undefined || (value as { code: string }).code === code;
}
