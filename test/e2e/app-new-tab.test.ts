/**
 * Browser mode behaves like an app, end to end (headless Chromium, the demo servers): Tessera runs on
 * a home (host.json with its control secret); a second start on that home (`openRunning`, what
 * `npm start` does first) finds it and opens a second tab on a fresh single-use address, and that tab
 * works beside the first; "Open in a new tab" in the page does the same; a used address stays dead;
 * with Tessera stopped, a second start finds nothing and starts normally.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/app/compose';
import { startHostOnLastPort } from '../../src/host/last-port';
import type { HostHandle } from '../../src/host/server';
import { ensureRenderer, openRunning } from '../../src/start';
import { launchChromium } from '../fixtures/chromium';

let home: string;
let browser: Browser;
let context: BrowserContext;
let core: Core;
let host: HostHandle;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tessera-new-tab-e2e-'));
  const staticDir = await ensureRenderer();
  core = await startCore({ env: { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'new-tab-e2e-passphrase' }, mode: 'browser', opener: async () => {}, demo: { memory: true, ports: { idp: 0, as: 0, rs: 0 } } });
  host = await startHostOnLastPort({ service: core.service, staticDir, home });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
});
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await host?.close();
  await core?.close();
  await rm(home, { recursive: true, force: true });
});

/** The tab talks to Tessera: the demo's records are listed and another screen loads its state. */
async function works(page: Page): Promise<void> {
  // Tessera reopens on the last screen shown (preferences.json), which another tab may have changed.
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Resources' }).click({ timeout: 20_000 });
  await page.getByRole('button', { name: "Open Kate's prescriptions" }).waitFor({ timeout: 20_000 });
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Connections' }).click();
  await page.getByText("Kate's AS (demo)").first().waitFor();
  expect(await page.getByText('This page has no Tessera session').count()).toBe(0);
}

describe('a second start opens a second working tab', () => {
  it('host.json holds the port and a control secret, readable by the owner only', async () => {
    const file = JSON.parse(await readFile(join(home, 'host.json'), 'utf8')) as { port: number; control?: string };
    expect(file.port).toBe(Number(new URL(host.origin).port));
    expect(file.control).toMatch(/^[\w-]{40,}$/);
    expect((await stat(join(home, 'host.json'))).mode & 0o077).toBe(0);
  });

  it('first tab, then a second start: a new tab on a fresh address; both work; the used address stays dead', async () => {
    const first = await context.newPage();
    await first.goto(host.launchUrl);
    await works(first);

    const opened: string[] = [];
    let second: Page | undefined;
    expect(await openRunning({ TESSERA_HOME: home }, true, async (url) => { opened.push(url); second = await context.newPage(); await second.goto(url); })).toBe(true);
    expect(opened).toHaveLength(1);
    expect(opened[0]).not.toBe(host.launchUrl);
    expect(opened[0]?.startsWith(`${host.origin}/#k=`)).toBe(true);
    if (!second) throw new Error('no second tab');
    await works(second);
    // The first tab still works (its own session).
    await first.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Resources' }).click();
    await works(first);
    await second.screenshot({ path: 'test-artifacts/app/new-tab-01-second-start.png' });

    // Each address opens one session, once.
    const again = await context.newPage();
    await again.goto(opened[0] ?? '');
    await again.getByText(/no Tessera session|already used/).first().waitFor({ timeout: 20_000 });
    await again.close();

    // "Open in a new tab" in the page.
    const [third] = await Promise.all([context.waitForEvent('page'), first.getByRole('button', { name: 'Open in a new tab' }).click()]);
    await third.waitForLoadState();
    await works(third);
  });

  it('a wrong control secret gets nothing; with Tessera stopped a second start finds nothing', async () => {
    const port = new URL(host.origin).port;
    const denied = await fetch(`${host.origin}/api/launch`, { method: 'POST', headers: { Authorization: `Bearer ${'x'.repeat(43)}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(401);
    await host.close();
    expect(await openRunning({ TESSERA_HOME: home }, true, async () => { throw new Error('must not open'); })).toBe(false);
    expect(port).toBeTruthy();
  });
});
