/**
 * "Adding an authorization server checks it": before an AS set up by hand is trusted, the core reads
 * its metadata through the engine's discovery (packages/uma/src/uma/discovery.ts: the same size bound, issuer check
 * and https rule as a real flow) and checks what a UMA client needs — the issuer it states, a token
 * endpoint, the UMA grant, and a registration endpoint when Tessera is to register itself. A refusal
 * is an `invalid_input` error whose message starts with the field it is about (`issuer: …`), the
 * protocol the form already uses to show the core's refusals next to the field.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3 (issuer check)
 */
import { randomUUID } from 'node:crypto';
import { TesseraError, normalizeIssuer, type AsConfig, discover, type DiscoveredAs, UMA_GRANT_TYPE } from '@tessera/uma';
import type { HttpClient } from '@tessera/uma';
import type { AsCheckView } from './api';

/** A refusal about one form field (the form shows it next to that field). */
function refuse(field: string, message: string, hint: string, cause?: unknown): TesseraError {
  return new TesseraError('invalid_input', `${field}: ${message}`, hint, cause === undefined ? {} : { cause });
}

/** Does the document speak UMA: it lists the UMA grant, or it is served where UMA metadata lives. */
function offersUma(found: DiscoveredAs, config: AsConfig): boolean {
  if (found.metadata.grant_types_supported?.includes(UMA_GRANT_TYPE)) return true;
  // Older Keycloak leaves the grant out of a document that is UMA by its address (reference/real-servers.md).
  if (found.source === 'uma2') return true;
  return found.source === 'configured_url' && /\/\.well-known\/uma2-configuration$/.test(new URL(config.discoveryUrl ?? 'x:/').pathname);
}

/**
 * An AS metadata document's `dpop_signing_alg_values_supported`, bounded; `[]` when not advertised.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
 */
export function advertisedDpopAlgs(metadata: Record<string, unknown>): string[] {
  const algs = metadata.dpop_signing_alg_values_supported;
  return Array.isArray(algs) ? algs.filter((a): a is string => typeof a === 'string').slice(0, 16).map((a) => a.slice(0, 40)) : [];
}

/**
 * Checks the AS as it is about to be trusted. Endpoints entered by hand are not fetched (an AS
 * without discovery, such as WSO2 IS, has nothing to fetch); the view says so.
 */
export async function checkNewAs(config: AsConfig, http: HttpClient, signal?: AbortSignal): Promise<AsCheckView> {
  if (config.metadata && !config.discoveryUrl) return { source: 'manual', tokenEndpoint: config.metadata.token_endpoint, umaGrant: 'not_checked' };
  const field = config.discoveryUrl ? 'discoveryUrl' : 'issuer';
  let found: DiscoveredAs;
  try {
    found = await discover(normalizeIssuer(config.issuer), config, { http, flowId: randomUUID(), ...(signal ? { signal } : {}) });
  } catch (error) {
    if (!(error instanceof TesseraError)) throw error;
    if (error.code === 'issuer_mismatch') throw refuse(field, `The server says its issuer is not ${config.issuer}. ${error.message}`, 'Give the issuer exactly as the server states it.', error);
    if (error.code === 'network' || error.code === 'timeout') throw refuse(field, `Nothing answers there. ${error.message}`, 'Check the address and that the server is running.', error);
    if (error.code === 'body_too_large' || error.code === 'too_many_redirects' || error.code === 'discovery_failed') throw refuse(field, `Tessera could not read this server's metadata. ${error.message}`, 'Check the address, give the discovery document elsewhere, or enter the endpoints by hand.', error);
    throw error;
  }
  if (!offersUma(found, config)) {
    throw refuse(field, `This server does not offer the UMA grant (its metadata does not list ${UMA_GRANT_TYPE}); it may be a sign-in provider, not an authorization server.`, 'Give the address of the UMA authorization server.');
  }
  if (config.client?.registration === 'dynamic' && !found.metadata.registration_endpoint) {
    throw refuse('authMethod', 'This server has no registration endpoint, so Tessera cannot register itself there.', 'Choose a client registered at the server and give its id.');
  }
  return {
    source: found.source === 'manual' ? 'manual' : 'discovery',
    tokenEndpoint: found.metadata.token_endpoint,
    umaGrant: found.metadata.grant_types_supported?.includes(UMA_GRANT_TYPE) ? 'listed' : 'uma_document',
    dpopAlgs: advertisedDpopAlgs(found.metadata as Record<string, unknown>),
    ...(found.metadata.issuer ? { issuer: found.metadata.issuer } : {}),
  };
}
