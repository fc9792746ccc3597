/**
 * Hostile trace import (issue #23): each case of test/fixtures/hostile-traces.ts refused or read by
 * `parseTrace` (the renderer runs it on its main thread), median of 5 in Node. Target: ≤ 1 s each, so the
 * page stays responsive; before the bounds, 10⁵ header keys in one step froze the UI for 30–40 s.
 */
import { parseTrace } from '../src/app/trace-import';
import { hostileTraces } from '../test/fixtures/hostile-traces';
import type { BenchReport } from './run';

const RUNS = 5;

export default async function traceImportBench(): Promise<BenchReport> {
  const rows: Record<string, string>[] = [];
  let worst = 0;
  for (const c of hostileTraces()) {
    const times: number[] = [];
    let result = 'read';
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      try { parseTrace(c.text); } catch (error) { result = 'refused'; void error; }
      times.push(performance.now() - t0);
    }
    const median = [...times].sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? NaN;
    worst = Math.max(worst, median);
    rows.push({ case: c.name, size: `${(c.text.length / 1024 / 1024).toFixed(2)} MB`, result, median: `${median.toFixed(0)} ms`, 'vs target': `${(median / 1000).toFixed(3)}× of 1 s` });
  }
  return { name: 'hostile trace import', rows, targets: [{ name: 'each hostile trace refused or read ≤ 1 s', ok: worst <= 1000, detail: `slowest median ${worst.toFixed(0)} ms` }] };
}
