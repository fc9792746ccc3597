/**
 * The demo's people-facing pages in a real browser (Debian Chromium): Hospital ID sign-in, the AS's
 * claims-interaction pages (sign in through Hospital ID, accept the lab's terms, return to the client),
 * and Kate's dashboard (approve a pending request). Screenshots go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { launchChromium } from '../fixtures/chromium';
import { signIn } from '../fixtures/demo-people';

const ARTIFACTS = 'test-artifacts/demo';
const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
let demo: DemoHandle;
let browser: Browser;
let callback: Server;
let callbackUrl: string;
const returned: URL[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } });
  browser = await launchChromium();
  // A loopback claims redirect URI, as Tessera would listen on.
  callback = createServer((req, res) => {
    returned.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>You can return to Tessera</h1>');
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', () => r()));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/uma/claims-callback`;
});
afterAll(async () => {
  await browser?.close();
  callback?.close();
  await demo?.close();
});

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
async function rsTicket(name: string) {
  return /ticket="([^"]+)"/.exec((await fetch(url(name))).headers.get('www-authenticate') ?? '')?.[1] ?? '';
}
const auth = `Basic ${Buffer.from('tessera:tessera-demo-secret').toString('base64')}`;
async function token(params: Record<string, string>) {
  const r = await fetch(`${demo.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket', ...params }).toString() });
  return { status: r.status, body: (await r.json()) as Record<string, string> };
}

describe('demo pages in Chromium', () => {
  it('claims interaction: sign in at Hospital ID, accept the terms, come back with a new ticket that gets the blood-test report', async () => {
    const page = await browser.newPage();
    const ticket = await rsTicket('blood-test');
    const start = new URL(`${demo.config.as.issuer}/uma/claims`);
    start.search = new URLSearchParams({ client_id: 'tessera', ticket, claims_redirect_uri: callbackUrl, state: 'chromium-state' }).toString();
    await page.goto(start.href);
    await page.screenshot({ path: `${ARTIFACTS}/claims-1-request.png`, fullPage: true });
    await page.getByRole('button', { name: 'Sign in with Hospital ID' }).click();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice-demo');
    await page.screenshot({ path: `${ARTIFACTS}/idp-sign-in.png`, fullPage: true });
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'St. Mary Laboratory data-use terms' }).waitFor();
    await page.getByLabel("I accept the lab's terms").check();
    await page.screenshot({ path: `${ARTIFACTS}/claims-2-terms.png`, fullPage: true });
    await page.getByRole('button', { name: 'Accept and continue' }).click();
    await page.waitForURL((u) => u.href.startsWith(callbackUrl));
    expect(await page.textContent('h1')).toContain('return to Tessera');
    const back = returned.filter((u) => u.pathname === '/uma/claims-callback').at(-1);
    expect(back?.searchParams.get('state')).toBe('chromium-state');
    const granted = await token({ ticket: back?.searchParams.get('ticket') ?? '' });
    expect(granted.status).toBe(200);
    await page.close();
  });

  it("Kate approves Dr. Alice's care-notes request in her dashboard", async () => {
    const alice = String((await signIn(demo.config, 'alice')).id_token);
    const pending = await token({ ticket: await rsTicket('care-notes'), claim_token: alice, claim_token_format: ID_TOKEN });
    expect(pending.body.error).toBe('request_submitted');
    const page = await browser.newPage();
    await page.goto(demo.config.as.dashboardUrl);
    await page.getByLabel('Username').fill('kate');
    await page.getByLabel('Password').fill('kate-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /Pending requests \(1\)/ }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-pending.png`, fullPage: true });
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: /Pending requests \(0\)/ }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-after.png`, fullPage: true });
    expect((await token({ ticket: pending.body.ticket ?? '' })).status).toBe(200);
    await page.close();
  });
});
