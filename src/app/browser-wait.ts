/**
 * Which flow is waiting for the person in the system browser (a sign-in at their provider, or the
 * AS's claims-interaction page, UMA Grant §3.3.2), and the page it opened, so that the UI can say
 * "Continue in your browser" and offer to open the same page again.
 *
 * The page's address carries a ticket (claims interaction) or `state` and PKCE parameters (sign-in):
 * it stays here, in the core. A face sees only {@link BrowserWaitView} and asks for a re-open by flow
 * id. Flows are told apart with AsyncLocalStorage: the service runs each flow's work inside
 * {@link BrowserWaits.run}, and the opener the engine and sign-in are given looks up whose it is, so
 * no layer below needs to know about flows of the UI.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-4.1 (native apps use the system browser)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Opener } from '@tessera/uma';

export interface BrowserWaitView { what: 'sign-in' | 'claims'; origin: string }

export class BrowserWaits {
  readonly #als = new AsyncLocalStorage<{ flowId: string; what: BrowserWaitView['what'] }>();
  /** flowId → the exact page opened (secret-bearing; never leaves the core). */
  readonly #pages = new Map<string, string>();
  readonly #open: Opener;
  readonly #changed: (flowId: string, wait: BrowserWaitView | undefined) => void;

  constructor(open: Opener, changed: (flowId: string, wait: BrowserWaitView | undefined) => void) {
    this.#open = open;
    this.#changed = changed;
  }

  /** The opener to hand to the engine and to sign-in: it remembers which flow sent the browser where. */
  readonly opener: Opener = async (url) => {
    const flow = this.#als.getStore();
    if (flow) {
      this.#pages.set(flow.flowId, url);
      this.#changed(flow.flowId, { what: flow.what, origin: new URL(url).origin });
    }
    await this.#open(url);
  };

  /** Runs one flow's work; pages it opens are attributed to `flowId`. */
  run<T>(flowId: string, what: BrowserWaitView['what'], fn: () => Promise<T>): Promise<T> {
    return this.#als.run({ flowId, what }, fn);
  }

  waiting(flowId: string): boolean {
    return this.#pages.has(flowId);
  }

  /** The person is back (the flow moved on) or the flow ended. */
  end(flowId: string): void {
    if (this.#pages.delete(flowId)) this.#changed(flowId, undefined);
  }

  /** Opens the same page again; false when the flow is not waiting in the browser. */
  async reopen(flowId: string): Promise<boolean> {
    const url = this.#pages.get(flowId);
    if (!url) return false;
    await this.#open(url);
    return true;
  }
}

/**
 * The key under which a second Open joins a running flow: the same plain GET (no body, headers or
 * scopes of its own) of the same URL for the same requesting party. Anything else is a different
 * request and starts its own flow.
 */
export function joinKey(input: { url: string; method: string; body?: string | undefined; headers?: Record<string, string> | undefined; scopes?: string[] | undefined }, party: string): string | undefined {
  if (input.method !== 'GET' || input.body !== undefined || Object.keys(input.headers ?? {}).length > 0 || (input.scopes?.length ?? 0) > 0) return undefined;
  return JSON.stringify([input.url, party]);
}
