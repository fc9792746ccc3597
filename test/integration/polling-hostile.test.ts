/**
 * A hostile AS on 127.0.0.1 against the engine's one polling policy (packages/uma/src/uma/poll-policy.ts), as the
 * agent's `waitSeconds` and the app's approvals watcher use it: intervals 0, negative, "0", 0.001,
 * 10^9, "500s", flapping, a 50 MB body, 1 byte every 2 s. Time is virtual (an injected clock, sleep
 * and timers) so ten minutes of polling run in moments; the HTTP is real. The test prints the
 * requests per minute of each scenario and asserts them; a watch survives a restart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalWatcher, type WatchTimers, type WatchedRequest } from '../../src/app/approvals';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent, type Agent } from '../../packages/uma/src/uma/agent';
import { MAX_POLLS_PER_MINUTE } from '../../packages/uma/src/uma/poll-policy';

type Scenario = { name: string; answer: (n: number) => unknown; special?: 'huge' | 'drip'; maxPerMinute: number };
const SCENARIOS: Scenario[] = [
  { name: 'interval 0', answer: () => 0, maxPerMinute: MAX_POLLS_PER_MINUTE },
  { name: 'interval -5', answer: () => -5, maxPerMinute: MAX_POLLS_PER_MINUTE },
  { name: 'interval "0"', answer: () => '0', maxPerMinute: MAX_POLLS_PER_MINUTE },
  { name: 'interval 0.001', answer: () => 0.001, maxPerMinute: MAX_POLLS_PER_MINUTE },
  { name: 'interval 10^9', answer: () => 1e9, maxPerMinute: 1 },
  { name: 'interval "500s"', answer: () => '500s', maxPerMinute: 1 },
  { name: 'flapping 0/30/"0"/-1', answer: (n) => [0, 30, '0', -1][n % 4], maxPerMinute: 2 },
  { name: '50 MB body', answer: () => 5, special: 'huge', maxPerMinute: MAX_POLLS_PER_MINUTE },
  { name: '1 byte every 2 s', answer: () => 5, special: 'drip', maxPerMinute: MAX_POLLS_PER_MINUTE },
];

let server: Server;
let origin = '';
let scenario: Scenario = SCENARIOS[0] as Scenario;
let clock = 0;
const hits: number[] = [];
const drips = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/.well-known/uma2-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ issuer: origin, token_endpoint: `${origin}/token`, grant_types_supported: ['urn:ietf:params:oauth:grant-type:uma-ticket'] }));
    }
    if (url.pathname === '/rs') {
      res.writeHead(401, { 'www-authenticate': `UMA as_uri="${origin}", ticket="t-${randomBytes(6).toString('hex')}"` });
      return res.end();
    }
    if (url.pathname === '/token') {
      req.resume();
      hits.push(clock);
      const n = hits.length;
      const head = `{"error":"request_submitted","ticket":"t-${n}","interval":${JSON.stringify(scenario.answer(n))}`;
      res.writeHead(403, { 'content-type': 'application/json' });
      if (scenario.special === 'huge') {
        // 50 MB: the client's body bound stops reading long before the end.
        const chunk = Buffer.alloc(1 << 20, 0x61);
        res.write(`${head},"pad":"`);
        let sent = 0;
        const pump = () => { while (sent < 50 && res.write(chunk)) sent++; if (sent < 50) res.once('drain', pump); else res.end('"}'); };
        res.on('error', () => undefined);
        return pump();
      }
      if (scenario.special === 'drip') {
        let i = 0;
        const body = `${head}}`;
        const timer = setInterval(() => { if (res.destroyed || i >= body.length) { clearInterval(timer); drips.delete(timer); if (!res.destroyed) res.end(); return; } res.write(body[i++] ?? ''); }, 2000);
        drips.add(timer);
        return;
      }
      return res.end(`${head}}`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const t of drips) clearInterval(t);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  console.log(`\nrequests per minute to a hostile AS (10 virtual minutes; max in any minute / mean)\n${table.map((r) => `  ${r.name.padEnd(22)} agent --wait: ${String(r.agent.max).padStart(2)} / ${r.agent.mean.toFixed(1).padStart(4)}   watcher: ${String(r.watcher.max).padStart(2)} / ${r.watcher.mean.toFixed(1).padStart(4)}`).join('\n')}\n`);
});

const table: { name: string; agent: { max: number; mean: number }; watcher: { max: number; mean: number } }[] = [];
const MINUTES = 10;

/** Most requests in any 60 s window, and the mean per minute, of what the AS received. */
function perMinute(times: number[], start: number): { max: number; mean: number } {
  let max = 0;
  for (const t of times) max = Math.max(max, times.filter((x) => x >= t && x < t + 60_000).length);
  return { max, mean: times.filter((t) => t < start + MINUTES * 60_000).length / MINUTES };
}

function agentOn(): Agent {
  return createAgent({
    store: new MemoryStore(),
    trust: { authorizationServers: [{ issuer: origin }] },
    defaultClient: { clientId: 'tessera', clientSecret: 'hostile-secret' },
    now: () => clock,
    sleep: async (ms) => { clock += ms; },
    http: { timeoutMs: 300, maxBodyBytes: 64 * 1024 },
    limits: { serverRetries: 0, retryBaseMs: 1 },
  });
}

/** Virtual timers: the test fires the earliest one and waits until the watcher has scheduled again (or ended). */
class VirtualTimers implements WatchTimers {
  queue = new Map<number, { at: number; fn: () => void }>();
  #id = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    expect(Number.isFinite(ms) && ms >= 0 && ms <= 2 ** 31 - 1).toBe(true);
    const id = ++this.#id;
    this.queue.set(id, { at: clock + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void { this.queue.delete(handle as number); }
  next(): { at: number; fn: () => void; id: number } | undefined {
    let best: { at: number; fn: () => void; id: number } | undefined;
    for (const [id, t] of this.queue) if (!best || t.at < best.at) best = { ...t, id };
    return best;
  }
}

function watcherOn(store: MemoryStore, agent: Agent, timers: VirtualTimers, signal: { settle?: () => void }): ApprovalWatcher {
  const settle = () => { const s = signal.settle; signal.settle = undefined; s?.(); };
  return new ApprovalWatcher({
    store,
    now: () => clock,
    timers,
    poll: (r: WatchedRequest, abort) => agent.fetch(`${origin}/rs`, { flowId: r.flowId, party: r.party, ...(r.ticket && r.asUri ? { resume: { asUri: r.asUri, ticket: r.ticket } } : {}), signal: abort }),
    onResult: async () => {},
    onScheduled: settle,
    onEnd: settle,
  });
}

/** Runs the virtual clock until `until`, firing the watcher's timers in order. */
async function run(timers: VirtualTimers, signal: { settle?: () => void }, until: number): Promise<void> {
  for (;;) {
    const t = timers.next();
    if (!t || t.at > until) { clock = Math.max(clock, until); return; }
    timers.queue.delete(t.id);
    clock = Math.max(clock, t.at);
    const settled = new Promise<void>((resolve) => { signal.settle = resolve; });
    t.fn();
    await settled;
  }
}

describe('a hostile AS is polled within bounds', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    scenario = s;
    const row = { name: s.name, agent: { max: 0, mean: 0 }, watcher: { max: 0, mean: 0 } };

    // The agent's --wait: ten minutes of waiting.
    hits.length = 0;
    clock = 1_000_000;
    let start = clock;
    const agent = agentOn();
    const waited = await agent.fetch(`${origin}/rs`, { waitSeconds: MINUTES * 60 });
    expect(['pending', 'error']).toContain(waited.outcome);
    row.agent = perMinute([...hits], start);
    expect(row.agent.max).toBeLessThanOrEqual(s.maxPerMinute);

    // The app's watcher: ten minutes of watching, from the state a pending flow leaves.
    hits.length = 0;
    clock = 50_000_000;
    start = clock;
    const store = new MemoryStore();
    const timers = new VirtualTimers();
    const signal: { settle?: () => void } = {};
    const watcher = watcherOn(store, agentOn(), timers, signal);
    await watcher.watch({ flowId: 'f1', url: `${origin}/rs`, method: 'GET', party: 'nobody', asUri: origin, ticket: 't-0', interval: s.answer(0), startedAt: new Date(clock).toISOString() });
    await run(timers, signal, start + MINUTES * 60_000);
    await watcher.close();
    row.watcher = perMinute([...hits], start);
    expect(row.watcher.max).toBeLessThanOrEqual(s.maxPerMinute);
    table.push(row);
  }, 60_000);
});

describe('a watch survives a restart', () => {
  it('an interval-0 watch is kept in the store, resumed with the same policy, and keeps its bound', async () => {
    scenario = SCENARIOS[0] as Scenario;
    hits.length = 0;
    clock = 90_000_000;
    const start = clock;
    const store = new MemoryStore();
    let timers = new VirtualTimers();
    const signal: { settle?: () => void } = {};
    const first = watcherOn(store, agentOn(), timers, signal);
    await first.watch({ flowId: 'f0', url: `${origin}/rs`, method: 'GET', party: 'nobody', asUri: origin, ticket: 't-0', interval: 0, startedAt: new Date(clock).toISOString() });
    await run(timers, signal, start + 2 * 60_000);
    await first.close();
    const before = hits.length;
    expect(before).toBeGreaterThan(0);

    timers = new VirtualTimers();
    const second = watcherOn(store, agentOn(), timers, signal);
    const resumed = await second.resume();
    expect(resumed.map((r) => r.flowId)).toEqual(['f0']);
    await run(timers, signal, start + 5 * 60_000);
    expect(hits.length).toBeGreaterThan(before);
    expect(perMinute([...hits], start).max).toBeLessThanOrEqual(MAX_POLLS_PER_MINUTE);
    await second.close();
  });

  it('a record an older version wrote with interval 0 (or a string) is resumed, not silently dropped', async () => {
    for (const interval of [0, '0', -1, 1e9, '500s']) {
      const store = new MemoryStore();
      await store.put('settings', 'approvals', { requests: [{ flowId: 'old', url: `${origin}/rs`, method: 'GET', party: 'nobody', asUri: origin, ticket: 't', interval, since: clock, delayMs: 0, nextPollAt: clock, startedAt: new Date(clock).toISOString() }] }, {});
      const timers = new VirtualTimers();
      const watcher = watcherOn(store, agentOn(), timers, {});
      const resumed = await watcher.resume();
      expect(resumed.map((r) => r.flowId)).toEqual(['old']);
      const next = timers.next();
      expect(next).toBeDefined();
      await watcher.close();
    }
  });
});

describe('the AS interval is a minimum', () => {
  it('an AS asking for 90 s is polled every 90 s by the agent (not every 60 s)', async () => {
    scenario = { name: '90 s', answer: () => 90, maxPerMinute: 1 };
    const sleeps: number[] = [];
    clock = 200_000_000;
    const agent = createAgent({
      store: new MemoryStore(),
      trust: { authorizationServers: [{ issuer: origin }] },
      defaultClient: { clientId: 'tessera', clientSecret: 'hostile-secret' },
      now: () => clock,
      sleep: async (ms) => { sleeps.push(ms); clock += ms; },
    });
    const result = await agent.fetch(`${origin}/rs`, { waitSeconds: 600 });
    expect(result.outcome).toBe('pending');
    expect(result.pending?.interval).toBe(90);
    expect(sleeps.length).toBeGreaterThan(2);
    for (const ms of sleeps) expect(ms).toBeGreaterThanOrEqual(90_000);
  });
});
