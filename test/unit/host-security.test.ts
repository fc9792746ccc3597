/**
 * Browser-mode host security: the single-use launch secret and its session, Host and Origin checks,
 * content type, CSP, static files, malformed requests (400, never 500).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, PAGE_CSP, type HostHandle } from '../../src/host/server';

let host: HostHandle;
let dir: string;
const calls: { method: string; input: unknown }[] = [];
const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
/** The session the page got for the launch secret (beforeAll does what the page's first load does). */
let SESSION = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-host-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(dir, '..', 'outside-secret.txt'), 'nope').catch(() => undefined);
  host = await startHost({
    staticDir: dir, secret: SECRET,
    service: {
      call: async (method: string, input: unknown) => { calls.push({ method, input }); return { ok: 'result' } as never; },
      subscribe: (listener: (e: never) => void) => { setTimeout(() => listener({ type: 'state', state: { mode: 'browser' } } as never), 20); return () => {}; },
    } as never,
  });
});
beforeAll(async () => {
  // Before the exchange the launch secret opens nothing but a session.
  expect((await callWith({ Authorization: `Bearer ${SECRET}` })).status).toBe(401);
  const exchanged = await exchange(SECRET);
  expect(exchanged.status).toBe(200);
  SESSION = (JSON.parse(exchanged.body) as { result: { session: string } }).result.session;
  expect(SESSION).toMatch(/^[\w-]{43}$/);
  expect(SESSION).not.toBe(SECRET);
  calls.length = 0;
});
afterAll(async () => { await host.close(); await rm(dir, { recursive: true, force: true }); });

/** Raw request so Host and Origin can be set freely. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); if (res.headers['content-type']?.startsWith('text/event-stream') && body.includes('data:')) { req.destroy(); resolve({ status: res.statusCode ?? 0, headers: res.headers, body }); } });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
/** A request written on a socket, so request targets Node's client would not send go out as they are. */
function rawSocket(method: string, target: string, headers: Record<string, string>, body: string): Promise<number> {
  const { port } = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    socket.on('data', (c: Buffer) => { data += c.toString('latin1'); const m = /^HTTP\/1\.1 (\d{3})/.exec(data); if (m) { socket.destroy(); resolve(Number(m[1])); } });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${Buffer.byteLength(body)}`];
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}
const exchange = (secret: string, headers: Record<string, string> = {}) => raw('/api/session', { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json', ...headers }, body: '{}' });
const callWith = (headers: Record<string, string>, body = JSON.stringify({ method: 'getState', input: {} })) => raw('/api/call', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

describe('browser-mode host', () => {
  it('binds 127.0.0.1 and puts the launch secret only in the launch URL fragment', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.launchUrl).toBe(`${host.origin}/#k=${SECRET}`);
  });

  it('the launch secret is single-use: exchanged once for a session, dead afterwards (issue 12 item 4)', async () => {
    expect(host.launched).toBe(true);
    // Someone who read the launch URL from /proc/PID/cmdline after the page loaded gets nothing.
    const again = await exchange(SECRET);
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body).error.message).toMatch(/already used/);
    expect((await callWith({ Authorization: `Bearer ${SECRET}` })).status).toBe(401);
    expect((await callWith({ Authorization: `Bearer ${SECRET}` }, JSON.stringify({ method: 'trustAs', input: { issuer: 'https://evil.example' } }))).status).toBe(401);
    expect((await callWith({ Authorization: `Bearer ${SECRET}` }, JSON.stringify({ method: 'revealToken', input: { kind: 'rpt', key: 'k', confirm: true } }))).status).toBe(401);
    expect((await raw('/api/events', { headers: { Authorization: `Bearer ${SECRET}` } })).status).toBe(401);
    // A wrong secret is not exchanged either, and the exchange needs JSON (no CORS-simple POST).
    expect((await exchange('wrong-secret-0123456789-abcdefghij')).status).toBe(401);
    expect((await exchange(SECRET, { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await exchange(SECRET, { Origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect(calls).toHaveLength(0);
    // The session works.
    expect((await callWith({ Authorization: `Bearer ${SESSION}` })).status).toBe(200);
    calls.length = 0;
  });

  it('a fresh host: only the first of several concurrent exchanges wins', async () => {
    const other = await startHost({ staticDir: dir, secret: SECRET, service: { call: async () => ({}), subscribe: () => () => {} } as never });
    try {
      const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${other.origin}/api/session`, { method: 'POST', headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json'}, body: '{}' }).then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 401)).toHaveLength(7);
    } finally {
      await other.close();
    }
  });

  it('refuses API calls without the session or with a wrong one (401)', async () => {
    expect((await callWith({})).status).toBe(401);
    expect((await callWith({ Authorization: 'Bearer wrong-secret-0123456789-abcdefghij' })).status).toBe(401);
    expect((await raw('/api/events')).status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (cross-site)', async () => {
    expect((await callWith({ Authorization: `Bearer ${SESSION}`, Host: 'evil.example' })).status).toBe(421);
    expect((await raw('/', { headers: { Host: 'evil.example:80' } })).status).toBe(421);
    expect((await callWith({ Authorization: `Bearer ${SESSION}`, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await callWith({ Authorization: `Bearer ${SESSION}`, Origin: 'null' })).status).toBe(403);
    expect(calls).toHaveLength(0);
  });

  it('requires application/json (no CORS-simple requests) and validates the call', async () => {
    expect((await callWith({ Authorization: `Bearer ${SESSION}`, 'Content-Type': 'text/plain' })).status).toBe(415);
    const bad = await callWith({ Authorization: `Bearer ${SESSION}`, Origin: host.origin }, JSON.stringify({ method: 'openResource', input: { url: 'not a url' } }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ code: 'invalid_input', message: 'url: Only http(s) addresses', hint: 'Check what you entered.' });
    const unconfirmed = await callWith({ Authorization: `Bearer ${SESSION}` }, JSON.stringify({ method: 'revealToken', input: { kind: 'rpt', key: 'k' } }));
    expect(unconfirmed.status).toBe(400);
    const unknown = await callWith({ Authorization: `Bearer ${SESSION}` }, JSON.stringify({ method: 'readVault', input: {} }));
    expect(unknown.status).toBe(400);
    expect(calls).toHaveLength(0);
  });

  it('passes a valid call to the service; streams events', async () => {
    const ok = await callWith({ Authorization: `Bearer ${SESSION}`, Origin: host.origin });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, result: { ok: 'result' } });
    expect(calls).toEqual([{ method: 'getState', input: {} }]);
    const events = await raw('/api/events', { headers: { Authorization: `Bearer ${SESSION}` } });
    expect(events.headers['content-type']).toContain('text/event-stream');
    expect(events.body).toContain('"type":"state"');
  });

  it('answers malformed percent-encoding and request targets with 400 on every route, never 500 (issue 12 item 9)', async () => {
    const targets = ['/%', '/%E0%A4%A', '/%ZZ', '/assets/%E0%A4%A.js', '/%C0%AF..%C0%AF', '/index.html%', '/%00', '/api/call%', '/api/%E0%A4%A', '/api/events?%E0%A4%A', '/api/session%', '/?%', '//[', '//', '*'];
    const statuses: Record<string, number[]> = {};
    for (const target of targets) {
      for (const method of ['GET', 'HEAD', 'POST', 'OPTIONS']) {
        for (const auth of [{}, { Authorization: `Bearer ${SESSION}` }, { Authorization: `Bearer ${SECRET}` }] as Record<string, string>[]) {
          const r = await rawSocket(method, target, { 'Content-Type': 'application/json', ...auth }, method === 'POST' ? '{}' : '');
          (statuses[target] ??= []).push(r);
          expect(r, `${method} ${target}`).toBeGreaterThanOrEqual(200);
          expect(r, `${method} ${target}`).toBeLessThan(500);
        }
      }
    }
    for (const t of ['/%', '/%E0%A4%A', '/%ZZ', '/assets/%E0%A4%A.js']) expect((await raw(t)).status, t).toBe(400);
    expect(statuses['*']?.every((s) => s === 400)).toBe(true);
    expect((await raw('/')).status).toBe(200); // and the host still serves
  });

  it('serves the page with a strict CSP and nothing outside the renderer directory', async () => {
    const page = await raw('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'self'");
    expect(PAGE_CSP).not.toContain('unsafe');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await raw('/../outside-secret.txt')).status).toBe(404);
    expect((await raw('/%2e%2e/outside-secret.txt')).status).toBe(404);
    expect((await raw('/', { method: 'POST' })).status).toBe(405);
  });
});

describe('more tabs (POST /api/launch)', () => {
  const launch = (headers: Record<string, string>) => raw('/api/launch', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{}' });
  it("a page's session gets a fresh single-use address; the launch secret, a used address or no session get nothing", async () => {
    const got = await launch({ Authorization: `Bearer ${SESSION}` });
    expect(got.status).toBe(200);
    const url = (JSON.parse(got.body) as { result: { launchUrl: string } }).result.launchUrl;
    expect(url.startsWith(`${host.origin}/#k=`)).toBe(true);
    const secret = url.slice(url.indexOf('#k=') + 3);
    expect(secret).not.toBe(SECRET);
    // The new address opens one session, once; that session works.
    const first = await exchange(secret);
    expect(first.status).toBe(200);
    const session = (JSON.parse(first.body) as { result: { session: string } }).result.session;
    expect((await callWith({ Authorization: `Bearer ${session}` })).status).toBe(200);
    expect((await exchange(secret)).status).toBe(401);
    // Nothing else opens one.
    expect((await launch({ Authorization: `Bearer ${SECRET}` })).status).toBe(401);
    expect((await launch({ Authorization: `Bearer ${secret}` })).status).toBe(401);
    expect((await launch({})).status).toBe(401);
    expect((await raw('/api/launch', { method: 'POST', headers: { Authorization: `Bearer ${SESSION}`, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await launch({ Authorization: `Bearer ${SESSION}`, Origin: 'http://evil.example' })).status).toBe(403);
  });
});
