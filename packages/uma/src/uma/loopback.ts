/**
 * One-shot loopback redirect listener (RFC 8252 §7.3): binds 127.0.0.1 on an ephemeral port, accepts
 * exactly one GET on the exact path whose `state` matches, answers the browser with a page saying
 * they can return to Tessera, and closes. Requests on other paths or with another `state` are
 * refused without ending the wait (a stray or forged request cannot cancel a real sign-in). An error
 * redirect (`error=access_denied` …) ends it with a typed error; so do the timeout and cancellation.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TesseraError } from '../kernel/errors';

/**
 * Path, state check, timeout and cancellation of a loopback listener.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export interface LoopbackOptions {
  /** Exact path, e.g. `/oidc/callback` or `/uma/claims-callback`. */
  path: string;
  /** Returns true when the request's `state` is the expected one (constant-time compare inside). */
  stateOk: (state: string | null) => boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What the person is told in the browser. */
  doneMessage?: string;
}

/**
 * A one-shot loopback listener: its redirect URI, the query it receives, and close.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export interface Loopback {
  /** `http://127.0.0.1:<port><path>` — the redirect URI to send. */
  redirectUri: string;
  /** The query of the accepted request. */
  result: Promise<URLSearchParams>;
  /** Stops listening (idempotent). */
  close(): void;
}

const page = (title: string, text: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color-scheme:light dark}</style></head>
<body><h1>${title}</h1><p>${text}</p></body></html>`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Listens once on 127.0.0.1 (ephemeral port) for a browser redirect and resolves with its query when the state checks out.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export async function startLoopback(options: LoopbackOptions): Promise<Loopback> {
  let settle!: { resolve: (q: URLSearchParams) => void; reject: (e: Error) => void };
  const result = new Promise<URLSearchParams>((resolve, reject) => { settle = { resolve, reject }; });
  result.catch(() => undefined);
  let done = false;
  let mismatched = 0;
  const server = createServer((req, res) => {
    const send = (status: number, title: string, text: string) => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'", 'Referrer-Policy': 'no-referrer' });
      res.end(page(title, text));
    };
    let url: URL;
    try { url = new URL(req.url ?? '/', 'http://127.0.0.1'); } catch { send(400, 'Bad request', 'This address is not understood.'); return; }
    if (done || req.method !== 'GET' || url.pathname !== options.path) { send(404, 'Not found', 'Nothing is waiting here.'); return; }
    // Tolerate sloppy encodings on the return (Janssen appends unencoded parameters): URLSearchParams
    // is lenient, and only `state`, `ticket`, `code`, `error` are read.
    const query = url.searchParams;
    if (!options.stateOk(query.get('state'))) {
      mismatched++;
      send(400, 'This response does not match', 'It does not belong to a sign-in Tessera started. Return to Tessera and try again.');
      return;
    }
    done = true;
    const error = query.get('error');
    if (error) {
      send(200, 'Not completed', `The server answered: ${escape(error)}${query.get('error_description') ? ` — ${escape(query.get('error_description') ?? '')}` : ''}. You can close this tab and return to Tessera.`);
      settle.reject(new TesseraError('interaction_error', `The browser came back with error "${error}"${query.get('error_description') ? `: ${query.get('error_description')}` : ''}.`, error === 'access_denied' ? 'The sign-in or request was cancelled or refused; try again if that was a mistake.' : 'Try again; if it keeps failing, the server may be misconfigured.'));
    } else {
      send(200, 'Done', escape(options.doneMessage ?? 'You can close this tab and return to Tessera.'));
      settle.resolve(query);
    }
    finish();
  });
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const timer = setTimeout(() => {
    if (mismatched > 0) settle.reject(new TesseraError('state_mismatch', `The browser came back ${mismatched} time(s) with a state that does not belong to this request, and never with the right one.`, 'Someone or something may be forging responses (CSRF); start again from Tessera.'));
    else settle.reject(new TesseraError('interaction_timeout', `Nobody came back from the browser within ${Math.round(timeoutMs / 1000)} s.`, 'Run the command again and finish in the browser, or pass a longer timeout.'));
    finish();
  }, timeoutMs);
  const onAbort = () => {
    settle.reject(new TesseraError('interaction_cancelled', 'The browser step was cancelled.', 'Start again when ready.'));
    finish();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  function finish() {
    done = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    // Let the answer page flush, then stop listening.
    setTimeout(() => { server.close(); server.closeAllConnections(); }, 50).unref();
  }
  if (options.signal?.aborted) onAbort();
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
  const { port } = server.address() as AddressInfo;
  return { redirectUri: `http://127.0.0.1:${port}${options.path}`, result, close: () => { if (!done) onAbort(); } };
}
