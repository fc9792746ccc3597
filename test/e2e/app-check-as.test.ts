/**
 * "Check this AS" end to end in browser mode (headless Chromium, the demo servers): Dr. Alice signs
 * in, Connections → Check this AS on Kate's AS (demo) → the checks finish one by one on screen →
 * the report has no failed check → Export downloads the self-contained HTML report. axe-core on the
 * report view (with an exchange opened as a diagram); screenshots in test-artifacts/app/.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAs, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';

let app: AppInBrowser;
beforeAll(async () => {
  app = await startAppInBrowser({ name: 'check-as' });
});
afterAll(async () => { await app?.close(); });

describe('Check this AS in the app', () => {
  it("runs the checks on Kate's AS as Dr. Alice with live progress; the report has no failed check; Export saves the HTML report", async () => {
    const { page } = app;
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Dr\. Alice Moreau/).waitFor({ timeout: 30_000 });

    const card = page.locator('li.card', { hasText: "Kate's AS (demo)" });
    await card.getByRole('button', { name: 'Check this AS' }).click();
    const panel = page.locator('section.check-as');
    await panel.getByText('Tessera sends nothing to an authorization server you do not trust.').waitFor();
    await panel.getByText('Dr. Alice Moreau').waitFor();
    await panel.getByRole('radio', { name: /Kate's prescriptions/ }).check();
    await app.shot('check-as-01-start');

    // Every text the progress status shows, as the page renders it (the run takes about a second).
    await page.evaluate(() => {
      const w = globalThis as unknown as { __progress: string[]; document: { body: object; querySelector(s: string): { textContent: string | null } | null }; MutationObserver: new (cb: () => void) => { observe(n: object, o: object): void } };
      w.__progress = [];
      new w.MutationObserver(() => {
        const text = w.document.querySelector('.check-progress [role="status"]')?.textContent;
        if (text && w.__progress.at(-1) !== text) w.__progress.push(text);
      }).observe(w.document.body, { subtree: true, childList: true, characterData: true });
    });
    await panel.getByRole('button', { name: 'Run the checks' }).click();
    const report = panel.getByLabel('Check report');
    await report.waitFor({ timeout: 60_000 });
    const progress = await page.evaluate(() => (globalThis as unknown as { __progress: string[] }).__progress);
    const counts = progress.flatMap((t) => { const m = /^(\d+) of (\d+) checks done$/.exec(t); return m ? [[Number(m[1]), Number(m[2])] as const] : []; });
    expect(counts.length, JSON.stringify(progress)).toBeGreaterThan(1);
    expect(counts.some(([done, total]) => done > 0 && done < total)).toBe(true);
    for (let i = 1; i < counts.length; i++) expect(counts[i]?.[0]).toBeGreaterThanOrEqual(counts[i - 1]?.[0] ?? 0);

    const summary = await report.locator('.check-summary li').allInnerTexts();
    expect(summary.map((s) => s.replace(/\s+/g, ' '))).toContain('0 failed');
    await report.getByText('No check failed: a UMA client can work with this server.').waitFor();
    const items = report.locator('li.check-item');
    expect(await items.count()).toBeGreaterThan(20);
    expect(await report.locator('li.check-item.check-fail').count()).toBe(0);
    await report.getByText('Nothing: everything the checks created was cleaned up.').waitFor();

    // One check's exchange as the sequence diagram, an arrow opened.
    const garbage = items.filter({ hasText: 'An unknown ticket gets invalid_grant' });
    await garbage.getByText(/The exchange \(/).click();
    await garbage.locator('.seq-msg[data-kind="request"]').first().click();
    await garbage.locator('.step-detail').waitFor();
    expect(await garbage.locator('.step-detail').innerText()).toMatch(/fp:/);
    await app.shot('check-as-02-report');
    await app.axe('check-as report');

    const [download] = await Promise.all([page.waitForEvent('download'), report.getByRole('button', { name: 'Export report (HTML)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^tessera-check-127\.0\.0\.1-\d+-.+\.html$/);
    const html = readFileSync(await download.path(), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|<link|\ssrc=|url\(/i);
    expect(html).toContain('id="check-token.ticket-garbage"');
    expect(html).not.toContain('tessera-demo-secret');
  });
});
