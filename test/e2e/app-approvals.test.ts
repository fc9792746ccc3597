/**
 * Approvals that arrive by themselves, end to end in browser mode (headless Chromium, the demo
 * servers): Dr. Alice opens Kate's care notes (pending) and goes to the Tokens screen; Kate approves
 * in her dashboard (a second page); without any click in Tessera a toast says so and the record is
 * on the Resources screen. Then a second request is left pending, the theme set to dark, and the app
 * restarted on the same home (a new browser-mode origin): history, theme and the still-pending
 * request are there, and Kate's approval after the restart arrives by itself too.
 *
 * The demo keeps its state on disk on fixed ports here, so that it is the same AS across the restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kateApproves, signInAs, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';
import { freePort } from '../fixtures/ports';

let app: AppInBrowser;
let page: Page;
let demoDir: string;

beforeAll(async () => {
  demoDir = await mkdtemp(join(tmpdir(), 'tessera-approvals-demo-'));
  const ports = { idp: await freePort(), as: await freePort(), rs: await freePort() };
  app = await startAppInBrowser({ name: 'approvals', demo: { memory: false, dataDir: demoDir, ports } });
  page = app.page;
});
afterAll(async () => {
  await app?.close();
  await rm(demoDir, { recursive: true, force: true });
});

const care = () => app.card("Kate's care notes");
const toasts = () => page.locator('.toasts');

/** Opens the care notes and waits until the core watches the pending request. */
async function pendingCareNotes(): Promise<void> {
  await page.getByRole('button', { name: 'Resources' }).click();
  await page.getByRole('button', { name: "Open Kate's care notes" }).click();
  await care().getByText('Waiting for the owner').first().waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: /^Requests/ }).click();
  await page.getByText('Tessera keeps checking by itself').waitFor({ timeout: 10_000 });
  await expect.poll(() => page.getByRole('button', { name: /^Requests/ }).locator('.count').getAttribute('aria-label')).toBe('1 waiting for the owner');
}

describe('approvals arrive by themselves', () => {
  it('Dr. Alice signs in at Hospital ID', async () => {
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Dr\. Alice Moreau/).waitFor({ timeout: 30_000 });
  });

  it('care notes pending; on the Tokens screen, Kate approves → a toast, and the record is on Resources, with no click in Tessera', async () => {
    await pendingCareNotes();
    await app.shot('approvals-01-requests');
    await app.axe('approvals-requests');
    await page.getByRole('button', { name: 'Tokens' }).click();
    await kateApproves(app);
    // Nothing is clicked in Tessera from here until the toast is there.
    await toasts().getByText("The owner approved your request for Kate's care notes.").waitFor({ timeout: 30_000 });
    expect(await toasts().getAttribute('role')).toBe('status');
    await app.shot('approvals-02-toast');
    await app.axe('approvals-toast');
    expect(await page.getByRole('button', { name: /^Requests/ }).locator('.count').count()).toBe(0);
    await toasts().getByRole('button', { name: /Show the record/ }).click();
    await care().getByRole('paragraph').filter({ hasText: 'Blood pressure 132/84' }).waitFor({ timeout: 10_000 });
    expect(await toasts().innerText()).toBe('');
    await app.shot('approvals-03-record');
  });

  it('after a restart (a new origin): history, the dark theme and a still-pending request are there; Kate approves and it arrives', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
    // Kate approves each time: forget the RPT her first approval gave, so the next Open asks her again.
    for (const t of (await app.core.service.getState()).tokens) if (t.kind === 'rpt') await app.core.service.call('forgetToken', { kind: 'rpt', key: t.key });
    await pendingCareNotes();
    const before = new URL(page.url()).origin;

    await app.restart();
    expect(new URL(page.url()).origin).not.toBe(before);
    // The screen the person left (Requests) is where Tessera opens again (preferences.json).
    await page.locator('nav [aria-current="page"]').filter({ hasText: 'Requests' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Resources', exact: true }).click();
    await page.getByRole('heading', { name: "Kate's care notes" }).waitFor({ timeout: 30_000 });
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    // History: the first, granted care-notes flow is still on the timeline with its steps.
    await page.getByRole('button', { name: 'Flow' }).click();
    const state = await app.core.service.getState();
    expect(state.flows.filter((f) => f.url.endsWith('/care-notes') && f.outcome === 'granted').length).toBeGreaterThanOrEqual(1);
    expect(state.flows.some((f) => f.outcome === 'pending' && f.pending?.watching)).toBe(true);
    await page.getByRole('button', { name: /^Requests/ }).click();
    await page.getByText('Tessera keeps checking by itself').waitFor({ timeout: 10_000 });
    await app.shot('approvals-04-after-restart');

    await kateApproves(app);
    await toasts().getByText("The owner approved your request for Kate's care notes.").waitFor({ timeout: 30_000 });
    await toasts().getByRole('button', { name: /Show the record/ }).click();
    await care().getByRole('paragraph').filter({ hasText: 'Blood pressure 132/84' }).waitFor({ timeout: 10_000 });
  });

  it('Clear history asks first, then the timeline is empty', async () => {
    await page.getByRole('button', { name: 'Export' }).click();
    await page.getByRole('button', { name: 'Clear history' }).click();
    await page.getByRole('button', { name: 'Yes, clear history' }).click();
    await expect.poll(async () => (await app.core.service.getState()).flows.length).toBe(0);
    await app.axe('approvals-export');
  });
});
