/**
 * The app in browser mode (headless Chromium) against a hostile resource server (issue 12 items 3
 * and 4). The RS is a real HTTP server on 127.0.0.1 protected by UMA: it answers 401 with a ticket at
 * the purpose-built fixture AS, Tessera registers dynamically, gets an RPT and fetches the record,
 * and the record is hostile (nulls where entries belong, JSON nested 20,000 deep, 200,000-character
 * unbroken strings…). For every record: the card opens, the app still navigates, the page never gets
 * wider than the window (also with the raw JSON open, also on the Flow screen). Screenshots go to
 * test-artifacts/app/. And the launch URL is dead once the page has loaded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/app/compose';
import { startHost, type HostHandle } from '../../src/host/server';
import { ensureRenderer } from '../../src/start';
import { launchChromium } from '../fixtures/chromium';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';
import { HOSTILE_BODIES } from '../fixtures/hostile-records';

const ARTIFACTS = 'test-artifacts/app';
const WIDTH = 1280;
const entries = Object.entries(HOSTILE_BODIES);
const slug = (i: number) => `h${String(i).padStart(2, '0')}`;

let browser: Browser;
let core: Core;
let host: HostHandle;
let page: Page;
let home: string;
let fixture: Fixture;
let rs: Server;
let rsOrigin: string;
const rsHits = { challenged: 0, served: 0 };
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  home = await mkdtemp(join(tmpdir(), 'tessera-hostile-e2e-'));
  fixture = await startFixture({ flavor: 'spec' });
  // The hostile RS: UMA-protected by the fixture AS (tickets registered there, RPTs checked there).
  rs = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://rs').pathname.slice(1);
    const body = HOSTILE_BODIES[entries[Number(name.slice(1))]?.[0] ?? ''];
    if (body === undefined) { res.writeHead(404).end(); return; }
    const rpt = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (rpt && fixture.state.rpts.get(rpt)?.resources.has(name)) {
      rsHits.served++;
      res.writeHead(200, { 'Content-Type': body.startsWith('{') || body.startsWith('[') || body === 'null' || body === '42' ? 'application/json' : 'text/plain' }).end(body);
      return;
    }
    rsHits.challenged++;
    const ticket = `tk-${name}-${Math.random().toString(36).slice(2)}`;
    fixture.state.tickets.set(ticket, { resources: [name], expires: Date.now() + 600_000, used: false, polls: 0 });
    res.writeHead(401, { 'WWW-Authenticate': `UMA realm="hostile", as_uri="${fixture.asUri}", ticket="${ticket}"` }).end();
  });
  await new Promise<void>((resolve) => rs.listen(0, '127.0.0.1', () => resolve()));
  rsOrigin = `http://127.0.0.1:${(rs.address() as AddressInfo).port}`;

  browser = await launchChromium();
  const staticDir = await ensureRenderer();
  core = await startCore({
    env: { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'hostile-e2e-passphrase' }, mode: 'browser', demo: false,
    opener: async (url) => { throw new Error(`nothing should open a browser here (${url})`); },
  });
  await core.service.call('trustAs', { issuer: fixture.asUri });
  for (const [i, [name]] of entries.entries()) await core.service.call('addResource', { url: `${rsOrigin}/${slug(i)}`, title: `Hostile ${i}: ${name}` });
  host = await startHost({ service: core.service, staticDir });
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(host.launchUrl);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await host?.close();
  await core?.close();
  await new Promise((r) => rs?.close(r));
  await fixture?.close();
  await rm(home, { recursive: true, force: true });
});

const scrollWidth = () => page.evaluate<number>('Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)');
const tab = (name: string) => page.locator('nav').getByRole('button', { name: new RegExp(`^${name}`) });
const card = (i: number) => page.locator('li.card.resource', { has: page.getByRole('heading', { name: `Hostile ${i}:`, exact: false }) });

describe('Tessera in browser mode against a hostile RS', () => {
  it('the launch URL is single-use: after the page loaded it opens nothing, its secret is refused', async () => {
    await page.getByRole('heading', { name: 'Resources' }).waitFor();
    await page.getByRole('heading', { name: /^Hostile 0:/ }).waitFor();
    expect(page.url()).not.toContain('#k=');
    expect(host.launched).toBe(true);
    const secret = new URL(host.launchUrl).hash.slice(3);
    const direct = await fetch(`${host.origin}/api/call`, { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'trustAs', input: { issuer: 'https://evil.example' } }) });
    expect(direct.status).toBe(401);
    // Another local user who read the URL from the opener's command line, in their own browser:
    const thief = await (await browser.newContext()).newPage();
    await thief.goto(host.launchUrl);
    await thief.getByText('This page has no Tessera session.').waitFor();
    expect(await thief.locator('li.card.resource').count()).toBe(0);
    await thief.screenshot({ path: `${ARTIFACTS}/hostile-00-stolen-launch-url.png` });
    await thief.context().close();
    // The page that did load keeps working, also after a reload (the session is in its tab).
    await page.reload();
    await page.getByRole('heading', { name: /^Hostile 0:/ }).waitFor();
    expect((await core.service.getState()).trusted.map((t) => t.issuer)).not.toContain('https://evil.example');
  });

  it(`opens ${entries.length} hostile records: no crash, the app navigates, the page never gets wider than the window`, async () => {
    const figures: { name: string; granted: boolean; caught: number; widths: number[] }[] = [];
    for (const [i, [name]] of entries.entries()) {
      await tab('Resources').click();
      const c = card(i);
      await c.getByRole('button', { name: 'Open', exact: false }).first().click();
      try {
        await c.getByText('Granted').waitFor({ timeout: 30_000 });
      } catch (error) {
        const flow = (await core.service.getState()).flows.find((f) => f.url.endsWith(`/${slug(i)}`));
        throw new Error(`${name}: card says ${JSON.stringify((await c.innerText()).slice(0, 500))}; flow ${JSON.stringify({ ...flow, body: flow?.body?.length, steps: flow?.steps.length })}`, { cause: error });
      }
      const widths = [await scrollWidth()];
      const raw = c.locator('details.raw-json summary');
      if (await raw.count()) { await raw.click(); widths.push(await scrollWidth()); }
      await c.screenshot({ path: `${ARTIFACTS}/hostile-${slug(i)}-card.png` });
      let caught = await page.locator('.boundary-error').count();
      // The Flow screen with this exchange selected (the response body is shown there too).
      await c.getByRole('button', { name: 'Timeline' }).click();
      await page.getByRole('heading', { name: 'Flow', exact: true }).or(page.locator('main .boundary-error')).first().waitFor();
      const resourceArrow = page.locator('.timeline .seq-msg[data-kind="request"]').last();
      if (await resourceArrow.count()) await resourceArrow.click();
      widths.push(await scrollWidth());
      caught += await page.locator('.boundary-error').count();
      if (i % 6 === 0 || caught > 0) await page.screenshot({ path: `${ARTIFACTS}/hostile-${slug(i)}-flow.png` });
      // Still navigates.
      await tab('Tokens').click();
      await page.getByRole('heading', { name: 'Tokens' }).first().waitFor();
      figures.push({ name, granted: true, caught, widths });
    }
    await tab('Resources').click();
    await page.screenshot({ path: `${ARTIFACTS}/hostile-99-resources-all.png`, fullPage: true });
    const viewport = await page.evaluate<number>('window.innerWidth');
    const maxWidth = Math.max(...figures.flatMap((f) => f.widths));
    const summary = { records: figures.length, granted: figures.filter((f) => f.granted).length, pageErrors: pageErrors.length, boundaryCaught: figures.filter((f) => f.caught > 0).map((f) => f.name), viewport, maxScrollWidth: maxWidth, rs: rsHits };
    writeFileSync(`${ARTIFACTS}/hostile-rs-figures.json`, `${JSON.stringify({ summary, figures }, null, 2)}\n`);
    console.log(`hostile RS UI run: ${JSON.stringify(summary)}`);
    expect(pageErrors).toEqual([]);
    expect(figures.every((f) => f.widths.every((w) => w <= viewport)), JSON.stringify(figures.map((f) => [f.name, f.widths]))).toBe(true);
    expect(rsHits.served).toBe(entries.length);
  }, 600_000);
});
