/**
 * Engine benchmark (issue #2): against the spec-style fixture AS/RS on 127.0.0.1.
 * (a) first access, full loop (401 → token → 200) with discovery cached, vs a plain fetch of the same
 *     resource with a pre-issued token — and the loop must be exactly 3 HTTP exchanges;
 * (b) cached-RPT access through the agent vs that plain fetch (target ≤ 1.10×);
 * (c) 100 concurrent fetches over 10 resources: token requests (≤ 10), final RPTs (1), total time.
 * Medians of interleaved rounds; figures are compared as ratios within one run.
 */
import { MemoryStore, storeKeys } from '../packages/uma/src/kernel/store';
import { createAgent } from '../packages/uma/src/uma/agent';
import { startFixture } from '../test/fixtures/uma-fixture';
import type { BenchReport } from './run';

const ROUNDS = 300;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export default async function engineBench(): Promise<BenchReport> {
  const fx = await startFixture();
  try {
    const store = new MemoryStore();
    let exchanges = 0;
    const agent = createAgent({
      store,
      trust: { authorizationServers: [{ issuer: fx.asUri }] },
      defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' },
    });
    agent.transcript.on((_s, event) => void (event === 'added' && exchanges++));
    const url = fx.rs('/r/bench');
    // warm: discovery cached, connections open, JIT warm
    for (let i = 0; i < 20; i++) await agent.fetch(url);
    const rptKey = storeKeys.rpt(fx.asUri, fx.rsOrigin, 'nobody');
    const preIssued = [...fx.state.rpts.keys()].at(-1) as string;
    const plain = async () => {
      const r = await fetch(url, { headers: { authorization: `Bearer ${preIssued}` } });
      await r.text();
      if (r.status !== 200) throw new Error(`plain fetch got ${r.status}`);
    };
    for (let i = 0; i < 20; i++) await plain();

    // (a) full loop with discovery cached
    const loopTimes: number[] = [];
    const plainTimesA: number[] = [];
    const exchangeCounts = new Set<number>();
    for (let i = 0; i < ROUNDS / 3; i++) {
      await store.delete('rpt', rptKey);
      const before = exchanges;
      loopTimes.push(await time(() => agent.fetch(url)));
      exchangeCounts.add(exchanges - before);
      plainTimesA.push(await time(plain));
    }

    // (b) cached RPT
    await agent.fetch(url);
    const cachedTimes: number[] = [];
    const plainTimesB: number[] = [];
    let cachedExchanges = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const before = exchanges;
      cachedTimes.push(await time(() => agent.fetch(url)));
      cachedExchanges = exchanges - before;
      plainTimesB.push(await time(plain));
    }

    // (c) 100 concurrent fetches over 10 resources, fresh agent and store
    const fx2 = await startFixture();
    let concurrent: { ms: number; tokens: number; rpts: number; granted: number };
    try {
      const store2 = new MemoryStore();
      const agent2 = createAgent({ store: store2, trust: { authorizationServers: [{ issuer: fx2.asUri }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
      const urls = Array.from({ length: 100 }, (_, i) => fx2.rs(`/r/res${i % 10}`));
      let results: Awaited<ReturnType<typeof agent2.fetch>>[] = [];
      const ms = await time(async () => {
        results = await Promise.all(urls.map((u) => agent2.fetch(u)));
      });
      concurrent = { ms, tokens: fx2.stats.token, rpts: (await store2.list('rpt')).length, granted: results.filter((r) => r.outcome === 'granted').length };
    } finally {
      await fx2.close();
    }

    // (b') supplementary, not the target: the same comparison when the RS takes 2 ms to answer
    const fx3 = await startFixture({ latencyMs: 2 });
    let slow: { agent: number; plain: number };
    try {
      const agent3 = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: fx3.asUri }] }, defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' } });
      const url3 = fx3.rs('/r/bench');
      await agent3.fetch(url3);
      const rpt3 = [...fx3.state.rpts.keys()].at(-1) as string;
      const plain3 = async () => void (await (await fetch(url3, { headers: { authorization: `Bearer ${rpt3}` } })).text());
      const at: number[] = [];
      const pt: number[] = [];
      for (let i = 0; i < 100; i++) {
        at.push(await time(() => agent3.fetch(url3)));
        pt.push(await time(plain3));
      }
      slow = { agent: median(at), plain: median(pt) };
    } finally {
      await fx3.close();
    }

    const a = median(loopTimes);
    const pa = median(plainTimesA);
    const b = median(cachedTimes);
    const pb = median(plainTimesB);
    const exchangesA = [...exchangeCounts];
    return {
      name: 'engine',
      rows: [
        { case: '(a) first access, full loop (discovery cached)', median_ms: +a.toFixed(3), plain_ms: +pa.toFixed(3), ratio: +(a / pa).toFixed(2), http_exchanges: exchangesA.join('/') },
        { case: '(b) cached RPT access', median_ms: +b.toFixed(3), plain_ms: +pb.toFixed(3), ratio: +(b / pb).toFixed(2), http_exchanges: cachedExchanges },
        { case: "(b') cached RPT, RS answering in 2 ms (supplementary)", median_ms: +slow.agent.toFixed(3), plain_ms: +slow.plain.toFixed(3), ratio: +(slow.agent / slow.plain).toFixed(2), http_exchanges: 1 },
        { case: '(c) 100 concurrent over 10 resources', median_ms: +concurrent.ms.toFixed(1), plain_ms: '-', ratio: '-', http_exchanges: `${concurrent.tokens} token requests, ${concurrent.rpts} RPT, ${concurrent.granted}/100 granted` },
      ],
      targets: [
        { name: '(a) full loop is exactly 3 HTTP exchanges with discovery cached', ok: exchangesA.length === 1 && exchangesA[0] === 3, detail: `exchanges per loop: ${exchangesA.join(', ')}` },
        { name: '(b) cached-RPT access ≤ 1.10× plain fetch', ok: b / pb <= 1.1, detail: `${(b / pb).toFixed(2)}× (${b.toFixed(3)} ms vs ${pb.toFixed(3)} ms)` },
        { name: '(c) ≤ 10 token requests and one final RPT', ok: concurrent.tokens <= 10 && concurrent.rpts === 1 && concurrent.granted === 100, detail: `${concurrent.tokens} token requests, ${concurrent.rpts} RPT, ${concurrent.granted}/100 granted in ${concurrent.ms.toFixed(0)} ms` },
      ],
    };
  } finally {
    await fx.close();
  }
}
