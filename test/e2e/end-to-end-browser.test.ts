/**
 * Issue #23 end to end in browser mode (headless Chromium, the demo servers Tessera starts): Dr. Alice
 * opens Kate's prescriptions and the "End to end" diagram shows the RS's permission request and its
 * introspection of the RPT and the AS's decision naming Kate's rule and Alice's claim; a pending request
 * (care notes) shows Kate's approval in the owner lane; Mallory's refusal shows the rules that did not
 * match. Screenshots go to test-artifacts/app/ (end-to-end-*.png).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { ARTIFACTS, signInAs, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';
import { ownerSession } from '../fixtures/demo-people';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let app: AppInBrowser;
let page: Page;

beforeAll(async () => {
  app = await startAppInBrowser({ name: 'end-to-end', demo: { pollInterval: 1 } });
  ({ page } = app);
});
afterAll(async () => { await app?.close(); });

const diagram = () => page.locator('.flow-screen svg.seq');
/** Each arrow's accessible name without its step number. */
const labels = () => diagram().locator('.seq-msg').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')?.replace(/^\d+ /, '') ?? ''));
const endToEnd = async (title: string) => {
  await page.getByRole('button', { name: 'Resources' }).click();
  await app.card(title).getByRole('button', { name: 'Timeline' }).click();
  await page.getByRole('group', { name: 'Diagram view' }).getByRole('button', { name: 'End to end' }).click();
  await diagram().and(page.locator('[aria-label*="end to end"]')).waitFor();
};
/** Waits for an arrow whose name matches (the servers' events arrive a moment after the flow ends). */
async function has(re: RegExp): Promise<void> {
  let seen: string[] = [];
  for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    seen = await labels();
    if (seen.some((l) => re.test(l))) return;
  }
  throw new Error(`no arrow matches ${re}; the diagram has:\n${seen.join('\n')}`);
}

describe('both sides of the wire', () => {
  it("Alice opens prescriptions: the RS's permission request and introspection, the AS's decision naming the rule and the claim", async () => {
    app.playBrowser = signInAs('alice');
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Dr\. Alice Moreau/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's prescriptions" }).click();
    await app.card("Kate's prescriptions").getByText('Granted').waitFor({ timeout: 30_000 });
    await endToEnd("Kate's prescriptions");
    expect(await diagram().locator('.seq-lane-label').allTextContents()).toContain('Owner (Kate)');
    await has(/^registers prescriptions \(read write\) at start PAT: Resource server to Authorization server/);
    await has(/^POST \/uma\/permission: prescriptions read PAT: Resource server to Authorization server/);
    await has(/^201 permission ticket T1: Authorization server to Resource server/);
    await has(/^policy: Dr\. Alice Moreau's pushed ID token from Hospital ID says role = physician; Kate's rule 'physicians' \(role = physician\) allows read: RPT issued\.: Authorization server/);
    await has(/^POST \/uma\/introspect RPT1 PAT: Resource server to Authorization server/);
    await has(/^active: read prescriptions: Authorization server to Resource server/);
    // The ticket the RS got is the one Tessera was given: T1 on both sides.
    await has(/^401 \+ ticket T1: Resource server to Tessera/);
    await app.shot('end-to-end-prescriptions');
  });

  it('the demo loop runs DPoP-bound (RFC 9449): a key chip on each bound request, the RPT chip says DPoP, the proof decoded in the details, the switch in Connections', async () => {
    await page.getByRole('button', { name: 'Resources' }).click();
    await app.card("Kate's prescriptions").getByRole('button', { name: 'Timeline' }).click();
    await page.getByRole('group', { name: 'Diagram view' }).getByRole('button', { name: 'Client view' }).click();
    const client = await labels();
    const grant = client.find((l) => /^POST \/\S+ \(uma-ticket grant\).*: Tessera to Authorization server/.test(l)) ?? '';
    const key = /DPoP proof signed by key ([\w-]{8})/.exec(grant)?.[1];
    expect(key, `the grant arrow: ${grant}`).toBeDefined();
    expect(client).toEqual(expect.arrayContaining([
      expect.stringMatching(/^200 RPT issued RPT1.*: Authorization server to Tessera; carries RPT \(requesting party token\) RPT1 \(DPoP-bound\)/),
      expect.stringMatching(new RegExp(`^GET \\S+ RPT1 · DPoP DPoP ${key}: Tessera to Resource server; carries RPT \\(requesting party token\\) RPT1 \\(DPoP-bound\\), DPoP proof signed by key ${key}`)),
    ]));
    expect(await diagram().locator('.seq-chip text').allTextContents()).toEqual(expect.arrayContaining([` DPoP ${key}`, ' RPT1 · DPoP']));
    await diagram().getByRole('button', { name: /^\d+ POST \S+ \(uma-ticket grant\)/ }).first().click();
    const proof = page.getByRole('region', { name: 'DPoP proof' });
    await proof.waitFor();
    expect(await proof.getByRole('table', { name: 'Proof header' }).innerText()).toMatch(/typ\s+dpop\+jwt[\s\S]*alg\s+ES256[\s\S]*jwk\s+\{"kty":"EC"/);
    expect(await proof.getByRole('table', { name: 'Proof claims' }).innerText()).toMatch(/htm\s+POST[\s\S]*htu\s+http:\/\/127\.0\.0\.1:\d+\/\S*token/);
    expect(await page.getByRole('region', { name: 'Exchange details' }).innerText()).toMatch(/token_type DPoP: the RPT is bound to the key/);
    await app.shot('end-to-end-dpop');

    await page.getByRole('button', { name: 'Connections' }).click();
    const dpop = page.getByLabel('Sender-constrained tokens (DPoP)').first();
    expect(await dpop.inputValue()).toBe('auto');
    // The AS's metadata was read by the flow: the card says what it advertises.
    await expect.poll(async () => (await page.locator('.dpop-setting').first().innerText())).toMatch(/It advertises DPoP: dpop_signing_alg_values_supported .*ES256/);
  });

  it("a pending request shows Kate's approval in the owner lane", async () => {
    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's care notes" }).click();
    const kate = await ownerSession(app.core.demo!);
    await expect.poll(async () => /action="\/dashboard\/requests\//.test(await kate.page()), { timeout: 30_000 }).toBe(true);
    await kate.decide('approve');
    await app.card("Kate's care notes").getByText('Granted').waitFor({ timeout: 30_000 });
    await endToEnd("Kate's care notes");
    await has(/needs her approval: request_submitted\.: Authorization server/);
    await has(/^Kate approves Dr\. Alice Moreau's request for care-notes in her dashboard: Owner \(Kate\) to Authorization server/);
    const order = await labels();
    const approval = order.findIndex((l) => l.startsWith('Kate approves'));
    expect(order.findIndex((l) => /request_submitted\./.test(l))).toBeLessThan(approval);
    expect(order.findIndex((l, i) => i > approval && /allows read: RPT issued/.test(l))).toBeGreaterThan(approval);
    await app.shot('end-to-end-approval');
  });

  it("Mallory's refusal shows the rules that did not match", async () => {
    app.playBrowser = async (p) => {
      const form = p.getByLabel('Username');
      await form.or(p.getByText('You are signed in')).first().waitFor();
      if (await form.isVisible()) await signInAs('mallory')(p);
    };
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: 'Sign in as someone else' }).click();
    await page.getByText(/Signed in as Mallory Quinn/).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's prescriptions" }).click();
    await app.card("Kate's prescriptions").getByText('Refused', { exact: true }).waitFor({ timeout: 30_000 });
    await endToEnd("Kate's prescriptions");
    await has(/^policy: No rule matched: Kate's rule 'son' \(email = sam@family\.example\) does not match \(Mallory Quinn has email = [^)]+\); Kate's rule 'physicians' \(role = physician\) does not match \(Mallory Quinn has role = visitor\): request_denied\./);
    await app.shot('end-to-end-mallory-refused');
  });

  for (const [width, height] of [[1280, 800], [1920, 1080]] as const) {
    it(`presenter at ${width}×${height}: full screen, keys, the current exchange fully in view at every step`, async () => {
      await page.setViewportSize({ width, height });
      await page.getByRole('button', { name: 'Presenter' }).click();
      const pick = page.getByLabel('Flow to present');
      // The prescriptions flow that was granted: Dr. Alice's (Mallory, signed in now, was refused).
      const alice = (await app.core.service.getState()).flows.find((f) => f.title === "Kate's prescriptions" && f.outcome === 'granted');
      await pick.selectOption(alice?.flowId ?? '');
      // Her care notes, opened later with the same RPT (upgraded there), are another flow's server side.
      expect(alice?.server?.events.filter((e) => e.kind === 'approval' || (e.resource && e.resource.name !== 'prescriptions')) ?? []).toEqual([]);
      const stepper = page.locator('.presenter .stepper');
      await stepper.getByText(/for Dr\. Alice Moreau/).waitFor();
      await page.locator('body').press('f');
      await expect.poll(() => page.evaluate('document.fullscreenElement?.getAttribute("aria-labelledby") ?? ""')).toBe('h-presenter');
      // No app chrome in full screen: the presenter alone fills the screen, over the navigation.
      expect(await page.evaluate('[...[[5, 5], [innerWidth / 2, 20], [innerWidth - 5, innerHeight - 5]]].every(([x, y]) => document.elementFromPoint(x, y)?.closest(".presenter") !== null)')).toBe(true);
      await page.keyboard.press('Home');
      const total = Number(/of (\d+)/.exec(await stepper.innerText())?.[1]);
      expect(total).toBeGreaterThan(3);
      for (let i = 1; i <= total; i++) {
        await stepper.getByText(`Step ${i} of ${total}`).waitFor();
        const boxes = await page.locator('.presenter .seq-msg.current').evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]; }));
        expect(boxes.length).toBeGreaterThan(0);
        for (const [top, bottom, left, right] of boxes) {
          expect(top, `step ${i}: top`).toBeGreaterThanOrEqual(0);
          expect(bottom, `step ${i}: bottom`).toBeLessThanOrEqual(height);
          expect(left, `step ${i}: left`).toBeGreaterThanOrEqual(0);
          expect(right, `step ${i}: right`).toBeLessThanOrEqual(width);
        }
        if (i === 3) await app.shot(`end-to-end-presenter-${width}x${height}`);
        if (i < total) await page.keyboard.press('ArrowRight');
      }
      await page.keyboard.press('b');
      expect(await page.getByRole('dialog', { name: /Blank screen/ }).isVisible()).toBe(true);
      await page.keyboard.press('b');
      expect(await page.getByRole('dialog', { name: /Blank screen/ }).count()).toBe(0);
      await page.keyboard.press('f');
      await expect.poll(() => page.evaluate('document.fullscreenElement === null')).toBe(true);
    });
  }

  it('the exported deck opens offline, navigates by keyboard, passes axe and holds no token value', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Presenter' }).click();
    const alice = (await app.core.service.getState()).flows.find((f) => f.title === "Kate's prescriptions" && f.outcome === 'granted');
    await page.getByLabel('Flow to present').selectOption(alice?.flowId ?? '');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export deck (HTML)' }).click()]);
    const file = join(ARTIFACTS, 'end-to-end-deck.html');
    await download.saveAs(file);
    const html = readFileSync(file, 'utf8');
    // Every raw token Tessera holds (RPTs, PCTs, refresh and ID tokens, client secrets): none in the deck.
    const raw = new Set<string>();
    // The secrets: values under token, secret and key names (not issuers, URLs or names).
    const collect = (v: unknown, name = ''): void => {
      if (typeof v === 'string') { if (v.length >= 16 && /token|secret|rpt|pct|key|ticket/i.test(name) && !/^https?:/.test(v)) raw.add(v); }
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, Array.isArray(v) ? name : k);
    };
    const vault = app.core.vault;
    if (!vault) throw new Error('the vault is not open');
    for (const meta of await vault.list()) collect((await vault.get(meta.kind, meta.key))?.value);
    expect(raw.size).toBeGreaterThan(2);
    expect([...raw].filter((token) => html.includes(token)).map((t) => `${t.slice(0, 12)}…`)).toEqual([]);
    expect(html).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/);
    // The bound flow's proofs are drawn by key (a thumbprint, not a secret): never a proof.
    expect(html).toMatch(/DPoP [\w-]{8}/);

    const offline = await app.browser.newContext({ offline: true, viewport: { width: 1280, height: 800 } });
    const deck = await offline.newPage();
    const requests: string[] = [];
    deck.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    const violations: string[] = [];
    deck.on('console', (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text()); });
    await deck.goto(`file://${resolve(file)}`);
    await deck.getByRole('heading', { name: /step 1 of \d+/ }).waitFor();
    await deck.keyboard.press('ArrowRight');
    await deck.getByRole('heading', { name: /step 2 of \d+/ }).waitFor();
    await deck.keyboard.press('End');
    expect(await deck.locator('.slide:not([hidden]) .narration').innerText()).toMatch(/hands over the record/);
    expect(await deck.locator('.flow-diagram:not([hidden]) .seq-msg.current').count()).toBeGreaterThan(0);
    await deck.getByRole('button', { name: 'Light / dark' }).click();
    await deck.screenshot({ path: join(ARTIFACTS, 'end-to-end-deck.png') });
    // axe through the debugger protocol (the deck's CSP allows no injected script, rightly).
    await deck.evaluate(axeSource);
    const found = await deck.evaluate('axe.run().then((r) => r.violations.map((v) => v.id + ": " + v.nodes.length))') as string[];
    expect(found).toEqual([]);
    expect(requests).toEqual([]);
    expect(violations).toEqual([]);
    await offline.close();
  });
});
