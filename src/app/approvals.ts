/**
 * Approvals that arrive by themselves. When a flow ends `pending` (the AS answered
 * `request_submitted`: the resource owner must decide, UMA Grant §3.3.6), the core keeps asking the
 * AS itself: first after the AS's `interval` (default 5 s), then backing off ×1.5 up to 60 s; it
 * stops when the owner decides (granted → the record; denied → said so), when the person says
 * "Stop waiting", or after {@link MAX_WATCH_MS}. A poll asks the token endpoint with the ticket the
 * AS returned; an AS that returned none (Keycloak's `access_denied`/`request_submitted`) is asked
 * through the RS, which issues a fresh ticket each time.
 *
 * The watched requests (with their tickets: credentials) are kept in the vault, so a restart of the
 * app resumes them. One watch per (party, method, URL): a newer pending flow replaces an older one.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
import { z } from 'zod';
import type { TokenStore } from '@tessera/uma';
import type { FetchResult } from '@tessera/uma/engine';

/** How long a request is watched before Tessera gives up (the person can ask again). */
export const MAX_WATCH_MS = 24 * 60 * 60 * 1000;
export const MAX_POLL_DELAY_MS = 60_000;
const DEFAULT_INTERVAL_S = 5;
const RECORD_KEY = 'approvals';

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
  interval: z.number().positive().optional(),
  since: z.number(),
  delayMs: z.number().nonnegative(),
  nextPollAt: z.number(),
  startedAt: z.string(),
});
export type WatchedRequest = z.infer<typeof watchedSchema>;
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
  /** Seconds between polls when the AS announces no `interval` (default 5, as the engine's). */
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

/** The next delay: the AS's interval first, then ×1.5, never below the interval, at most 60 s. */
export function nextDelay(previousMs: number, intervalS: number | undefined, defaultS = DEFAULT_INTERVAL_S): number {
  const interval = (intervalS ?? defaultS) * 1000;
  if (previousMs <= 0) return interval;
  return Math.min(Math.max(interval, Math.round(previousMs * 1.5)), Math.max(interval, MAX_POLL_DELAY_MS));
}

export class ApprovalWatcher {
  readonly #d: ApprovalDeps;
  readonly #now: () => number;
  readonly #watched = new Map<string, WatchedRequest>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #polls = new Map<string, AbortController>();
  #saving: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: ApprovalDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The requests being watched, by flow id. */
  get watching(): ReadonlyMap<string, WatchedRequest> { return this.#watched; }

  /** Resumes the requests kept in the vault (at start). */
  async resume(): Promise<WatchedRequest[]> {
    const record = await this.#d.store.get('settings', RECORD_KEY);
    const parsed = recordSchema.safeParse(record?.value);
    const requests = parsed.success ? parsed.data.requests.flatMap((r) => { const w = watchedSchema.safeParse(r); return w.success ? [w.data] : []; }) : [];
    for (const r of requests) {
      this.#watched.set(r.flowId, r);
      this.#schedule(r);
    }
    return requests;
  }

  /** Starts watching a flow that ended pending (replacing an older watch of the same request). */
  async watch(input: Omit<WatchedRequest, 'since' | 'delayMs' | 'nextPollAt'> & { since?: number }): Promise<void> {
    if (this.#closed) return;
    for (const other of [...this.#watched.values()]) if (other.flowId !== input.flowId && watchKey(other) === watchKey(input)) await this.#end(other, 'replaced');
    const existing = this.#watched.get(input.flowId);
    const delayMs = nextDelay(existing?.delayMs ?? 0, input.interval, this.#d.defaultIntervalS);
    const request: WatchedRequest = { ...input, since: existing?.since ?? input.since ?? this.#now(), delayMs, nextPollAt: this.#now() + delayMs };
    this.#watched.set(request.flowId, request);
    this.#schedule(request);
    await this.#persist();
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
    clearTimeout(this.#timers.get(request.flowId));
    const wait = Math.max(0, request.nextPollAt - this.#now());
    this.#timers.set(request.flowId, setTimeout(() => void this.#poll(request.flowId), wait));
    this.#d.onScheduled(request);
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
      const interval = result.pending?.interval ?? request.interval;
      const delayMs = nextDelay(request.delayMs, interval, this.#d.defaultIntervalS);
      // A new ticket is polled with next time; no ticket (spent, or Keycloak's form): back to the RS.
      const { ticket: _old, ...rest } = request;
      const ticket = result.outcome === 'pending' ? result.pending?.ticket : request.ticket;
      const next: WatchedRequest = { ...rest, ...(ticket ? { ticket } : {}), ...(interval !== undefined ? { interval } : {}), delayMs, nextPollAt: this.#now() + delayMs };
      this.#watched.set(flowId, next);
      this.#schedule(next);
      await this.#persist();
    } else {
      await this.#end(request, result.outcome === 'granted' || result.outcome === 'denied' ? result.outcome : 'ended');
    }
  }

  /** Ends a watch: the vault forgets it first, then the service is told (and tells the person). */
  async #end(request: WatchedRequest, end: WatchEnd): Promise<void> {
    clearTimeout(this.#timers.get(request.flowId));
    this.#timers.delete(request.flowId);
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
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#polls.values()) c.abort();
    await this.#saving;
  }
}
