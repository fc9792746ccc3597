/**
 * The renderer's side of the TesseraApi contract. In the desktop app the preload exposes
 * `window.tessera` (one function per method); in browser mode this talks to the local host with the
 * per-launch secret the launch URL carried in its fragment (kept in this tab's sessionStorage).
 */
import type { ApiEvent, ApiInput, ApiMethod, ApiResults, TesseraApi } from '../src/app/api';

/** What the Electron preload exposes: one function per method, answering with an envelope. */
type Envelope = { ok: boolean; result?: unknown; error?: { code: string; message: string; hint: string; spec?: string } };
type Bridge = Record<ApiMethod, (input: unknown) => Promise<Envelope>> & { subscribe(listener: (e: ApiEvent) => void): () => void };

declare global {
  interface Window { tessera?: Bridge }
}

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly hint: string, readonly spec?: string) { super(message); }
}

const SECRET_KEY = 'tessera.launchSecret';

function launchSecret(): string | undefined {
  const match = /(?:^#|&)k=([\w-]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(SECRET_KEY, match[1]);
    // Drop the secret from the address bar and history.
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return match[1];
  }
  return sessionStorage.getItem(SECRET_KEY) ?? undefined;
}

export function httpApi(secret: string | undefined, fetchImpl: typeof fetch = (...a) => fetch(...a)): TesseraApi {
  const call = async <M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiResults[M]> => {
    if (!secret) throw new ApiError('forbidden', 'This page was opened without its launch key.', 'Open Tessera from the address printed in the terminal.');
    const response = await fetchImpl('/api/call', { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ method, input }) });
    const body = (await response.json().catch(() => ({ ok: false, error: { code: 'host', message: `The Tessera host answered ${response.status}.`, hint: 'Is Tessera still running?' } }))) as { ok: boolean; result?: ApiResults[M]; error?: { code: string; message: string; hint: string; spec?: string } };
    if (!body.ok) throw new ApiError(body.error?.code ?? 'error', body.error?.message ?? 'Unknown error', body.error?.hint ?? '', body.error?.spec);
    return body.result as ApiResults[M];
  };
  const methods = ['getState', 'openResource', 'addResource', 'removeResource', 'trustAs', 'untrustAs', 'discovery', 'signIn', 'signOut', 'forgetToken', 'revealToken', 'cancelFlow', 'exportTranscript'] as const;
  const api = Object.fromEntries(methods.map((m) => [m, (input: never) => call(m, input)])) as unknown as TesseraApi;
  api.subscribe = (listener: (e: ApiEvent) => void) => {
    let stopped = false;
    let controller: AbortController | undefined;
    const run = async (attempt: number): Promise<void> => {
      if (stopped || !secret) return;
      controller = new AbortController();
      try {
        const response = await fetchImpl('/api/events', { headers: { Authorization: `Bearer ${secret}` }, signal: controller.signal });
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

export function connectApi(): TesseraApi {
  return window.tessera ? bridgeApi(window.tessera) : httpApi(launchSecret());
}
