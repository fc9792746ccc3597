/**
 * The outcome table: how each typed token-endpoint result and each RS reading becomes the engine's
 * answer — a stable `code`, the facts a face needs, a face-neutral message and hint, and the spec
 * section. Faces choose their own words from code + facts (src/cli/advice.ts, renderer/advice.ts);
 * nothing here names a CLI flag or a UI control.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
import { SPEC, TesseraError, type ErrorFacts, type ErrorInfo } from '../kernel/errors';
import type { RequiredClaim } from './ports';

const RFC9728_VALIDATION = 'https://www.rfc-editor.org/rfc/rfc9728#section-3.3';

/**
 * The typed refusal of an {@link ErrorInfo}, for code that throws.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function refuse(e: ErrorInfo): TesseraError {
  return new TesseraError(e.code, e.message, e.hint, { ...(e.spec ? { spec: e.spec } : {}), ...(e.facts ? { facts: e.facts } : {}) });
}

const info = (code: ErrorInfo['code'], message: string, hint: string, spec: string | undefined, facts: ErrorFacts): ErrorInfo => ({ code, message, hint, ...(spec ? { spec } : {}), facts });

function claimNames(required: RequiredClaim[] | undefined): string[] {
  return (required ?? []).map((r) => r.friendly_name ?? r.name ?? r.claim_type ?? 'claim');
}

/**
 * The error values (code, facts, message, hint, spec link) of each way a fetch can end short of granted.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export const outcomes = {
  untrustedAs: (asUri: string, party: string): ErrorInfo =>
    info('untrusted_as', `The resource server sends you to ${asUri}, which you do not trust.`, 'Nothing was sent to it. Trust it only if you know who runs it.', SPEC.trust, { asIssuer: asUri, party }),

  needInfo: (asIssuer: string, party: string, required: RequiredClaim[] | undefined, interaction: { origin?: string; allowed: boolean }): ErrorInfo => {
    const names = claimNames(required);
    const hint = interaction.origin
      ? interaction.allowed
        ? 'The claims interaction did not complete; try again.'
        : `The AS offers a page at ${interaction.origin} where you can provide them.`
      : 'Present an identity or claim token that carries these claims.';
    return info('need_info', `${asIssuer} needs more information about you${names.length ? `: ${names.join(', ')}` : ''}.`, hint, SPEC.tokenErrors, {
      asIssuer,
      party,
      ...(names.length ? { requiredClaims: names } : {}),
      ...(interaction.origin ? { interactionOrigin: interaction.origin } : {}),
      interactionAllowed: interaction.allowed,
    });
  },

  submittedNoTicket: (asIssuer: string, party: string): ErrorInfo =>
    info('pending_approval', `${asIssuer} submitted an access request to the resource owner.`, 'Ask again once the owner has approved it.', SPEC.tokenErrors, { asIssuer, party, reason: 'owner_must_approve' }),

  waiting: (asIssuer: string, party: string, interval: number | undefined, reason: 'owner_must_approve' | 'wait_limit'): ErrorInfo =>
    info('pending_approval', `Waiting for the resource owner to approve the request at ${asIssuer}.`, 'The owner decides at their authorization server; ask again later or keep waiting.', SPEC.tokenErrors, { asIssuer, party, reason, ...(interval !== undefined ? { interval } : {}) }),

  ticketExpired: (asIssuer: string, party: string): ErrorInfo =>
    info('ticket_expired', 'The permission ticket expired while waiting for the resource owner.', 'Ask again to get a fresh ticket.', SPEC.tokenErrors, { asIssuer, party, reason: 'ticket_expired' }),

  denied: (asIssuer: string, party: string, description?: string, error?: string): ErrorInfo =>
    info('denied', `${asIssuer} denied access${description && description !== error ? ` (${description})` : ''}.`, 'Ask the resource owner to share this resource with you.', SPEC.tokenErrors, { asIssuer, party }),

  invalidScope: (asIssuer: string, scope: string | undefined, description?: string): ErrorInfo =>
    info('invalid_scope', `${asIssuer} rejected the requested scope${scope ? ` "${scope}"` : ''}${description ? `: ${description}` : ''}.`, 'Request only scopes this client pre-registered at the AS and the resource offers (or none: the ticket names them).', SPEC.tokenErrors, { asIssuer }),

  invalidClient: (asIssuer: string, clientId: string, status: number, description?: string): ErrorInfo =>
    info('invalid_client', `${asIssuer} rejected the client credentials (${status}${description ? `: ${description}` : ''}).`, 'Check the client id, secret or key and the authentication method configured for this AS.', SPEC.tokenRequest, { asIssuer, clientId, status }),

  serverError: (asIssuer: string, attempts: number, status: number, description?: string): ErrorInfo =>
    info('server_error', `${asIssuer} failed ${attempts} times${status ? ` (HTTP ${status})` : ''}${description ? `: ${description}` : ''}.`, 'The authorization server is having trouble; try again later.', SPEC.tokenErrors, { asIssuer, status }),

  tokenError: (asIssuer: string, status: number, error: string, description?: string): ErrorInfo =>
    info('token_error', `${asIssuer} answered ${status} ${error}${description ? `: ${description}` : ''}.`, status === 401 ? 'The AS did not accept this client; check the client credentials.' : 'See the token step in the transcript.', SPEC.tokenErrors, { asIssuer, status }),

  notSent: (asIssuer: string, what: 'PCT' | 'RPT'): ErrorInfo =>
    info('token_error', `${asIssuer} rejected a ${what} that was not sent.`, 'Report this to the AS operator.', SPEC.tokenErrors, { asIssuer }),

  asUnreachable: (): ErrorInfo =>
    info('as_unreachable', 'The resource server could not reach its authorization server (403, Warning 199).', 'Try again later; the problem is between the RS and its AS.', SPEC.asUnreachable, {}),

  rsForbidden: (): ErrorInfo =>
    info('rs_forbidden', 'The resource server refused access (403) without a UMA challenge.', 'The RS may want you signed in first (a Keycloak enforcer only challenges requests that carry a bearer token), or access is simply not possible.', SPEC.challenge, { status: 403 }),

  rsError: (status: number): ErrorInfo =>
    info('rs_error', `The resource server answered ${status}.`, status === 404 ? 'Check the resource URL.' : 'See the response body for details.', undefined, { status }),

  rsMetadataAsMismatch: (asUri: string, listed: string[], resource: string): ErrorInfo =>
    info('rs_metadata_as_mismatch', `The resource server sends you to ${asUri}, but its metadata lists only ${listed.join(', ')}.`, 'Nothing was sent to that authorization server. The challenge and the metadata of the RS disagree; report it to the RS operator.', RFC9728_VALIDATION, { asIssuer: asUri, listedAs: [...listed], resource }),

  /** `expected`: for a well-known document, the resource identifier its URL was built from (RFC 9728 §3.3). */
  rsMetadataResourceMismatch: (called: string, resource: string, metadataUrl: string, expected?: string): ErrorInfo =>
    info('rs_metadata_resource_mismatch', `The resource server's metadata at ${metadataUrl} describes "${resource}", not ${expected ? `"${expected}", the resource identifier that URL belongs to` : `the resource called (${called})`}.`, 'The resource server publishes metadata for another resource; nothing was sent to its authorization server. Report it to the RS operator.', RFC9728_VALIDATION, { url: called, resource, ...(expected ? { expectedResource: expected } : {}) }),

  otherScheme: (scheme: 'GNAP' | 'Bearer' | 'DPoP', status: number, spec: string, where: { asUri?: string; listedAs?: string[] }): ErrorInfo =>
    info(
      'other_scheme',
      scheme === 'GNAP'
        ? `The resource server asks for GNAP (RFC 9635)${where.asUri ? ` at ${where.asUri}` : ''}, not UMA (status ${status}).`
        : `The resource server asks for an OAuth ${scheme} access token${where.listedAs?.length ? ` from ${where.listedAs.join(', ')}` : ''}, not a UMA RPT (status ${status}).`,
      scheme === 'GNAP'
        ? 'Tessera speaks UMA 2.0, not GNAP; use a GNAP client for this resource.'
        : 'Tessera cannot obtain this kind of token itself (there is no permission ticket); send an access token issued for this resource by one of its authorization servers.',
      spec,
      { scheme, status, ...(where.asUri ? { asIssuer: where.asUri } : {}), ...(where.listedAs?.length ? { listedAs: where.listedAs } : {}) },
    ),

  dpopNotBound: (asIssuer: string, tokenType: string, cnfInToken = false): ErrorInfo =>
    info('dpop_not_bound', cnfInToken
      ? `The AS ${asIssuer} answered the DPoP proof with token_type ${tokenType}, although the RPT names the proof key in cnf.jkt: bound, but not said to be.`
      : `The AS ${asIssuer} answered the DPoP proof with a ${tokenType} RPT, not a DPoP-bound one.`, 'DPoP is required for this AS, but it does not bind RPTs to the proof; the RPT was not kept. Turn DPoP to automatic or off for this AS to accept a bearer RPT.', SPEC.dpop, { asIssuer }),

  /** `token_type: DPoP` answered to a grant that carried no proof: bound to no key Tessera holds (RFC 9449 §5, §7.1). */
  dpopUnrequested: (asIssuer: string): ErrorInfo =>
    info('token_error', `The AS ${asIssuer} answered with a DPoP-bound RPT although no DPoP proof was sent: it is bound to no key Tessera holds, so it cannot be presented.`, 'The RPT was not kept. The AS binds RPTs to DPoP keys without advertising it; turn DPoP on for this AS, or report it to its operator.', SPEC.dpop, { asIssuer }),

  redirectedChallenge: (from: string, to: string, url: string): ErrorInfo =>
    info('rs_error', `${from} redirected to ${to}, which asks for UMA authorization.`, `Fetch ${url} directly if you want access to it.`, SPEC.rpt, { url }),
} as const;
