/**
 * Typed errors shared by the engine and its faces: a `code` a program can switch on, a `hint` a
 * person can act on and, where one exists, a link to the spec section that explains the rule.
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
  | 'internal';

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
} as const;

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  hint: string;
  spec?: string;
}

/** The one error class thrown by Tessera modules. */
export class TesseraError extends Error implements ErrorInfo {
  override readonly name = 'TesseraError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly spec?: string;

  constructor(code: ErrorCode, message: string, hint: string, options: { spec?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = hint;
    if (options.spec !== undefined) this.spec = options.spec;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, hint: this.hint, ...(this.spec ? { spec: this.spec } : {}) };
  }
}

/** Turns anything thrown into an {@link ErrorInfo} without leaking stack traces. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof TesseraError) return error.toInfo();
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'aborted', message: 'The request was cancelled.', hint: 'Run it again when ready.' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message, hint: 'This is a bug in Tessera; rerun with --debug and report it.' };
}
