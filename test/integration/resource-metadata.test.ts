/**
 * Protected-resource metadata (RFC 9728) against real servers on 127.0.0.1: a small RS in front of
 * the UMA fixture adds `resource_metadata` to its challenge (or only serves the well-known document)
 * and publishes a document the test chooses. A document that lists another AS, or names another
 * resource, stops the flow before anything reaches the AS (asserted on the AS's request log).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent, type AgentOptions } from '../../packages/uma/src/uma/agent';
import { resourceCovers, sameResourceIdentifier, wellKnownResourceMetadataUrl } from '../../packages/uma/src/uma/resource-metadata';
import { cliAdvice } from '../../src/cli/advice';
import { runProbe } from '../../src/probe/runner';
import { startFixture, type Fixture } from '../fixtures/uma-fixture';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

interface FrontOptions {
  /** The metadata document; `undefined` → 404. Gets the front RS's origin. */
  document?: (origin: string) => unknown;
  /** Name the document in the challenge (default true). */
  advertise?: boolean;
  /** How the well-known URL answers instead of the document: an SPA's catch-all HTML page, a status, or never. */
  wellKnown?: 'html' | 'hang' | number;
}

/** An RS that forwards to the fixture's RS and adds RFC 9728 metadata. */
async function front(fx: Fixture, options: FrontOptions) {
  const log: string[] = [];
  const server: Server = createServer(async (req, res) => {
    log.push(req.url ?? '/');
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
      if (options.wellKnown === 'hang') return; // never answers
      if (options.wellKnown === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<!doctype html><html><body><div id="root"></div></body></html>');
      }
      if (typeof options.wellKnown === 'number') {
        res.writeHead(options.wellKnown, { 'content-type': 'text/plain' });
        return res.end('gone');
      }
      const doc = options.document?.(origin);
      res.writeHead(doc === undefined ? 404 : 200, { 'content-type': 'application/json' });
      return res.end(doc === undefined ? '{"error":"not_found"}' : JSON.stringify(doc));
    }
    const upstream = await fetch(fx.rs(req.url ?? '/'), { headers: req.headers.authorization ? { authorization: req.headers.authorization } : {} });
    const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' };
    const challenge = upstream.headers.get('www-authenticate');
    if (challenge) headers['www-authenticate'] = options.advertise === false ? challenge : `${challenge}, resource_metadata="${origin}/.well-known/oauth-protected-resource"`;
    res.writeHead(upstream.status, headers);
    res.end(await upstream.text());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { origin, log };
}

async function setup(options: FrontOptions, agentOptions: Partial<AgentOptions> = {}) {
  const fx = await startFixture();
  closers.push(() => fx.close());
  const rs = await front(fx, options);
  const agent = createAgent({
    store: new MemoryStore(),
    trust: { authorizationServers: [{ issuer: fx.asUri }] },
    defaultClient: { clientId: 'tessera', clientSecret: 'fixture-secret-123' },
    limits: { retryBaseMs: 1 },
    ...agentOptions,
  });
  return { fx, rs, agent };
}

describe('protected-resource metadata (RFC 9728)', () => {
  it('a document that lists the AS: the grant runs, and the result carries what the RS says about itself', async () => {
    const { fx, rs, agent } = await setup({ document: (origin) => ({ resource: origin, authorization_servers: [fx.asUri], resource_name: 'Bills', resource_documentation: 'https://docs.example/bills' }) });
    const result = await agent.fetch(`${rs.origin}/r/bills`);
    expect(result.outcome).toBe('granted');
    expect(result.steps.map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['rs:resource:401', 'rs:discovery:200', 'as:discovery:200', 'as:token:200', 'rs:resource:200']);
    expect(result.resourceMetadata).toMatchObject({ resource: rs.origin, authorizationServers: [fx.asUri], name: 'Bills', documentation: 'https://docs.example/bills', source: 'challenge' });
    // cached: a second resource at the same RS does not fetch the document again
    await agent.fetch(`${rs.origin}/r/labs`);
    expect(rs.log.filter((p) => p.startsWith('/.well-known')).length).toBe(1);
  });

  it('a document that lists another AS stops the flow before the AS hears anything', async () => {
    const { fx, rs, agent } = await setup({ document: (origin) => ({ resource: origin, authorization_servers: ['https://as.elsewhere.example'] }) });
    const result = await agent.fetch(`${rs.origin}/r/bills`);
    expect(result.outcome).toBe('error');
    expect(result.error).toMatchObject({ code: 'rs_metadata_as_mismatch', spec: 'https://www.rfc-editor.org/rfc/rfc9728#section-3.3', facts: { asIssuer: fx.asUri, listedAs: ['https://as.elsewhere.example'] } });
    expect(fx.stats).toMatchObject({ token: 0, discovery: 0, registration: 0 });
    expect(result.steps.some((s) => s.lane === 'as')).toBe(false);
  });

  it('a document for another resource stops the flow before the AS hears anything', async () => {
    const { fx, rs, agent } = await setup({ document: () => ({ resource: 'https://rs.elsewhere.example/', authorization_servers: [fx.asUri] }) });
    const result = await agent.fetch(`${rs.origin}/r/bills`);
    expect(result.error).toMatchObject({ code: 'rs_metadata_resource_mismatch', facts: { url: `${rs.origin}/r/bills`, resource: 'https://rs.elsewhere.example/' } });
    expect(fx.stats).toMatchObject({ token: 0, discovery: 0 });
  });

  it('an RS that names a document it does not serve (404) is not failed for it', async () => {
    const { rs, agent } = await setup({});
    const result = await agent.fetch(`${rs.origin}/r/bills`);
    expect(result.outcome).toBe('granted');
    expect(result.resourceMetadata).toBeUndefined();
  });

  it('without resource_metadata in the challenge the well-known document is read by default: one listing another AS stops the flow before the token endpoint', async () => {
    const { fx, rs, agent } = await setup({ document: (origin) => ({ resource: origin, authorization_servers: ['https://as.elsewhere.example'] }), advertise: false });
    const refused = await agent.fetch(`${rs.origin}/r/bills`);
    expect(refused.error).toMatchObject({ code: 'rs_metadata_as_mismatch', facts: { asIssuer: fx.asUri, listedAs: ['https://as.elsewhere.example'], resource: rs.origin } });
    expect(rs.log).toContain('/.well-known/oauth-protected-resource');
    expect(fx.stats).toMatchObject({ token: 0, discovery: 0, registration: 0 });
    expect(refused.steps.map((s) => `${s.lane}:${s.kind}:${s.status}`)).toEqual(['rs:resource:401', 'rs:discovery:200']);
  });

  it('a well-known document listing the AS: the grant runs; a second fetch at the same RS makes no second lookup', async () => {
    const { fx, rs, agent } = await setup({ document: (origin) => ({ resource: `${origin}/`, authorization_servers: [fx.asUri] }), advertise: false });
    const first = await agent.fetch(`${rs.origin}/r/bills`);
    expect(first.outcome).toBe('granted');
    expect(first.resourceMetadata).toMatchObject({ resource: `${rs.origin}/`, source: 'well_known', url: `${rs.origin}/.well-known/oauth-protected-resource` });
    const second = await agent.fetch(`${rs.origin}/r/labs`);
    expect(second.outcome).toBe('granted');
    expect(second.steps[0]?.status).toBe(401); // a second challenge, answered from the cache
    expect(rs.log.filter((p) => p.startsWith('/.well-known')).length).toBe(1);
  });

  it('cache lifetimes: "no metadata" is asked again after 5 minutes, a document after 10', async () => {
    let now = Date.now();
    const silent = await setup({ advertise: false }, { now: () => now });
    await silent.agent.fetch(`${silent.rs.origin}/r/bills`);
    now += 4 * 60_000;
    expect((await silent.agent.fetch(`${silent.rs.origin}/r/labs`)).steps[0]?.status).toBe(401);
    expect(silent.rs.log.filter((p) => p.startsWith('/.well-known')).length).toBe(1);
    now += 2 * 60_000;
    await silent.agent.fetch(`${silent.rs.origin}/r/notes`);
    expect(silent.rs.log.filter((p) => p.startsWith('/.well-known')).length).toBe(2);

    now = Date.now();
    const published = await setup({ document: (origin) => ({ resource: origin, authorization_servers: [published.fx.asUri] }), advertise: false }, { now: () => now });
    await published.agent.fetch(`${published.rs.origin}/r/bills`);
    now += 6 * 60_000;
    await published.agent.fetch(`${published.rs.origin}/r/labs`);
    expect(published.rs.log.filter((p) => p.startsWith('/.well-known')).length).toBe(1);
    now += 5 * 60_000;
    await published.agent.fetch(`${published.rs.origin}/r/notes`);
    expect(published.rs.log.filter((p) => p.startsWith('/.well-known')).length).toBe(2);
  });

  it('a well-known document for another resource identifier (RFC 9728 §3.3: the one the URL was built from) is refused with both values', async () => {
    const { fx, rs, agent } = await setup({ document: (origin) => ({ resource: `${origin}/r`, authorization_servers: [fx.asUri] }), advertise: false });
    const refused = await agent.fetch(`${rs.origin}/r/bills`);
    expect(refused.error).toMatchObject({ code: 'rs_metadata_resource_mismatch', facts: { url: `${rs.origin}/r/bills`, resource: `${rs.origin}/r`, expectedResource: rs.origin } });
    expect(fx.stats).toMatchObject({ token: 0, discovery: 0 });
  });

  it('an RS silent at the well-known URL (404, 410, an SPA\'s HTML 200) is not failed for it, and the step says why', async () => {
    for (const wellKnown of [404, 410, 'html'] as const) {
      const { rs, agent } = await setup({ advertise: false, wellKnown });
      const result = await agent.fetch(`${rs.origin}/r/bills`);
      expect(result.outcome, String(wellKnown)).toBe('granted');
      expect(result.resourceMetadata).toBeUndefined();
      const lookup = result.steps.find((s) => s.lane === 'rs' && s.kind === 'discovery');
      expect(lookup?.note, String(wellKnown)).toMatch(wellKnown === 'html' ? /no protected-resource metadata \(not JSON\)/ : new RegExp(`no protected-resource metadata \\(status ${wellKnown}\\)`));
      // "none" is cached too
      await agent.fetch(`${rs.origin}/r/labs`);
      expect(rs.log.filter((p) => p.startsWith('/.well-known')).length).toBe(1);
    }
  });

  it('a well-known URL that never answers is bounded (a few seconds, not the request timeout) and the flow proceeds', async () => {
    const { rs, agent } = await setup({ advertise: false, wellKnown: 'hang' });
    const started = Date.now();
    const result = await agent.fetch(`${rs.origin}/r/bills`);
    expect(result.outcome).toBe('granted');
    expect(Date.now() - started).toBeLessThan(9000);
    expect(result.steps.find((s) => s.kind === 'discovery' && s.lane === 'rs')?.note).toMatch(/no protected-resource metadata \(timeout\)/);
  }, 20_000);

  it('the option off: no well-known lookup, the flow runs as before', async () => {
    const { rs, agent } = await setup({ document: (origin) => ({ resource: origin, authorization_servers: ['https://as.elsewhere.example'] }), advertise: false }, { wellKnownResourceMetadata: false });
    expect((await agent.fetch(`${rs.origin}/r/bills`)).outcome).toBe('granted');
    expect(rs.log.some((p) => p.startsWith('/.well-known'))).toBe(false);
  });

  it('hostile documents (wrong types, huge) count as none', async () => {
    const wrong = await setup({ document: () => ({ resource: 42, authorization_servers: 'x' }) });
    expect((await wrong.agent.fetch(`${wrong.rs.origin}/r/bills`)).outcome).toBe('granted');
    const huge = await setup({ document: (origin) => ({ resource: origin, authorization_servers: ['https://as.elsewhere.example'], pad: 'x'.repeat(200_000) }) });
    expect((await huge.agent.fetch(`${huge.rs.origin}/r/bills`)).outcome).toBe('granted');
  });

  it('builds the path-inserted well-known URL and matches resources by origin and path prefix', () => {
    // RFC 9728 §3.1: only the slash right after the host is dropped; a path keeps its own.
    expect(wellKnownResourceMetadataUrl('https://rs.example/api/v1')).toBe('https://rs.example/.well-known/oauth-protected-resource/api/v1');
    expect(wellKnownResourceMetadataUrl('https://rs.example/api/v1/')).toBe('https://rs.example/.well-known/oauth-protected-resource/api/v1/');
    expect(wellKnownResourceMetadataUrl('https://rs.example/')).toBe('https://rs.example/.well-known/oauth-protected-resource');
    expect(wellKnownResourceMetadataUrl('https://rs.example')).toBe('https://rs.example/.well-known/oauth-protected-resource');
    expect(wellKnownResourceMetadataUrl('https://rs.example?tenant=a')).toBe('https://rs.example/.well-known/oauth-protected-resource?tenant=a');
    // §3.3: the document names exactly the identifier its URL was built from
    expect(sameResourceIdentifier('https://rs.example/', 'https://rs.example')).toBe(true);
    expect(sameResourceIdentifier('https://RS.example:443', 'https://rs.example')).toBe(true);
    expect(sameResourceIdentifier('https://rs.example/api', 'https://rs.example')).toBe(false);
    expect(sameResourceIdentifier('https://rs.example/api/', 'https://rs.example/api')).toBe(false);
    expect(sameResourceIdentifier('https://rs.example/#x', 'https://rs.example')).toBe(false);
    expect(sameResourceIdentifier('http://rs.example', 'https://rs.example')).toBe(false);
    expect(resourceCovers('https://rs.example/api', 'https://rs.example/api/x')).toBe(true);
    expect(resourceCovers('https://rs.example/api', 'https://rs.example/apix')).toBe(false);
    expect(resourceCovers('https://rs.example', 'http://rs.example/x')).toBe(false);
  });
});

describe('RSes that speak another scheme', () => {
  async function rsAnswering(header: string, document?: (origin: string) => unknown) {
    const server: Server = createServer((req, res) => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (req.url?.startsWith('/.well-known/oauth-protected-resource') && document) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(document(origin)));
      }
      res.writeHead(401, { 'www-authenticate': header.replace('ORIGIN', origin) });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [] } });
    return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, agent };
  }

  it('GNAP (RFC 9635 §9.1): a typed outcome naming the scheme and its AS, not "no UMA challenge"', async () => {
    const { origin, agent } = await rsAnswering('GNAP as_uri="https://gnap.example/tx", access="FWWIKYBQ6U56NL1"');
    const result = await agent.fetch(`${origin}/x`);
    expect(result.outcome).toBe('error');
    expect(result.error).toMatchObject({ code: 'other_scheme', spec: 'https://www.rfc-editor.org/rfc/rfc9635#section-9.1', facts: { scheme: 'GNAP', asIssuer: 'https://gnap.example/tx', status: 401 } });
    expect(cliAdvice(result.error!, { passed: new Set() })).toMatch(/GNAP/);
  });

  it('Bearer with resource_metadata and no ticket: the scheme and the ASes its metadata lists', async () => {
    const { origin, agent } = await rsAnswering('Bearer resource_metadata="ORIGIN/.well-known/oauth-protected-resource"', (o) => ({ resource: o, authorization_servers: ['https://login.example'] }));
    const result = await agent.fetch(`${origin}/x`);
    expect(result.error).toMatchObject({ code: 'other_scheme', spec: 'https://www.rfc-editor.org/rfc/rfc9728#section-5.1', facts: { scheme: 'Bearer', listedAs: ['https://login.example'] } });
    expect(result.resourceMetadata?.authorizationServers).toEqual(['https://login.example']);
    expect(cliAdvice(result.error!, { passed: new Set() })).toContain("--header 'Authorization: Bearer TOKEN'");
  });

  it('a plain Bearer challenge (no metadata) is still "no UMA challenge"', async () => {
    const { origin, agent } = await rsAnswering('Bearer realm="x"');
    expect((await agent.fetch(`${origin}/x`)).error?.code).toBe('no_uma_challenge');
  });
});

describe('tessera probe: rs.resource-metadata', () => {
  const probe = async (fx: Fixture, origin: string) => {
    const report = await runProbe({ resource: `${origin}/r/bills`, trust: { authorizationServers: [{ issuer: fx.asUri }] }, client: { client_id: 'tessera', client_secret: 'fixture-secret-123', auth_method: 'client_secret_basic', registration: 'static' } });
    return report.checks.find((c) => c.id === 'rs.resource-metadata');
  };
  it('fails when the metadata lists another AS, passes when it lists this one, passes (optional) when there is none', async () => {
    const other = await setup({ document: (origin) => ({ resource: origin, authorization_servers: ['https://as.elsewhere.example'] }) });
    expect(await probe(other.fx, other.rs.origin)).toMatchObject({ status: 'fail', spec: 'https://www.rfc-editor.org/rfc/rfc9728#section-3.3' });
    const same = await setup({ document: (origin) => ({ resource: origin, authorization_servers: [same.fx.asUri] }) });
    expect((await probe(same.fx, same.rs.origin))?.status).toBe('pass');
    const none = await setup({ advertise: false });
    expect(await probe(none.fx, none.rs.origin)).toMatchObject({ status: 'pass', detail: expect.stringContaining('no protected-resource metadata') });
  });
});
