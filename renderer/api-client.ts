/**
 * The renderer's side of the TesseraApi contract. In the desktop app the preload exposes
 * `window.tessera` (one function per method); in browser mode this talks to the local host. The
 * launch URL's fragment carries a single-use launch secret: the page's first load exchanges it for a
 * session token (kept in this tab's sessionStorage, which is scoped to the host's origin and port) and
 * the secret is dead afterwards, so reading it later from the opener's command line gives nothing.
 */
import type { ApiEvent, ApiInput, ApiMethod, ApiResults, TesseraApi } from '../src/app/api';
import { API_METHOD_NAMES } from '../src/app/api-methods';

/** What the Electron preload exposes: one function per method, answering with an envelope. */
type Envelope = { ok: boolean; result?: unknown; error?: { code: string; message: string; hint: string; spec?: string } };
type Bridge = Record<ApiMethod, (input: unknown) => Promise<Envelope>> & { subscribe(listener: (e: ApiEvent) => void): () => void };

declare global {
  interface Window { tessera?: Bridge }
}

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly hint: string, readonly spec?: string) { super(message); }
}

const SESSION_KEY = 'tessera.session';

/**
 * This tab's session with the host: a launch secret in the fragment is dropped from the address bar
 * and exchanged (`POST /api/session`, once per launch); otherwise the session this tab already holds.
 */
export async function browserSession(fetchImpl: typeof fetch = (...a) => fetch(...a)): Promise<string | undefined> {
  const match = /(?:^#|&)k=([\w-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
    try {
      const response = await fetchImpl('/api/session', { method: 'POST', headers: { Authorization: `Bearer ${match[1]}`, 'Content-Type': 'application/json' }, body: '{}' });
      const body = (await response.json().catch(() => undefined)) as { ok?: boolean; result?: { session?: unknown } } | undefined;
      if (response.ok && body?.ok && typeof body.result?.session === 'string') {
        sessionStorage.setItem(SESSION_KEY, body.result.session);
        return body.result.session;
      }
    } catch {
      // host unreachable: fall through to a session this tab may already hold
    }
  }
  return sessionStorage.getItem(SESSION_KEY) ?? undefined;
}

export function httpApi(sessionOrPromise: string | undefined | Promise<string | undefined>, fetchImpl: typeof fetch = (...a) => fetch(...a)): TesseraApi {
  const call = async <M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiResults[M]> => {
    const session = await sessionOrPromise;
    if (!session) throw new ApiError('forbidden', 'This page has no Tessera session.', 'The launch address works once: use the tab it first opened, or restart Tessera for a new address.');
    const response = await fetchImpl('/api/call', { method: 'POST', headers: { Authorization: `Bearer ${session}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ method, input }) });
    const body = (await response.json().catch(() => ({ ok: false, error: { code: 'host', message: `The Tessera host answered ${response.status}.`, hint: 'Is Tessera still running?' } }))) as { ok: boolean; result?: ApiResults[M]; error?: { code: string; message: string; hint: string; spec?: string } };
    if (!body.ok) throw new ApiError(body.error?.code ?? 'error', body.error?.message ?? 'Unknown error', body.error?.hint ?? '', body.error?.spec);
    return body.result as ApiResults[M];
  };
  // The contract's one method list (a hand-kept copy here had lost actAs).
  const api = Object.fromEntries(API_METHOD_NAMES.map((m) => [m, (input: never) => call(m, input)])) as unknown as TesseraApi;
  api.subscribe = (listener: (e: ApiEvent) => void) => {
    let stopped = false;
    let controller: AbortController | undefined;
    const run = async (attempt: number): Promise<void> => {
      const session = await sessionOrPromise;
      if (stopped || !session) return;
      controller = new AbortController();
      try {
        const response = await fetchImpl('/api/events', { headers: { Authorization: `Bearer ${session}` }, signal: controller.signal });
        if (!response.ok || !response.body) throw new Error(`events ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        attempt = 0;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const chunk = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = chunk.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (data) listener(JSON.parse(data) as ApiEvent);
          }
        }
      } catch {
        // fall through to reconnect
      }
      if (!stopped) setTimeout(() => void run(attempt + 1), Math.min(5000, 250 * 2 ** attempt));
    };
    void run(0);
    return () => { stopped = true; controller?.abort(); };
  };
  return api;
}

export function bridgeApi(bridge: Bridge): TesseraApi {
  const api = {} as Record<string, unknown>;
  for (const method of Object.keys(bridge).filter((k) => k !== 'subscribe') as ApiMethod[]) {
    api[method] = async (input: unknown) => {
      const envelope = await bridge[method](input);
      if (!envelope.ok) throw new ApiError(envelope.error?.code ?? 'error', envelope.error?.message ?? 'Unknown error', envelope.error?.hint ?? '', envelope.error?.spec);
      return envelope.result;
    };
  }
  api.subscribe = (listener: (e: ApiEvent) => void) => bridge.subscribe(listener);
  return api as unknown as TesseraApi;
}

/**
 * "Open in a new tab" (browser mode): a fresh single-use launch address from the host for this tab's
 * session (src/host/server.ts `POST /api/launch`); the new tab exchanges it for its own session.
 */
export async function newTabAddress(fetchImpl: typeof fetch = (...a) => fetch(...a)): Promise<string> {
  const session = sessionStorage.getItem(SESSION_KEY);
  if (!session) throw new ApiError('forbidden', 'This page has no Tessera session.', 'Use the tab Tessera first opened.');
  const response = await fetchImpl('/api/launch', { method: 'POST', headers: { Authorization: `Bearer ${session}`, 'Content-Type': 'application/json' }, body: '{}' });
  const body = (await response.json().catch(() => undefined)) as { ok?: boolean; result?: { launchUrl?: unknown } } | undefined;
  const url = body?.ok ? body.result?.launchUrl : undefined;
  if (typeof url !== 'string' || !url.startsWith(`${window.location.origin}/#k=`)) throw new ApiError('host', 'Tessera did not give a new address.', 'Is Tessera still running?');
  return url;
}

export function connectApi(): TesseraApi {
  return window.tessera ? bridgeApi(window.tessera) : httpApi(browserSession());
}
