/**
 * The probe's HTML report in Chromium with every network request intercepted: it loads nothing
 * (no request but the report itself), passes axe-core with no serious or critical violation, and
 * shows each check's verdict and sequence diagram. The JUnit XML parses (DOMParser) and its counts
 * match the report. Screenshots go to test-artifacts/probe/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { runProbe } from '../../src/probe/runner';
import { renderProbeHtml } from '../../src/probe/report-html';
import { renderJunit } from '../../src/probe/junit';
import { STATUSES } from '../../src/probe/grading';
import type { ProbeReport } from '../../src/probe/types';
import { launchChromium } from '../fixtures/chromium';
import { FIXTURE_ID_TOKEN_FORMAT, fakeIdToken, startFixture } from '../fixtures/uma-fixture';

const ARTIFACTS = 'test-artifacts/probe';
const REPORT_URL = 'http://report.probe.test/report.html';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;
let context: BrowserContext;
let page: Page;
let report: ProbeReport;
let html: string;
const requests: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const fx = await startFixture({ flavor: 'keycloak', policies: { docs: 'claims' } });
  try {
    report = await runProbe({
      resource: fx.rs('/r/docs'),
      trust: { authorizationServers: [{ issuer: fx.asUri }] },
      client: { client_id: 'tessera', client_secret: 'fixture-secret-123', auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: fakeIdToken({ email: 'alice@example.org' }), claim_token_format: FIXTURE_ID_TOKEN_FORMAT }],
    });
  } finally {
    await fx.close();
  }
  html = renderProbeHtml(report);
  writeFileSync(`${ARTIFACTS}/report.html`, html);
  writeFileSync(`${ARTIFACTS}/report.xml`, renderJunit(report));
  browser = await launchChromium();
  // bypassCSP only so axe-core can be injected; the report's own CSP forbids every fetch.
  context = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    requests.push(url);
    if (url === REPORT_URL) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  await page.goto(REPORT_URL);
});
afterAll(async () => {
  await browser?.close();
});

describe('probe HTML report', () => {
  it('opens without any network request besides itself', async () => {
    await page.waitForLoadState('load');
    await page.screenshot({ path: `${ARTIFACTS}/report-top.png` });
    // Open every exchange so anything lazily referenced would be requested too.
    await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ setAttribute(n: string, v: string): void }> } }).document;
      for (const d of doc.querySelectorAll('details')) d.setAttribute('open', '');
    });
    await page.waitForTimeout(200);
    expect(requests).toEqual([REPORT_URL]);
    expect(html).toContain("default-src 'none'");
  });

  it('shows the summary, every check with its verdict, spec link and diagram', async () => {
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(report.as.issuer ?? '');
    expect(await page.locator('article.check').count()).toBe(report.checks.length);
    for (const status of STATUSES) {
      expect(await page.locator(`article.check .badge.${status}`).count()).toBe(report.summary[status]);
    }
    const grant = page.locator('#check-discovery\\.grant-type');
    await expect(grant.locator('.badge').textContent()).resolves.toContain('Deviation');
    await expect(grant.getByRole('link', { name: 'Spec' }).getAttribute('href')).resolves.toBe('https://www.rfc-editor.org/rfc/rfc8414#section-2');
    const withSteps = report.checks.filter((c) => c.steps.length > 0).length;
    expect(await page.locator('article.check svg[role="img"]').count()).toBe(withSteps);
    // Tokens appear only as fingerprints.
    const text = await page.locator('body').innerText();
    expect(text).toMatch(/fp:[\w-]{10}/);
    expect(text).not.toContain('fixture-secret-123');
  });

  it('passes axe-core (no serious or critical violations)', async () => {
    await page.addScriptTag({ content: axeSource });
    const violations = await page.evaluate(async () => {
      const r = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, count: v.nodes.length }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, JSON.stringify(serious)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/report.png`, fullPage: true });
    await page.locator('#check-grant\\.no-claims').screenshot({ path: `${ARTIFACTS}/check-grant-no-claims.png` });
  });

  it('the JUnit XML parses and its counts match', async () => {
    const xml = renderJunit(report);
    const counts = await page.evaluate((text) => {
      interface El { getAttribute(n: string): string | null; textContent: string | null }
      interface Doc { querySelector(s: string): El | null; getElementsByTagName(n: string): ArrayLike<El> & Iterable<El> }
      const Parser = (globalThis as unknown as { DOMParser: new () => { parseFromString(t: string, type: string): Doc } }).DOMParser;
      const doc = new Parser().parseFromString(text, 'application/xml');
      const suite = doc.querySelector('testsuite');
      return {
        error: doc.getElementsByTagName('parsererror').length,
        tests: Number(suite?.getAttribute('tests')),
        failures: Number(suite?.getAttribute('failures')),
        skipped: Number(suite?.getAttribute('skipped')),
        cases: doc.getElementsByTagName('testcase').length,
        failureElements: doc.getElementsByTagName('failure').length,
        skippedElements: doc.getElementsByTagName('skipped').length,
        deviationNotes: [...doc.getElementsByTagName('system-out')].filter((e) => e.textContent?.startsWith('deviation: ')).length,
      };
    }, xml);
    // fail and unsafe are the failures (src/probe/grading.ts).
    const failures = report.summary.fail + report.summary.unsafe;
    expect(counts).toEqual({ error: 0, tests: report.checks.length, failures, skipped: report.summary.skip, cases: report.checks.length, failureElements: failures, skippedElements: report.summary.skip, deviationNotes: report.summary.deviation });
  });
});
