/**
 * Approvals that arrive by themselves. When a flow ends `pending` (the AS answered
 * `request_submitted`: the resource owner must decide, UMA Grant §3.3.6), the core keeps asking the
 * AS itself, on the engine's one polling policy (packages/uma/src/uma/poll-policy.ts: the AS's `interval` as a
 * minimum, floored and capped, default 5 s, ×1.5 backoff, a bounded number of polls per minute); it
 * stops when the owner decides (granted → the record; denied → said so), when the person says
 * "Stop waiting", or after {@link MAX_WATCH_MS}. A poll asks the token endpoint with the ticket in
 * hand (the AS's new one, or the same one where the AS gives none, as Keycloak); when the AS
 * refuses it, the agent goes back to the RS for a fresh one.
 *
 * The watched requests (with their tickets: credentials) are kept in the vault, so a restart of the
 * app resumes them. One watch per (party, method, URL): a newer pending flow replaces an older one.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
import { z } from 'zod';
import type { TokenStore } from '@tessera/uma';
import type { FetchResult } from '@tessera/uma/engine';
import { nextPoll, normalizeInterval, PollBudget, timerMs, type PollStep } from '@tessera/uma';

/** How long a request is watched before Tessera gives up (the person can ask again). */
export const MAX_WATCH_MS = 24 * 60 * 60 * 1000;
const RECORD_KEY = 'approvals';

/** Timers, injectable so that tests can run hours of polling on a virtual clock. */
export interface WatchTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const realTimers: WatchTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

const watchedSchema = z.object({
  flowId: z.string().min(1).max(100),
  url: z.string().min(1).max(2048),
  title: z.string().max(200).optional(),
  method: z.string().min(1).max(10),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  party: z.string().min(1),
  asUri: z.string().optional(),
  /** The ticket the AS returned with request_submitted (a credential: only ever in the vault). */
  ticket: z.string().optional(),
  /**
   * The interval in force (s). Whatever the grant parser let through is accepted and normalised by
   * the polling policy (an `interval: 0` watch was once dropped here at restart while the flow said
   * "pending").
   */
  interval: z.unknown().transform((v) => normalizeInterval(v)).optional(),
  since: z.number().catch(() => Date.now()),
  delayMs: z.unknown().transform((v) => (typeof v === 'number' ? timerMs(v) : 0)),
  nextPollAt: z.number().catch(0),
  startedAt: z.string(),
});
export type WatchedRequest = z.output<typeof watchedSchema>;
const recordSchema = z.object({ requests: z.array(z.unknown()) });

export type WatchEnd = 'granted' | 'denied' | 'stopped' | 'expired' | 'ended' | 'replaced';

export interface ApprovalDeps {
  store: TokenStore;
  /** One poll: resume the grant with `resume` (a ticket) or, without one, go through the RS. */
  poll(request: WatchedRequest, signal: AbortSignal): Promise<FetchResult>;
  /** A poll's result that is not a transient failure (the service updates the flow on the timeline). */
  onResult(request: WatchedRequest, result: FetchResult): Promise<void>;
  /** The next poll is scheduled (the flow shows "next check at …"). */
  onScheduled(request: WatchedRequest): void;
  /** The watch ended: decided (granted/denied), stopped by the person, expired, or ended otherwise. */
  onEnd(request: WatchedRequest, end: WatchEnd): void;
  now?: () => number;
  /** Timers (tests: a virtual clock); default the real ones. */
  timers?: WatchTimers;
  /** Seconds between polls when the AS announces no `interval` (default 5; normalised like the AS's). */
  defaultIntervalS?: number;
}

/** Errors that say nothing about the owner's decision: keep waiting (with backoff). */
function transient(result: FetchResult): boolean {
  if (result.outcome === 'as_unreachable') return true;
  const code = result.error?.code;
  return code === 'network' || code === 'timeout' || code === 'server_error' || (code === 'rs_error' && (result.status ?? 0) >= 500);
}

export function watchKey(r: Pick<WatchedRequest, 'party' | 'method' | 'url'>): string {
  return `${r.party}\n${r.method} ${r.url}`;
}

/** The watch's step of the engine's polling policy. */
function step(r: Pick<WatchedRequest, 'delayMs' | 'interval'>): PollStep {
  return { delayMs: r.delayMs, ...(r.interval !== undefined ? { intervalS: r.interval } : {}) };
}

export class ApprovalWatcher {
  readonly #d: ApprovalDeps;
  readonly #now: () => number;
  readonly #clock: WatchTimers;
  readonly #watched = new Map<string, WatchedRequest>();
  readonly #timers = new Map<string, unknown>();
  readonly #budgets = new Map<string, PollBudget>();
  readonly #polls = new Map<string, AbortController>();
  #saving: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: ApprovalDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#clock = deps.timers ?? realTimers;
  }

  /** The requests being watched, by flow id. */
  get watching(): ReadonlyMap<string, WatchedRequest> { return this.#watched; }

  /** How many kept requests the last {@link resume} could not read (kept aside in the vault, not watched). */
  unreadable = 0;

  /**
   * Resumes the requests kept in the vault (at start). Entries that cannot be read (damaged, or from
   * another version) are not dropped silently: the record as it was is kept aside in the vault
   * (`approvals.damaged-TIME`, still encrypted: tickets are credentials) and {@link unreadable} counts them.
   */
  async resume(): Promise<WatchedRequest[]> {
    const record = await this.#d.store.get('settings', RECORD_KEY);
    const parsed = recordSchema.safeParse(record?.value);
    const requests = parsed.success ? parsed.data.requests.flatMap((r) => { const w = watchedSchema.safeParse(r); return w.success ? [w.data] : []; }) : [];
    const kept = parsed.success ? parsed.data.requests.length : 0;
    if (record && (!parsed.success || requests.length < kept)) {
      this.unreadable = parsed.success ? kept - requests.length : Math.max(1, Array.isArray((record.value as { requests?: unknown } | null)?.requests) ? (record.value as { requests: unknown[] }).requests.length : 1);
      await this.#d.store.put('settings', `${RECORD_KEY}.damaged-${new Date(this.#now()).toISOString()}`, record.value, { label: 'waiting requests that could not be read' }).catch(() => undefined);
    }
    for (const r of requests) {
      this.#watched.set(r.flowId, r);
      this.#schedule(r);
    }
    return requests;
  }

  /** Starts watching a flow that ended pending (replacing an older watch of the same request). */
  async watch(input: Omit<WatchedRequest, 'since' | 'delayMs' | 'nextPollAt' | 'interval'> & { since?: number; interval?: unknown }): Promise<void> {
    if (this.#closed) return;
    for (const other of [...this.#watched.values()]) if (other.flowId !== input.flowId && watchKey(other) === watchKey(input)) await this.#end(other, 'replaced');
    const existing = this.#watched.get(input.flowId);
    const { interval: _said, ...rest } = input;
    const next = nextPoll(existing ? step(existing) : undefined, input.interval, this.#d.defaultIntervalS);
    const request: WatchedRequest = { ...rest, ...(next.intervalS !== undefined ? { interval: next.intervalS } : {}), since: existing?.since ?? input.since ?? this.#now(), delayMs: next.delayMs, nextPollAt: this.#now() + next.delayMs };
    this.#watched.set(request.flowId, request);
    // Kept in the vault before the flow says "watching": a watch shown is one a restart resumes.
    await this.#persist();
    if (this.#watched.get(request.flowId) === request && !this.#closed) this.#schedule(request);
  }

  /** "Stop waiting": returns whether the flow was being watched. */
  async stop(flowId: string): Promise<boolean> {
    const request = this.#watched.get(flowId);
    if (!request) return false;
    await this.#end(request, 'stopped');
    return true;
  }

  /** Stops watching a request the person obtained another way (a new Open that ended without pending). */
  async settled(key: Pick<WatchedRequest, 'party' | 'method' | 'url'>, outcome: 'granted' | 'denied' | undefined, exceptFlow: string): Promise<void> {
    const found = [...this.#watched.values()].filter((r) => r.flowId !== exceptFlow && watchKey(r) === watchKey(key));
    for (const r of found) await this.#end(r, outcome ?? 'ended');
  }

  #schedule(request: WatchedRequest): void {
    this.#clock.clearTimeout(this.#timers.get(request.flowId));
    // Never later than one delay from now (a clock set back, a hand-edited record), never past the budget.
    const due = Math.min(request.nextPollAt - this.#now(), request.delayMs);
    const budget = this.#budget(request.flowId).wait(this.#now() + Math.max(0, due));
    const wait = timerMs(Math.max(0, due) + budget);
    this.#timers.set(request.flowId, this.#clock.setTimeout(() => void this.#poll(request.flowId), wait));
    this.#d.onScheduled(request);
  }

  #budget(flowId: string): PollBudget {
    let budget = this.#budgets.get(flowId);
    if (!budget) this.#budgets.set(flowId, (budget = new PollBudget()));
    return budget;
  }

  async #poll(flowId: string): Promise<void> {
    this.#timers.delete(flowId);
    const request = this.#watched.get(flowId);
    if (!request || this.#closed) return;
    if (this.#now() - request.since > MAX_WATCH_MS) {
      await this.#end(request, 'expired');
      return;
    }
    const controller = new AbortController();
    this.#polls.set(flowId, controller);
    this.#budget(flowId).spend(this.#now());
    let result: FetchResult;
    try {
      result = await this.#d.poll(request, controller.signal);
    } finally {
      this.#polls.delete(flowId);
    }
    // Stopped (or closed) while the poll ran: its answer no longer matters.
    if (this.#watched.get(flowId) !== request || this.#closed) return;
    // A transient failure says nothing about the decision: the flow stays "waiting" (its steps show the failure).
    if (!transient(result)) await this.#d.onResult(request, result).catch(() => undefined);
    if (result.outcome === 'pending' || transient(result)) {
      const { delayMs, intervalS } = nextPoll(step(request), result.pending?.interval, this.#d.defaultIntervalS);
      // The ticket the AS left us (a new one, or the same one at Keycloak) is polled with next time;
      // none (spent or expired): the agent goes through the RS.
      const { ticket: _old, interval: _interval, ...rest } = request;
      const ticket = result.outcome === 'pending' ? result.pending?.ticket : request.ticket;
      const next: WatchedRequest = { ...rest, ...(ticket ? { ticket } : {}), ...(intervalS !== undefined ? { interval: intervalS } : {}), delayMs, nextPollAt: this.#now() + delayMs };
      this.#watched.set(flowId, next);
      this.#schedule(next);
      await this.#persist();
    } else {
      await this.#end(request, result.outcome === 'granted' || result.outcome === 'denied' ? result.outcome : 'ended');
    }
  }

  /** Ends a watch: the vault forgets it first, then the service is told (and tells the person). */
  async #end(request: WatchedRequest, end: WatchEnd): Promise<void> {
    this.#clock.clearTimeout(this.#timers.get(request.flowId));
    this.#timers.delete(request.flowId);
    this.#budgets.delete(request.flowId);
    this.#polls.get(request.flowId)?.abort();
    this.#watched.delete(request.flowId);
    await this.#persist();
    this.#d.onEnd(request, end);
  }

  /** Keeps the watched requests in the vault (tickets are credentials: never on disk in plaintext). */
  #persist(): Promise<void> {
    const requests = [...this.#watched.values()];
    this.#saving = this.#saving.then(() => requests.length
      ? this.#d.store.put('settings', RECORD_KEY, { requests }, { label: 'requests waiting for the owner' })
      : this.#d.store.delete('settings', RECORD_KEY).then(() => undefined)).catch(() => undefined);
    return this.#saving;
  }

  /** Stops the timers and running polls; the watched requests stay in the vault for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers.values()) this.#clock.clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#polls.values()) c.abort();
    await this.#saving;
  }
}
