/**
 * The engine's one polling policy (packages/uma/src/uma/poll-policy.ts): the AS's interval is a minimum and is
 * never shortened (UMA Grant §3.3.6), floored at 1 s and capped at 1 h, default 5 s, ×1.5 backoff,
 * every delay a `setTimeout`-safe number, a bounded number of polls per minute.
 */
import { describe, expect, it } from 'vitest';
import { MAX_POLLS_PER_MINUTE, MAX_TIMER_MS, nextPoll, normalizeInterval, PollBudget, timerMs } from '../../packages/uma/src/uma/poll-policy';

describe('normalizeInterval', () => {
  it.each([
    [5, 5], ['5', 5], ['500s', 500], [' 7 s ', 7], [0.001, 1], [1e9, 3600], [Infinity, 3600],
    [0, undefined], ['0', undefined], [-3, undefined], [Number.NaN, undefined], ['soon', undefined], [null, undefined], [{}, undefined], [undefined, undefined], ['9'.repeat(40), undefined],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeInterval(raw)).toBe(expected);
  });
});

describe('nextPoll', () => {
  it('an AS asking for 90 s is polled every 90 s, not every 60 s', () => {
    const first = nextPoll(undefined, 90);
    expect(first).toEqual({ delayMs: 90_000, intervalS: 90 });
    expect(nextPoll(first, 90).delayMs).toBe(90_000);
  });

  it('backs off ×1.5 from the interval up to 60 s', () => {
    const delays: number[] = [];
    let step = nextPoll(undefined, 2);
    for (let i = 0; i < 12; i++) { delays.push(step.delayMs); step = nextPoll(step, 2); }
    expect(delays.slice(0, 4)).toEqual([2000, 3000, 4500, 6750]);
    expect(delays.at(-1)).toBe(60_000);
  });

  it('defaults to 5 s; a default is bounded like the AS (0.01 s → 1 s)', () => {
    expect(nextPoll(undefined, undefined).delayMs).toBe(5000);
    expect(nextPoll(undefined, undefined, 0.01).delayMs).toBe(1000);
    expect(nextPoll(undefined, 0).delayMs).toBe(5000);
  });

  it('never shortens a longer interval the AS asked for earlier (flapping)', () => {
    let step = nextPoll(undefined, 30);
    for (const said of [0, '0', -1, 0.001, 2, undefined]) {
      step = nextPoll(step, said);
      expect(step.delayMs).toBeGreaterThanOrEqual(30_000);
      expect(step.intervalS).toBe(30);
    }
  });

  it('every delay is a finite timer value (10^9 s is one hour, not 1 ms)', () => {
    for (const said of [1e9, Infinity, '1e9', 2 ** 40, -Infinity, Number.NaN]) {
      let step = nextPoll(undefined, said);
      for (let i = 0; i < 5; i++) {
        expect(Number.isFinite(step.delayMs)).toBe(true);
        expect(step.delayMs).toBeGreaterThanOrEqual(1000);
        expect(step.delayMs).toBeLessThanOrEqual(3_600_000);
        step = nextPoll(step, said);
      }
    }
    expect(nextPoll({ delayMs: Number.NaN }, 2).delayMs).toBe(2000);
    expect(timerMs(1e15)).toBe(MAX_TIMER_MS);
    expect(timerMs(-5)).toBe(0);
  });
});

describe('PollBudget', () => {
  it(`allows at most ${MAX_POLLS_PER_MINUTE} polls in any minute`, () => {
    const budget = new PollBudget();
    let now = 0;
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      now += budget.wait(now);
      budget.spend(now);
      times.push(now);
    }
    for (const t of times) expect(times.filter((x) => x >= t && x < t + 60_000).length).toBeLessThanOrEqual(MAX_POLLS_PER_MINUTE);
  });
});
