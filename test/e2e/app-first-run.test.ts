/**
 * The default start of a person without an OS keyring, end to end in browser mode (headless
 * Chromium, the demo servers, no TESSERA_PASSPHRASE, the keyring backend off): the page asks to
 * create a passphrase; Dr. Alice signs in, opens Kate's prescriptions, leaves a care-notes request
 * pending and chooses the dark theme; Tessera restarts (a new origin), the page asks to unlock — a
 * wrong passphrase is answered clearly and can be retried — and after the unlock her identity, the
 * RPT, the history, the theme and the pending request are there, and Kate's approval arrives by itself.
 * Screenshots: the create screen at 1280×800 (docs/first-run.png for the README, with
 * TESSERA_UPDATE_DOCS=1) and the unlock screen at 800×600, light and dark (test-artifacts/app/).
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
const PASS = 'maple orbit canyon velvet';

beforeAll(async () => {
  demoDir = await mkdtemp(join(tmpdir(), 'tessera-first-run-demo-'));
  const ports = { idp: await freePort(), as: await freePort(), rs: await freePort() };
  app = await startAppInBrowser({ name: 'first-run', noKeyringNoPassphrase: true, demo: { memory: false, dataDir: demoDir, ports }, sharedSystemBrowser: true, context: { viewport: { width: 1280, height: 800 } } });
  page = app.page;
});
afterAll(async () => {
  await app?.close();
  await rm(demoDir, { recursive: true, force: true });
});

const RX = "Kate's prescriptions";
const toasts = () => page.locator('.toasts');

describe('first run without a keyring, and a restart', () => {
  it('asks to create a passphrase (not a silent memory-only start); the vault is created from the page', async () => {
    await page.getByRole('heading', { name: 'Protect what Tessera keeps' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('navigation', { name: 'Screens' }).count()).toBe(0);
    await page.getByLabel('New passphrase').fill(PASS);
    await page.getByLabel('Repeat the passphrase').fill(PASS);
    await page.getByText('Strong.').waitFor();
    // The README's screenshot: refreshed with TESSERA_UPDATE_DOCS=1 (a test run leaves tracked files alone).
    await page.screenshot({ path: process.env.TESSERA_UPDATE_DOCS === '1' ? 'docs/first-run.png' : 'test-artifacts/app/first-run.png' });
    await app.axe('first-run-create');
    await page.getByRole('button', { name: 'Create the vault' }).click();
    await page.getByRole('heading', { name: RX }).waitFor({ timeout: 30_000 });
    expect((await app.core.service.getState()).vault.backend).toBe('passphrase');
    // The passphrase went to the core once and is not in anything it sends back.
    expect(JSON.stringify(await app.core.service.getState())).not.toContain(PASS);
    expect(await page.locator('[aria-label="Storage"]').count()).toBe(0);
  });

  it('Alice signs in, opens the prescriptions (an RPT), leaves care notes pending, chooses the dark theme', async () => {
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Dr\. Alice Moreau/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Resources', exact: true }).click();
    await page.getByRole('button', { name: `Open ${RX}` }).click();
    await app.card(RX).getByText('Granted').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: "Open Kate's care notes" }).click();
    await app.card("Kate's care notes").getByText('Waiting for the owner').first().waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await app.core.service.getState()).flows.some((f) => f.outcome === 'pending' && f.pending?.watching)).toBe(true);
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark');
  });

  it('after a restart: the unlock screen (dark already); a wrong passphrase is said clearly; the right one brings everything back', async () => {
    const before = await app.core.service.getState();
    const rpt = before.tokens.find((t) => t.kind === 'rpt');
    expect(rpt).toBeDefined();
    await app.restart();
    await page.getByRole('heading', { name: 'Unlock Tessera' }).waitFor({ timeout: 30_000 });
    // Preferences live without the vault: the theme is there before the unlock.
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.setViewportSize({ width: 800, height: 600 });
    await page.screenshot({ path: `test-artifacts/app/unlock-800-dark.png` });
    await app.axe('unlock-dark');
    await page.getByLabel('Theme').selectOption('light');
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('light');
    await page.screenshot({ path: `test-artifacts/app/unlock-800-light.png` });
    await app.axe('unlock-light');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.getByLabel('Theme').selectOption('dark');
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByLabel('Passphrase').fill('not the passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: 'That passphrase does not open your vault' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Passphrase').fill(PASS);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: RX }).waitFor({ timeout: 30_000 });

    const after = await app.core.service.getState();
    expect(after.actingAs.label).toBe('Dr. Alice Moreau');
    await expect(page.getByText(/Acting as/).first().innerText()).resolves.toBeTruthy();
    expect(after.tokens.find((t) => t.kind === 'rpt')?.fingerprint).toBe(rpt?.fingerprint);
    expect(after.flows.some((f) => f.url.endsWith('/prescriptions') && f.outcome === 'granted')).toBe(true);
    expect(after.theme).toBe('dark');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(after.flows.some((f) => f.outcome === 'pending' && f.pending?.watching)).toBe(true);
    await app.card(RX).getByText('Granted').waitFor({ timeout: 10_000 });
    await app.shot('first-run-after-unlock');
    await app.axe('first-run-after-unlock');

    // One status line on Tokens (no second banner), and how the vault is protected, in words.
    await page.getByRole('button', { name: 'Tokens' }).click();
    await page.getByText('What Tessera keeps is encrypted on this computer with your passphrase').click();
    await page.getByLabel('Current passphrase').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await app.axe('first-run-tokens');

    // The pending request still resolves by itself.
    await kateApproves(app);
    await toasts().getByText("The owner approved your request for Kate's care notes.").waitFor({ timeout: 30_000 });
  });
});
