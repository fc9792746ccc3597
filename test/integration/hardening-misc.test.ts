/**
 * Hardening (issue 12, items 7, 8, 10, 12) against small purpose-built servers on 127.0.0.1:
 * the app's discovery view is the engine's (size-bounded), the CLI's --json headers carry no raw
 * ticket, a relative redirect_user is resolved against the AS, a trailing slash on as_uri is one rule
 * in trust and in the issuer check, and --data gets a content type that says what it is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TesseraService } from '../../src/app/service';
import { detectContentType, jsonResult } from '../../src/cli/commands/fetch';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent, type FetchResult } from '../../packages/uma/src/uma/agent';

const servers: Server[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<string> {
  let origin = '';
  const server = createServer((req, res) => handler(req, res, origin));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return origin;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('discovery view (item 7)', () => {
  it("a 20 MB discovery document is refused by the engine's bound, not read into memory and sent to the UI", async () => {
    const issuer = await serve((_req, res) => {
      // Streamed without a length: the bound must hold while reading.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      res.write('{"pad":"');
      let sent = 0;
      const pump = () => {
        while (sent < 20 && res.write(chunk)) sent++;
        if (sent < 20) res.once('drain', pump);
        else res.end('"}');
      };
      pump();
    });
    const home = await mkdtemp(join(tmpdir(), 'tessera-disco-'));
    dirs.push(home);
    const service = await TesseraService.create({ home, store: new MemoryStore(), mode: 'browser', opener: async () => {} });
    await service.call('trustAs', { issuer });
    await expect(service.call('discovery', { issuer })).rejects.toMatchObject({ code: 'body_too_large' });
    await service.close();
  });
});

describe('CLI --json headers (item 8)', () => {
  it("the RS's WWW-Authenticate ticket appears as a fingerprint, never raw", () => {
    const ticket = 'TICKET-016c8f-raw-value';
    const result = { outcome: 'untrusted_as', status: 401, headers: { 'www-authenticate': `UMA realm="x", as_uri="https://as.example", ticket="${ticket}"` }, body: '', bytes: new Uint8Array(0), text: true, steps: [], flowId: 'f', party: 'nobody' } as FetchResult;
    const out = JSON.stringify(jsonResult(result));
    expect(out).not.toContain(ticket);
    expect(out).toMatch(/ticket=\\"fp:/);
    const bare = JSON.stringify(jsonResult({ ...result, headers: { 'www-authenticate': `UMA as_uri="https://as.example",ticket=${ticket}` } }));
    expect(bare).not.toContain(ticket);
  });
});

describe('fetch --data content type (item 12)', () => {
  it('JSON, forms and text are told apart', () => {
    expect(detectContentType('{"a":1}')).toBe('application/json');
    expect(detectContentType(' [1,2] ')).toBe('application/json');
    expect(detectContentType('a=1&b=two')).toBe('application/x-www-form-urlencoded');
    expect(detectContentType('{not json')).toBe('text/plain;charset=utf-8');
    expect(detectContentType('hello world')).toBe('text/plain;charset=utf-8');
  });
});

/** A minimal UMA AS + RS: the RS challenges once; the AS answers need_info with a relative redirect_user. */
async function umaPair(options: { issuerSuffix?: string; asUriSuffix?: string; redirectUser?: string }) {
  const as = await serve((req, res, origin) => {
    if (req.url === '/.well-known/uma2-configuration') return json(res, 200, { issuer: `${origin}${options.issuerSuffix ?? ''}`, token_endpoint: `${origin}/token`, grant_types_supported: ['urn:ietf:params:oauth:grant-type:uma-ticket'] });
    if (req.url === '/token') return json(res, 403, { error: 'need_info', ticket: 'T2', ...(options.redirectUser ? { redirect_user: options.redirectUser } : {}) });
    json(res, 404, { error: 'not_found' });
  });
  const rs = await serve((_req, res) => {
    res.writeHead(401, { 'www-authenticate': `UMA realm="r", as_uri="${as}${options.asUriSuffix ?? ''}", ticket="T1"` });
    res.end();
  });
  return { as, rs };
}

describe('as_uri and redirect_user rules (item 10)', () => {
  it('a relative redirect_user is resolved against the AS issuer, and a claims interaction goes there', async () => {
    const { as, rs } = await umaPair({ redirectUser: '/claims/gather?x=1' });
    const seen: string[] = [];
    const agent = createAgent({
      store: new MemoryStore(),
      trust: { authorizationServers: [{ issuer: as }] },
      defaultClient: { clientId: 'tessera', clientSecret: 's' },
      interaction: { gather: async (r) => { seen.push(r.endpoint); throw Object.assign(new Error('stop'), { name: 'AbortError' }); } },
    });
    const result = await agent.fetch(`${rs}/r`);
    expect(seen[0]).toBe(`${as}/claims/gather?x=1`);
    expect(result.error?.code).not.toBe('internal');
  });

  it('without interaction the need_info reports the resolved page and its origin', async () => {
    const { as, rs } = await umaPair({ redirectUser: 'claims' });
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: as }] }, defaultClient: { clientId: 'tessera', clientSecret: 's' } });
    const result = await agent.fetch(`${rs}/r`);
    expect(result.outcome).toBe('need_info');
    expect(result.needInfo?.redirectUser).toBe(`${as}/claims`);
    expect(result.error?.facts?.interactionOrigin).toBe(as);
  });

  it('an as_uri with a trailing slash is the same AS in trust and in the issuer check (one rule)', async () => {
    for (const variant of [{ asUriSuffix: '/' }, { issuerSuffix: '/' }]) {
      const { as, rs } = await umaPair(variant);
      const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: as }] }, defaultClient: { clientId: 'tessera', clientSecret: 's' } });
      const result = await agent.fetch(`${rs}/r`);
      expect(result.error?.code).not.toBe('issuer_mismatch');
      expect(result.outcome).toBe('need_info');
    }
  });

  it('a different path is still an issuer mismatch (RFC 8414 §3.3)', async () => {
    const { as, rs } = await umaPair({ issuerSuffix: '/other' });
    const agent = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: as }] }, defaultClient: { clientId: 'tessera', clientSecret: 's' } });
    expect((await agent.fetch(`${rs}/r`)).error?.code).toBe('issuer_mismatch');
  });
});
