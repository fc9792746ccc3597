/**
 * Form helpers for the screens that send what a person typed (Add a resource, Add an authorization
 * server, Rename): address checks in plain words before anything is sent, and the core's refusals
 * turned into the same plain words to show next to the form — never in the global banner, and never
 * the host's "reload the page" hint, which is about a broken page, not a typo.
 */
import { ApiError } from './api-client';

export const ONLY_HTTP = 'Only http(s) addresses';
export const HTTPS_RULE = 'Use https — plain http only for this machine';

/**
 * What is wrong with an address, or undefined. The same rule as packages/uma/src/kernel/urls.ts
 * (`isSecureOrLoopback`), which the core applies again: the renderer may not import it.
 */
export function addressProblem(value: string): string | undefined {
  let u: URL;
  try { u = new URL(value.trim()); } catch { return ONLY_HTTP; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return ONLY_HTTP;
  const host = u.hostname.toLowerCase();
  const loopback = host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  if (u.protocol === 'http:' && !loopback) return HTTPS_RULE;
  return undefined;
}

/**
 * A refusal from the core as field messages: input errors arrive as `field: message; field: message`
 * (src/app/api.ts `parseCall`); anything else is one message for the whole form (`''`).
 */
export function refusal(error: unknown): Record<string, string> {
  if (error instanceof ApiError && error.code === 'invalid_input') {
    const out: Record<string, string> = {};
    for (const part of error.message.split('; ')) {
      const colon = part.indexOf(': ');
      const field = colon > 0 ? part.slice(0, colon).split('.')[0] ?? '' : '';
      const text = colon > 0 ? part.slice(colon + 2) : part;
      out[field === 'input' ? '' : field] ??= sentence(text);
    }
    return out;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { '': sentence(message) };
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
