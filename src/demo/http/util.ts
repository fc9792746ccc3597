/**
 * Small, strict HTTP helpers shared by the demo servers (node:http, no framework): bounded body
 * reading, JSON/HTML/redirect answers with safe headers, form and cookie parsing, HTML escaping.
 * Every handler error ends as a clean JSON/HTML error answer, never a stack trace.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';

export class HttpError extends Error {
  constructor(readonly status: number, readonly error: string, description?: string, readonly extra: Record<string, unknown> = {}) {
    super(description ?? error);
  }
}

const MAX_BODY = 64 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'invalid_request', `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw new HttpError(400, 'invalid_request', 'Content-Type must be application/json');
  const text = await readBody(req);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_request', 'request body is not valid JSON');
  }
}

/** Parses an `application/x-www-form-urlencoded` body; a repeated parameter is an error (RFC 6749 §3.1). */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) throw new HttpError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  return formToRecord(new URLSearchParams(await readBody(req)));
}

export function formToRecord(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(out, key)) throw new HttpError(400, 'invalid_request', `parameter '${key}' is repeated`);
    out[key] = value;
  }
  return out;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { error: error.error, ...(error.message !== error.error ? { error_description: error.message } : {}), ...error.extra }, headers);
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'";

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': CSP,
    'X-Frame-Options': 'DENY',
    'Content-Length': Buffer.byteLength(html),
    ...headers,
  });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: location, 'Cache-Control': 'no-store', ...headers });
  res.end();
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Tagged template that escapes every interpolation unless it is wrapped in `raw()`. */
export interface RawHtml { readonly __html: string }
export const raw = (html: string): RawHtml => ({ __html: html });
export function html(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const piece = Array.isArray(value)
      ? value.map((v) => (isRaw(v) ? v.__html : escapeHtml(v))).join('')
      : isRaw(value) ? value.__html : value === undefined || value === null || value === false ? '' : escapeHtml(value);
    out += piece + (strings[i + 1] ?? '');
  });
  return raw(out);
}
const isRaw = (v: unknown): v is RawHtml => typeof v === 'object' && v !== null && '__html' in v;

/**
 * `decodeURIComponent` that answers `undefined` for malformed percent-encoding (`%E0%A4%A`) instead
 * of throwing a URIError that would end as a 500.
 */
export function tryDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Decodes one path segment; malformed percent-encoding is the client's error (400). */
export function decodePathSegment(segment: string): string {
  const decoded = tryDecode(segment);
  if (decoded === undefined) throw new HttpError(400, 'invalid_request', 'malformed percent-encoding in the request path');
  return decoded;
}

/**
 * The request's cookies. Cookies are not port-scoped (RFC 6265 §8.5), so any page on 127.0.0.1 can
 * plant one: a cookie whose value does not decode is ignored, and of two cookies with the same name
 * the first wins (browsers send the one with the longer Path first, RFC 6265 §5.4), so a planted
 * `Path=/` cookie does not shadow the server's own.
 */
export function parseCookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const value = tryDecode(part.slice(i + 1).trim());
    if (value !== undefined && !Object.hasOwn(out, name)) out[name] = value;
  }
  return out;
}

export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** `Authorization: Basic` per RFC 6749 §2.3.1 (form-urlencoded id and secret). */
export function parseBasic(req: IncomingMessage): { id: string; secret: string } | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  const id = tryDecode(decoded.slice(0, i).replace(/\+/g, ' '));
  const secret = tryDecode(decoded.slice(i + 1).replace(/\+/g, ' '));
  return id === undefined || secret === undefined ? undefined : { id, secret };
}

export function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+([\w\-.~+/]+=*)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * Wraps a handler so that any failure answers cleanly: HttpError → its status and JSON body (or an
 * HTML page for browser routes), anything else → 500 `server_error` with no detail, logged once.
 */
export function guarded(handler: Handler, log: (line: string) => void, origin: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      sendError(res, new HttpError(400, 'invalid_request', 'bad request target'));
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((error: unknown) => {
        if (res.headersSent) { res.destroy(); return; }
        if (error instanceof HttpError) sendError(res, error);
        // A decodeURIComponent no route guarded: malformed percent-encoding is the client's error.
        else if (error instanceof URIError) sendError(res, new HttpError(400, 'invalid_request', 'malformed percent-encoding'));
        else {
          log(`internal error on ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`);
          sendError(res, new HttpError(500, 'server_error', 'internal error'));
        }
      });
  };
}

/** A page layout shared by the IdP, dashboard and claims pages: readable, light and dark. */
export function page(title: string, body: RawHtml, brand: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} — ${escapeHtml(brand)}</title><style>
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f6f7f9;--card:#fff;--accent:#0b5cad;--muted:#5a6370;--ok:#1a7f37;--bad:#b42318}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#15181c;--card:#1f2328;--accent:#6cb4ff;--muted:#a3acb9;--ok:#4ac26b;--bad:#ff7b72}}
body{font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header{background:var(--accent);color:#fff;padding:.75rem 1.5rem;font-weight:600}
@media (prefers-color-scheme:dark){header{color:#10151b}}
main{max-width:60rem;margin:1.5rem auto;padding:0 1rem}
.card{background:var(--card);border-radius:8px;padding:1rem 1.25rem;margin-bottom:1rem;box-shadow:0 1px 2px #0002}
label{display:block;margin:.5rem 0 .25rem;font-weight:500}
input[type=text],input[type=password],input[type=email],select{width:100%;max-width:24rem;padding:.45rem;border:1px solid var(--muted);border-radius:4px;background:var(--card);color:var(--fg)}
button{padding:.45rem 1rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;font:inherit;margin:.25rem .25rem .25rem 0}
@media (prefers-color-scheme:dark){button{color:#10151b}}
button.secondary{background:transparent;color:var(--accent)}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
a{color:var(--accent)}.muted{color:var(--muted)}.error{color:var(--bad);font-weight:600}.ok{color:var(--ok);font-weight:600}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #8884;vertical-align:top}
code{font-size:.9em}
</style></head><body><header>${escapeHtml(brand)}</header><main>${body.__html}</main></body></html>`;
}
