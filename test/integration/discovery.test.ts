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
    const doc = (issuer: string) => JSON.stringify({ issuer: issuerOverride ?? issuer, token_endpoint: `${origin}/token` });
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
