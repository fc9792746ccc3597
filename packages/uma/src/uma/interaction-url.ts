/**
 * Claims-interaction URL and `state` binding (UMA Grant §3.3.2–3.3.3). The loopback listener and
 * the full `ClaimsInteraction` are not built yet; this module is the pure part they will use.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SPEC, TesseraError } from '../kernel/errors';
import { isSecureOrLoopback } from '../kernel/urls';

/**
 * What the claims-interaction URL carries: endpoint, client id, ticket, redirect URI, state.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export interface InteractionUrlParams {
  /** `redirect_user` from need_info or the AS's `claims_interaction_endpoint`. */
  endpoint: string;
  clientId: string;
  ticket: string;
  claimsRedirectUri: string;
  state: string;
}

/**
 * Adds `client_id`, `ticket`, `claims_redirect_uri` and `state` to any query the endpoint already
 * carries. Parameters already present (Janssen's `redirect_user` carries `client_id` and `ticket`)
 * are not duplicated: the freshest `ticket` replaces a stale one, an existing `client_id` is kept.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export function buildInteractionUrl(p: InteractionUrlParams): URL {
  const url = new URL(p.endpoint);
  if (!isSecureOrLoopback(url)) {
    throw new TesseraError('interaction_endpoint_insecure', `The claims-interaction address ${url.origin} does not use https.`, 'Tessera does not send you to a plain-http page of another machine; the AS operator must fix its address.', { spec: SPEC.grant });
  }
  if (!url.searchParams.has('client_id')) url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('ticket', p.ticket);
  url.searchParams.set('claims_redirect_uri', p.claimsRedirectUri);
  url.searchParams.set('state', p.state);
  return url;
}

/**
 * An unguessable state (256 bits) plus a digest binding it to (AS issuer, ticket).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export function newBoundState(asIssuer: string, ticket: string): { state: string; binding: string } {
  const state = randomBytes(32).toString('base64url');
  return { state, binding: bindingOf(state, asIssuer, ticket) };
}

/**
 * True when `state` came back unchanged for this (AS, ticket); constant-time comparison.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export function stateMatches(binding: string, state: string | null, asIssuer: string, ticket: string): boolean {
  if (!state) return false;
  const a = Buffer.from(binding);
  const b = Buffer.from(bindingOf(state, asIssuer, ticket));
  return a.length === b.length && timingSafeEqual(a, b);
}

function bindingOf(state: string, asIssuer: string, ticket: string): string {
  return createHash('sha256').update(JSON.stringify([state, asIssuer, ticket])).digest('base64url');
}
