/**
 * Token-endpoint checks: client authentication, bad tickets (missing, garbage, reused, expired), the
 * grant without claims, need_info / request_submitted answers, error body format and no-store.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { fingerprint } from '@tessera/uma';
import type { ClientCredentials } from '@tessera/uma';
import { finding } from '../grading';
import { deviation, fail, grantSection, pass, rfc, skip, unsafe, type CheckDefinition, type Verdict } from '../types';
import { describeResult, type CheckContext, type TokenObservation } from '../context';
import { claimlessUnauthorized, judgeDecision } from './decision';
import { observeHold } from './pending';

const err = (o: TokenObservation) => (typeof o.json?.error === 'string' ? o.json.error : undefined);
const desc = (o: TokenObservation) => (typeof o.json?.error_description === 'string' ? o.json.error_description : undefined);


/** How a client must read an answer to a request without a ticket. */
function judgeMissingTicket(o: TokenObservation): Verdict {
  if (o.status === 400 && (err(o) === 'invalid_request' || err(o) === 'invalid_grant')) return pass(`400 ${err(o)}.`);
  if (o.result.type === 'token') return deviation(`${describeResult(o)}: the AS issues RPTs without a ticket (a vendor extension such as Keycloak's entitlement).`, 'Always send the ticket; do not rely on this extension.');
  if (!err(o)) return finding('error_not_oauth', `${describeResult(o)}, not an OAuth error body.`);
  return deviation(`${describeResult(o)} instead of 400 invalid_request.`, `Treat ${err(o)} without a ticket as "restart at the RS".`);
}

/** How a client must read an answer to a ticket the AS should refuse. */
function judgeBadTicket(o: TokenObservation, what: string, sentClaims: boolean, reuse = false): Verdict {
  const seen = describeResult(o);
  if (claimlessUnauthorized(o, sentClaims)) return finding('claimless_unauthorized_client', `${what}: ${seen}, the answer to the missing requesting party; give a claim token to measure the ticket.`);
  if (o.status === 400 && err(o) === 'invalid_grant') return pass(`${what}: 400 invalid_grant.`);
  if (o.result.type === 'invalid_ticket') return deviation(`${what}: ${seen} instead of 400 invalid_grant.`, `Treat ${o.status} ${err(o)} like invalid_grant: ask the RS for a fresh ticket (once).`);
  if (reuse && ['token', 'need_info', 'request_submitted', 'denied'].includes(o.result.type)) {
    return deviation(`${what}: the AS accepted the ticket a second time (${seen}); tickets are not single-use.`, 'Do not rely on the AS to detect replayed tickets; never reuse one yourself.');
  }
  if (o.result.type === 'token') return finding('rpt_for_bad_ticket', `${what}: the AS issued an RPT (${seen}).`);
  if (!o.json || !err(o)) return finding('error_not_oauth', `${what}: ${seen}, not an OAuth error body.`);
  return deviation(`${what}: ${seen} instead of 400 invalid_grant.`, `Treat ${err(o)} without a ticket as "restart at the RS with a fresh ticket".`);
}

export const tokenChecks: CheckDefinition[] = [
  {
    id: 'token.client-auth',
    title: 'Client authentication works',
    spec: rfc(6749, '2.3'),
    rule: 'The client authenticates with a method the AS advertises in token_endpoint_auth_methods_supported (RFC 8414; default client_secret_basic).',
    async run(ctx) {
      const client = ctx.client;
      const advertised = ctx.metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
      let o = await ctx.token({ ticket: await ctx.freshTicket() });
      // Keycloak answers a UMA grant without claims with 401 unauthorized_client ("Client not enabled to
      // retrieve service account"): the client did authenticate; it is the requesting party that is
      // missing. With a claim token the same credentials show whether authentication works.
      let noParty: string | undefined;
      const claim = ctx.shared.claimTokens[0];
      if (o.status === 401 && err(o) === 'unauthorized_client' && claim) {
        noParty = describeResult(o);
        o = await ctx.token({ ticket: await ctx.freshTicket(), claimToken: claim });
      }
      if (!claim && claimlessUnauthorized(o, !!ctx.shared.bearerToken)) return finding('claimless_unauthorized_client', `${client.auth_method} for client ${client.client_id}: a request without claims got ${describeResult(o)}, the answer to a missing requesting party (no claim token was given to confirm the credentials with one).`);
      if (o.result.type === 'invalid_client' || (o.status === 401 && !['need_info', 'request_submitted'].includes(o.result.type))) {
        return fail(`${client.auth_method} for client ${client.client_id}: ${describeResult(o)}.`, 'Check the client credentials and the method this client is registered with.');
      }
      if (noParty) return finding('claimless_unauthorized_client', `${client.auth_method} works (with pushed claims: ${describeResult(o)}), but a request without claims got ${noParty}, an authentication error code for a missing requesting party.`);
      // Other advertised methods Tessera has credentials for (same secret): informative only, since an
      // AS may bind a client to its registered method (RFC 7591 §2).
      const others: string[] = [];
      const alternatives: ClientCredentials['auth_method'][] = client.client_secret ? ['client_secret_basic', 'client_secret_post'] : [];
      for (const method of alternatives) {
        if (method === client.auth_method || !advertised.includes(method)) continue;
        const alt = await ctx.token({ ticket: await ctx.freshTicket() }, { ...client, auth_method: method });
        others.push(`${method}: ${alt.result.type === 'invalid_client' || alt.status === 401 ? 'refused' : 'accepted'}`);
      }
      const note = others.length ? ` Also tried ${others.join(', ')} (an AS may bind a client to its registered method).` : '';
      if (client.auth_method !== 'keycloak_bearer' && !advertised.includes(client.auth_method)) {
        return deviation(`${client.auth_method} works but is not in token_endpoint_auth_methods_supported (${advertised.join(', ')}).${note}`, 'Configure the method explicitly; do not derive it from the metadata.');
      }
      return pass(`${client.auth_method} accepted (${describeResult(o)}).${note}`);
    },
  },
  {
    id: 'token.ticket-missing',
    title: 'A request without a ticket is refused',
    spec: rfc(6749, '5.2'),
    rule: 'A request missing a required parameter gets 400 invalid_request (the ticket is REQUIRED, UMA Grant §3.3.1).',
    async run(ctx) {
      // Everything the grant sends but the ticket: only the missing ticket may explain the answer.
      const raw = new URLSearchParams();
      const claim = ctx.grantClaims.claimToken;
      if (claim) {
        raw.set('claim_token', claim.claim_token);
        raw.set('claim_token_format', claim.claim_token_format);
      }
      const o = await ctx.token({ raw });
      const note = ctx.claimsNote;
      const verdict = judgeMissingTicket(o);
      return { ...verdict, detail: `No ticket${note}: ${verdict.detail}` };
    },
  },
  {
    id: 'token.ticket-garbage',
    title: 'An unknown ticket gets invalid_grant',
    spec: grantSection('3.3.6'),
    rule: 'invalid_grant (400): the provided ticket was not found at the AS or has expired.',
    async run(ctx) {
      const garbage = `tessera-probe-${randomBytes(16).toString('base64url')}`;
      // The claims the grant sends, so only the ticket differs from an ordinary request.
      return judgeBadTicket(await ctx.token({ ticket: garbage, ...ctx.grantClaims }), `A ticket the AS never issued${ctx.claimsNote}`, !!ctx.grantClaims.claimToken);
    },
  },
  {
    id: 'token.ticket-reused',
    title: 'A used ticket gets invalid_grant',
    spec: grantSection('5.5'),
    rule: 'A ticket is single-use: the AS invalidates it when it is presented at the token endpoint.',
    async run(ctx) {
      const ticket = await ctx.freshTicket();
      // With the claim token, so that an AS that insists on pushed claims processes the ticket.
      const claim = ctx.shared.claimTokens[0];
      const first = await ctx.token({ ticket, ...(claim ? { claimToken: claim } : {}) });
      if (first.result.type === 'invalid_ticket') return fail(`The fresh ticket was refused on first use: ${describeResult(first)}.`, 'The RS and AS disagree about tickets.');
      return judgeBadTicket(await ctx.token({ ticket, ...(claim ? { claimToken: claim } : {}) }), `The same ticket a second time (first answer ${describeResult(first)})`, !!claim, true);
    },
  },
  {
    id: 'token.ticket-expired',
    title: 'An expired ticket gets invalid_grant',
    spec: grantSection('3.3.6'),
    rule: 'invalid_grant (400): the ticket has expired.',
    async run(ctx) {
      const ticket = await ctx.freshTicket();
      let exp: number | undefined;
      try {
        const claims = decodeJwt(ticket);
        if (typeof claims.exp === 'number') exp = claims.exp;
      } catch {
        // opaque ticket
      }
      const wait = exp !== undefined ? exp * 1000 - Date.now() + 1500 : undefined;
      if (wait === undefined) return skip('The ticket is opaque: its lifetime cannot be known without waiting for it (UMA does not define one).');
      if (wait > 15_000) return skip(`The ticket (a JWT) expires in ${Math.round(wait / 1000)} s; the probe does not wait that long.`);
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      return judgeBadTicket(await ctx.token({ ticket, ...ctx.grantClaims }), `A ticket past its exp (${fingerprint(ticket)})${ctx.claimsNote}`, !!ctx.grantClaims.claimToken);
    },
  },
  {
    id: 'grant.no-claims',
    title: 'The UMA grant without claims',
    spec: grantSection('3.3.6'),
    rule: 'Without claims the AS answers need_info with a new ticket and required_claims and/or redirect_user, or decides (RPT, request_denied, request_submitted).',
    async run(ctx) {
      const ticket = await ctx.freshTicket();
      const o = await ctx.once('grant.no-claims', () => ctx.token({ ticket }));
      return judgeDecision(o, !!ctx.shared.bearerToken);
    },
  },
];

/** The answers of one kind seen so far in this probe. */
function seenOf(ctx: CheckContext, type: TokenObservation['result']['type']): TokenObservation[] {
  return ctx.shared.observations.filter((o) => o.result.type === type);
}

/**
 * A check over every answer of one UMA kind seen during the probe (need_info, request_submitted):
 * each is judged as a decision; the report shows the worst.
 */
function answerCheck(def: Omit<CheckDefinition, 'run'>, type: 'need_info' | 'request_submitted', none: string): CheckDefinition {
  return {
    ...def,
    async run(ctx) {
      const seen = seenOf(ctx, type);
      if (!seen.length) return skip(none);
      const verdicts = seen.map((o) => judgeDecision(o));
      const worst = verdicts.find((v) => v.status !== 'pass') ?? verdicts[0]!;
      return { ...worst, detail: `${seen.length} ${type} answer(s); ${worst.detail}` };
    },
  };
}

const REQUEST_SUBMITTED = {
  id: 'grant.request-submitted',
  title: 'request_submitted carries a new ticket and interval',
  spec: grantSection('3.3.6'),
  rule: 'request_submitted MUST carry a new ticket and MAY carry interval (seconds between polls); once the owner approves, polling with the ticket in hand gets the RPT.',
};
/** Without a resource to hold: the request_submitted answers the other checks happened to get. */
const requestSubmittedSeen = answerCheck(REQUEST_SUBMITTED, 'request_submitted', "The AS never asked the resource owner during this probe (the resource's policy decided at once); give a resource it holds (the pending URL) to measure it.");

export const answerChecks: CheckDefinition[] = [
  answerCheck({
    id: 'grant.need-info',
    title: 'need_info carries a new ticket and what is needed',
    spec: grantSection('3.3.6'),
    rule: 'need_info MUST carry a new ticket and at least one of required_claims and redirect_user (a URI).',
  }, 'need_info', 'The AS never answered need_info during this probe.'),
  {
    ...REQUEST_SUBMITTED,
    async run(ctx) {
      // A resource the AS should hold was given: measure the hold there (and whether it resolves).
      if (ctx.shared.pending) return observeHold(ctx);
      return requestSubmittedSeen.run(ctx);
    },
  },
  {
    id: 'token.error-format',
    title: 'Error bodies are JSON with error',
    spec: rfc(6749, '5.2'),
    rule: 'Token-endpoint errors are application/json objects with an error member (and optional error_description, error_uri).',
    async run(ctx) {
      const errors = ctx.shared.observations.filter((o) => o.status >= 400);
      if (!errors.length) return skip('No error answer was seen.');
      const bad = errors.filter((o) => !o.json || typeof o.json.error !== 'string' || !/json/i.test(o.contentType));
      if (bad.length) return finding('error_not_oauth', `${bad.length} of ${errors.length} error answers are not JSON with error: ${bad.slice(0, 3).map((o) => `${o.status} ${o.contentType || 'no content type'}`).join(', ')}.`);
      const vendor = [...new Set(errors.map((o) => `${o.status} ${String(o.json?.error)}${desc(o) && ['access_denied'].includes(String(o.json?.error)) ? `/${desc(o)}` : ''}`))];
      return pass(`${errors.length} error answers, all JSON with error (${vendor.join(', ')}).`);
    },
  },
  {
    id: 'token.no-store',
    title: 'Token responses are not cacheable',
    spec: rfc(6749, '5.1'),
    rule: 'Responses carrying tokens include Cache-Control: no-store.',
    async run(ctx) {
      const tokens = ctx.shared.observations.filter((o) => o.result.type === 'token');
      if (!tokens.length) return skip('No RPT was issued during this probe.');
      const bad = tokens.filter((o) => !/no-store/i.test(o.headers.get('cache-control') ?? ''));
      if (bad.length) return unsafe(`${bad.length} of ${tokens.length} token responses lack Cache-Control: no-store (${bad[0]?.headers.get('cache-control') ?? 'none'}).`, 'Intermediaries may cache RPTs; report it to the AS operator.');
      return pass(`${tokens.length} token response(s), all Cache-Control: no-store.`);
    },
  },
];
