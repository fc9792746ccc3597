import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transcript } from '../../packages/uma/src/kernel/transcript';
import { HttpClient } from '../../packages/uma/src/http/fetch';

let server: Server;
let base: string;
const seen: { path: string; auth?: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
    if (req.url === '/big') return void res.end('x'.repeat(5000));
    if (req.url === '/big-chunked') {
      res.write('x'.repeat(3000));
      return void res.end('y'.repeat(3000));
    }
    if (req.url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/same') return void res.writeHead(307, { location: '/ok' }).end();
    if (req.url === '/ok') return void res.end('ok');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const ctx = { lane: 'rs' as const, kind: 'resource' as const, flowId: 'f' };

describe('HttpClient bounds', () => {
  it('times out', async () => {
    const http = new HttpClient({ bounds: { timeoutMs: 100 } });
    await expect(http.request(`${base}/slow`, ctx)).rejects.toMatchObject({ code: 'timeout' });
  });

  it('is cancelled by the caller (already aborted, or mid-flight) without waiting for the timeout', async () => {
    const http = new HttpClient({ bounds: { timeoutMs: 5000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // Without the cancel, /slow answers 200 after 2 s; the rejection proves the abort reached the request.
    await expect(http.request(`${base}/slow`, { ...ctx, signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    await expect(http.request(`${base}/ok`, { ...ctx, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' });
  });

  it('bounds the body size (content-length and streamed)', async () => {
    const http = new HttpClient({ bounds: { maxBodyBytes: 4096 } });
    await expect(http.request(`${base}/big`, ctx)).rejects.toMatchObject({ code: 'body_too_large' });
    await expect(http.request(`${base}/big-chunked`, ctx)).rejects.toMatchObject({ code: 'body_too_large' });
  });

  it('limits redirects and records every hop', async () => {
    const transcript = new Transcript();
    const http = new HttpClient({ bounds: { maxRedirects: 3 }, transcript });
    await expect(http.request(`${base}/loop`, { ...ctx, followRedirects: true })).rejects.toMatchObject({ code: 'too_many_redirects' });
    expect(transcript.steps).toHaveLength(4);
  });

  it('keeps credentials on a same-origin redirect, does not follow without followRedirects', async () => {
    const http = new HttpClient();
    seen.length = 0;
    const ok = await http.request(`${base}/same`, { ...ctx, followRedirects: true, headers: { authorization: 'Bearer rpt-same-origin' } });
    expect(ok.text).toBe('ok');
    expect(seen.map((s) => s.auth)).toEqual(['Bearer rpt-same-origin', 'Bearer rpt-same-origin']);
    const raw = await http.request(`${base}/same`, ctx);
    expect(raw.status).toBe(307);
  });

  it('records network failures as steps with status null', async () => {
    const transcript = new Transcript();
    const http = new HttpClient({ transcript });
    await expect(http.request('http://127.0.0.1:1/', ctx)).rejects.toMatchObject({ code: 'network' });
    expect(transcript.steps[0]?.status).toBeNull();
    expect(transcript.steps[0]?.error?.code).toBe('network');
  });
});
