/**
 * App benchmark (issue #6), browser mode in headless Chromium against the demo servers:
 * time from navigation to an interactive Resources screen (the first resource's Open button
 * enabled), median of 15 cold page loads; and the initial renderer bundle size (gzip).
 * Targets: interactive < 1 s here; initial bundle ≤ 250 KB gzip.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startCore } from '../src/app/compose';
import { startHost } from '../src/host/server';
import { ensureRenderer } from '../src/start';
import { launchChromium } from '../test/fixtures/chromium';
import type { BenchReport } from './run';

const LOADS = 15;

export default async function appBench(): Promise<BenchReport> {
  const home = await mkdtemp(join(tmpdir(), 'tessera-app-bench-'));
  const staticDir = await ensureRenderer();
  const core = await startCore({ env: { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'bench-passphrase' }, mode: 'browser', demo: { memory: true, ports: { idp: 0, as: 0, rs: 0 } }, opener: async () => {} });
  const host = await startHost({ service: core.service, staticDir });
  const browser = await launchChromium();
  try {
    const times: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(host.launchUrl);
      await page.getByRole('button', { name: /^Open Kate's/ }).first().waitFor({ state: 'visible' });
      times.push(performance.now() - t0);
      await context.close();
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? NaN;
    const assets = join(staticDir, 'assets');
    const html = readFileSync(join(staticDir, 'index.html'), 'utf8');
    const initial = readdirSync(assets).filter((f) => html.includes(`assets/${f}`));
    const gzip = initial.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f))).length, 0);
    const raw = initial.reduce((sum, f) => sum + readFileSync(join(assets, f)).length, 0);
    return {
      name: 'app — browser mode',
      rows: [
        { measure: 'navigation → interactive Resources (median of 15)', value: `${median.toFixed(0)} ms`, 'vs target': `${(median / 1000).toFixed(2)}× of 1 s`, min: `${times[0]?.toFixed(0)} ms`, max: `${times.at(-1)?.toFixed(0)} ms` },
        { measure: 'initial bundle (JS + CSS, gzip)', value: `${(gzip / 1024).toFixed(1)} KB`, 'vs target': `${(gzip / 1024 / 250).toFixed(2)}× of 250 KB`, min: `${(raw / 1024).toFixed(1)} KB raw`, max: initial.join(', ') },
      ],
      targets: [
        { name: 'interactive Resources screen < 1 s', ok: median < 1000, detail: `median ${median.toFixed(0)} ms over ${LOADS} cold loads` },
        { name: 'initial bundle ≤ 250 KB gzip', ok: gzip <= 250 * 1024, detail: `${(gzip / 1024).toFixed(1)} KB gzip (${(raw / 1024).toFixed(1)} KB raw)` },
      ],
    };
  } finally {
    await browser.close();
    await host.close();
    await core.close();
    await rm(home, { recursive: true, force: true });
  }
}
