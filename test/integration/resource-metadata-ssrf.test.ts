/**
 * RFC 9728 §7.7 (SSRF): a remote RS's challenge must not make Tessera fetch a URL on this machine or
 * a private network. The "remote" RS is `https://rs.example`, a real server on 127.0.0.1 reached
 * through the agent's `fetch` (the host rewritten); the "internal" service is another real server on
 * 127.0.0.1 that counts the requests it gets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { mayFetchAdvertisedMetadata } from '../../packages/uma/src/uma/resource-metadata';
import { readRsResponse } from '../../packages/uma/src/uma/challenge';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function listen(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function remoteRsPointingAt(challenge: (internal: string) => string) {
  const hits: string[] = [];
  const internal = await listen((req, res) => {
    hits.push(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ resource: 'https://rs.example/', authorization_servers: ['https://as.example'], resource_name: 'internal admin' }));
  });
  const rs = await listen((req, res) => {
    if (req.url?.startsWith('/.well-known/')) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(401, { 'www-authenticate': challenge(internal) });
    res.end();
  });
  const agent = createAgent({
    store: new MemoryStore(),
    trust: { authorizationServers: [] },
    fetch: (input, init) => fetch(String(input).startsWith('https://rs.example') ? String(input).replace('https://rs.example', rs) : input, init),
  });
  return { agent, hits, internal };
}

describe('resource_metadata named by a remote RS (RFC 9728 §7.7)', () => {
  it('a UMA challenge naming a loopback URL: not fetched; the flow goes on to the untrusted-AS answer', async () => {
    const { agent, hits } = await remoteRsPointingAt((internal) => `UMA realm="x", as_uri="https://as.example", ticket="t1", resource_metadata="${internal}/admin/delete?all=1"`);
    const result = await agent.fetch('https://rs.example/r/1');
    expect(result.outcome).toBe('untrusted_as');
    expect(hits).toEqual([]);
    expect(result.resourceMetadata).toBeUndefined();
    expect(result.steps.map((s) => s.url)).not.toContain(expect.stringContaining('127.0.0.1'));
    expect(result.steps[0]?.note).toMatch(/resource_metadata.*not fetched.*RFC 9728 §7\.7/);
  });

  it('a Bearer challenge naming a loopback URL: not fetched; still the typed other-scheme answer', async () => {
    const { agent, hits } = await remoteRsPointingAt((internal) => `Bearer resource_metadata="${internal}/admin"`);
    const result = await agent.fetch('https://rs.example/r/1');
    expect(result.error).toMatchObject({ code: 'other_scheme', facts: { scheme: 'Bearer' } });
    expect(hits).toEqual([]);
    expect(result.resourceMetadata).toBeUndefined();
  });

  it('which URLs a challenge may name', () => {
    const remote = 'https://rs.example/r/1';
    // the RS's own origin, or another public https host
    expect(mayFetchAdvertisedMetadata('https://rs.example/.well-known/oauth-protected-resource', remote)).toBe(true);
    expect(mayFetchAdvertisedMetadata('https://meta.example/rs', remote)).toBe(true);
    expect(mayFetchAdvertisedMetadata('https://93.184.216.34/rs', remote)).toBe(true);
    expect(mayFetchAdvertisedMetadata('https://[2606:2800:220:1::1]/rs', remote)).toBe(true);
    // this machine and private networks, in every spelling the URL parser normalises
    for (const u of ['http://127.0.0.1:8080/x', 'https://127.0.0.1/x', 'https://localhost/x', 'https://a.localhost/x', 'https://[::1]/x', 'https://[::ffff:127.0.0.1]/x', 'https://2130706433/x', 'https://0x7f.1/x', 'https://0.0.0.0/x', 'https://[::]/x',
      'https://10.1.2.3/x', 'https://172.16.0.1/x', 'https://192.168.1.1/x', 'https://169.254.169.254/latest/meta-data/', 'https://100.64.0.1/x', 'https://[fd00::1]/x', 'https://[fe80::1]/x', 'https://[::ffff:a9fe:a9fe]/x', 'https://[::127.0.0.1]/x', 'https://[64:ff9b::127.0.0.1]/x', 'https://[::ffff:0:127.0.0.1]/x', 'https://[fec0::1]/x',
      'https://intranet/x', 'https://printer.local/x', 'https://db.internal/x']) {
      expect(mayFetchAdvertisedMetadata(u, remote), u).toBe(false);
    }
    // plain http to another machine, credentials in the URL, not a URL at all
    expect(mayFetchAdvertisedMetadata('http://meta.example/rs', remote)).toBe(false);
    expect(mayFetchAdvertisedMetadata('https://user:pw@meta.example/rs', remote)).toBe(false);
    expect(mayFetchAdvertisedMetadata('/.well-known/oauth-protected-resource', remote)).toBe(false);
    expect(mayFetchAdvertisedMetadata('javascript:alert(1)', remote)).toBe(false);
    // an RS on this machine (development) may point at this machine
    expect(mayFetchAdvertisedMetadata('http://127.0.0.1:9000/meta', 'http://127.0.0.1:8000/r')).toBe(true);
    expect(mayFetchAdvertisedMetadata('http://localhost:9000/meta', 'http://127.0.0.1:8000/r')).toBe(true);
  });
});

describe('resource_metadata beside another scheme (RFC 9728 §5.1)', () => {
  it('a UMA challenge and a Bearer challenge with resource_metadata in one header: the UMA reading carries it', () => {
    const reading = readRsResponse(401, new Headers({ 'www-authenticate': 'UMA realm="x", as_uri="https://as.example", ticket="t1", Bearer resource_metadata="https://rs.example/.well-known/oauth-protected-resource"' }), '');
    expect(reading).toMatchObject({ type: 'uma', resourceMetadata: 'https://rs.example/.well-known/oauth-protected-resource' });
  });

  it('in two WWW-Authenticate headers', () => {
    const headers = new Headers();
    headers.append('www-authenticate', 'DPoP algs="ES256", resource_metadata="https://rs.example/meta"');
    headers.append('www-authenticate', 'UMA as_uri="https://as.example", ticket="t1"');
    expect(readRsResponse(401, headers, '')).toMatchObject({ type: 'uma', resourceMetadata: 'https://rs.example/meta' });
  });

  it("the UMA challenge's own parameter wins", () => {
    const reading = readRsResponse(401, new Headers({ 'www-authenticate': 'Bearer resource_metadata="https://rs.example/b", UMA as_uri="https://as.example", ticket="t1", resource_metadata="https://rs.example/u"' }), '');
    expect(reading).toMatchObject({ type: 'uma', resourceMetadata: 'https://rs.example/u' });
  });

  it('end to end: the document named beside the UMA challenge is read, and one listing another AS stops the flow', async () => {
    const rs = await listen((req, res) => {
      const origin = `http://${req.headers.host}`;
      if (req.url === '/meta') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ resource: origin, authorization_servers: ['https://as.elsewhere.example'] }));
      }
      res.writeHead(401, { 'www-authenticate': `UMA as_uri="https://as.example", ticket="t1", Bearer resource_metadata="${origin}/meta"` });
      res.end();
    });
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: 'https://as.example' }] } });
    const result = await agent.fetch(`${rs}/r/1`);
    expect(result.error).toMatchObject({ code: 'rs_metadata_as_mismatch', facts: { asIssuer: 'https://as.example', listedAs: ['https://as.elsewhere.example'] } });
    expect(result.steps.some((s) => s.lane === 'as')).toBe(false);
  });
});

describe('an as_uri Tessera could never use (UMA Grant §3.2, RFC 8414 §2)', () => {
  it('is a typed challenge_invalid, not an untrusted AS offered for trust', async () => {
    for (const asUri of ['javascript:alert(1)', 'http://as.remote.example', 'https://user:pw@as.example', 'data:text/html,x', '/relative']) {
      const { agent, hits } = await remoteRsPointingAt(() => `UMA as_uri="${asUri}", ticket="t1"`);
      const result = await agent.fetch('https://rs.example/r/1');
      expect(result.outcome, asUri).toBe('error');
      expect(result.error, asUri).toMatchObject({ code: 'challenge_invalid', spec: expect.stringContaining('uma') });
      expect(result.steps.some((s) => s.lane === 'as')).toBe(false);
      expect(hits).toEqual([]);
    }
    const fine = await remoteRsPointingAt(() => 'UMA as_uri="https://as.example", ticket="t1"');
    expect((await fine.agent.fetch('https://rs.example/r/1')).outcome).toBe('untrusted_as');
  });
});

describe("a document's resource with userinfo (RFC 9728 §3.3: identical)", () => {
  it('does not cover the URL called', async () => {
    const { resourceCovers } = await import('../../packages/uma/src/uma/resource-metadata');
    expect(resourceCovers('https://user@rs.example/', 'https://rs.example/x')).toBe(false);
    expect(resourceCovers('https://:pw@rs.example/api', 'https://rs.example/api/x')).toBe(false);
    expect(resourceCovers('https://rs.example/api', 'https://rs.example/api/x')).toBe(true);
  });
});
