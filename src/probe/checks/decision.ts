/**
 * How one answer to a well-formed UMA grant request is graded (any UMA outcome is acceptable; its
 * form is checked). Shared by grant.no-claims, the answer checks and the hold check.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
import { finding } from '../grading';
import { deviation, fail, pass, type Verdict } from '../types';
import { describeResult, type TokenObservation } from '../context';

const err = (o: TokenObservation) => (typeof o.json?.error === 'string' ? o.json.error : undefined);

/**
 * The AS refused a request that carried no requesting party (no claim token, PCT or bearer token)
 * with 401 unauthorized_client: Keycloak's fallback to the client's service account.
 */
export function claimlessUnauthorized(o: TokenObservation, sentClaims: boolean): boolean {
  return !sentClaims && o.status === 401 && err(o) === 'unauthorized_client';
}

/**
 * Judges one answer to a well-formed grant request (any UMA outcome is acceptable; its form is
 * checked). `sentClaims`: the request named a requesting party (claim token, PCT or bearer token).
 */
export function judgeDecision(o: TokenObservation, sentClaims = true): Verdict {
  const r = o.result;
  const seen = describeResult(o);
  if (claimlessUnauthorized(o, sentClaims)) return finding('claimless_unauthorized_client', `${seen}: the AS answers a grant without claims as if the client had asked for its own service account (Keycloak), not with need_info.`);
  switch (r.type) {
    case 'token':
      return pass(`A decision: ${seen}.`);
    case 'need_info': {
      const problems: string[] = [];
      if (r.ticket === o.sentTicket) problems.push('the ticket was not rotated');
      if (!r.requiredClaims && !r.redirectUser) problems.push('neither required_claims nor redirect_user');
      if (r.redirectUser && !r.redirectUser.includes('?') && r.redirectUser.includes('&')) problems.push('redirect_user has query parameters without "?" (Janssen)');
      if (problems.length) return deviation(`need_info, but ${problems.join('; ')}.`, 'Repair a "?"-less redirect_user; an unrotated ticket cannot be trusted to be single-use; without hints, ask the user which identity to push.');
      return pass(`need_info with a new ticket${r.requiredClaims ? `, required_claims (${r.requiredClaims.map((c) => c.friendly_name ?? c.name ?? '?').join(', ')})` : ''}${r.redirectUser ? `, redirect_user ${new URL(r.redirectUser, 'http://x').pathname}` : ''}.`);
    }
    case 'request_submitted':
      if (r.vendor === 'keycloak') return deviation(`${seen}: access_denied with description request_submitted instead of request_submitted (Keycloak).`, 'Treat as pending; there is no new ticket: ask the RS for a fresh one when polling.');
      if (!r.ticket) return deviation(`${seen}: request_submitted without the REQUIRED new ticket.`, 'Treat as pending and get a fresh ticket from the RS to poll.');
      if (r.ticket === o.sentTicket) return deviation(`${seen}: the ticket was not rotated.`, 'Poll with the ticket returned; do not assume it is single-use.');
      return pass(`A decision: request_submitted with a new ticket${r.interval !== undefined ? ` and interval ${r.interval}` : ' (no interval: poll no faster than every 5 s)'}.`);
    case 'denied':
      if (r.error === 'request_denied') return pass(`A decision: ${seen}.`);
      return deviation(`${seen} instead of request_denied.`, `Treat ${r.error}${r.description ? `/${r.description}` : ''} as request_denied.`);
    case 'error':
      if (o.status === 400 && r.error === 'invalid_request') return deviation(`${seen}: the AS refuses the grant without a pushed claim token (WSO2 does this).`, 'Always push a claim token on the first request to this AS.');
      return fail(`${seen}.`, 'A client cannot continue from this answer.');
    default:
      return fail(`${seen}.`, 'A well-formed request with a fresh ticket should get a UMA answer.');
  }
}
