import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../packages/uma/src/http/fetch';
import { DiscoveryCache, discover, discoveryUrls } from '../../packages/uma/src/uma/discovery';

let server: Server;
let origin: string;
let hits: string[] = [];
let issuerOverride: string | undefined;
beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const doc = (issuer: string) => JSON.stringify({ issuer: issuerOverride ?? issuer, token_endpoint: `${origin}/token`, revocation_endpoint: `${origin}/revoke` });
    if (req.url === '/uma/.well-known/uma2-configuration') return void res.writeHead(200, { 'content-type': 'application/json' }).end(doc(`${origin}/uma`));
    if (req.url === '/.well-known/oauth-authorization-server/oauth') return void res.writeHead(200, { 'content-type': 'application/json' }).end(doc(`${origin}/oauth`));
    if (req.url === '/broken/.well-known/uma2-configuration') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"issuer":"x"}');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const opts = () => ({ http: new HttpClient(), flowId: 'f' });

describe('discovery', () => {
  it('builds the UMA URL by appending, then the RFC 8414 forms; a trailing slash is not doubled', () => {
    expect(discoveryUrls('https://as.example/realms/a/').map((u) => u.url)).toEqual([
      'https://as.example/realms/a/.well-known/uma2-configuration',
      'https://as.example/.well-known/uma2-configuration/realms/a',
      'https://as.example/.well-known/oauth-authorization-server/realms/a',
      'https://as.example/realms/a/.well-known/oauth-authorization-server',
    ]);
  });

  it('reads {as_uri}/.well-known/uma2-configuration', async () => {
    const d = await discover(`${origin}/uma`, { issuer: `${origin}/uma` }, opts());
    expect(d.source).toBe('uma2');
    expect(d.metadata.token_endpoint).toBe(`${origin}/token`);
  });

  it('falls back to RFC 8414 oauth-authorization-server', async () => {
    const d = await discover(`${origin}/oauth`, { issuer: `${origin}/oauth` }, opts());
    expect(d.source).toBe('rfc8414');
  });

  it('refuses an issuer that differs from as_uri (mix-up defence) unless aliased', async () => {
    issuerOverride = 'https://evil.example';
    try {
      await expect(discover(`${origin}/uma`, { issuer: `${origin}/uma` }, opts())).rejects.toMatchObject({ code: 'issuer_mismatch' });
      const ok = await discover(`${origin}/uma`, { issuer: `${origin}/uma`, aliases: ['https://evil.example'] }, opts());
      expect(ok.metadata.issuer).toBe('https://evil.example');
    } finally {
      issuerOverride = undefined;
    }
  });

  it('rejects an invalid document and reports missing discovery with a hint', async () => {
    await expect(discover(`${origin}/broken`, { issuer: `${origin}/broken` }, opts())).rejects.toMatchObject({ code: 'discovery_failed' });
    await expect(discover(`${origin}/none`, { issuer: `${origin}/none` }, opts())).rejects.toMatchObject({ code: 'discovery_failed', hint: expect.stringContaining('WSO2') });
  });

  it('uses manual metadata without any request', async () => {
    hits = [];
    const d = await discover(`${origin}/none`, { issuer: `${origin}/none`, metadata: { token_endpoint: `${origin}/token` } }, opts());
    expect(d.source).toBe('manual');
    expect(hits).toEqual([]);
  });

  it('caches with a TTL', async () => {
    let now = 0;
    const cache = new DiscoveryCache({ ttlMs: 1000, now: () => now });
    hits = [];
    await cache.resolve(`${origin}/uma`, { issuer: `${origin}/uma` }, opts());
    await cache.resolve(`${origin}/uma`, { issuer: `${origin}/uma` }, opts());
    expect(hits).toHaveLength(1);
    now = 1001;
    await cache.resolve(`${origin}/uma`, { issuer: `${origin}/uma` }, opts());
    expect(hits).toHaveLength(2);
  });
});

describe('TLS', () => {
  it('refuses a non-loopback AS over plain http before any request', async () => {
    hits = [];
    await expect(discover('http://as.example', { issuer: 'http://as.example' }, opts())).rejects.toMatchObject({ code: 'discovery_failed', message: expect.stringContaining('HTTPS') });
    await expect(discover('https://as.example', { issuer: 'https://as.example', metadata: { token_endpoint: 'http://as.example/token' } }, opts())).rejects.toMatchObject({ message: expect.stringContaining('token endpoint') });
  });
});

/**
 * The fallback chain and the merge, against a server that speaks like real ASes: Keycloak's UMA
 * document has no revocation_endpoint and its OpenID document does; some servers publish only an
 * OpenID document, or the RFC 8414 path-inserted UMA form.
 */
describe('discovery fallback and merge', () => {
  let fallback: Server;
  let base: string;
  const seen: string[] = [];
  const docs = new Map<string, () => Record<string, unknown>>();
  beforeAll(async () => {
    fallback = createServer((req, res) => {
      seen.push(req.url ?? '');
      const doc = docs.get(req.url ?? '');
      if (!doc) return void res.writeHead(404).end('not here');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc()));
    });
    await new Promise<void>((r) => fallback.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(fallback.address() as AddressInfo).port}`;
    // Keycloak: /realms/kc — UMA document without revocation, OpenID document with it.
    docs.set('/realms/kc/.well-known/uma2-configuration', () => ({ issuer: `${base}/realms/kc`, token_endpoint: `${base}/realms/kc/protocol/openid-connect/token`, registration_endpoint: `${base}/realms/kc/clients-registrations/openid-connect` }));
    docs.set('/realms/kc/.well-known/openid-configuration', () => ({ issuer: `${base}/realms/kc`, token_endpoint: `${base}/realms/kc/protocol/openid-connect/token`, revocation_endpoint: `${base}/realms/kc/protocol/openid-connect/revoke`, introspection_endpoint: `${base}/realms/kc/protocol/openid-connect/token/introspect`, registration_endpoint: `${base}/elsewhere` }));
    // OpenID only.
    docs.set('/oidc-only/.well-known/openid-configuration', () => ({ issuer: `${base}/oidc-only`, token_endpoint: `${base}/oidc-only/token`, revocation_endpoint: `${base}/oidc-only/revoke` }));
    // RFC 8414 path-inserted UMA form.
    docs.set('/.well-known/uma2-configuration/tenant', () => ({ issuer: `${base}/tenant`, token_endpoint: `${base}/tenant/token`, revocation_endpoint: `${base}/tenant/revoke` }));
    // A UMA document whose OpenID neighbour names another issuer: nothing is merged from it.
    docs.set('/mixed/.well-known/uma2-configuration', () => ({ issuer: `${base}/mixed`, token_endpoint: `${base}/mixed/token` }));
    docs.set('/mixed/.well-known/openid-configuration', () => ({ issuer: 'https://evil.example', token_endpoint: 'https://evil.example/token', revocation_endpoint: 'https://evil.example/revoke' }));
    // Only an OpenID document, naming another issuer.
    docs.set('/liar/.well-known/openid-configuration', () => ({ issuer: 'https://evil.example', token_endpoint: 'https://evil.example/token' }));
  });
  afterAll(async () => {
    fallback.closeAllConnections();
    await new Promise((r) => fallback.close(r));
  });

  it("merges what Keycloak's UMA document lacks from its OpenID document, never overriding the UMA document", async () => {
    const d = await discover(`${base}/realms/kc`, { issuer: `${base}/realms/kc` }, opts());
    expect(d.source).toBe('uma2');
    expect(d.metadata.revocation_endpoint).toBe(`${base}/realms/kc/protocol/openid-connect/revoke`);
    expect(d.metadata.introspection_endpoint).toBe(`${base}/realms/kc/protocol/openid-connect/token/introspect`);
    expect(d.metadata.registration_endpoint).toBe(`${base}/realms/kc/clients-registrations/openid-connect`);
    expect(d.supplemented).toEqual({ url: `${base}/realms/kc/.well-known/openid-configuration`, keys: ['revocation_endpoint', 'introspection_endpoint'] });
  });

  it('falls back to {issuer}/.well-known/openid-configuration after every UMA and RFC 8414 form', async () => {
    seen.length = 0;
    const d = await discover(`${base}/oidc-only`, { issuer: `${base}/oidc-only` }, opts());
    expect(d.source).toBe('openid');
    expect(d.metadata.token_endpoint).toBe(`${base}/oidc-only/token`);
    expect(seen).toEqual([
      '/oidc-only/.well-known/uma2-configuration',
      '/.well-known/uma2-configuration/oidc-only',
      '/.well-known/oauth-authorization-server/oidc-only',
      '/oidc-only/.well-known/oauth-authorization-server',
      '/oidc-only/.well-known/openid-configuration',
    ]);
  });

  it('finds the RFC 8414 path-inserted UMA document', async () => {
    const d = await discover(`${base}/tenant`, { issuer: `${base}/tenant` }, opts());
    expect(d.source).toBe('rfc8414');
    expect(d.metadata.token_endpoint).toBe(`${base}/tenant/token`);
  });

  it('checks the issuer of every document: a supplementing document of another issuer is ignored, an only document of another issuer refused', async () => {
    const mixed = await discover(`${base}/mixed`, { issuer: `${base}/mixed` }, opts());
    expect(mixed.metadata.revocation_endpoint).toBeUndefined();
    expect(mixed.supplemented).toBeUndefined();
    await expect(discover(`${base}/liar`, { issuer: `${base}/liar` }, opts())).rejects.toMatchObject({ code: 'issuer_mismatch' });
  });
});
