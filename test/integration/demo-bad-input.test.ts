/**
 * Bad input to any demo endpoint gets the spec's error or a clear 4xx — never a 500, never a stack
 * trace — and the servers keep their state and keep answering.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type DemoHandle } from '../../src/demo';

let demo: DemoHandle;
beforeAll(async () => { demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 } }); });
afterAll(async () => demo.close());

const PATHS = [
  'as:/token', 'as:/reg', 'as:/uma/permission', 'as:/uma/resource_set', 'as:/uma/resource_set/x', 'as:/uma/introspect', 'as:/uma/revoke',
  'as:/uma/claims', 'as:/uma/claims/oidc-callback', 'as:/uma/claims/s/aaaaaaaaaaaaaaaaaaaaaaaa/continue', 'as:/dashboard', 'as:/dashboard/login',
  'as:/dashboard/requests/x', 'as:/.well-known/uma2-configuration', 'idp:/auth', 'idp:/token', 'idp:/interaction/abc/login', 'idp:/interaction/abc',
  'rs:/', 'rs:/patients/kate/prescriptions', 'rs:/patients/kate/care-notes',
];
const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', ''];

function origin(server: string): string {
  return server === 'as' ? demo.config.as.issuer : server === 'idp' ? demo.config.idp.issuer : demo.config.rs.url;
}

describe('bad input', () => {
  it('never yields a 500 or a stack trace, on any endpoint', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...PATHS), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.constantFrom(...CONTENT_TYPES),
      fc.oneof(fc.string(), fc.json(), fc.constant('grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Auma-ticket&ticket=%00'), fc.constant('token=a&token=b'), fc.constant('[{"resource_id":{}}]')),
      fc.oneof(fc.constant(undefined), fc.constant('Bearer'), fc.constant('Basic !!!'), fc.constant('Bearer a b'), fc.string().map((s) => `Bearer ${s}`)),
      fc.oneof(fc.constant(''), fc.constant('?ticket=&client_id=tessera&claims_redirect_uri=http://evil.example/'), fc.constant('?client_id=tessera&client_id=x'), fc.string().map((s) => `?q=${encodeURIComponent(s)}`)),
      async (target, method, type, body, authorization, query) => {
        const [server, path] = target.split(':') as [string, string];
        const headers: Record<string, string> = {};
        if (type) headers['Content-Type'] = type;
        if (authorization !== undefined) { try { new Headers({ Authorization: authorization }); headers.Authorization = authorization; } catch { /* not a valid header value */ } }
        const response = await fetch(`${origin(server)}${path}${query}`, { method, headers, redirect: 'manual', ...(method === 'GET' ? {} : { body }) });
        const text = await response.text();
        expect(response.status, `${method} ${path} → ${response.status}: ${text.slice(0, 300)}`).toBeLessThan(500);
        expect(text).not.toMatch(/\n\s+at [\w.<>]+ \(|node_modules/);
      },
    ), { numRuns: 300 });
    // Still serving, state intact.
    const r = await fetch(demo.config.rs.url);
    expect(((await r.json()) as { resources: unknown[] }).resources).toHaveLength(5);
    expect((await fetch(demo.config.rs.resources[0]?.url ?? '')).status).toBe(401);
  }, 120_000);

  it('an oversized body is refused with 413, not buffered', async () => {
    const big = 'x'.repeat(200 * 1024);
    const r = await fetch(`${demo.config.as.issuer}/uma/permission`, { method: 'POST', headers: { Authorization: 'Bearer x', 'Content-Type': 'application/json' }, body: big });
    expect([401, 413]).toContain(r.status);
    const put = await fetch(`${demo.config.as.issuer}/dashboard/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: big });
    expect(put.status).toBe(413);
  });
});
