/**
 * Typed errors shared by every layer: a stable `code` a program can switch on, the `facts` a face
 * needs to choose its own words (the CLI says "run again with --trust X", the app shows a "Trust
 * this AS" button), a face-neutral `message` and `hint`, and a link to the spec section. Layers
 * below the faces never name a CLI flag or a UI control: src/cli/advice.ts and renderer/advice.ts
 * turn codes and facts into advice.
 */

/**
 * Every stable error code (values as constants: `UmaErrorCode` of `@tessera/uma`).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export type ErrorCode =
  | 'usage'
  | 'config_invalid'
  | 'network'
  | 'timeout'
  | 'body_too_large'
  | 'too_many_redirects'
  | 'challenge_invalid'
  | 'challenge_missing_ticket'
  | 'no_uma_challenge'
  | 'rs_forbidden'
  | 'rs_error'
  | 'discovery_failed'
  | 'issuer_mismatch'
  | 'untrusted_as'
  | 'as_unreachable'
  | 'client_not_configured'
  | 'registration_failed'
  | 'invalid_client'
  | 'invalid_scope'
  | 'invalid_ticket'
  | 'ticket_not_rotated'
  | 'token_error'
  | 'server_error'
  | 'interaction_failed'
  | 'interaction_error'
  | 'interaction_timeout'
  | 'interaction_cancelled'
  | 'state_mismatch'
  | 'signin_failed'
  | 'id_token_invalid'
  | 'identity_expired'
  | 'identity_not_found'
  | 'loop_guard'
  | 'aborted'
  | 'invalid_input'
  | 'interaction_endpoint_insecure'
  | 'insecure_transport'
  | 'need_info'
  | 'pending_approval'
  | 'ticket_expired'
  | 'denied'
  | 'party_mismatch'
  | 'forbidden'
  // protected-resource metadata (RFC 9728) and other schemes (packages/uma/src/uma/resource-metadata.ts, challenge.ts)
  | 'rs_metadata_resource_mismatch'
  | 'rs_metadata_as_mismatch'
  | 'other_scheme'
  // DPoP (RFC 9449; packages/uma/src/uma/dpop.ts)
  | 'dpop_unsupported'
  | 'dpop_not_bound'
  // the vault's own codes (src/vault/errors.ts)
  | 'damaged'
  | 'wrong_key'
  | 'key_missing'
  | 'unsupported_version'
  | 'backend_unavailable'
  | 'insecure_backend'
  | 'locked'
  | 'io'
  | 'internal';

/**
 * What a face needs to phrase advice for an error, beyond its code. Only non-secret values:
 * issuers, origins, claim names, seconds.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface ErrorFacts {
  /** The authorization server concerned (as named by the RS, or the trusted issuer). */
  asIssuer?: string;
  /** The identity provider concerned (sign-in, expired identity). */
  idpIssuer?: string;
  clientId?: string;
  /** The requesting party the flow acted for (`issuer#sub`, or `nobody`). */
  party?: string;
  /** The claims the AS asked for (names or friendly names). */
  requiredClaims?: string[];
  /** Origin of the claims-interaction page the AS offered. */
  interactionOrigin?: string;
  /** Whether the flow was allowed to open the browser for claims interaction. */
  interactionAllowed?: boolean;
  /** Seconds the AS asked the client to wait between polls. */
  interval?: number;
  /** Why a pending flow stopped waiting. */
  reason?: 'owner_must_approve' | 'wait_limit' | 'ticket_expired';
  /** HTTP status involved. */
  status?: number;
  /** A URL the person may want to fetch directly (redirected challenge). */
  url?: string;
  /** The origin a request was refused for (e.g. plain http to another machine). */
  origin?: string;
  /** The resource identifier an RS's metadata names (RFC 9728 §2). */
  resource?: string;
  /** The authorization servers an RS's metadata lists (RFC 9728 §2). */
  listedAs?: string[];
  /** The auth scheme an RS challenged with when it is not UMA (`GNAP`, `Bearer`, …). */
  scheme?: string;
}

/**
 * Links to the spec sections errors and outcomes point at.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html
 */
export const SPEC = {
  grant: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html',
  challenge: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2',
  asUnreachable: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2.2',
  tokenRequest: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1',
  tokenErrors: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6',
  discovery: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2',
  issuerCheck: 'https://www.rfc-editor.org/rfc/rfc8414#section-3.3',
  rfc7235: 'https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1',
  trust: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7',
  registration: 'https://www.rfc-editor.org/rfc/rfc7591',
  rpt: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5',
  bearerTls: 'https://www.rfc-editor.org/rfc/rfc6750#section-5.3',
  dpop: 'https://www.rfc-editor.org/rfc/rfc9449#section-5',
} as const;

/**
 * A typed error as data: stable `code`, face-neutral `message` and `hint`, spec link, non-secret `facts`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Face-neutral advice in plain words (no CLI flags, no UI controls). */
  hint: string;
  spec?: string;
  facts?: ErrorFacts;
}

/**
 * The one error class thrown by Tessera modules.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export class TesseraError extends Error implements ErrorInfo {
  override readonly name: string = 'TesseraError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly spec?: string;
  readonly facts?: ErrorFacts;

  constructor(code: ErrorCode, message: string, hint: string, options: { spec?: string; cause?: unknown; facts?: ErrorFacts } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = hint;
    if (options.spec !== undefined) this.spec = options.spec;
    if (options.facts !== undefined) this.facts = options.facts;
  }

  /** The error as plain data (code, message, hint, spec, facts), e.g. to send over IPC or log. */
  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, hint: this.hint, ...(this.spec ? { spec: this.spec } : {}), ...(this.facts ? { facts: this.facts } : {}) };
  }
}

/**
 * Turns anything thrown into an {@link ErrorInfo} without leaking stack traces. Every face maps
 * errors with this one function; subclasses (e.g. the vault's) keep their codes and hints.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof TesseraError) return error.toInfo();
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'aborted', message: 'The request was cancelled.', hint: 'Run it again when ready.' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message, hint: 'This is a bug in Tessera; please report it with the exported flow.' };
}
