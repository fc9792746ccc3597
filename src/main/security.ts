/**
 * The Electron shell's security decisions, as plain functions (unit-tested without Electron):
 * which senders may call the API, which URLs may open in the system browser, the page CSP, and
 * the `app://tessera` protocol that serves the renderer (path-traversal safe, typed, with the CSP
 * as a response header).
 * @see https://www.electronjs.org/docs/latest/tutorial/security
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { isLoopbackHost, isLoopbackUrl } from '@tessera/uma/portable';

export const RENDERER_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; frame-src blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The privileged scheme the renderer is served from, and the one origin the API trusts. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'tessera';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;
/**
 * The one window the page may open: the presenter's speaker notes (renderer/speaker-notes.ts), the
 * app's own page with this fragment, in a second window of the same hardened kind.
 */
export const NOTES_WINDOW_URL = `${APP_INDEX_URL}#speaker-notes`;

/**
 * Registered before `ready`: standard (relative URLs, an origin, web storage), secure (a secure
 * context like https), fetch and CORS-mode requests allowed (vite emits `<script type="module"
 * crossorigin>`), V8 code cache. Not `bypassCSP`: the page's CSP applies.
 * @see https://www.electronjs.org/docs/latest/api/protocol#protocolregisterschemesasprivilegedcustomschemes
 */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } as const;

/** Only a top frame whose origin is exactly `app://tessera` may call the API. */
export function isTrustedSender(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  if (!frameUrl || !isMainFrame) return false;
  try {
    const u = new URL(frameUrl);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && !u.username && !u.password;
  } catch {
    return false;
  }
}

/**
 * The loopback origins the user trusts: the ASes in the trust list and the identity providers
 * configured for sign-in (from the service's state), e.g. a local Keycloak or the demo. Remote
 * issuers are https and need no entry.
 */
export function trustedLoopbackOrigins(state: { trusted: readonly { issuer: string }[]; providers: readonly { issuer: string }[]; demo?: { dashboardUrl: string } }): Set<string> {
  const origins = new Set<string>();
  for (const issuer of [...state.trusted.map((t) => t.issuer), ...state.providers.map((p) => p.issuer), ...(state.demo ? [state.demo.dashboardUrl] : [])]) {
    if (isLoopbackUrl(issuer)) origins.add(new URL(issuer).origin);
  }
  return origins;
}

/**
 * `shell.openExternal` only for https, and for http(s) on loopback only at origins the user trusts
 * (their ASes and identity providers): never file:, javascript:, custom schemes, credentials in the
 * URL, or other hosts over plain http.
 * @see https://www.electronjs.org/docs/latest/tutorial/security#15-do-not-use-shellopenexternal-with-untrusted-content
 */
export function allowedExternal(url: string, loopbackOrigins: ReadonlySet<string>): boolean {
  let u: URL;
  try { u = new URL(url); } catch { return false; }
  if (u.username || u.password) return false;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return false;
  if (isLoopbackHost(u.hostname)) return loopbackOrigins.has(u.origin);
  return u.protocol === 'https:';
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.webp': 'image/webp',
  '.woff2': 'font/woff2', '.woff': 'font/woff', '.txt': 'text/plain; charset=utf-8', '.wasm': 'application/wasm',
};

/** The MIME type for a served file (by extension; unknown → application/octet-stream, with nosniff). */
export function mimeType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `rendererDir` an `app://tessera/...` URL names, or undefined: another scheme or
 * host, a NUL or backslash, a bad escape, or a path that leaves the directory (`..`, `%2e%2e%2f`).
 */
export function resolveAppPath(url: string, rendererDir: string): string | undefined {
  let u: URL;
  try { u = new URL(url); } catch { return undefined; }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  let rel: string;
  try { rel = decodeURIComponent(u.pathname); } catch { return undefined; }
  if (rel.includes('\0') || rel.includes('\\')) return undefined;
  rel = rel.replace(/^\/+/, '');
  if (rel === '') rel = 'index.html';
  const root = normalize(rendererDir);
  const file = normalize(join(root, rel));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  return file;
}

/**
 * The `protocol.handle('app', …)` handler: GET/HEAD of a file under `rendererDir`, typed, `nosniff`,
 * the CSP (and frame denial) on HTML; 404 for anything else.
 * @see https://www.electronjs.org/docs/latest/api/protocol#protocolhandlescheme-handler
 */
export async function serveApp(request: { url: string; method: string }, rendererDir: string): Promise<Response> {
  const plain = (status: number, text: string) => new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } });
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'method not allowed');
  const file = resolveAppPath(request.url, rendererDir);
  if (!file) return plain(404, 'not found');
  let data: Buffer;
  try { data = await readFile(file); } catch { return plain(404, 'not found'); }
  const type = mimeType(file);
  const headers: Record<string, string> = { 'content-type': type, 'content-length': String(data.length), 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'same-origin' };
  if (type.startsWith('text/html')) Object.assign(headers, { 'content-security-policy': RENDERER_CSP, 'x-frame-options': 'DENY', 'cache-control': 'no-store' });
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(data), { status: 200, headers });
}
