/**
 * The claims-interaction endpoint's checks (UMA Grant §3.3.2–3.3.3) and Kate's dashboard: sign-in,
 * CSRF, policy edits that change what the AS grants, revoking a grant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { formAction, hiddenValue, HttpBrowser } from '../fixtures/http-browser';
import { ownerSession, signIn } from '../fixtures/demo-people';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const UMA = 'urn:ietf:params:oauth:grant-type:uma-ticket';
const auth = `Basic ${Buffer.from('tessera:tessera-demo-secret').toString('base64')}`;
let demo: DemoHandle;
beforeAll(async () => { demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0 }); });
afterAll(async () => demo.close());

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
async function rsTicket(name: string): Promise<string> {
  const header = (await fetch(url(name))).headers.get('www-authenticate') ?? '';
  return /ticket="([^"]+)"/.exec(header)?.[1] ?? '';
}
async function token(params: Record<string, string>) {
  const r = await fetch(`${demo.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: UMA, ...params }).toString() });
  return { status: r.status, body: (await r.json()) as Record<string, string> };
}
function claimsUrl(params: Record<string, string>): string {
  const u = new URL(`${demo.config.as.issuer}/uma/claims`);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}
const cb = 'http://127.0.0.1:51234/uma/claims-callback';
const back = (u: string) => u.startsWith(cb);

describe('claims interaction endpoint', () => {
  it('shows the person an error and does not redirect for an unknown client or unregistered redirect URI', async () => {
    const ticket = await rsTicket('blood-test');
    for (const params of <Record<string, string>[]>[{ client_id: 'nobody', ticket, claims_redirect_uri: cb }, { client_id: 'tessera', ticket, claims_redirect_uri: 'http://evil.example/cb' }, { client_id: 'tessera', ticket, claims_redirect_uri: 'http://127.0.0.1:5/other-path' }, { client_id: 'tessera', ticket }]) {
      const r = await fetch(claimsUrl(params), { redirect: 'manual' });
      expect(r.status).toBe(400);
      expect(r.headers.get('location')).toBeNull();
      expect(r.headers.get('content-type')).toContain('text/html');
    }
  });

  it('redirects back with error and state for a missing, unknown or reused ticket', async () => {
    const missing = await fetch(claimsUrl({ client_id: 'tessera', claims_redirect_uri: cb, state: 's1' }), { redirect: 'manual' });
    expect(new URL(missing.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
    const ticket = await rsTicket('blood-test');
    const first = await fetch(claimsUrl({ client_id: 'tessera', ticket, claims_redirect_uri: cb, state: 's2' }), { redirect: 'manual' });
    expect(first.headers.get('location')).toMatch(/^\/uma\/claims\/s\//);
    // Presenting the ticket at the claims endpoint consumed it (UMA Grant §5.5).
    const reused = await fetch(claimsUrl({ client_id: 'tessera', ticket, claims_redirect_uri: cb, state: 's3' }), { redirect: 'manual' });
    const location = new URL(reused.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(cb);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('s3');
    expect((await token({ ticket })).body.error).toBe('invalid_grant');
  });

  it('the same browser opening the same address again continues its page; another browser, or another state, gets the used ticket refused', async () => {
    const ticket = await rsTicket('blood-test');
    const address = claimsUrl({ client_id: 'tessera', ticket, claims_redirect_uri: cb, state: 'again-1' });
    const person = new HttpBrowser();
    const first = await person.open(address, back);
    expect(first.url).toMatch(/\/uma\/claims\/s\//);
    const again = await person.open(address, back);
    expect(again.url).toBe(first.url);
    expect(again.status).toBe(200);
    const stranger = await new HttpBrowser().open(address, back);
    expect(new URL(stranger.url).searchParams.get('error')).toBe('invalid_request');
    const otherState = await person.open(claimsUrl({ client_id: 'tessera', ticket, claims_redirect_uri: cb, state: 'again-2' }), back);
    expect(new URL(otherState.url).searchParams.get('error')).toBe('invalid_request');
  });

  it('the session page is bound to the browser that arrived with the ticket', async () => {
    const browser = new HttpBrowser();
    const page = await browser.open(claimsUrl({ client_id: 'tessera', ticket: await rsTicket('blood-test'), claims_redirect_uri: cb, state: 'x' }), back);
    expect(page.status).toBe(200);
    const stranger = await fetch(page.url);
    expect(stranger.status).toBe(400);
    expect(await stranger.text()).toContain('expired');
  });

  it('returns a new ticket and the state; the ticket carries the gathered claims to the token endpoint', async () => {
    const browser = new HttpBrowser();
    const ticket = await rsTicket('blood-test');
    let page = await browser.open(claimsUrl({ client_id: 'tessera', ticket, claims_redirect_uri: cb, state: 'st-1' }), back);
    page = await browser.submit(page.url, formAction(page.text, 'Sign in with Hospital ID'), {}, back);
    page = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: 'alice-demo' }, back);
    expect(page.text).toContain("St. Mary Laboratory data-use terms");
    // Not ticking the box keeps the person on the page with an explanation.
    const unticked = await browser.submit(page.url, formAction(page.text, '/continue'), {}, back);
    expect(unticked.text).toContain('Tick the box');
    page = await browser.submit(unticked.url, formAction(unticked.text, '/continue'), { accept_terms: 'yes' }, back);
    const returned = new URL(page.url);
    expect(returned.searchParams.get('state')).toBe('st-1');
    const next = returned.searchParams.get('ticket') ?? '';
    expect(next).not.toBe(ticket);
    const granted = await token({ ticket: next });
    expect(granted.status).toBe(200);
    expect(granted.body.pct).toBeTruthy();
  });

  it('cancel returns error=access_denied; a failed Hospital ID sign-in is explained on the page', async () => {
    const browser = new HttpBrowser();
    let page = await browser.open(claimsUrl({ client_id: 'tessera', ticket: await rsTicket('blood-test'), claims_redirect_uri: cb, state: 'c' }), back);
    page = await browser.submit(page.url, formAction(page.text, 'Sign in with Hospital ID'), {}, back);
    const wrong = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: 'nope' }, back);
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('wrong password');
    page = await browser.submit(wrong.url, formAction(wrong.text, 'Cancel'), {}, back);
    expect(page.text).toContain('did not complete');
    page = await browser.submit(page.url, formAction(page.text, 'Cancel and return'), {}, back);
    expect(new URL(page.url).searchParams.get('error')).toBe('access_denied');
  });
});

describe("Kate's dashboard", () => {
  it('refuses a wrong password and forms without the CSRF token', async () => {
    const browser = new HttpBrowser();
    const bad = await browser.submit(demo.config.as.dashboardUrl, '/dashboard/login', { login: 'kate', password: 'guess' });
    expect(bad.status).toBe(401);
    const kate = await ownerSession(demo.config);
    const html = await kate.page();
    const resourceId = /id="resource-([\w-]+)"/.exec(html)?.[1] ?? '';
    const forged = await kate.browser.submit(demo.config.as.dashboardUrl, `/dashboard/resources/${resourceId}/rules`, { csrf: 'forged', claim: 'role', value: 'visitor', scope_read: 'on' });
    expect(forged.status).toBe(403);
    expect(await kate.page()).not.toContain('role &quot;visitor&quot;');
  });

  it("a rule Kate adds lets Mallory in; removing it shuts her out again; revoking her grant ends access", async () => {
    const mallory = String((await signIn(demo.config, 'mallory')).id_token);
    const push = { claim_token: mallory, claim_token_format: ID_TOKEN };
    expect((await token({ ticket: await rsTicket('bills'), ...push })).body.error).toBe('request_denied');
    const kate = await ownerSession(demo.config);
    let html = await kate.page();
    const billsId = demo.config.rs.resources.find((r) => r.name === 'bills')?.id ?? '';
    await kate.browser.submit(demo.config.as.dashboardUrl, `/dashboard/resources/${billsId}/rules`, { csrf: hiddenValue(html, 'csrf'), claim: 'role', value: 'visitor', scope_read: 'on' });
    html = await kate.page();
    expect(html).toContain('anyone with role &quot;visitor&quot;');
    const granted = await token({ ticket: await rsTicket('bills'), ...push });
    expect(granted.status).toBe(200);
    const rpt = granted.body.access_token ?? '';
    expect((await fetch(url('bills'), { headers: { Authorization: `Bearer ${rpt}` } })).status).toBe(200);
    // Revoke Mallory's grant in the dashboard.
    html = await kate.page();
    const row = html.split('<tr>').find((r) => r.includes('mallory@elsewhere.example') && r.includes('/revoke')) ?? '';
    const revoke = /action="(\/dashboard\/grants\/[\w-]+\/revoke)"/.exec(row)?.[1] ?? '';
    expect(revoke).not.toBe('');
    await kate.browser.submit(demo.config.as.dashboardUrl, revoke, { csrf: hiddenValue(html, 'csrf') });
    expect((await fetch(url('bills'), { headers: { Authorization: `Bearer ${rpt}` } })).status).toBe(401);
    html = await kate.page();
    expect(html).toContain('revoked by kate');
    // Remove the rule.
    const remove = [...html.matchAll(/action="(\/dashboard\/resources\/[\w-]+\/rules\/[\w-]+\/delete)"[^>]*>[\s\S]*?Remove rule: ([^"]+)"/g)].find((m) => m[2]?.includes('visitor'))?.[1] ?? '';
    await kate.browser.submit(demo.config.as.dashboardUrl, remove, { csrf: hiddenValue(html, 'csrf') });
    expect((await token({ ticket: await rsTicket('bills'), ...push })).body.error).toBe('request_denied');
  });
});
