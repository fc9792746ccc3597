/**
 * What a presenter does with `npm start -- --as keycloak`, in headless Chromium: the app composed
 * the way that start composes it (`startCore` with the Keycloak variant, as test/keycloak/app.test.ts
 * does) on this run's Keycloak, the host on 127.0.0.1, the real UI. Connections → sign in at
 * Keycloak as Alice through Keycloak's own login page (the "system browser" is a second Chromium
 * page) → Resources → Kate's prescriptions: granted and rendered → Connections → Check this AS on
 * Kate's realm: the report shows the verdicts the command-line probe gets from Keycloak
 * (test/keycloak/probe-keycloak.test.ts) and no failure but its two known ones → Export the HTML report. axe-core on
 * the screens; screenshots in test-artifacts/app/keycloak-*.png.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCore } from '../../src/app/compose';
import { ARTIFACTS, startAppInBrowser, type AppInBrowser } from '../fixtures/app-browser';
import { expectKeycloakVerdicts } from '../fixtures/keycloak-demo';
import { deleteAllTickets, keycloakSignIn } from '../fixtures/keycloak-people';
import { USERS } from '../../src/demo/seed';
import { KEYCLOAK_CLIENTS } from '../../src/demo/keycloak/server';
import { runProbe } from '../../src/probe/runner';
import { ID_TOKEN_FORMAT } from '../../packages/uma/src/uma/ports';

const kc = inject('keycloak');

/** Keycloak's own login page (theme keycloak.v2), filled in as `username`. */
const keycloakLogin = (username: string, seen: string[]) => async (p: Page): Promise<void> => {
  await p.locator('#kc-form-login').waitFor({ timeout: 30_000 });
  seen.push(new URL(p.url()).pathname);
  await p.screenshot({ path: `${ARTIFACTS}/keycloak-02-login-page.png`, fullPage: true });
  await p.getByLabel(/Username/).fill(username);
  await p.getByLabel('Password', { exact: true }).fill(USERS.find((u) => u.username === username)?.password ?? '');
  await p.locator('#kc-login').click();
};

describe.skipIf(!kc)('the app on Keycloak in Chromium (npm start with Keycloak)', () => {
  const issuer = kc?.issuer ?? '';
  let app: AppInBrowser;

  beforeAll(async () => {
    await deleteAllTickets(issuer);
    app = await startAppInBrowser({
      name: 'keycloak',
      // This run's Keycloak instead of a second one; the RS on a free port (the app's default is fixed).
      compose: (o) => startCore({ ...o, demo: { keycloak: { keycloakUrl: kc?.url ?? '', rsPort: 0, introspectionCacheMs: 0 } } }),
    });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    // The checks' request_submitted runs leave pending requests at Keycloak: remove them for the other files.
    await deleteAllTickets(issuer).catch(() => undefined);
  });

  it("Alice signs in at Keycloak's login page from Connections, and Kate's prescriptions open: granted and rendered", async () => {
    const { page } = app;
    await page.getByRole('heading', { name: "Kate's prescriptions" }).waitFor();
    expect(await page.locator('li.card.resource').count()).toBe(5);
    await app.shot('keycloak-01-resources');

    const logins: string[] = [];
    app.playBrowser = keycloakLogin('alice', logins);
    await page.getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('button', { name: 'Sign in at Keycloak (demo)' }).click();
    await page.getByText(/Signed in as Alice Moreau \(alice@hospital\.example\)/).waitFor({ timeout: 60_000 });
    expect(logins).toEqual(['/realms/kate/protocol/openid-connect/auth']);
    expect(app.opened[0]).toMatch(new RegExp(`^${issuer.replace(/[.]/g, '\\.')}/protocol/openid-connect/auth\\?`));
    await page.locator('details.card', { hasText: 'Demo people' }).locator('summary').click();
    await app.shot('keycloak-03-connections');
    await app.axe('keycloak connections');
    // Keycloak's events: the demo realm's view-events client is read (its secret never in the page).
    const events = page.getByRole('listitem', { name: "Kate's Keycloak realm (demo)" }).getByRole('region', { name: "Keycloak's events (server side of the diagram)" });
    await events.getByRole('status', { name: "Keycloak's events of Kate's Keycloak realm (demo)" }).getByText(/^Reading Keycloak's events as tessera-events\./).waitFor({ timeout: 30_000 });
    expect(await events.getByLabel('Client id').inputValue()).toBe(KEYCLOAK_CLIENTS.events.client_id);
    expect(await page.content()).not.toContain(KEYCLOAK_CLIENTS.events.client_secret);

    await page.getByRole('button', { name: 'Resources' }).click();
    await page.getByRole('button', { name: "Open Kate's prescriptions" }).click();
    const rx = app.card("Kate's prescriptions");
    await rx.getByText('Granted').waitFor({ timeout: 60_000 });
    await rx.getByRole('article', { name: 'Prescription Atorvastatin' }).waitFor();
    await app.shot('keycloak-04-prescription');
    await app.axe('keycloak prescription');
    // The confidential client's secret stays in the privileged process.
    expect(await page.content()).not.toContain('tessera-demo-secret');
  }, 180_000);

  it("the request builder's Keycloak options: Keycloak's decision for Alice, then an RPT without a ticket that the GET presents", async () => {
    const { page } = app;
    const rxId = app.core.keycloak?.rs.resources.find((r) => r.name === 'prescriptions')?.id ?? '';
    await page.getByRole('button', { name: 'Resources' }).click();
    const builder = page.locator('form.builder');
    const options = builder.getByRole('group', { name: 'Keycloak options' });
    await options.getByLabel('Ask Keycloak directly, without a ticket').check();
    await options.getByLabel("Audience (the resource server's client id)").fill(KEYCLOAK_CLIENTS.rs.client_id);
    await options.getByLabel('Permission 1').fill(`${rxId}#read`);
    await options.getByLabel('Keycloak answers with').selectOption({ label: 'Only the decision (yes or no)' });
    await builder.getByRole('button', { name: 'Ask Keycloak' }).click();
    await builder.getByRole('region', { name: "Keycloak's answer" }).getByText("Keycloak's decision: granted").waitFor({ timeout: 60_000 });
    await app.shot('keycloak-04b-builder-decision');
    await app.axe('keycloak request builder');
    await options.getByLabel('Keycloak answers with').selectOption({ label: 'An RPT, then send the request with it' });
    await builder.getByRole('button', { name: 'Send GET' }).click();
    await builder.getByText('Keycloak issued an RPT carrying these permissions').waitFor({ timeout: 60_000 });
    await builder.getByText('GET answered 200').waitFor({ timeout: 60_000 });
    expect(await builder.getByRole('region', { name: "Keycloak's answer" }).getByRole('listitem').allTextContents()).toEqual(['prescriptions: read']);
    // No token in the page: fingerprints and decoded claims only.
    expect(await page.content()).not.toMatch(/eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/);
  }, 120_000);

  it("Check this AS on Kate's realm: Keycloak's deviations as the command-line probe reports them, nothing fails or is unsafe (the claim-less grant and the refused registration are deviations); Export saves the HTML report", async () => {
    const { page } = app;
    await page.getByRole('button', { name: 'Connections' }).click();
    const card = page.locator('li.card', { hasText: "Kate's Keycloak realm (demo)" });
    await card.getByRole('button', { name: 'Check this AS' }).click();
    const panel = page.locator('section.check-as');
    await panel.getByText('Alice Moreau').first().waitFor();
    // Her prescriptions' last flow was protected by this realm: offered first, and chosen.
    await expect.poll(() => panel.getByRole('radio', { name: /Kate's prescriptions/ }).isChecked()).toBe(true);
    await panel.getByRole('button', { name: 'Run the checks' }).click();
    const report = panel.getByLabel('Check report');
    await report.waitFor({ timeout: 150_000 });
    await app.shot('keycloak-05-check-report');
    // The top of the report (summary, what the checks left, the first checks) at full size.
    const box = await report.boundingBox();
    if (box) await page.screenshot({ path: `${ARTIFACTS}/keycloak-06-check-report-top.png`, fullPage: true, clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 1100) } });

    // Every verdict as the page shows it, by check id.
    const shown = await report.locator('li.check-item').evaluateAll((items) => items.map((li) => ({
      id: li.querySelector('.check-head code')?.textContent ?? '',
      status: /check-(pass|info|deviation|fail|unsafe|skip)/.exec(li.className)?.[1] ?? '',
      detail: li.querySelector('article > p:nth-of-type(2)')?.textContent ?? '',
    })));
    const verdict = (id: string) => {
      const c = shown.find((x) => x.id === id);
      if (!c) throw new Error(`no check ${id} on the page`);
      return c;
    };
    // What `tessera probe` reports against Keycloak (test/keycloak/probe-keycloak.test.ts), as the page shows it.
    expectKeycloakVerdicts(verdict);
    expect(verdict('token.ticket-garbage').detail).toMatch(/403 invalid_ticket/);
    expect(shown.filter((c) => c.status === 'fail' || c.status === 'unsafe').map((c) => c.id)).toEqual([]);
    expect(shown.filter((c) => c.status === 'deviation').length).toBeGreaterThan(3);

    // The same verdicts, check by check, as `tessera probe` gets from this Keycloak with Alice's ID token.
    const alice = await keycloakSignIn(issuer, 'alice', 'tessera');
    const cli = await runProbe({
      resource: app.core.keycloak?.rs.resources.find((r) => r.name === 'prescriptions')?.url ?? '',
      // As `tessera probe --discovery-url` with the OpenID configuration the app trusts Keycloak by.
      trust: { authorizationServers: [{ issuer, discoveryUrl: `${issuer}/.well-known/openid-configuration` }] },
      client: { client_id: KEYCLOAK_CLIENTS.tessera.client_id, client_secret: KEYCLOAK_CLIENTS.tessera.client_secret, auth_method: 'client_secret_basic', registration: 'static' },
      claimTokens: [{ claim_token: alice.idToken, claim_token_format: ID_TOKEN_FORMAT }],
    });
    expect(shown.map((c) => `${c.id}: ${c.status}`)).toEqual(cli.checks.map((c) => `${c.id}: ${c.status}`));

    const summary = (await report.locator('.check-summary li').allInnerTexts()).map((s) => s.replace(/\s+/g, ' '));
    expect(summary).toContain('0 failed');
    expect(summary).toContain('0 unsafe');
    await report.getByText('Nothing unsafe, no check failed: a UMA client can work with this server, provided it handles the deviations below.').waitFor();
    await app.axe('keycloak check report');

    const [download] = await Promise.all([page.waitForEvent('download'), report.getByRole('button', { name: 'Export report (HTML)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^tessera-check-127\.0\.0\.1-\d+-.+\.html$/);
    const html = readFileSync(await download.path(), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|\ssrc=|url\(/i);
    expect(html).toContain('id="check-token.client-auth"');
    expect(html).toContain(issuer);
    expect(html).toContain('Nothing unsafe, no check failed: a UMA client can work with this authorization server, provided it handles the deviations below.');
    expect(html).not.toContain('tessera-demo-secret');
  }, 240_000);
});
