/**
 * Two people on one Tessera, end to end in browser mode (headless Chromium, the demo servers): Dr.
 * Alice signs in and opens Kate's prescriptions (granted); "Sign in as someone else" makes Hospital ID
 * show its login form although Alice's session there is alive (prompt=login, max_age=0); Mallory is
 * refused; switching back to Alice under "Acting as" uses Alice's RPT again, with no new token request.
 * Then the claims page of the blood-test report: the card says "Continue in your browser", opens the
 * same page again on request, and Cancel ends the flow. The Connections form for an authorization
 * server added by hand is checked with axe and photographed.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/app/api';
import { signInAs, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';

let app: AppInBrowser;
let page: Page;
beforeAll(async () => {
  app = await startAppInBrowser({ name: 'switch', sharedSystemBrowser: true });
  page = app.page;
});
afterAll(async () => { await app?.close(); });

const RX = "Kate's prescriptions";
const idp = () => app.core.demo?.idp.issuer ?? '';
const rxUrl = () => app.core.demo?.rs.resources.find((r) => r.title === RX)?.url ?? '';
async function newestFlow(url: string): Promise<FlowView | undefined> {
  return (await app.core.service.getState()).flows.filter((f) => f.url === url).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
}
async function openRx(): Promise<void> {
  await page.getByRole('button', { name: 'Resources', exact: true }).click();
  await page.getByRole('button', { name: `Open ${RX}` }).click();
}

describe('switching people', () => {
  it("Alice signs in and opens Kate's prescriptions: granted", async () => {
    await page.getByRole('heading', { name: RX }).waitFor();
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Dr\. Alice Moreau/).waitFor({ timeout: 30_000 });
    await openRx();
    await app.card(RX).getByText('Granted').waitFor({ timeout: 30_000 });
    expect((await newestFlow(rxUrl()))?.access).toBe('issued');
  });

  it('"Sign in as someone else": the real Hospital ID login form, although Alice\'s session there is alive; then Mallory is refused', async () => {
    // Alice's session at the provider lives in the system browser's cookies.
    expect((await app.systemBrowser?.cookies(idp()))?.length ?? 0).toBeGreaterThan(0);
    const seen: { loginForm?: boolean; url?: string } = {};
    app.playBrowser = async (p) => {
      seen.url = p.url();
      const form = p.getByLabel('Username');
      await form.or(p.getByText('You are signed in')).first().waitFor();
      seen.loginForm = await form.isVisible();
      if (seen.loginForm) await signInAs('mallory')(p);
    };
    await page.getByRole('button', { name: 'Connections' }).click();
    const again = page.getByRole('button', { name: 'Sign in as someone else' });
    expect(await again.isEnabled()).toBe(true);
    await again.click();
    await page.getByText(/Signed in as Mallory Quinn/).waitFor({ timeout: 30_000 });
    expect(seen.loginForm).toBe(true);
    expect(await page.getByRole('button', { name: 'Sign in as someone else' }).isEnabled()).toBe(true);
    await expect.poll(async () => (await app.core.service.getState()).actingAs.label).toBe('Mallory Quinn');
    await openRx();
    await app.card(RX).getByText('Refused', { exact: true }).waitFor({ timeout: 30_000 });
    const refused = await newestFlow(rxUrl());
    expect(refused?.outcome).toBe('denied');
    expect(refused?.party).toBe(`${idp()}#mallory`);
    expect(refused?.body).toBeUndefined();
  });

  it("back to Alice under Acting as: her RPT is used again, no new token request", async () => {
    await page.getByLabel('Acting as').selectOption({ label: 'Dr. Alice Moreau — Hospital ID (demo)' });
    await expect.poll(async () => (await app.core.service.getState()).actingAs.party).toBe(`${idp()}#alice`);
    await openRx();
    const card = app.card(RX);
    await card.getByText('Used the token you already hold').waitFor({ timeout: 30_000 });
    await card.getByRole('article', { name: 'Prescription Atorvastatin' }).waitFor();
    const held = await newestFlow(rxUrl());
    expect(held).toMatchObject({ outcome: 'granted', access: 'held', party: `${idp()}#alice` });
    expect(held?.steps.filter((s) => s.lane === 'as')).toEqual([]);
    await card.getByRole('button', { name: 'Timeline' }).click();
    const arrows = page.locator('.timeline .seq-msg[data-kind="request"]');
    await arrows.first().waitFor();
    expect(await arrows.count()).toBe(1);
    await app.shot('switch-01-back-to-alice');
  });
});

describe('continue in your browser', () => {
  it('the claims page: the card says so, the page opens again on request, Cancel ends the flow', async () => {
    const pages: string[] = [];
    const before = app.opened.length;
    // The person looks at the lab's terms page and leaves it (closes the tab) without accepting.
    app.playBrowser = async (p) => { await p.getByLabel("I accept the lab's terms").waitFor(); pages.push(p.url()); };
    await page.getByRole('button', { name: 'Resources', exact: true }).click();
    await page.getByRole('button', { name: "Open Kate's blood-test report" }).click();
    const card = app.card("Kate's blood-test report");
    await card.getByText('Continue in your browser.').waitFor({ timeout: 30_000 });
    await app.axe('continue-in-browser');
    await app.shot('switch-02-continue-in-browser');
    // A second Open joins the flow that waits (no second claims page).
    const waiting = await newestFlow(app.core.demo?.rs.resources.find((r) => r.title === "Kate's blood-test report")?.url ?? '');
    await page.getByRole('button', { name: "Open Kate's blood-test report" }).click();
    await card.getByRole('button', { name: 'Open the page again' }).click();
    // The same address again (the AS lets the same browser continue its page), and nothing else opened.
    await expect.poll(() => pages.length).toBe(2);
    expect(pages[1]).toBe(pages[0]);
    const opened = app.opened.slice(before);
    expect(opened).toHaveLength(2);
    expect(opened[1]).toBe(opened[0]);
    const ticket = new URL(opened[0] ?? '').searchParams.get('ticket') ?? '';
    expect(ticket.length).toBeGreaterThan(8);
    const views = JSON.stringify(await app.core.service.getState());
    expect(views).not.toContain(ticket);
    expect(await page.locator('body').innerText()).not.toContain(ticket);
    await card.getByRole('button', { name: 'Cancel' }).click();
    await card.getByText('Continue in your browser.').waitFor({ state: 'detached', timeout: 30_000 });
    const ended = await newestFlow(waiting?.url ?? '');
    expect(ended?.flowId).toBe(waiting?.flowId);
    expect(ended?.running).toBe(false);
  });
});

describe('an authorization server added by hand', () => {
  it('the Connections form: inline plain-word errors, axe-clean, photographed', async () => {
    await page.getByRole('button', { name: 'Connections' }).click();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add an authorization server' }) });
    await form.getByLabel('Issuer', { exact: true }).fill('http://as.example');
    await form.getByLabel('I enter the endpoints').check();
    await form.getByLabel('Token endpoint').fill('ftp://as.example/token');
    await form.getByLabel('How Tessera proves who it is').selectOption('client_secret_post');
    await form.getByLabel('Client id').fill('tessera');
    await form.getByRole('button', { name: 'Trust this authorization server' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Use https — plain http only for this machine.');
    expect(await alert.innerText()).toContain('Only http(s) addresses.');
    expect(await alert.innerText()).toContain('Give the client secret.');
    expect(await page.locator('.banner.error').count()).toBe(0);
    await form.scrollIntoViewIfNeeded();
    await app.axe('connections-as-form');
    await form.screenshot({ path: 'test-artifacts/app/switch-03-connections-as-form.png' });
    // Now the demo AS by hand, its secret in the vault: the flow after it still works.
    const demo = app.core.demo;
    const tokenEndpoint = String((await app.core.service.call('discovery', { issuer: demo?.as.issuer ?? '' })).document.token_endpoint);
    await form.getByLabel('Issuer', { exact: true }).fill(demo?.as.issuer ?? '');
    await form.getByLabel('Token endpoint').fill(tokenEndpoint);
    await form.getByLabel('Client id').fill(demo?.as.tesseraClient.client_id ?? '');
    await form.getByLabel('Client secret').fill(demo?.as.tesseraClient.client_secret ?? '');
    await form.getByRole('button', { name: 'Trust this authorization server' }).click();
    await form.getByText(`Trusted ${demo?.as.issuer}.`).waitFor();
    expect(await form.getByLabel('Client secret').inputValue()).toBe('');
    expect(await page.locator('body').innerText()).not.toContain(demo?.as.tesseraClient.client_secret ?? 'x');
  });
});
