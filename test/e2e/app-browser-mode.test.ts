/**
 * The app end to end in browser mode (the same renderer as the Electron window), in headless
 * Chromium against the demo servers: Dr. Alice signs in at Hospital ID (the opener hook drives a
 * second page), opens Kate's prescription (granted), opens the care notes (pending), Kate approves in
 * her dashboard, the care notes open; Mallory is refused with a clear message. Screenshots of each
 * screen go to test-artifacts/app/; axe-core finds no serious or critical violations.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/app/compose';
import { ensureRenderer } from '../../src/start';
import { canvasInk, kateApproves, openBloodTestAcceptingTerms, signInAs, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';
let app: AppInBrowser;
let core: Core;
let page: Page;
let home: string;

beforeAll(async () => {
  app = await startAppInBrowser({ name: 'app' });
  ({ core, page, home } = app);
});
afterAll(async () => { await app?.close(); });

const axe = (_p: Page, name: string) => app.axe(name);
const shot = (name: string) => app.shot(name);
const card = (title: string) => app.card(title);
const listFiles = (dir: string): string[] => readdirSync(dir).flatMap((n) => { const p = join(dir, n); return statSync(p).isDirectory() ? listFiles(p) : [p]; });

describe('Tessera in browser mode', () => {
  it('shows Kate\'s records on the Resources screen, the launch secret gone from the address bar', async () => {
    await page.getByRole('heading', { name: "Kate's prescriptions" }).waitFor();
    expect(page.url()).not.toContain('#k=');
    expect(await page.locator('li.card.resource').count()).toBe(5);
    await shot('01-resources');
    await axe(page, 'resources');
  });

  it('serves React\'s production build, even when the UI was built from inside the tests (NODE_ENV=test)', async () => {
    const dir = join(await ensureRenderer(), 'assets');
    const bundles = readdirSync(dir).filter((n) => n.endsWith('.js'));
    expect(bundles.length).toBeGreaterThan(0);
    // React's development build greets the console with this line; the production build has no such text.
    for (const n of bundles) expect(readFileSync(join(dir, n), 'utf8').includes('Download the React DevTools'), n).toBe(false);
  });

  it('Dr. Alice signs in at Hospital ID from Connections (system browser = a second Chromium page)', async () => {
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Dr\. Alice Moreau/).waitFor({ timeout: 30_000 });
    await shot('02-connections');
    await axe(page, 'connections');
  });

  it("opens Kate's prescription: granted and rendered as a prescription, raw JSON a click away", async () => {
    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's prescriptions" }).click();
    const rx = card("Kate's prescriptions");
    await rx.getByText('Granted').waitFor({ timeout: 30_000 });
    await rx.getByRole('article', { name: 'Prescription Atorvastatin' }).waitFor();
    await rx.getByText('Raw JSON').click();
    await shot('03-prescription');
  });

  it("opens Kate's discharge letter (a PDF): its first page is drawn inline (pixels, by pdf.js under the page's CSP), and Save as… gives the RS's bytes exactly", async () => {
    await page.getByRole('button', { name: "Open Kate's discharge letter (PDF)" }).click();
    const letter = card("Kate's discharge letter (PDF)");
    await letter.getByText('Granted').waitFor({ timeout: 30_000 });
    // Drawn, not only present: the canvas holds dark pixels (text) on the white page.
    const canvas = letter.getByRole('img', { name: /Kate's discharge letter \(PDF\), page 1/ });
    await letter.locator('canvas[data-state="drawn"]').waitFor({ timeout: 30_000 });
    const ink = await canvasInk(canvas);
    expect(ink.width).toBeGreaterThan(300);
    expect(ink.dark, JSON.stringify(ink)).toBeGreaterThan(500);
    expect(ink.light, JSON.stringify(ink)).toBeGreaterThan(ink.dark);
    expect(await letter.getByText(/PDF document, /).count()).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), letter.getByRole('link', { name: 'Save as…' }).click()]);
    const saved = readFileSync(await download.path());
    const { dischargeLetterPdf } = await import('../../src/demo/rs/documents');
    expect(Buffer.compare(saved, Buffer.from(dischargeLetterPdf()))).toBe(0);
    await shot('03b-discharge-letter');
  });

  it('shows the flow as a timeline; a step opens with tokens redacted', async () => {
    await card("Kate's prescriptions").getByRole('button', { name: 'Timeline' }).click();
    const arrows = page.locator('.timeline .seq-msg[data-kind="request"]');
    expect(await arrows.count()).toBeGreaterThanOrEqual(3);
    await arrows.nth(0).click();
    await page.getByText('Challenge:').waitFor();
    const detail = await page.locator('.step-detail').innerText();
    expect(detail).toMatch(/fp:/);
    await shot('04-flow');
    await axe(page, 'flow');
  });

  it("blood-test report: the AS asks for the lab's terms; its page opens in the browser; the timeline shows the browser leg", async () => {
    const lab = await openBloodTestAcceptingTerms(app);
    await lab.getByRole('cell', { name: 'LDL cholesterol' }).waitFor();
    await lab.getByRole('button', { name: 'Timeline' }).click();
    await page.locator('.timeline .seq-msg.return.tone-ok', { hasText: 'redirect back with a new ticket' }).first().waitFor();
    await shot('05a-blood-test-timeline');
  });

  it('care notes: pending, Kate approves in her dashboard, then they open', async () => {
    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's care notes" }).click();
    await card("Kate's care notes").getByText('Waiting for the owner').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: /^Requests/ }).click();
    await page.getByText('The owner has to approve your request').waitFor();
    await shot('05-requests');
    await axe(page, 'requests');
    await kateApproves(app);
    // No click in Tessera: the core keeps asking the AS and the record arrives by itself.
    await page.getByRole('button', { name: 'Resources' }).click();
    await card("Kate's care notes").getByText('Granted').waitFor({ timeout: 30_000 });
    await card("Kate's care notes").getByRole('paragraph').filter({ hasText: 'Blood pressure 132/84' }).waitFor();
    await shot('06-care-notes');
  });

  it('Tokens and Export show metadata only', async () => {
    await page.getByRole('button', { name: 'Tokens' }).click();
    await page.getByText('Requesting party tokens').waitFor();
    expect(await page.locator('main').innerText()).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    await shot('07-tokens');
    await axe(page, 'tokens');
    // The one deliberate way out: reveal, after a confirmation.
    await page.getByRole('button', { name: 'Reveal…' }).first().click();
    await page.getByRole('button', { name: 'Show the token' }).click();
    const raw = await page.getByLabel('Raw token').inputValue();
    expect(raw.length).toBeGreaterThan(20);
    await page.getByRole('button', { name: 'Hide' }).click();
    expect(await page.locator('main').innerText()).not.toContain(raw);
    // The vault never writes it in the clear: scan everything under TESSERA_HOME.
    for (const file of listFiles(home)) expect(readFileSync(file).includes(raw), file).toBe(false);
    await page.getByRole('button', { name: 'Export' }).click();
    await shot('08-export');
    const har = await core.service.call('exportTranscript', { format: 'har' });
    expect(JSON.parse(har.text).log.entries.length).toBeGreaterThan(3);
  });

  it('Mallory is refused with a clear message', async () => {
    const alice = (await core.service.getState()).identities[0]?.key ?? '';
    await core.service.call('signOut', { key: alice });
    app.playBrowser = signInAs('mallory');
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Mallory Quinn/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's hospital bills" }).click();
    const bills = card("Kate's hospital bills");
    await bills.getByText('Refused', { exact: true }).waitFor({ timeout: 30_000 });
    expect(await bills.innerText(), await bills.innerText()).toMatch(/policy does not allow/i);
    await shot('09-mallory-refused');
  });

  it('dark theme is readable too', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await shot('10-dark');
    await axe(page, 'dark');
  });
});
