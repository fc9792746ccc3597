/**
 * Browser mode: the same renderer served on 127.0.0.1, talking to the core over a small HTTP API.
 * - Binds 127.0.0.1 only, on an ephemeral port by default.
 * - An unguessable per-launch secret (256 bits) rides in the launch URL's fragment (never in a server
 *   log or a Referer). It is single-use: the page's first load exchanges it (`POST /api/session`)
 *   for a session token, and from then on the launch secret is dead — other local users can read it
 *   from the opener's command line (`/proc/PID/cmdline`), but only before the page has loaded, and a
 *   stolen-and-used secret shows up as a page that cannot connect. Every other API call needs the
 *   session (`Authorization: Bearer`). The page keeps the session in its tab's sessionStorage, which
 *   is scoped to this origin including the port; a cookie would not be (cookies ignore ports, so any
 *   other server on 127.0.0.1 would receive it).
 * - More tabs: `POST /api/launch` hands out a fresh single-use launch address — to a page that holds
 *   a session ("Open in a new tab"), or to a second `npm start` / `tessera open` that presents the
 *   control secret kept in the Tessera home (host.json, mode 0600). Each launch address opens one
 *   session; each tab keeps its own.
 * - Malformed requests (undecodable percent-encoding, an unparsable request target) are 400s.
 * - `Host` must name this listener (DNS-rebinding defence) and `Origin`, when sent, must be this
 *   origin (cross-site requests); API calls must be `application/json` (no CORS-simple requests).
 * - A strict CSP on the page; the API answers with views only — no token ever reaches the page.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-8.3 (loopback interface)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ApiInputError, parseCall, type ApiEvent } from '../app/api';
import { toErrorInfo } from '@tessera/uma';
import type { TesseraService } from '../app/service';

export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; frame-src blob:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2' };

export interface HostOptions {
  service: Pick<TesseraService, 'call' | 'subscribe'>;
  /** The built renderer (vite's outDir). */
  staticDir: string;
  port?: number;
  /** A port to try first when `port` is not given (the last launch's); a free one when it is taken. */
  preferPort?: number;
  /** For tests; default: 32 random bytes. */
  secret?: string;
  /** A secret a second start presents to ask for a new launch address (src/host/last-port.ts); none: only pages may. */
  control?: string;
  log?: (line: string) => void;
}

export interface HostHandle {
  /** Open this: it carries the single-use launch secret in the fragment. */
  launchUrl: string;
  /** True once a page has exchanged the launch secret for a session. */
  readonly launched: boolean;
  origin: string;
  /** A fresh single-use launch address (another tab). */
  newLaunch(): string;
  server: Server;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function startHost(options: HostOptions): Promise<HostHandle> {
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  /** Digests of launch secrets not used yet, and of those used (each opens one session, once). */
  const fresh: Buffer[] = [digest(secret)];
  const used: Buffer[] = [];
  const controlDigest = options.control ? digest(options.control) : undefined;
  /** Digests of the sessions handed out (one per launch secret). */
  const sessions: Buffer[] = [];
  let launched = false;
  const server = createServer();
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => { server.off('listening', ok); reject(error); };
    const ok = () => { server.off('error', fail); resolve(); };
    server.once('error', fail);
    server.once('listening', ok);
    server.listen(port, '127.0.0.1');
  });
  if (options.port === undefined && options.preferPort) {
    await listen(options.preferPort).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
      await listen(0);
    });
  } else await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const streams = new Set<ServerResponse>();

  const deny = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify({ ok: false, error: { code: 'forbidden', message, hint: 'Open Tessera from the address it printed.' } }));
  };
  const bearer = (req: IncomingMessage): Buffer | undefined => {
    const m = /^Bearer ([\w-]{20,100})$/.exec(req.headers.authorization ?? '');
    return m?.[1] === undefined ? undefined : digest(m[1]);
  };
  const isLaunchSecret = (d: Buffer | undefined) => d !== undefined && [...fresh, ...used].some((s) => timingSafeEqual(d, s));
  const isControl = (d: Buffer | undefined) => d !== undefined && controlDigest !== undefined && timingSafeEqual(d, controlDigest);
  const newLaunch = (): string => {
    const next = randomBytes(32).toString('base64url');
    fresh.push(digest(next));
    return `${origin}/#k=${next}`;
  };
  const isSession = (d: Buffer | undefined) => d !== undefined && sessions.some((s) => timingSafeEqual(d, s));
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify(body));
  };
  const badRequest = (res: ServerResponse, message: string) => send(res, 400, { ok: false, error: { code: 'invalid_input', message, hint: 'Open Tessera from the address it printed.' } });

  server.on('request', (req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.log?.(`host: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) deny(res, 500, 'internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
    if (!allowedHosts.has(req.headers.host ?? '')) return deny(res, 421, 'wrong Host');
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin && reqOrigin !== `http://localhost:${port}`) return deny(res, 403, 'cross-origin request refused');
    // Origin-form request targets only ("/path?query"); parsed against our origin, never a foreign one.
    let url: URL;
    try {
      if (!req.url?.startsWith('/')) throw new TypeError('not origin-form');
      url = new URL(origin + req.url);
    } catch {
      return badRequest(res, 'malformed request target');
    }
    if (url.pathname.startsWith('/api/')) {
      const presented = bearer(req);
      if (url.pathname === '/api/session' && req.method === 'POST') return exchange(req, res, presented);
      if (url.pathname === '/api/launch' && req.method === 'POST') return launch(req, res, presented);
      if (isLaunchSecret(presented)) return deny(res, 401, launched ? 'this launch address was already used' : 'the launch secret only opens a session');
      if (!isSession(presented)) return deny(res, 401, 'missing or wrong session');
      if (url.pathname === '/api/events' && req.method === 'GET') return events(res);
      if (url.pathname === '/api/call' && req.method === 'POST') return call(req, res);
      return deny(res, 404, 'no such API');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'method not allowed');
    return serveStatic(url.pathname, res);
  }

  /** The launch secret, once, for a session token (the secret is dead afterwards, even on failure paths). */
  function exchange(req: IncomingMessage, res: ServerResponse, presented: Buffer | undefined): void {
    req.resume();
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return deny(res, 415, 'Content-Type must be application/json');
    if (!isLaunchSecret(presented)) return deny(res, 401, 'missing or wrong launch secret');
    const i = fresh.findIndex((s) => presented !== undefined && timingSafeEqual(presented, s));
    if (i < 0) {
      options.log?.('host: a second page presented a used launch secret; refused');
      return deny(res, 401, 'this launch address was already used');
    }
    used.push(...fresh.splice(i, 1));
    launched = true;
    const session = randomBytes(32).toString('base64url');
    sessions.push(digest(session));
    send(res, 200, { ok: true, result: { session } });
  }

  /** A new launch address for another tab: for a page's session, or for the control secret of a second start. */
  function launch(req: IncomingMessage, res: ServerResponse, presented: Buffer | undefined): void {
    req.resume();
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return deny(res, 415, 'Content-Type must be application/json');
    if (!isSession(presented) && !isControl(presented)) return deny(res, 401, 'missing or wrong session');
    if (fresh.length > 32) fresh.splice(0, fresh.length - 32); // unused addresses do not pile up
    send(res, 200, { ok: true, result: { launchUrl: newLaunch() } });
  }

  async function call(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return deny(res, 415, 'Content-Type must be application/json');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 256 * 1024) return deny(res, 413, 'request too large');
      chunks.push(chunk);
    }
    let parsed: { method: ReturnType<typeof parseCall>['method']; input: unknown };
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { method?: unknown; input?: unknown };
      parsed = parseCall(body.method, body.input);
    } catch (error) {
      // A refused field is usually a typo in a form (the form shows it); only a body that is not JSON is the page's fault.
      return send(res, 400, { ok: false, error: error instanceof ApiInputError ? { code: 'invalid_input', message: error.message, hint: 'Check what you entered.' } : { code: 'invalid_input', message: 'the request body is not JSON', hint: 'This is a bug in the Tessera page; reload it.' } });
    }
    try {
      send(res, 200, { ok: true, result: await options.service.call(parsed.method, parsed.input) });
    } catch (error) {
      send(res, 200, { ok: false, error: toErrorInfo(error) });
    }
  }

  function events(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
    res.write(': tessera events\n\n');
    const send = (event: ApiEvent) => res.write(`data: ${JSON.stringify(event)}\n\n`);
    const unsubscribe = options.service.subscribe(send);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    streams.add(res);
    res.on('close', () => { unsubscribe(); clearInterval(ping); streams.delete(res); });
  }

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    let rel: string;
    try {
      rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    } catch {
      return badRequest(res, 'malformed percent-encoding in the path');
    }
    const file = normalize(join(options.staticDir, rel));
    if (!file.startsWith(normalize(options.staticDir) + sep)) return deny(res, 404, 'not found');
    let data: Buffer;
    try { data = await readFile(file); } catch { return deny(res, 404, 'not found'); }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': data.length,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      ...(type.startsWith('text/html') ? { 'Content-Security-Policy': PAGE_CSP, 'X-Frame-Options': 'DENY', 'Cache-Control': 'no-store' } : { 'Cache-Control': 'public, max-age=3600' }),
    });
    res.end(data);
  }

  return {
    launchUrl: `${origin}/#k=${secret}`,
    get launched() { return launched; },
    origin,
    newLaunch,
    server,
    close: () => new Promise<void>((resolve) => {
      for (const s of streams) s.end();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
