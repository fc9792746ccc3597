/**
 * Issue #15 end to end in browser mode (headless Chromium against the demo servers): Dr. Alice opens
 * Kate's blood-test report (claims interaction in the browser); the Flow screen draws it as a
 * sequence diagram in five lanes with dashed returns and the ticket rotating T1 → T2 → T3; details
 * show roles and curl with placeholders; SVG and PNG exports are files that render; presenter mode
 * steps with the keyboard; an imported export (JSON and HAR) draws the same diagram; Kate's view
 * opens her dashboard in a tab; a PUT from the request builder gets `write` through an RPT upgrade;
 * the story's write-upgrade scene narrates that upgrade from both sides; the speaker-notes window
 * (a second page) follows the presenter and moves it; at 1280×800 the header is one line (with every
 * conditional control forced present); a
 * 200-exchange trace draws only the rows in view, draws the others as they scroll in, and exports all.
 * axe finds no violations on the new screens; screenshots (light, dark, 800×600) go to
 * test-artifacts/app/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/app/compose';
import { longFlowEndToEnd } from '../fixtures/blood-test-flow';
import { ARTIFACTS, kateDashboard, openBloodTestAcceptingTerms, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';
let app: AppInBrowser;
let browser: Browser;
let context: BrowserContext;
let core: Core;
let page: Page;

beforeAll(async () => {
  app = await startAppInBrowser({ name: 'presenter', context: { acceptDownloads: true } });
  ({ browser, context, core, page } = app);
});
afterAll(async () => { await app?.close(); });

const axe = (_p: Page, name: string) => app.axe(name, { minImpact: 'any', cliFlagsShown: true });
const shot = (name: string) => app.shot(name);
const card = (title: string) => app.card(title);
const diagram = () => page.locator('.flow-screen svg.seq');
/** Each arrow's accessible name: "3 POST /uma/token (uma-ticket grant) T1: Tessera to Authorization server; carries …". */
const messages = (root = diagram()) => root.locator('.seq-msg').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')?.replace(/^\d+ /, '') ?? ''));

let bloodFlowId = '';

describe('the sequence diagram, presenter and shareable traces', () => {
  it("Dr. Alice opens Kate's blood-test report; the flow is drawn in five lanes with the browser leg", async () => {
    app.playBrowser = async (p) => {
      await p.getByLabel('Username').fill('alice');
      await p.getByLabel('Password').fill('alice-demo');
      await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    };
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: /Sign in at Hospital ID/ }).click();
    await page.getByText(/Signed in as Dr\. Alice Moreau/).waitFor({ timeout: 30_000 });
    const lab = await openBloodTestAcceptingTerms(app);
    await lab.getByRole('button', { name: 'Timeline' }).click();
    await diagram().waitFor();
    bloodFlowId = (await core.service.getState()).flows.find((f) => f.url.endsWith('/blood-test'))?.flowId ?? '';

    expect(await diagram().locator('.seq-lane').evaluateAll((els) => els.map((e) => e.getAttribute('data-lane')))).toEqual(['browser', 'tessera', 'rs', 'as', 'idp']);
    expect(await diagram().locator('.seq-lane-label').allTextContents()).toEqual(['Person (browser)', 'Tessera', 'Resource server', 'Authorization server', 'Identity provider']);
    const requests = await diagram().locator('.seq-msg[data-kind="request"] line:not([stroke-dasharray])').count();
    const returns = await diagram().locator('.seq-msg[data-kind="return"] line[stroke-dasharray]').count();
    const steps = (await core.service.getState()).flows.find((f) => f.flowId === bloodFlowId)?.steps ?? [];
    const http = steps.filter((s) => s.kind !== 'interaction');
    // One solid arrow per HTTP request plus two for the browser leg; one dashed return per answer plus the redirect back.
    expect(requests).toBe(http.length + 2);
    expect(returns).toBe(http.filter((s) => s.status !== null).length + 1);
    const labels = await messages();
    expect(labels.some((l) => /^opens the claims page T2: Tessera to Person \(browser\)/.test(l)), labels.join('\n')).toBe(true);
    expect(labels.some((l) => /^GET \/uma\/claims .*: Person \(browser\) to Authorization server/.test(l))).toBe(true);
    expect(labels.some((l) => /^401 \+ ticket T1: Resource server to Tessera/.test(l))).toBe(true);
    expect(labels.some((l) => /^403 need_info T2: Authorization server to Tessera/.test(l))).toBe(true);
    expect(labels.some((l) => /^200 RPT issued RPT1.*: Authorization server to Tessera/.test(l))).toBe(true);
    // The ticket rotates: T1 from the RS, T2 from need_info, T3 back from the browser, in that order.
    const tickets = await diagram().locator('.seq-chip[data-role="ticket"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-chip')));
    expect([...new Set(tickets)]).toEqual(['T1', 'T2', 'T3']);
    expect(await diagram().locator('.seq-chip[data-role="rpt"]').count()).toBeGreaterThanOrEqual(2);
    await shot('11-sequence-light');
    await axe(page, 'flow diagram');
  });

  it('an arrow opens its exchange: form parameters by role, no "=" token, curl with placeholders', async () => {
    await diagram().locator('.seq-msg[data-kind="request"]', { hasText: 'uma-ticket grant' }).first().click();
    const detail = page.locator('.step-detail');
    await detail.getByRole('table').filter({ hasText: 'grant_type' }).waitFor();
    expect(await detail.innerText()).toContain('urn:ietf:params:oauth:grant-type:uma-ticket');
    expect(await detail.locator('table.params').first().innerText()).toMatch(/permission ticket T1/);
    const tokens = await detail.locator('ul.tokens > li').allInnerTexts();
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) expect(t, t).toMatch(/^(permission ticket|claim token|client secret|RPT|PCT|ID token|refresh token|secret|DPoP proof of key)/);
    expect(tokens.join('\n')).not.toMatch(/(^|\n)\S* ?fp:\S+ · sent as = /);
    await detail.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = await detail.getByLabel('curl command').innerText();
    expect(curl).toMatch(/\$\{TICKET_1\}/);
    expect(curl).toContain('Basic ${CLIENT_CREDENTIALS}');
    // The demo AS binds RPTs (RFC 9449): the grant carries a proof, named after its key.
    expect(curl).toContain('dpop: ${DPOP_PROOF}');
    expect(curl).not.toMatch(/fp:|redacted/);
    await axe(page, 'step detail');
  });

  it('exports the diagram as SVG and PNG files that render', async () => {
    const save = async (button: string, name: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      const path = `${ARTIFACTS}/${name}`;
      await download.saveAs(path);
      return { path, suggested: download.suggestedFilename() };
    };
    const svg = await save('Export SVG', 'flow-export.svg');
    const png = await save('Export PNG', 'flow-export.png');
    expect(svg.suggested).toMatch(/\.svg$/);
    expect(png.suggested).toMatch(/\.png$/);
    const svgText = readFileSync(svg.path, 'utf8');
    expect(svgText).toContain('Person (browser)');
    expect(svgText).not.toMatch(/fp:[\w-]+\]|eyJ[\w-]{10,}\./);
    expect(readFileSync(png.path).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // Load both back in Chromium, as a slide tool would.
    const viewer = await browser.newPage();
    const sizes = await viewer.evaluate(async (files) => Promise.all(files.map(async (src) => { const img = new (globalThis as unknown as { Image: new () => { src: string; decode(): Promise<void>; naturalWidth: number; naturalHeight: number } }).Image(); img.src = src; await img.decode(); return [img.naturalWidth, img.naturalHeight]; })),
      [`data:image/svg+xml;base64,${Buffer.from(svgText).toString('base64')}`, `data:image/png;base64,${readFileSync(png.path).toString('base64')}`]);
    await viewer.setContent(`<img alt="exported diagram" src="data:image/png;base64,${readFileSync(png.path).toString('base64')}">`);
    await viewer.screenshot({ path: `${ARTIFACTS}/12-exported-png-rendered.png` });
    await viewer.close();
    const [svgSize, pngSize] = sizes;
    expect(svgSize?.[0]).toBeGreaterThan(600);
    expect(pngSize?.[0]).toBe((svgSize?.[0] ?? 0) * 2);
  });

  it('stays readable at 800×600 and in dark mode', async () => {
    await page.setViewportSize({ width: 800, height: 600 });
    await page.screenshot({ path: `${ARTIFACTS}/13-sequence-800x600.png` });
    const box = await page.locator('.flow-screen .seq-box').boundingBox();
    expect(box?.width).toBeLessThanOrEqual(800);
    // Lane names shorten rather than overlap.
    expect(await diagram().locator('.seq-lane-label').allTextContents()).toEqual(['Person', 'Tessera', 'RS', 'AS', 'IdP']);
    const width = Number(await diagram().getAttribute('width'));
    expect(width).toBeLessThanOrEqual(box?.width ?? 0);
    expect(width).toBeGreaterThan((box?.width ?? 0) - 8);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByLabel('Theme').selectOption('dark');
    await shot('14-sequence-dark');
    await axe(page, 'flow diagram, dark');
    await page.getByLabel('Theme').selectOption('light');
  });

  it('presenter mode steps through the flow with the keyboard, narrating each step', async () => {
    await page.getByRole('button', { name: 'Present this flow' }).click();
    const stepper = page.locator('.presenter .stepper');
    await stepper.getByText(/Step 1 of \d+/).waitFor();
    const total = Number(/of (\d+)/.exec(await stepper.innerText())?.[1]);
    expect(await page.getByTestId('narration').innerText()).toMatch(/permission ticket T1.*UMA Grant §3\.2/s);
    await page.locator('body').press('ArrowRight');
    await page.locator('body').press('ArrowRight');
    await page.keyboard.press('Space');
    await stepper.getByText(`Step 4 of ${total}`).waitFor();
    await page.keyboard.press('ArrowLeft');
    await stepper.getByText(`Step 3 of ${total}`).waitFor();
    await page.keyboard.press('End');
    await stepper.getByText(`Step ${total} of ${total}`).waitFor();
    expect(await page.getByTestId('narration').innerText()).toMatch(/RS checks it with the AS and hands over the record.*UMA Grant §3\.4/s);
    // Find the browser leg and narrate it.
    for (let i = total; i > 1; i--) {
      if (/browser/.test(await page.getByTestId('narration').innerText())) break;
      await page.keyboard.press('ArrowLeft');
    }
    expect(await page.getByTestId('narration').innerText()).toMatch(/continues in the browser.*UMA Grant §3\.3\.2/s);
    expect(await page.locator('.presenter .seq-msg.future').count()).toBeGreaterThan(0);
    await shot('15-presenter');
    await axe(page, 'presenter');
  });

  it("Kate's view opens her dashboard in a new tab", async () => {
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: "Kate's view" }).click()]);
    await tab.waitForLoadState();
    expect(tab.url()).toBe(core.demo?.as.dashboardUrl);
    await tab.close();
  });

  it('an imported Tessera export and a HAR of it draw the same diagram, read-only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-trace-'));
    const json = await core.service.call('exportTranscript', { flowId: bloodFlowId, format: 'json' });
    const har = await core.service.call('exportTranscript', { flowId: bloodFlowId, format: 'har' });
    writeFileSync(join(dir, json.filename), json.text);
    writeFileSync(join(dir, har.filename), har.text);
    await page.getByRole('button', { name: 'Flow', exact: true }).click();
    await page.locator('#flow-pick').selectOption(bloodFlowId);
    await diagram().waitFor();
    const live = await messages();
    await page.getByLabel('Open a shared trace (Tessera export or HAR)').setInputFiles(join(dir, json.filename));
    await page.getByText('Imported trace (read-only)').waitFor();
    expect(await messages()).toEqual(live);
    await shot('16-imported-trace');
    await axe(page, 'imported trace');
    await page.getByLabel('Open a shared trace (Tessera export or HAR)').setInputFiles(join(dir, har.filename));
    await page.getByText(`Opened ${har.filename} (read-only).`).waitFor();
    expect(await messages()).toEqual(live);
    writeFileSync(join(dir, 'bad.json'), '{"flows": 3}');
    await page.getByLabel('Open a shared trace (Tessera export or HAR)').setInputFiles(join(dir, 'bad.json'));
    await page.getByText(/Not a valid Tessera export/).waitFor();
    await rm(dir, { recursive: true, force: true });
  });

  it('a PUT from the request builder gets write through an RPT upgrade and a retry', async () => {
    // Kate lets physicians also write her prescriptions.
    const kate = await kateDashboard(app);
    const rx = kate.locator('div[id^="resource-"]', { has: kate.getByRole('heading', { name: 'prescriptions', exact: true }) });
    await rx.getByText('Add a rule').click();
    await rx.getByLabel('Value (e.g. physician, or an email address)').fill('physician');
    await rx.getByLabel('write').check();
    await rx.getByRole('button', { name: 'Add rule' }).click();
    await kate.close();

    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's prescriptions" }).click();
    await card("Kate's prescriptions").getByText('Granted').waitFor({ timeout: 30_000 });
    const rxUrl = (await core.service.getState()).resources.find((r) => r.url.endsWith('/prescriptions'))?.url ?? '';
    const builder = page.getByRole('form', { name: 'Request builder' });
    await builder.getByLabel('Address').fill(rxUrl);
    await builder.getByLabel('Method').selectOption('PUT');
    await builder.getByRole('button', { name: 'Start from the record last read' }).click();
    const record = JSON.parse(await builder.getByLabel('Body').inputValue()) as { prescriptions: { dosage: string }[] };
    record.prescriptions[0]!.dosage = 'Two tablets every evening (changed in the request builder)';
    await builder.getByLabel('Body').fill(JSON.stringify(record));
    await shot('17-request-builder');
    await axe(page, 'request builder');
    await builder.getByRole('button', { name: 'Send PUT' }).click();
    await builder.getByText('PUT answered 200').waitFor({ timeout: 30_000 });
    const put = (await core.service.getState()).flows.find((f) => f.url === rxUrl && f.steps[0]?.method === 'PUT');
    const kinds = put?.steps.map((s) => `${s.kind}:${s.status}:${s.outcome ?? ''}`) ?? [];
    // The held read RPT is refused for PUT (401 + ticket), the AS upgrades it, the PUT is retried.
    expect(kinds[0]).toBe('resource:401:challenge');
    expect(kinds).toContain('token:200:rpt_issued');
    expect(kinds.at(-1)).toBe('resource:200:granted');
    const upgrade = put?.steps.find((s) => s.kind === 'token');
    expect(upgrade?.request.body).toMatch(/(^|&)rpt=/);
    await builder.getByRole('button', { name: 'See it as a diagram' }).click();
    expect((await messages()).some((l) => /uma-ticket grant.*: Tessera to Authorization server; carries .*RPT \(requesting party token\) RPT1/.test(l))).toBe(true);
    await shot('18-put-upgrade-diagram');
    // The record really changed at the RS.
    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's prescriptions" }).click();
    await card("Kate's prescriptions").getByText('Two tablets every evening (changed in the request builder)', { exact: true }).first().waitFor({ timeout: 30_000 });
  });

  it("the story's write scene: Alice reads, then writes; the RS asks for write, Kate's rule allows it, RPT before and after", async () => {
    // Tessera forgets the read+write RPT of the test before, so the scene starts from reading only.
    for (const t of (await core.service.getState()).tokens.filter((x) => x.kind === 'rpt')) await core.service.call('forgetToken', { kind: 'rpt', key: t.key });
    await page.getByRole('button', { name: 'Presenter' }).click();
    await page.getByRole('button', { name: 'End to end' }).click();
    await page.locator('summary', { hasText: "Story: Kate's records" }).click();
    const puts = async () => (await core.service.getState()).flows.filter((f) => f.steps[0]?.method === 'PUT' && !f.running);
    const putsBefore = (await puts()).length;
    await page.getByRole('button', { name: "Read, then write Kate's prescriptions" }).click();
    const stepper = page.locator('.presenter .stepper');
    // The scene reads, then presents the write (PUT) flow.
    await expect.poll(async () => (await puts()).length, { timeout: 60_000 }).toBe(putsBefore + 1);
    const put = (await puts()).sort((a, b) => a.startedAt.localeCompare(b.startedAt)).at(-1);
    await stepper.getByText(/of 3/).waitFor();
    expect(put?.steps.map((s) => `${s.kind}:${s.outcome ?? ''}`)).toEqual(['resource:challenge', 'token:rpt_issued', 'resource:granted']);
    expect(await page.locator('#present-pick').inputValue()).toBe(put?.flowId);
    await page.keyboard.press('Home');
    await stepper.getByText('Step 1 of 3').waitFor();
    const narration = () => page.getByTestId('narration').innerText();
    expect(await narration()).toMatch(/sends the PUT \(a change, not a read\) with the RPT it holds \((RPT\d)\).*On the RS: RPT\d does not cover write on prescriptions.*The RS asks the AS for a permission ticket for write on prescriptions: T\d/s);
    await page.keyboard.press('ArrowRight');
    await stepper.getByText('Step 2 of 3').waitFor();
    const upgrade = await narration();
    expect(upgrade).toMatch(/as the grant's rpt parameter .*upgrades the RPT: (RPT\d) → (RPT\d)/s);
    const [, before, after] = /upgrades the RPT: (RPT\d) → (RPT\d)/.exec(upgrade) ?? [];
    expect(before).not.toBe(after);
    expect(upgrade).toMatch(new RegExp(`On the AS: Dr\\. Alice Moreau's .* says role = physician; Kate's rule '[^']+' \\(role = physician\\) allows write: RPT issued\\. The RPT is upgraded: ${after} carries ${before}'s permissions plus write, and ${before} is revoked\\.`));
    // The chips before and after on the token request's arrows.
    const arrows = await page.locator('.presenter .seq-msg.current').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(arrows.some((a) => a.includes(`RPT (requesting party token) ${before}`) && /uma-ticket grant/.test(a))).toBe(true);
    expect(arrows.some((a) => a.includes(`RPT issued ${after}`))).toBe(true);
    await shot('19-story-write-upgrade');
    await page.keyboard.press('ArrowRight');
    expect(await narration()).toMatch(new RegExp(`accepts the PUT.*On the RS: ${after} covers write on prescriptions`, 's'));
    await axe(page, 'presenter, write upgrade');
  });

  it('the speaker-notes window follows the presenter, and its keys move it', async () => {
    const stepper = page.locator('.presenter .stepper');
    await page.keyboard.press('Home');
    await stepper.getByText('Step 1 of 3').waitFor();
    const [notes] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Speaker notes window' }).click()]);
    await notes.waitForLoadState();
    expect(notes.url()).toMatch(/#speaker-notes$/);
    const noteStepper = notes.locator('.stepper');
    await noteStepper.getByText(/Step 1 of 3 · Kate's prescriptions · for Dr\. Alice Moreau/).waitFor();
    const words = (t: string) => t.replace(/\s+/g, ' ').trim();
    expect(words(await notes.getByTestId('notes-narration').innerText())).toBe(words(await page.getByTestId('narration').innerText()).replace(/\s*UMA Grant §[\d.–, §]+$/, ''));
    expect(await notes.getByRole('heading', { name: 'Notes', exact: true }).count()).toBe(1);
    expect(await notes.locator('li').first().innerText()).toMatch(/^On the wire: PUT .*prescriptions → 401 \(challenge\)\.$/);
    // The presenter steps: the notes follow.
    await page.keyboard.press('ArrowRight');
    await noteStepper.getByText('Step 2 of 3').waitFor();
    // The notes window's keys move the presenter.
    await notes.keyboard.press('ArrowRight');
    await stepper.getByText('Step 3 of 3').waitFor();
    await noteStepper.getByText('Step 3 of 3').waitFor();
    await notes.keyboard.press('Home');
    await stepper.getByText('Step 1 of 3').waitFor();
    await notes.screenshot({ path: `${ARTIFACTS}/20-speaker-notes-window.png` });
    await notes.close();
  });

  it('at 1280×800 the header is one line with every conditional control present, and the current exchange is in view', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    // Every control the header shows only sometimes, forced present: an owner's decision (Notifications),
    // a request waiting for the owner (the Requests tab's count), three sign-in providers, a long name acting.
    const force = async () => {
      const state = await core.service.getState();
      const [provider] = state.providers;
      const base = state.flows[0]!;
      const long = { key: 'https://id.university.example#max', issuer: 'https://id.university.example', sub: 'max', name: 'Prof. Maximiliana Auguste von Longname-Lindqvist', expiresAt: Date.now() + 3_600_000, refreshable: false };
      app.emit({ type: 'state', state: { ...state, identities: [...state.identities, long], actingAs: { party: long.key, label: long.name, issuer: long.issuer },
        providers: [provider!, { ...provider!, issuer: 'https://id.university.example', label: 'University of Somewhere Identity Service' }, { ...provider!, issuer: 'https://login.insurer.example', label: 'National Health Insurer Login' }] } });
      app.emit({ type: 'flow', flow: { ...base, flowId: 'forced-pending', url: 'https://rs.example/forced-pending', title: 'A request the owner has not decided', startedAt: '2000-01-01T00:00:00.000Z', running: false, outcome: 'pending', pending: { reason: 'request_submitted', watching: true } } });
      app.emit({ type: 'decided', flowId: 'forced-decision', url: 'https://rs.example/forced-decision', title: 'A decided request', outcome: 'granted' });
      await page.getByRole('button', { name: 'Notifications (1)' }).waitFor();
      await page.getByLabel('1 waiting for the owner').waitFor();
      await page.getByRole('button', { name: 'Sign in at…' }).waitFor();
      expect(await page.getByRole('button', { name: 'Open in a new tab' }).count()).toBe(1);
    };
    for (const screen of ['Presenter', 'Flow', 'Resources']) {
      await page.getByRole('button', { name: screen, exact: true }).click();
      await force();
      const boxes = await page.locator('header.top > *').evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { tag: `${e.tagName} ${(e.getAttribute('aria-label') ?? e.textContent ?? '').slice(0, 20)}`, top: r.top, bottom: r.bottom, left: r.left, right: r.right }; }));
      const first = boxes[0]!;
      for (const b of boxes) {
        expect(b.top, `${screen}: ${b.tag} is on a second line`).toBeLessThan(first.bottom);
        expect(b.right, `${screen}: ${b.tag} is beyond the window`).toBeLessThanOrEqual(1280);
      }
    }
    expect(await page.getByLabel('Theme').count()).toBe(1);
    // The providers are one button away, and Escape closes the list.
    await page.getByRole('button', { name: 'Sign in at…' }).click();
    expect(await page.getByRole('list', { name: 'Sign in at' }).getByRole('button').allTextContents()).toEqual(['Hospital ID', 'University of Somewhere Identity Service', 'National Health Insurer Login']);
    await page.keyboard.press('Escape');
    expect(await page.getByRole('list', { name: 'Sign in at' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Presenter', exact: true }).click();
    await page.keyboard.press('End');
    const current = await page.locator('.presenter .seq-msg.current').last().boundingBox();
    expect(current && current.y >= 0 && current.y + current.height <= 800).toBe(true);
    await shot('21-presenter-1280x800');
    await page.setViewportSize({ width: 1280, height: 900 });
    // The real picture again (a state is the whole picture: the forced flow and providers go).
    app.emit({ type: 'state', state: await core.service.getState() });
  });

  it('a 200-exchange trace draws only the rows in view, draws the others as they scroll in, and exports every row', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-long-'));
    const file = join(dir, 'long.json');
    writeFileSync(file, JSON.stringify({ flows: [{ ...longFlowEndToEnd(200), flowId: 'long-200' }] }));
    await page.getByRole('button', { name: 'Flow', exact: true }).click();
    await page.getByLabel('Open a shared trace (Tessera export or HAR)').setInputFiles(file);
    await page.getByText('Imported trace (read-only)').waitFor();
    const all = await diagram().locator('.seq-msg').count();
    expect(all).toBeGreaterThan(400);
    // Every arrow keeps its group (name, focus, place); only those near the view have their drawing.
    const drawn = () => diagram().locator('.seq-msg:has(.seq-label)').count();
    expect(await drawn()).toBeLessThan(all / 3);
    const last = diagram().locator('.seq-msg').last();
    expect(await last.locator('.seq-label').count()).toBe(0);
    expect(await last.getAttribute('aria-label')).toMatch(/^200 /);
    await page.locator('.flow-screen .seq-box').evaluate((box) => { box.scrollTop = box.scrollHeight; });
    await last.locator('.seq-label').waitFor();
    expect(await last.locator('.seq-label').textContent()).toMatch(/^200 /);
    // The export draws every row.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export SVG' }).click()]);
    const path = join(dir, 'long.svg');
    await download.saveAs(path);
    const svg = readFileSync(path, 'utf8');
    // One numbered label (its one tspan) per arrow or note.
    expect(svg.match(/<tspan[^>]*font-weight="700"/g)?.length).toBe(all);
    expect(await drawn()).toBeLessThan(all / 3);
    await rm(dir, { recursive: true, force: true });
  });
});
