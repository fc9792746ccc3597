/**
 * The token-endpoint loop of UMA Grant §3.3 for one permission ticket: the request (ticket, pushed
 * claim token, PCT, held RPT for upgrade, scope), and what each typed answer leads to — an RPT
 * stored, `need_info` (push a matching claim or run the claims interaction), `request_submitted`
 * (poll on packages/uma/src/uma/poll-policy.ts, with the AS's new ticket or the one in hand), a refused
 * PCT/RPT dropped, a refused ticket sent back to the RS, bounded server-error retries.
 * packages/uma/src/uma/agent.ts composes it with the RS side.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { SPEC, TesseraError, toErrorInfo, type ErrorInfo } from '../kernel/errors';
import type { Outcome } from '../kernel/outcome';
import { fingerprint } from '../kernel/redact';
import { storeKeys, type TokenStore } from '../kernel/store';
import type { StepOutcome, Transcript, TranscriptStep } from '../kernel/transcript';
import type { AsConfig } from '../kernel/trust';
import { openAs, type AsAccess, type AsAccessDeps } from './as-access';
import { matchesRequiredClaims } from './claims';
import { decideDpop, isDpopTokenType, type DpopKeys } from './dpop';
import { processUmaTokenResponse, umaTokenRequest, type GrantResult } from './grant';
import { outcomes } from './outcomes';
import { nextPoll, PollBudget, timerMs, type PollStep } from './poll-policy';
import type { ClaimToken, ClaimsInteraction, ClaimsSource, RequiredClaim } from './ports';
import type { RptCache, RptValue } from './rpt-cache';
import type { PctValue } from './token-admin';

/** What one fetch asked for, as the token loop needs it. @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1 */
export interface GrantRequest {
  /** Allow the claims-interaction redirect. */
  interaction?: boolean;
  /** Additional scopes for the token request. */
  scopes?: string[];
  signal?: AbortSignal;
}

/**
 * The polling of one fetch (packages/uma/src/uma/poll-policy.ts), kept across a trip to the RS for a fresh ticket.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface Polling { step?: PollStep; polls: number; budget: PollBudget; deadline: number; freshTickets: number }

/**
 * A polling state for a fetch that may wait `waitSeconds` from `now`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function startPolling(now: number, waitSeconds: number | undefined): Polling {
  return { polls: 0, freshTickets: 0, budget: new PollBudget(), deadline: now + timerMs(Math.max(0, waitSeconds ?? 0) * 1000) };
}

/** One ticket's grant: which AS (trusted, its config), for which RS origin and party. @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1 */
export interface Grant { asUri: string; asIssuer: string; asConfig: AsConfig; rsOrigin: string; party: string; ticket: string; held?: RptValue; flowId: string; init: GrantRequest; polling: Polling }

/** What the fetch does next after one ticket's conversation. @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6 */
export type GrantOutcome =
  | { type: 'granted' }
  | { type: 'retry' }
  /** Back to the RS for a new ticket; `polled`: the AS refused a ticket it had put on hold (expired while waiting). */
  | { type: 'fresh_ticket'; polled?: boolean }
  | { type: 'final'; outcome: Outcome; error?: ErrorInfo; needInfo?: { requiredClaims?: RequiredClaim[]; redirectUser?: string; ticket: string }; pending?: { ticket?: string; interval?: number; reason: 'owner_must_approve' | 'wait_limit' | 'ticket_expired' } };

/** What the token loop works with (the agent's parts). @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3 */
export interface TokenLoopDeps {
  store: TokenStore;
  access: AsAccessDeps;
  rpts: RptCache;
  transcript: Transcript;
  claims?: ClaimsSource;
  interaction?: ClaimsInteraction;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  limits: { maxTokenRequestsPerGrant: number; serverRetries: number; retryBaseMs: number; freshTicketsWhileWaiting: number };
  defaultPollSeconds?: number;
  /** The parties' DPoP keys; without it no proof is sent. */
  dpop?: DpopKeys;
}

/**
 * The token-endpoint conversation for one ticket (UMA Grant §3.3.1–3.3.6).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
 */
export class TokenLoop {
  readonly #d: TokenLoopDeps;
  constructor(deps: TokenLoopDeps) {
    this.#d = deps;
  }

  /**
   * Runs the token-endpoint conversation for one ticket: push claims, follow `need_info`, poll
   * `request_submitted`, recover from a refused PCT/RPT/ticket; stores the RPT (and PCT) it gets.
   * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3
   */
  async run(g: Grant): Promise<GrantOutcome> {
    const { asIssuer, asConfig, flowId, init, party } = g;
    const access = await openAs(this.#d.access, asIssuer, asConfig, { flowId, asUri: g.asUri, ...(init.signal ? { signal: init.signal } : {}) });
    const { discovered, client } = access;
    // DPoP (RFC 9449 §5): a proof with every token request where the AS advertises it or the switch forces it.
    const dpop = this.#d.dpop ? decideDpop(asConfig.dpop, discovered.metadata) : { use: false, forced: false };
    const dpopKey = dpop.use && this.#d.dpop ? await this.#d.dpop.key(asIssuer, party, dpop.alg) : undefined;
    const ctx = dpopKey ? { ...access.ctx, dpop: dpopKey.handle } : access.ctx;
    let claim = await this.#claimFor(g);
    const pctKey = storeKeys.pct(asIssuer, party, client.client_id);
    const pctRecord = await this.#d.store.get<PctValue>('pct', pctKey);
    let pct = pctRecord?.meta.identity === party ? pctRecord.value.pct : undefined;
    let rpt = g.held?.access_token;
    let ticket = g.ticket;
    const pushed = new Set<string>();
    if (claim) pushed.add(claim.claim_token);
    let interactions = 0;
    let serverRetries = 0;
    const polling = g.polling;
    const pollsBefore = polling.polls;
    const interactionAllowed = init.interaction !== false && this.#d.interaction !== undefined;
    const scope = requestedScope(asConfig.scope, init.scopes);

    for (let requests = 0; ; requests++) {
      // Polls are bounded by the polling policy and the wait, not by this guard.
      if (requests - (polling.polls - pollsBefore) >= this.#d.limits.maxTokenRequestsPerGrant) {
        throw new TesseraError('loop_guard', `Stopped after ${requests} token requests to ${asIssuer} for one ticket.`, 'The AS keeps asking for more without deciding; report it to its operator.', { spec: SPEC.tokenErrors, facts: { asIssuer } });
      }
      let result: GrantResult;
      try {
        const response = await umaTokenRequest(discovered.metadata, client, { ticket, ...(claim ? { claimToken: claim } : {}), ...(pct ? { pct } : {}), ...(rpt ? { rpt } : {}), ...(scope ? { scope } : {}), ...(asConfig.submitRequest !== undefined ? { submitRequest: asConfig.submitRequest } : {}) }, ctx);
        result = await processUmaTokenResponse(response);
      } catch (error) {
        if (error instanceof TesseraError && (error.code === 'network' || error.code === 'timeout')) result = { type: 'server_error', status: 0, description: error.message };
        else throw error;
      }
      const step = lastStep(this.#d.transcript, flowId, 'token');
      const mark = (outcome: StepOutcome, error?: ErrorInfo) => step && this.#d.transcript.annotate(step, { outcome, ...(error ? { error } : {}) });
      const final = (outcome: Outcome, error: ErrorInfo, extra: Pick<Extract<GrantOutcome, { type: 'final' }>, 'needInfo' | 'pending'> = {}): GrantOutcome => ({ type: 'final', outcome, error, ...extra });
      switch (result.type) {
        case 'token': {
          const bound = isDpopTokenType(result.token.tokenType);
          if (bound && !dpopKey) {
            // No proof was sent: a DPoP RPT names no key Tessera holds and could never be presented (RFC 9449 §7.1).
            const error = outcomes.dpopUnrequested(asIssuer);
            mark('error', error);
            return final('error', error);
          }
          if (dpop.forced && !bound) {
            // DPoP required for this AS, and it issued a bearer RPT anyway: not kept, not presented.
            const error = outcomes.dpopNotBound(asIssuer, result.token.tokenType, dpopKey !== undefined && cnfJkt(result.token.accessToken) === dpopKey.jkt);
            mark('error', error);
            return final('error', error);
          }
          mark('rpt_issued');
          if (step && dpopKey) this.#d.transcript.annotate(step, { note: bound ? `DPoP-bound RPT: presented only with a proof of key ${dpopKey.jkt} (RFC 9449 §5)` : `the AS answered the DPoP proof with a ${result.token.tokenType} RPT: not bound, presented as a bearer token` });
          await this.#d.rpts.save(asIssuer, g.rsOrigin, party, { ...result.token, ...(bound && dpopKey ? { dpopJkt: dpopKey.jkt } : {}) });
          if (result.token.pct) await this.#d.store.put<PctValue>('pct', pctKey, { pct: result.token.pct }, { issuer: asIssuer, identity: party, clientId: client.client_id, fingerprint: fingerprint(result.token.pct) });
          return { type: 'granted' };
        }
        case 'need_info': {
          mark('need_info');
          if (result.ticket === ticket && step) this.#d.transcript.annotate(step, { note: 'the AS did not rotate the ticket (UMA Grant §3.3.6 requires a new one)' });
          ticket = result.ticket;
          const candidate = await this.#claimFor(g, result.requiredClaims);
          if (candidate && !pushed.has(candidate.claim_token) && matchesRequiredClaims(result.requiredClaims, candidate)) {
            claim = candidate;
            pushed.add(candidate.claim_token);
            continue;
          }
          claim = undefined;
          // A relative redirect_user is resolved against the AS's issuer; one that is not a URL is ignored.
          const raw = repairRedirectUser(result.redirectUser);
          const endpoint = (raw ? resolveUrl(raw, discovered.metadata.issuer) : undefined) ?? discovered.metadata.claims_interaction_endpoint;
          if (interactionAllowed && endpoint && interactions < 2) {
            interactions++;
            ticket = await this.#interact(access, asIssuer, endpoint, ticket, flowId, init.signal);
            continue;
          }
          return final('need_info', outcomes.needInfo(asIssuer, party, result.requiredClaims, { ...(endpoint ? { origin: safeOrigin(endpoint) } : {}), allowed: interactionAllowed }), {
            needInfo: { ticket, ...(result.requiredClaims ? { requiredClaims: result.requiredClaims } : {}), ...(endpoint ? { redirectUser: endpoint } : {}) },
          });
        }
        case 'request_submitted': {
          mark('request_submitted');
          // Keycloak (access_denied/request_submitted) gives no new ticket and keeps the one in hand
          // working: after the owner approves, that same ticket yields the RPT. Poll with it.
          const kept = !result.ticket;
          if (result.ticket) ticket = result.ticket;
          else if (step) this.#d.transcript.annotate(step, { note: 'no new ticket: polling with the same one (Keycloak keeps it valid)' });
          const next = nextPoll(polling.step, result.interval, this.#d.defaultPollSeconds);
          polling.step = next;
          const wait = timerMs(next.delayMs + polling.budget.wait(this.#d.now() + next.delayMs));
          if (this.#d.now() + wait > polling.deadline) {
            const reason = polling.polls === 0 ? 'owner_must_approve' : 'wait_limit';
            const error = kept && reason === 'owner_must_approve' ? outcomes.submittedNoTicket(asIssuer, party) : outcomes.waiting(asIssuer, party, next.intervalS, reason);
            return final('pending', error, { pending: { ticket, ...(next.intervalS !== undefined ? { interval: next.intervalS } : {}), reason } });
          }
          await this.#d.sleep(wait, init.signal);
          polling.polls++;
          polling.budget.spend(this.#d.now());
          continue;
        }
        case 'denied':
          mark('denied');
          return final('denied', outcomes.denied(asIssuer, party, result.description, result.error));
        case 'invalid_ticket':
          mark('invalid_ticket');
          // A held ticket that expired while waiting: the RS gives a fresh one and the wait goes on
          // (within the same deadline and polling policy).
          if (polling.polls > pollsBefore) {
            if (this.#d.now() >= polling.deadline || ++polling.freshTickets > this.#d.limits.freshTicketsWhileWaiting) return final('pending', outcomes.ticketExpired(asIssuer, party), { pending: { reason: 'ticket_expired' } });
            return { type: 'fresh_ticket', polled: true };
          }
          return { type: 'fresh_ticket' };
        case 'invalid_pct':
          mark('invalid_pct');
          if (!pct) return final('error', outcomes.notSent(asIssuer, 'PCT'));
          await this.#d.store.delete('pct', pctKey);
          pct = undefined;
          continue;
        case 'invalid_rpt':
          mark('invalid_rpt');
          if (!rpt) return final('error', outcomes.notSent(asIssuer, 'RPT'));
          await this.#d.rpts.delete(asIssuer, g.rsOrigin, party);
          rpt = undefined;
          continue;
        case 'invalid_scope': {
          const error = outcomes.invalidScope(asIssuer, scope, result.description);
          mark('invalid_scope', error);
          return final('error', error);
        }
        case 'invalid_client': {
          const error = outcomes.invalidClient(asIssuer, client.client_id, result.status, result.description);
          mark('error', error);
          return final('error', error);
        }
        case 'server_error':
          mark('error');
          if (serverRetries < this.#d.limits.serverRetries) {
            await this.#d.sleep(this.#d.limits.retryBaseMs * 2 ** serverRetries, init.signal);
            serverRetries++;
            continue;
          }
          return final('error', outcomes.serverError(asIssuer, serverRetries + 1, result.status, result.description));
        case 'error': {
          const error = outcomes.tokenError(asIssuer, result.status, result.error, result.description);
          mark('error', error);
          return final('error', error);
        }
      }
    }
  }

  /**
   * The claims-interaction leg (UMA Grant §3.3.2–3.3.3): the person continues in the system
   * browser; the AS sends them back with a new ticket. Recorded on the timeline's browser lane.
   */
  async #interact(access: AsAccess, asIssuer: string, endpoint: string, ticket: string, flowId: string, signal?: AbortSignal): Promise<string> {
    const started = Date.now();
    const target = new URL(endpoint);
    const browserStep = this.#d.transcript.add({ id: randomUUID(), flowId, time: new Date(started).toISOString(), duration: 0, lane: 'browser', kind: 'interaction', method: 'GET', url: `${target.origin}${target.pathname}`, status: null, request: { headers: {} }, note: 'claims interaction: the requesting party continues in the system browser (UMA Grant §3.3.2)' });
    let back: { ticket: string };
    try {
      back = await this.#d.interaction!.gather({ asIssuer, endpoint: target.href, clientId: access.client.client_id, ticket, ...(signal ? { signal } : {}) });
    } catch (error) {
      browserStep.duration = Date.now() - started;
      this.#d.transcript.annotate(browserStep, { outcome: 'error', error: toErrorInfo(error) });
      throw error;
    }
    browserStep.duration = Date.now() - started;
    this.#d.transcript.annotate(browserStep, { note: 'claims interaction: back from the browser with a new ticket (UMA Grant §3.3.3)' });
    if (back.ticket === ticket) throw new TesseraError('interaction_failed', 'The claims redirect returned the same ticket that was sent.', 'The AS did not rotate the ticket (UMA Grant §5.5); try again.', { spec: SPEC.grant, facts: { asIssuer } });
    return back.ticket;
  }

  /** A claim token for `party` from the claims source, or undefined (never another party's). */
  async #claimFor(g: Grant, requiredClaims?: RequiredClaim[]): Promise<ClaimToken | undefined> {
    if (!this.#d.claims || g.asConfig.pushClaims === false) return undefined;
    const claim = await this.#d.claims.claimTokenFor({ asIssuer: g.asIssuer, party: g.party, flowId: g.flowId, ...(requiredClaims ? { requiredClaims } : {}), ...(g.init.signal ? { signal: g.init.signal } : {}) });
    if (claim?.identity && claim.identity !== g.party) return undefined; // never push one person's claims while acting for another
    return claim;
  }
}

/**
 * The newest step of `kind` in a flow (the one a request just added), to annotate with its outcome.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export function lastStep(transcript: Transcript, flowId: string, kind: TranscriptStep['kind']): TranscriptStep | undefined {
  const steps = transcript.flow(flowId);
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i]?.kind === kind) return steps[i];
  return undefined;
}

/** A JWT RPT's `cnf.jkt` (RFC 9449 §6.1), or undefined (opaque RPT). */
function cnfJkt(token: string): unknown {
  try {
    return (decodeJwt(token) as { cnf?: { jkt?: unknown } }).cnf?.jkt;
  } catch {
    return undefined;
  }
}

/** The token request's `scope`: the AS's configured scope plus the ones this fetch asks for, once each. */
function requestedScope(configured: string | undefined, extra: string[] | undefined): string | undefined {
  const all = [...new Set([...(configured?.split(' ') ?? []), ...(extra ?? [])].filter(Boolean))];
  return all.length ? all.join(' ') : undefined;
}

function resolveUrl(value: string, base: string): string | undefined {
  try {
    return new URL(value, base).href;
  } catch {
    return undefined;
  }
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Janssen sometimes builds `redirect_user` without `?` (`…/gather_claims&client_id=…`): repair it.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function repairRedirectUser(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!value.includes('?') && value.includes('&')) return value.replace('&', '?');
  return value;
}
