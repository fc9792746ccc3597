/**
 * RFC 9449 §5 / §7.1: an AS that answers a grant sent WITHOUT a DPoP proof with `token_type: DPoP`
 * has bound the RPT to no key Tessera holds: it cannot be presented (not as Bearer, not with a proof),
 * so it is refused at once and not kept, instead of being stored, never presented, and asked for again
 * and again until the loop guard (which then blamed a partial grant). Real servers on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent } from '../../packages/uma/src/uma/agent';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function listen(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, origin: string) => void) {
  const server: Server = createServer((req, res) => handler(req, res, `http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('token_type DPoP answered to a grant without a proof', () => {
  it('is refused at the first answer (token_error, RFC 9449 spec link); the RPT is not kept and the AS asked once', async () => {
    const tokenRequests: (string | undefined)[] = [];
    const as = await listen((req, res, origin) => {
      if (req.url?.startsWith('/.well-known/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ issuer: origin, token_endpoint: `${origin}/token` }));
      }
      tokenRequests.push(req.headers.dpop as string | undefined);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ access_token: `rpt-${tokenRequests.length}`, token_type: 'DPoP', expires_in: 300 }));
      });
    });
    const rs = await listen((_req, res) => {
      res.writeHead(401, { 'www-authenticate': `UMA as_uri="${as}", ticket="t-${Math.random()}"` });
      res.end();
    });
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: as }] }, defaultClient: { clientId: 'c', clientSecret: 's' }, wellKnownResourceMetadata: false });
    const result = await agent.fetch(`${rs}/r/1`);
    expect(result.outcome).toBe('error');
    expect(result.error).toMatchObject({ code: 'token_error', spec: expect.stringContaining('rfc9449') });
    expect(result.error?.message).toMatch(/DPoP/);
    expect(result.steps.filter((s) => s.kind === 'token').map((s) => s.outcome)).toEqual(['error']);
    expect(tokenRequests).toEqual([undefined]);
    expect((await agent.tokens()).filter((t) => t.kind === 'rpt')).toEqual([]);
  });
});
