/**
 * The hold: a resource the AS is expected to put on hold (`--pending-url`) is asked for with the
 * claims the grant sends; the answer's form is judged (new ticket, interval or its absence), then the
 * probe polls with the ticket in hand (the new one when the AS sent one, else the same: Keycloak) for
 * a bounded time, to see whether the request resolves once the owner approves.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
import { deviation, skip, type Verdict } from '../types';
import { describeResult, pendingDescription, SkipCheck, type CheckContext, type TokenObservation } from '../context';
import { judgeDecision } from './decision';

/** Polls never come faster than this, whatever interval the AS names (0 included). */
const MIN_POLL_MS = 1000;
/** Without an interval, UMA Grant §3.3.6 suggests 5 s. */
const DEFAULT_POLL_MS = 5000;

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve();
  const timer = setTimeout(done, ms);
  function done() {
    clearTimeout(timer);
    signal?.removeEventListener('abort', done);
    resolve();
  }
  signal?.addEventListener('abort', done, { once: true });
});

/**
 * The delay before the next poll: the AS's interval is a minimum (UMA Grant §3.3.6), never shortened;
 * 0, negative or missing values get the floor or the default. A delay past the end of the bounded
 * wait ends the wait instead (the caller compares it with the deadline), so no timer is ever huge.
 */
export function pollDelayMs(interval: number | undefined): number {
  if (interval === undefined || Number.isNaN(interval)) return DEFAULT_POLL_MS;
  return Math.max(interval * 1000, MIN_POLL_MS);
}

/** Runs the hold against the pending resource and grades it; skip when the AS did not hold it. */
export async function observeHold(ctx: CheckContext): Promise<Verdict> {
  const pending = ctx.shared.pending;
  if (!pending) throw new SkipCheck('No resource to hold was given.');
  const first = await ctx.token({ ticket: await ctx.freshTicket(pending.resource), ...ctx.grantClaims }, ctx.client, pending.resource);
  if (first.result.type !== 'request_submitted') {
    return skip(`The AS did not put ${pending.resource} on hold: it answered ${describeResult(first)}${first.result.type === 'token' ? ' (granted at once)' : ''}. Give a resource whose owner must approve.`);
  }
  const held = judgeDecision(first);
  const interval = first.result.interval;
  const form = `${interval !== undefined ? `interval ${interval} s` : 'no interval'}, ${first.result.ticket ? (first.result.ticket === first.sentTicket ? 'the same ticket back' : 'a new ticket') : 'no new ticket'}`;
  const resolution = await pollUntilDecided(ctx, first, pending);
  const verdict: Verdict = resolution.verdict ?? held;
  return { ...verdict, detail: `${pending.resource} was put on hold (${form}): ${held.detail} ${resolution.detail}` };
}

/** Polls the held request with the ticket in hand until it is decided or the wait ends. */
async function pollUntilDecided(ctx: CheckContext, first: TokenObservation, pending: { resource: string; waitMs: number }): Promise<{ detail: string; verdict?: Verdict }> {
  if (pending.waitMs <= 0) return { detail: 'Not approved during the run (the probe was not asked to wait for the owner).' };
  const deadline = Date.now() + pending.waitMs;
  let last = first;
  let ticket = first.result.type === 'request_submitted' && first.result.ticket ? first.result.ticket : (first.sentTicket as string);
  const sameTicket = !(first.result.type === 'request_submitted' && first.result.ticket);
  let polls = 0;
  for (;;) {
    const interval = last.result.type === 'request_submitted' ? last.result.interval : undefined;
    const delay = pollDelayMs(interval);
    if (!(Date.now() + delay <= deadline)) {
      if (delay > pending.waitMs) return { detail: `Not approved during the run: the AS asks for ${Math.round(delay / 1000)} s between polls, longer than the wait (${Math.round(pending.waitMs / 1000)} s); ${polls} poll(s).` };
      break;
    }
    await sleep(delay, ctx.shared.signal);
    if (ctx.shared.signal?.aborted) return { detail: 'The run was cancelled while waiting for the owner.' };
    polls++;
    last = await ctx.token({ ticket, ...ctx.grantClaims }, ctx.client, pending.resource);
    const r = last.result;
    const via = sameTicket ? 'the same ticket as the first request (no new ticket came with the hold)' : 'the ticket that came with the last hold';
    if (r.type === 'token') {
      markApproved(ctx, pending.resource);
      return { detail: `Approved during the run: poll ${polls} with ${via} got the RPT.` };
    }
    if (r.type === 'request_submitted') {
      if (r.ticket) ticket = r.ticket;
      continue;
    }
    if (r.type === 'denied') return { detail: `The owner denied the request during the run (poll ${polls}: ${describeResult(last)}).` };
    if (r.type === 'invalid_ticket') {
      // The held ticket stopped working: a client goes back to the RS for a fresh one.
      const fresh = await ctx.token({ ticket: await ctx.freshTicket(pending.resource), ...ctx.grantClaims }, ctx.client, pending.resource);
      if (fresh.result.type === 'token') {
        markApproved(ctx, pending.resource);
        return {
          detail: `Approved during the run, but ${via} was refused (${describeResult(last)}); a fresh ticket from the RS got the RPT.`,
          verdict: deviation(`The held ticket does not resolve after approval (${describeResult(last)}).`, 'When a held ticket is refused, go back to the RS for a fresh ticket and ask again.'),
        };
      }
      return { detail: `Poll ${polls} with ${via}: ${describeResult(last)}; a fresh ticket got ${describeResult(fresh)}.` };
    }
    return { detail: `Poll ${polls}: ${describeResult(last)}.` };
  }
  return { detail: `Not approved during the run (waited ${Math.round(pending.waitMs / 1000)} s, ${polls} poll(s)).` };
}

function markApproved(ctx: CheckContext, resource: string): void {
  const item = ctx.shared.created.find((c) => c.kind === 'pending_request' && c.description === pendingDescription(resource));
  if (item) item.description = `access request for ${resource}, approved by the owner during the run (the permission stays at the AS)`;
}
