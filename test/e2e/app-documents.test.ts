/**
 * Documents drawn for real, end to end in browser mode (headless Chromium, the demo servers) and
 * under the page's own strict CSP (this context does not bypass it): Dr. Alice opens Kate's discharge
 * letter, and pdf.js draws its first page on a canvas — checked by its pixels, not by an element
 * existing — with no CSP violation on the way. Screenshot in test-artifacts/app/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canvasInk, signInAs, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';

let app: AppInBrowser;
const violations: string[] = [];
beforeAll(async () => {
  app = await startAppInBrowser({ name: 'documents', context: { bypassCSP: false, viewport: { width: 1280, height: 800 } } });
  app.page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
});
afterAll(async () => { await app?.close(); });

describe('documents', () => {
  it("the discharge letter's first page is drawn inline by pdf.js under the strict CSP", async () => {
    const { page } = app;
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    // Signed in: the first step (sign in at Hospital ID) is gone from Resources.
    await page.getByRole('region', { name: /Sign in at Hospital ID/ }).waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByRole('button', { name: "Open Kate's discharge letter (PDF)" }).click();
    const letter = app.card("Kate's discharge letter (PDF)");
    await letter.getByText('Granted').waitFor({ timeout: 30_000 });
    await letter.locator('canvas[data-state="drawn"]').waitFor({ timeout: 30_000 });
    const canvas = letter.getByRole('img', { name: /Kate's discharge letter \(PDF\), page 1/ });
    const ink = await canvasInk(canvas);
    expect(ink.width).toBeGreaterThan(300);
    expect(ink.dark, JSON.stringify(ink)).toBeGreaterThan(500);
    expect(ink.light, JSON.stringify(ink)).toBeGreaterThan(ink.dark);
    await letter.scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-artifacts/app/documents-01-discharge-letter.png' });
    expect(violations).toEqual([]);
  });
});
