/**
 * The one polling policy for a request the resource owner must decide (`request_submitted`), used
 * by the agent's `waitSeconds` and by the app's approvals watcher alike.
 *
 * - The AS's `interval` is a minimum and is never shortened (UMA Grant §3.3.6); once an AS has
 *   asked for a longer interval, a later shorter one does not speed polling up again (as RFC 8628
 *   §3.5 makes `slow_down` last "for this and all subsequent requests").
 * - What the AS says is bounded: at least {@link POLL_FLOOR_S}, at most {@link POLL_CEILING_S};
 *   absent, zero, negative or unreadable → {@link POLL_DEFAULT_S}. Strings such as `"5"` or
 *   `"500s"` are read as seconds.
 * - Each further poll backs off ×{@link POLL_BACKOFF} up to {@link POLL_BACKOFF_CAP_MS} (or the
 *   interval, when that is longer).
 * - Every delay is a finite, `setTimeout`-safe number of milliseconds (≤ 2³¹−1).
 * - At most {@link MAX_POLLS_PER_MINUTE} polls in any 60 s per watch ({@link PollBudget}).
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */

/** The shortest interval Tessera honours (s): an AS asking for less is polled this often. @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6 */
export const POLL_FLOOR_S = 1;
/** The longest interval Tessera honours (s): an AS asking for more is polled this often. @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6 */
export const POLL_CEILING_S = 3600;
/** The interval when the AS gives none (s), as RFC 8628 §3.5's default. @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5 */
export const POLL_DEFAULT_S = 5;
/** Backoff factor between polls. @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5 */
export const POLL_BACKOFF = 1.5;
/** Backoff stops growing here (unless the AS's interval is longer, which is never shortened). @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6 */
export const POLL_BACKOFF_CAP_MS = 60_000;
/** The largest delay `setTimeout` keeps (a larger one fires at once). @see https://developer.mozilla.org/en-US/docs/Web/API/Window/setTimeout#maximum_delay_value */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** At most this many polls per watch in any 60 s window. @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6 */
export const MAX_POLLS_PER_MINUTE = 10;

const MINUTE_MS = 60_000;

/**
 * Reads an AS's `interval` (or a configured default) as seconds within
 * [{@link POLL_FLOOR_S}, {@link POLL_CEILING_S}]; `undefined` when absent, zero, negative or
 * unreadable (the caller then uses the default). Accepts what any parser might let through:
 * numbers, numeric strings, `"500s"`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function normalizeInterval(raw: unknown): number | undefined {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && raw.length <= 32) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*s?\s*$/i.exec(raw);
    if (!m) return undefined;
    n = Number(m[1]);
  } else return undefined;
  if (Number.isNaN(n) || n <= 0) return undefined;
  return Math.min(POLL_CEILING_S, Math.max(POLL_FLOOR_S, n));
}

/**
 * A `setTimeout`-safe delay (ms): finite, whole, 0…{@link MAX_TIMER_MS}. NaN becomes the floor.
 * @see https://developer.mozilla.org/en-US/docs/Web/API/Window/setTimeout#maximum_delay_value
 */
export function timerMs(ms: number): number {
  if (Number.isNaN(ms)) return POLL_FLOOR_S * 1000;
  return Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(ms)));
}

/**
 * Where a watch stands: the delay before the next poll and the longest interval the AS has asked for.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface PollStep {
  /** Milliseconds to wait before the next poll (finite, ≥ the interval, ≤ {@link MAX_TIMER_MS}). */
  delayMs: number;
  /** The interval in force (s): the largest the AS has announced, normalised; undefined when it never gave one. */
  intervalS?: number;
}

/**
 * The next poll, from the previous step (undefined for the first) and what the AS just announced.
 * First poll: after the interval; then ×1.5, never below the interval, never above
 * max(interval, {@link POLL_BACKOFF_CAP_MS}).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export function nextPoll(previous: Partial<PollStep> | undefined, announced: unknown, defaultS: unknown = POLL_DEFAULT_S): PollStep {
  const said = normalizeInterval(announced);
  const before = normalizeInterval(previous?.intervalS);
  const intervalS = said !== undefined || before !== undefined ? Math.max(said ?? 0, before ?? 0) : undefined;
  const baseMs = (intervalS ?? normalizeInterval(defaultS) ?? POLL_DEFAULT_S) * 1000;
  const prev = previous?.delayMs;
  const grown = typeof prev === 'number' && Number.isFinite(prev) && prev > 0 ? Math.min(Math.max(baseMs, prev * POLL_BACKOFF), Math.max(baseMs, POLL_BACKOFF_CAP_MS)) : baseMs;
  return { delayMs: timerMs(grown), ...(intervalS !== undefined ? { intervalS } : {}) };
}

/**
 * At most {@link MAX_POLLS_PER_MINUTE} polls per watch in any 60 s: {@link PollBudget.wait} says how
 * much longer a poll due now must wait. It bounds what resets of the backoff (a re-opened request, a
 * restart) could otherwise add up to.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export class PollBudget {
  readonly #times: number[] = [];
  constructor(readonly perMinute = MAX_POLLS_PER_MINUTE) {}

  /** Extra milliseconds before a poll at `now` stays within the budget (0 when it may go now). */
  wait(now: number): number {
    while (this.#times.length && now - (this.#times[0] as number) >= MINUTE_MS) this.#times.shift();
    if (this.#times.length < this.perMinute) return 0;
    return timerMs((this.#times[0] as number) + MINUTE_MS - now);
  }

  /** Records a poll made at `now`. */
  spend(now: number): void {
    this.#times.push(now);
    if (this.#times.length > this.perMinute) this.#times.shift();
  }
}
