/**
 * What a hostile review of the demo servers found (issue 12, items 5, 9, 11), against the real demo
 * on LMDB: one approval from Kate yields one RPT however many tickets poll on it at once; malformed
 * percent-encoding anywhere (path, cookie, Basic credentials, query, form) never yields a 500 and a
 * planted bad cookie does not lock Kate out of her dashboard; resource registration takes only
 * http(s) URLs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { AS_RS_CLIENT } from '../../src/demo/seed';
import { ownerSession, signIn } from '../fixtures/demo-people';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const UMA = 'urn:ietf:params:oauth:grant-type:uma-ticket';
const BAD = '%E0%A4%A';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-hardening-'));
let demo: DemoHandle;
beforeAll(async () => { demo = await startDemo({ dataDir: dir, ports: { idp: 0, as: 0, rs: 0 }, introspectionCacheMs: 0, pollInterval: 1 }); });
afterAll(async () => {
  await demo.close();
  rmSync(dir, { recursive: true, force: true });
});

const resourceUrl = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
async function rsTicket(name: string): Promise<string> {
  const header = (await fetch(resourceUrl(name))).headers.get('www-authenticate') ?? '';
  return /ticket="([^"]+)"/.exec(header)?.[1] ?? '';
}
async function token(params: Record<string, string>) {
  const r = await fetch(`${demo.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: basic('tessera', 'tessera-demo-secret'), ...form }, body: new URLSearchParams({ grant_type: UMA, ...params }).toString() });
  return { status: r.status, body: (await r.json()) as Record<string, string> };
}
async function pat(): Promise<string> {
  const r = await fetch(`${demo.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: basic(AS_RS_CLIENT.client_id, AS_RS_CLIENT.client_secret), ...form }, body: 'grant_type=client_credentials&scope=uma_protection' });
  return String(((await r.json()) as { access_token?: string }).access_token);
}

describe('approval race (issue 12 item 5)', () => {
  it('one approval, ten tickets waiting on it, polled at once over HTTP → exactly one RPT', async () => {
    const alice = String((await signIn(demo.config, 'alice')).id_token);
    // Ten authorization processes for the care notes, all waiting on one pending request.
    const waiting: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await token({ ticket: await rsTicket('care-notes'), claim_token: alice, claim_token_format: ID_TOKEN });
      expect(r.body.error).toBe('request_submitted');
      waiting.push(r.body.ticket ?? '');
    }
    const kate = await ownerSession(demo.config);
    expect([...(await kate.page()).matchAll(/data-request="/g)]).toHaveLength(1);
    await kate.decide('approve');

    const polls = await Promise.all(waiting.map((ticket) => token({ ticket })));
    const granted = polls.filter((p) => p.status === 200);
    expect(granted, JSON.stringify(polls.map((p) => p.status))).toHaveLength(1);
    // The others wait again, on one new request for Kate ("only with my approval each time").
    for (const p of polls.filter((q) => q.status !== 200)) expect(p.body.error).toBe('request_submitted');
    const after = await kate.page();
    expect([...after.matchAll(/data-request="/g)]).toHaveLength(1);
    // The one RPT opens the notes; Kate sees one active grant.
    expect((await fetch(resourceUrl('care-notes'), { headers: { Authorization: `Bearer ${granted[0]?.body.access_token}` } })).status).toBe(200);
    expect([...after.matchAll(/action="\/dashboard\/grants\/[\w-]+\/revoke"/g)]).toHaveLength(1);
  }, 60_000);
});

describe('other single-use values under concurrency', () => {
  it('a ticket presented ten times at once is honoured once; an RPT refresh token likewise', async () => {
    const alice = String((await signIn(demo.config, 'alice')).id_token);
    const ticket = await rsTicket('prescriptions');
    const uses = await Promise.all(Array.from({ length: 10 }, () => token({ ticket, claim_token: alice, claim_token_format: ID_TOKEN })));
    expect(uses.filter((u) => u.status === 200), JSON.stringify(uses.map((u) => u.status))).toHaveLength(1);
    for (const u of uses.filter((q) => q.status !== 200)) expect(u.body.error).toBe('invalid_grant');
    const refresh = String(uses.find((u) => u.status === 200)?.body.refresh_token);
    const refreshes = await Promise.all(Array.from({ length: 10 }, () => fetch(`${demo.config.as.issuer}/token`, { method: 'POST', headers: { Authorization: basic('tessera', 'tessera-demo-secret'), ...form }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }).toString() })));
    expect(refreshes.filter((r) => r.status === 200), JSON.stringify(refreshes.map((r) => r.status))).toHaveLength(1);
  }, 60_000);
});

describe('malformed percent-encoding (issue 12 item 9)', () => {
  it('never answers 500 on any demo route, in the path, a cookie, Basic credentials, the query or a form', async () => {
    const { as: { issuer: as }, idp: { issuer: idp }, rs: { url: rs } } = demo.config;
    const targets = [
      `${as}/uma/resource_set/${BAD}`, `${as}/uma/resource_set/${BAD}/`, `${as}/uma/resource_set/%`, `${as}/dashboard`, `${as}/dashboard/${BAD}`, `${as}/dashboard/login`,
      `${as}/dashboard/requests/${BAD}`, `${as}/uma/claims?client_id=${BAD}&ticket=${BAD}&claims_redirect_uri=${BAD}`, `${as}/uma/claims/s/aaaaaaaaaaaaaaaaaaaaaaaa`,
      `${as}/uma/claims/s/aaaaaaaaaaaaaaaaaaaaaaaa/continue`, `${as}/uma/claims/oidc-callback?state=${BAD}&code=${BAD}`, `${as}/uma/permission`, `${as}/uma/introspect`,
      `${as}/uma/revoke`, `${as}/token`, `${as}/reg/${BAD}`, `${as}/${BAD}`, `${as}/%`, `${as}/.well-known/uma2-configuration`,
      `${idp}/auth?client_id=${BAD}&redirect_uri=${BAD}`, `${idp}/interaction/${BAD}`, `${idp}/interaction/abc/login`, `${idp}/token`, `${idp}/me`, `${idp}/session/end?state=${BAD}`,
      `${idp}/token/revocation`, `${idp}/${BAD}`, `${idp}/%`, `${rs}/${BAD}`, `${rs}/%`, `${rs}/patients/kate/${BAD}`, `${rs}/patients/kate/prescriptions`,
    ];
    const cookies = [`owner_session=${BAD}`, `_session=${BAD}; _session.sig=${BAD}; _interaction=${BAD}`, `ucs-aaaaaaaaaaaaaaaa=${BAD}`, `${BAD}=${BAD}`];
    const failures: string[] = [];
    for (const target of targets) {
      for (const cookie of ['', ...cookies]) {
        for (const method of ['GET', 'POST']) {
          const headers: Record<string, string> = { ...form, Authorization: basic(`tessera${BAD}`, `x${BAD}`), ...(cookie ? { Cookie: cookie } : {}) };
          const r = await fetch(target, { method, headers, redirect: 'manual', ...(method === 'POST' ? { body: `grant_type=client_credentials&client_id=${BAD}&token=${BAD}&csrf=${BAD}` } : {}) });
          const text = await r.text();
          if (r.status >= 500) failures.push(`${r.status} ${method} ${target.replace(/^http:\/\/127\.0\.0\.1:\d+/, '')} [${cookie}] ${text.slice(0, 80)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // A bad resource id in the path is the client's error: 400, not 404 or 500.
    const r = await fetch(`${as}/uma/resource_set/${BAD}`, { headers: { Authorization: `Bearer ${await pat()}` } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toBe('invalid_request');
  }, 60_000);

  it("a cookie planted by another 127.0.0.1 page does not lock Kate out of her dashboard", async () => {
    const login = await fetch(`${demo.config.as.issuer}/dashboard/login`, { method: 'POST', headers: form, body: 'login=kate&password=kate-demo', redirect: 'manual' });
    const sid = /owner_session=([^;]+)/.exec(login.headers.getSetCookie().join('\n'))?.[1] ?? '';
    expect(sid).not.toBe('');
    // The browser sends the more specific (Kate's, Path=/dashboard) cookie first, a planted Path=/ one after it.
    for (const cookie of [`owner_session=${sid}; owner_session=${BAD}`, `other=${BAD}; owner_session=${sid}`, `owner_session=${sid}; ${BAD}=1`]) {
      const page = await fetch(demo.config.as.dashboardUrl, { headers: { Cookie: cookie } });
      expect(page.status, cookie).toBe(200);
      expect(await page.text(), cookie).toContain('Welcome, Kate');
    }
    // Only the bad cookie: the sign-in page, not an error.
    const alone = await fetch(demo.config.as.dashboardUrl, { headers: { Cookie: `owner_session=${BAD}` } });
    expect(alone.status).toBe(200);
    expect(await alone.text()).toContain('Resource owner sign-in');
  });
});

describe('URLs in resource registration (issue 12 item 11)', () => {
  const register = async (token: string, body: Record<string, unknown>, id?: string) => {
    const r = await fetch(`${demo.config.as.issuer}/uma/resource_set${id ? `/${id}` : ''}`, { method: id ? 'PUT' : 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as Record<string, string> };
  };

  it('icon_uri must be an http(s) URL, on create and on update', async () => {
    const token = await pat();
    for (const icon of ['javascript:alert(1)', 'JavaScript:alert(document.cookie)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'vbscript:msgbox(1)', 'http://user:pass@127.0.0.1/icon.png', 'not a url', '//127.0.0.1/x.png']) {
      const r = await register(token, { resource_scopes: ['read'], name: `icon-test-${icon.length}`, icon_uri: icon });
      expect(r.status, icon).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    }
    // Extension members that name a URL are held to the same rule.
    expect((await register(token, { resource_scopes: ['read'], name: 'ext-uri', homepage_uri: 'javascript:alert(1)' })).status).toBe(400);
    expect((await register(token, { resource_scopes: ['read'], name: 'ext-url', info_url: 'data:text/html,x' })).status).toBe(400);
    const ok = await register(token, { resource_scopes: ['read'], name: 'icon-ok', icon_uri: 'https://icons.example/heart.png', homepage_uri: 'https://example.org/' });
    expect(ok.status).toBe(201);
    const id = ok.body._id ?? '';
    expect((await register(token, { resource_scopes: ['read'], name: 'icon-ok', icon_uri: 'javascript:alert(1)' }, id)).status).toBe(400);
    expect((await register(token, { resource_scopes: ['read'], name: 'icon-ok', icon_uri: 'http://127.0.0.1:8080/heart.png' }, id)).status).toBe(200);
    const stored = await fetch(`${demo.config.as.issuer}/uma/resource_set/${id}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await stored.json()) as { icon_uri: string }).icon_uri).toBe('http://127.0.0.1:8080/heart.png');
  });

  it('dynamic client registration refuses script URLs in every URL member (oidc-provider checks them; kept as a guard)', async () => {
    for (const field of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri', 'jwks_uri', 'initiate_login_uri', 'sector_identifier_uri']) {
      const r = await fetch(`${demo.config.as.issuer}/reg`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], [field]: 'javascript:alert(1)' }) });
      expect(r.status, field).toBe(400);
    }
    for (const field of ['redirect_uris', 'post_logout_redirect_uris', 'claims_redirect_uris']) {
      const r = await fetch(`${demo.config.as.issuer}/reg`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], [field]: ['javascript:alert(1)'] }) });
      expect(r.status, field).toBe(400);
    }
  });
});
