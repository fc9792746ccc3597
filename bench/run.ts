/**
 * `npm run bench`: runs every `bench/*.bench.ts` module, prints one table per module and writes all
 * results to bench/results/latest.json. Each module default-exports an async function returning a
 * {@link BenchReport}. Figures on this noisy 2-core machine are compared as ratios within one run.
 *
 * Usage: npm run bench [-- name-filter]
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchTarget {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BenchReport {
  name: string;
  rows: Record<string, string | number>[];
  targets: BenchTarget[];
}

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort();
const reports: BenchReport[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<BenchReport> };
  process.stdout.write(`\n## ${file}\n`);
  const report = await mod.default();
  reports.push(report);
  console.table(report.rows);
  for (const t of report.targets) process.stdout.write(`${t.ok ? 'PASS' : 'MISS'}  ${t.name}: ${t.detail}\n`);
}
await mkdir(join(here, 'results'), { recursive: true });
const out = join(here, 'results', 'latest.json');
await writeFile(out, JSON.stringify({ at: new Date().toISOString(), node: process.version, reports }, null, 2));
process.stdout.write(`\nwrote ${out}\n`);
