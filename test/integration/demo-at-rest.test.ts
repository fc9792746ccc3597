/**
 * The demo's data directory holds no usable credential (issue 12 item 6): after a real sign-in and a
 * refresh at Hospital ID, a PAT, an RPT with its refresh token, a PCT, tickets, a claims-interaction
 * session and Kate's dashboard session, none of their raw values appears anywhere in the LMDB files'
 * bytes; the files are owner-only; after a restart every one of them still works (found by hash).
 * Also: a refresh token presented ten times at once at Hospital ID is honoured once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';
import { AS_RS_CLIENT } from '../../src/demo/seed';
import { LmdbKv } from '../../src/demo/store/lmdb-kv';
import { HttpBrowser } from '../fixtures/http-browser';
import { ownerSession, signIn } from '../fixtures/demo-people';

const ID_TOKEN = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';
const UMA = 'urn:ietf:params:oauth:grant-type:uma-ticket';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const dirs: string[] = [];
const handles: DemoHandle[] = [];
afterAll(async () => {
  for (const h of handles) await h.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'tessera-demo-at-rest-')); dirs.push(d); return d; };
const start = async (dataDir: string, ports: { idp: number; as: number; rs: number } = { idp: 0, as: 0, rs: 0 }) => {
  const h = await startDemo({ dataDir, ports, introspectionCacheMs: 0 });
  handles.push(h);
  return h;
};
const portsOf = (d: DemoHandle) => ({ idp: Number(new URL(d.config.idp.issuer).port), as: Number(new URL(d.config.as.issuer).port), rs: Number(new URL(d.config.rs.url).port) });

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

async function post(url: string, body: Record<string, string>, authorization?: string) {
  const r = await fetch(url, { method: 'POST', headers: { ...form, ...(authorization ? { Authorization: authorization } : {}) }, body: new URLSearchParams(body).toString() });
  return { status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, string> };
}
const tessera = basic('tessera', 'tessera-demo-secret');
const resourceUrl = (d: DemoHandle, name: string) => d.config.rs.resources.find((r) => r.name === name)?.url ?? '';
async function rsTicket(d: DemoHandle, name: string): Promise<string> {
  const header = (await fetch(resourceUrl(d, name))).headers.get('www-authenticate') ?? '';
  return /ticket="([^"]+)"/.exec(header)?.[1] ?? '';
}
const idpRefresh = (d: DemoHandle, refreshToken: string) => post(`${d.config.idp.issuer}/token`, { grant_type: 'refresh_token', client_id: 'tessera', refresh_token: refreshToken });

/** Authorize at Hospital ID with `browser`'s cookies; true when it returns to the client without a sign-in page. */
async function silentlySignedIn(d: DemoHandle, browser: HttpBrowser): Promise<boolean> {
  const issuer = new URL(d.config.idp.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
  const redirectUri = 'http://127.0.0.1:49152/oidc/callback';
  const authorize = new URL(String(as.authorization_endpoint));
  authorize.search = new URLSearchParams({ client_id: 'tessera', response_type: 'code', scope: 'openid email profile role', redirect_uri: redirectUri, state: 's', nonce: 'n', code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: 'S256' }).toString();
  const page = await browser.open(authorize.href, (u) => u.startsWith(redirectUri));
  return page.url.startsWith(redirectUri) && new URL(page.url).searchParams.has('code');
}

describe('demo data at rest (issue 12 item 6)', () => {
  it('holds no raw token in its files, keeps them owner-only, and every token still works after a restart', async () => {
    const dir = tempDir();
    let demo = await start(dir);
    const secrets: Record<string, string> = {};

    // Hospital ID: a real sign-in (session, authorization code, access, refresh and ID tokens), then a refresh.
    const browser = new HttpBrowser();
    const signed = await signIn(demo.config, 'alice', browser);
    secrets['idp session cookie'] = browser.cookie(demo.config.idp.issuer, '_session') ?? '';
    secrets['idp access token'] = signed.access_token;
    secrets['idp refresh token (rotated)'] = String(signed.refresh_token);
    const refreshed = await idpRefresh(demo, String(signed.refresh_token));
    expect(refreshed.status).toBe(200);
    secrets['idp access token (refreshed)'] = String(refreshed.body.access_token);
    secrets['idp refresh token'] = String(refreshed.body.refresh_token ?? signed.refresh_token);

    // The AS: a PAT, an RPT with refresh token and PCT, a ticket left unused, Kate's session, a claims session.
    const pat = await post(`${demo.config.as.issuer}/token`, { grant_type: 'client_credentials', scope: 'uma_protection' }, basic(AS_RS_CLIENT.client_id, AS_RS_CLIENT.client_secret));
    expect(pat.status).toBe(200);
    secrets.PAT = String(pat.body.access_token);
    const usedTicket = await rsTicket(demo, 'prescriptions');
    const granted = await post(`${demo.config.as.issuer}/token`, { grant_type: UMA, ticket: usedTicket, claim_token: String(signed.id_token), claim_token_format: ID_TOKEN }, tessera);
    expect(granted.status).toBe(200);
    secrets['ticket (used)'] = usedTicket;
    secrets.RPT = String(granted.body.access_token);
    secrets['RPT refresh token'] = String(granted.body.refresh_token);
    secrets.PCT = String(granted.body.pct);
    secrets['ticket (live)'] = await rsTicket(demo, 'prescriptions');
    const kate = await ownerSession(demo.config);
    secrets['dashboard session'] = kate.browser.cookie(demo.config.as.issuer, 'owner_session') ?? '';
    const claimsBrowser = new HttpBrowser();
    const claims = new URL(`${demo.config.as.issuer}/uma/claims`);
    claims.search = new URLSearchParams({ client_id: 'tessera', ticket: await rsTicket(demo, 'blood-test'), claims_redirect_uri: 'http://127.0.0.1:49153/uma/claims-callback', state: 'st' }).toString();
    const claimsPage = await claimsBrowser.open(claims.href);
    expect(claimsPage.status).toBe(200);
    secrets['claims-interaction session'] = /\/uma\/claims\/s\/([\w-]+)/.exec(claimsPage.url)?.[1] ?? '';
    for (const [label, value] of Object.entries(secrets)) expect(value.length, label).toBeGreaterThanOrEqual(20);

    await demo.close();
    const stored = files(dir);
    expect(stored.length).toBeGreaterThan(0);
    const found: string[] = [];
    for (const file of stored) {
      const bytes = readFileSync(file);
      for (const [label, value] of Object.entries(secrets)) if (bytes.includes(Buffer.from(value))) found.push(`${label} in ${file.slice(dir.length)}`);
    }
    expect(found).toEqual([]);
    if (process.platform !== 'win32') {
      for (const file of stored) expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
      expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    }

    // Restart on the same ports and directory: everything is found by its hash. (A moment first:
    // fetch's keep-alive pool in this process still holds the RS's sockets to the old AS, and the
    // first request on one fails with "other side closed" — on main too.)
    await new Promise((r) => setTimeout(r, 300));
    demo = await start(dir, portsOf(demo));
    const again = await idpRefresh(demo, secrets['idp refresh token'] ?? '');
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(await silentlySignedIn(demo, browser)).toBe(true);
    expect((await fetch(`${demo.config.as.issuer}/uma/resource_set`, { headers: { Authorization: `Bearer ${secrets.PAT}` } })).status).toBe(200);
    expect((await fetch(resourceUrl(demo, 'prescriptions'), { headers: { Authorization: `Bearer ${secrets.RPT}` } })).status).toBe(200);
    expect((await post(`${demo.config.as.issuer}/token`, { grant_type: UMA, ticket: await rsTicket(demo, 'prescriptions'), pct: secrets.PCT ?? '' }, tessera)).status).toBe(200);
    expect((await post(`${demo.config.as.issuer}/token`, { grant_type: 'refresh_token', refresh_token: secrets['RPT refresh token'] ?? '' }, tessera)).status).toBe(200);
    // The live ticket is still known (it asks for claims rather than being unknown).
    expect((await post(`${demo.config.as.issuer}/token`, { grant_type: UMA, ticket: secrets['ticket (live)'] ?? '' }, tessera)).body.error).toBe('need_info');
    expect(await kate.page()).toContain('Welcome, Kate');
    expect((await claimsBrowser.open(claimsPage.url)).text).toContain('Sign in with Hospital ID');
  }, 90_000);

  it('a data directory written by the old adapter loses its raw-keyed entries on start', async () => {
    const dir = tempDir();
    const old = new LmdbKv(dir);
    const raw = 'LEGACY_refresh_token_value_0123456789abcdefgh';
    await old.put(`idp/oidc:RefreshToken:${raw}`, { jti: raw, kind: 'RefreshToken' });
    await old.put(`idp/oidc-grant:g1:RefreshToken:${raw}`, 1);
    await old.put('as/oidc:ClientCredentials:old-pat-value-0123456789', { jti: 'old-pat-value-0123456789' });
    await old.close();
    await (await start(dir)).close();
    const reopened = new LmdbKv(dir);
    expect([...reopened.list('idp/oidc:'), ...reopened.list('idp/oidc-grant:'), ...reopened.list('as/oidc:')]).toEqual([]);
    await reopened.close();
  }, 60_000);
});

describe('single use under concurrency at Hospital ID', () => {
  it('a refresh token presented ten times at once is honoured once', async () => {
    const demo = await start(tempDir());
    const signed = await signIn(demo.config, 'sam');
    const results = await Promise.all(Array.from({ length: 10 }, () => idpRefresh(demo, String(signed.refresh_token))));
    const ok = results.filter((r) => r.status === 200);
    expect(ok, JSON.stringify(results.map((r) => r.status))).toHaveLength(1);
    for (const r of results.filter((q) => q.status !== 200)) expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  }, 60_000);
});
