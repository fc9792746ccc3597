/** Browser-mode host security: launch secret, Host and Origin checks, content type, CSP, static files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, PAGE_CSP, type HostHandle } from '../../src/host/server';

let host: HostHandle;
let dir: string;
const calls: { method: string; input: unknown }[] = [];
const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

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
const callWith = (headers: Record<string, string>, body = JSON.stringify({ method: 'getState', input: {} })) => raw('/api/call', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

describe('browser-mode host', () => {
  it('binds 127.0.0.1 and puts the secret only in the launch URL fragment', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.launchUrl).toBe(`${host.origin}/#k=${SECRET}`);
  });

  it('refuses API calls without the secret or with a wrong one (401)', async () => {
    expect((await callWith({})).status).toBe(401);
    expect((await callWith({ Authorization: 'Bearer wrong-secret-0123456789-abcdefghij' })).status).toBe(401);
    expect((await raw('/api/events')).status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (cross-site)', async () => {
    expect((await callWith({ Authorization: `Bearer ${SECRET}`, Host: 'evil.example' })).status).toBe(421);
    expect((await raw('/', { headers: { Host: 'evil.example:80' } })).status).toBe(421);
    expect((await callWith({ Authorization: `Bearer ${SECRET}`, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await callWith({ Authorization: `Bearer ${SECRET}`, Origin: 'null' })).status).toBe(403);
    expect(calls).toHaveLength(0);
  });

  it('requires application/json (no CORS-simple requests) and validates the call', async () => {
    expect((await callWith({ Authorization: `Bearer ${SECRET}`, 'Content-Type': 'text/plain' })).status).toBe(415);
    const bad = await callWith({ Authorization: `Bearer ${SECRET}`, Origin: host.origin }, JSON.stringify({ method: 'openResource', input: { url: 'not a url' } }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('invalid_input');
    const unconfirmed = await callWith({ Authorization: `Bearer ${SECRET}` }, JSON.stringify({ method: 'revealToken', input: { kind: 'rpt', key: 'k' } }));
    expect(unconfirmed.status).toBe(400);
    const unknown = await callWith({ Authorization: `Bearer ${SECRET}` }, JSON.stringify({ method: 'readVault', input: {} }));
    expect(unknown.status).toBe(400);
    expect(calls).toHaveLength(0);
  });

  it('passes a valid call to the service; streams events', async () => {
    const ok = await callWith({ Authorization: `Bearer ${SECRET}`, Origin: host.origin });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, result: { ok: 'result' } });
    expect(calls).toEqual([{ method: 'getState', input: {} }]);
    const events = await raw('/api/events', { headers: { Authorization: `Bearer ${SECRET}` } });
    expect(events.headers['content-type']).toContain('text/event-stream');
    expect(events.body).toContain('"type":"state"');
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
