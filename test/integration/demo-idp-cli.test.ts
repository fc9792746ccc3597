/** Hospital ID (the demo IdP) over HTTP, and the `npm run demo` command line. */
import { spawn } from 'node:child_process';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startDemo, type DemoHandle } from '../../src/demo';
import { main } from '../../src/demo/cli';
import { formAction, HttpBrowser } from '../fixtures/http-browser';
import { signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
beforeAll(async () => { demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } }); });
afterAll(async () => demo.close());

function authorizeUrl(params: Record<string, string>): string {
  const u = new URL(`${demo.config.idp.issuer}/auth`);
  u.search = new URLSearchParams({ client_id: 'tessera', response_type: 'code', scope: 'openid email profile', state: 'st', nonce: 'n', ...params }).toString();
  return u.href;
}

describe('Hospital ID', () => {
  it('issues ID tokens with email, email_verified, name and role to Tessera (PKCE, loopback redirect on any port)', async () => {
    const tokens = await signIn(demo.config, 'alice');
    const claims = decodeJwt(String(tokens.id_token));
    expect(claims).toMatchObject({ iss: demo.config.idp.issuer, aud: 'tessera', sub: 'alice', email: 'alice@hospital.example', email_verified: true, name: 'Dr. Alice Moreau', role: 'physician' });
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('requires PKCE and a registered loopback path; shows its own sign-in page', async () => {
    const noPkce = await fetch(authorizeUrl({ redirect_uri: 'http://127.0.0.1:40000/oidc/callback' }), { redirect: 'manual' });
    const location = new URL(noPkce.headers.get('location') ?? 'http://x/');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
    const badPath = await fetch(authorizeUrl({ redirect_uri: 'http://127.0.0.1:40000/elsewhere', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }), { redirect: 'manual' });
    expect(badPath.status).toBe(400);
    const browser = new HttpBrowser();
    const page = await browser.open(authorizeUrl({ redirect_uri: 'http://127.0.0.1:40001/oidc/callback', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }));
    expect(page.text).toContain('Sign in to Hospital ID');
    expect(page.text).toContain('name="login"');
    expect(page.text).toContain('name="password"');
  });

  it('a wrong password stays on the page; Cancel redirects with error=access_denied and the state', async () => {
    const browser = new HttpBrowser();
    const cb = 'http://127.0.0.1:40002/oidc/callback';
    const at = (u: string) => u.startsWith(cb);
    const page = await browser.open(authorizeUrl({ redirect_uri: cb, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }), at);
    const wrong = await browser.submit(page.url, formAction(page.text, 'name="login"'), { login: 'alice', password: 'x' }, at);
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('wrong password');
    const cancelled = await browser.submit(wrong.url, formAction(wrong.text, 'Cancel'), {}, at);
    const back = new URL(cancelled.url);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('st');
  });

  it('switching people in one browser: prompt=login as someone else completes (the provider ends the old session mid-sign-in)', async () => {
    const browser = new HttpBrowser();
    const cb = 'http://127.0.0.1:40003/oidc/callback';
    const at = (u: string) => u.startsWith(cb);
    const scope = 'openid email profile role offline_access';
    const first = await browser.open(authorizeUrl({ redirect_uri: cb, scope, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }), at);
    expect(at((await browser.submit(first.url, formAction(first.text, 'name="login"'), { login: 'alice', password: 'alice-demo' }, at)).url)).toBe(true);
    // Signed in: a plain request goes straight back.
    expect(at((await browser.open(authorizeUrl({ redirect_uri: cb, scope, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }), at)).url)).toBe(true);
    const login = await browser.open(authorizeUrl({ redirect_uri: cb, scope, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256', prompt: 'login', max_age: '0' }), at);
    expect(login.text).toContain('Sign in to Hospital ID');
    let page = await browser.submit(login.url, formAction(login.text, 'name="login"'), { login: 'sam', password: 'sam-demo' }, at);
    // oidc-provider logs the old account out with a self-submitting form (a browser runs its script).
    expect(page.text).toContain('document.forms[0].submit()');
    const hidden = Object.fromEntries([...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    page = await browser.submit(page.url, formAction(page.text), hidden, at);
    expect(page.url.startsWith(cb)).toBe(true);
    expect(new URL(page.url).searchParams.get('code')).toBeTruthy();
  });

  it('refreshes tokens for the native client', async () => {
    const tokens = await signIn(demo.config, 'sam');
    const issuer = new URL(demo.config.idp.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const client = { client_id: 'tessera' };
    const r = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), String(tokens.refresh_token), { [oauth.allowInsecureRequests]: true });
    const refreshed = await oauth.processRefreshTokenResponse(as, client, r);
    expect(decodeJwt(String(refreshed.id_token)).email).toBe('sam@family.example');
  });
});

describe('npm run demo', () => {
  it('--print-config prints the configuration as JSON and exits 0', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
    let code: number;
    try { code = await main(['--memory', '--print-config', '--quiet', '--idp-port', '0', '--as-port', '0', '--rs-port', '0']); } finally { process.stdout.write = write; }
    expect(code).toBe(0);
    const config = JSON.parse(out.join('')) as { as: { tesseraClient: { client_id: string } }; rs: { resources: unknown[] } };
    expect(config.as.tesseraClient.client_id).toBe('tessera');
    expect(config.rs.resources).toHaveLength(5);
  });

  it('rejects a bad port with exit 2 and a clear message', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
    let code: number;
    try { code = await main(['--memory', '--as-port', 'eighty']); } finally { process.stderr.write = write; }
    expect(code).toBe(2);
    expect(err.join('')).toContain('--as-port must be a port number');
  });

  it('prints the people and URLs, and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/cli.ts', '--memory', '--quiet', '--idp-port', '0', '--as-port', '0', '--rs-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('Ctrl-C')) resolve(); }));
    expect(out).toContain('alice / alice-demo');
    expect(out).toContain("Kate's dashboard");
    expect(out).toContain('client_secret tessera-demo-secret');
    child.kill('SIGINT');
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    expect({ code, signal, err: err.replace(/oidc-provider WARNING[^\n]*\n/, '') }).toEqual({ code: 0, signal: null, err: '' });
  }, 60_000);
});
