/**
 * AS discovery: `{as_uri}/.well-known/uma2-configuration` (UMA Grant §2), then the RFC 8414
 * `/.well-known/oauth-authorization-server` forms, or a configured discovery URL / manual endpoints.
 * The document's `issuer` must equal `as_uri` exactly (mix-up defence, RFC 8414 §3.3) unless the
 * user configured that AS with an explicit alias. Results are cached with a TTL.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
import { z } from 'zod';
import { isSecureOrLoopback } from '../kernel/urls';
import { SPEC, TesseraError } from '../kernel/errors';
import { normalizeIssuer, type AsConfig } from '../kernel/trust';
import type { HttpClient } from '../http/fetch';

/**
 * Schema of {@link AsMetadata} (zod): endpoints must be URLs, unknown members kept.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export const asMetadata = z
  .object({
    issuer: z.string().min(1),
    token_endpoint: z.url(),
    claims_interaction_endpoint: z.url().optional(),
    registration_endpoint: z.url().optional(),
    revocation_endpoint: z.url().optional(),
    introspection_endpoint: z.url().optional(),
    permission_endpoint: z.url().optional(),
    resource_registration_endpoint: z.url().optional(),
    grant_types_supported: z.array(z.string()).optional(),
    token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
    uma_profiles_supported: z.array(z.string()).optional(),
  })
  .loose();
/**
 * The AS metadata Tessera uses (UMA discovery / RFC 8414), validated.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export type AsMetadata = z.infer<typeof asMetadata>;

/**
 * Discovered AS metadata and where it came from.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export interface DiscoveredAs {
  /** The issuer this AS is known by (the `as_uri`, or the configured issuer). */
  issuer: string;
  metadata: AsMetadata;
  /** Where the metadata came from. */
  source: 'uma2' | 'rfc8414' | 'configured_url' | 'manual';
}

/**
 * How {@link discover} reaches the network: HTTP client, flow id, cancellation, clock.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export interface DiscoveryOptions {
  http: HttpClient;
  flowId: string;
  signal?: AbortSignal;
  /** The clock (epoch ms) the cache's expiry uses. */
  now?: () => number;
}

/**
 * Candidate discovery URLs for an issuer, in the order they are tried.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export function discoveryUrls(asUri: string): { url: string; source: 'uma2' | 'rfc8414' }[] {
  const base = normalizeIssuer(asUri);
  const parsed = new URL(base);
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  const urls: { url: string; source: 'uma2' | 'rfc8414' }[] = [{ url: `${base}/.well-known/uma2-configuration`, source: 'uma2' }];
  urls.push({ url: `${parsed.origin}/.well-known/oauth-authorization-server${path}`, source: 'rfc8414' });
  if (path) urls.push({ url: `${base}/.well-known/oauth-authorization-server`, source: 'rfc8414' });
  return urls;
}

/**
 * Discovery with a TTL cache, keyed by issuer.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export class DiscoveryCache {
  readonly #entries = new Map<string, { value: DiscoveredAs; expires: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 60 * 60 * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** The cached metadata of `issuer` while fresh. */
  get(issuer: string): DiscoveredAs | undefined {
    const entry = this.#entries.get(normalizeIssuer(issuer));
    if (!entry) return undefined;
    if (entry.expires <= this.#now()) {
      this.#entries.delete(normalizeIssuer(issuer));
      return undefined;
    }
    return entry.value;
  }

  /** Caches the metadata of `issuer` for the cache's lifetime. */
  set(issuer: string, value: DiscoveredAs): void {
    this.#entries.set(normalizeIssuer(issuer), { value, expires: this.#now() + this.#ttlMs });
  }

  /** Forgets every cached document (e.g. after the trust list changed). */
  clear(): void {
    this.#entries.clear();
  }

  /** Returns the cached metadata or discovers it. */
  async resolve(asUri: string, config: AsConfig, options: DiscoveryOptions): Promise<DiscoveredAs> {
    const cached = this.get(asUri);
    if (cached) return cached;
    const value = await discover(asUri, config, options);
    this.set(asUri, value);
    return value;
  }
}

/**
 * AS endpoints must use HTTPS, except on loopback (UMA Grant §5.8 / RFC 6749 §3.1.2.1).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export function requireHttps(url: string, what: string): void {
  if (!isSecureOrLoopback(url)) {
    throw new TesseraError('discovery_failed', `The ${what} ${url} does not use HTTPS.`, 'Tessera sends credentials and claims only over TLS (loopback excepted); check the AS configuration.', { spec: SPEC.discovery });
  }
}

/**
 * Fetches and validates the AS metadata for a trusted `as_uri`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 */
export async function discover(asUri: string, config: AsConfig, options: DiscoveryOptions): Promise<DiscoveredAs> {
  const found = await discoverUnchecked(asUri, config, options);
  requireHttps(asUri, 'authorization server');
  for (const key of ['token_endpoint', 'claims_interaction_endpoint', 'registration_endpoint', 'revocation_endpoint'] as const) {
    const value = found.metadata[key];
    if (typeof value === 'string') requireHttps(value, key.replace(/_/g, ' '));
  }
  return found;
}

async function discoverUnchecked(asUri: string, config: AsConfig, options: DiscoveryOptions): Promise<DiscoveredAs> {
  if (!config.discoveryUrl && !config.metadata) requireHttps(asUri, 'authorization server');
  if (config.metadata && !config.discoveryUrl) {
    return { issuer: asUri, metadata: asMetadata.parse({ issuer: asUri, ...config.metadata }), source: 'manual' };
  }
  const candidates = config.discoveryUrl ? [{ url: config.discoveryUrl, source: 'configured_url' as const }] : discoveryUrls(asUri);
  const failures: string[] = [];
  for (const candidate of candidates) {
    const result = await options.http.request(candidate.url, {
      lane: 'as',
      kind: 'discovery',
      flowId: options.flowId,
      headers: { accept: 'application/json' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (result.status !== 200) {
      failures.push(`${candidate.url} → ${result.status}`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(result.text);
    } catch {
      failures.push(`${candidate.url} → not JSON`);
      continue;
    }
    const parsed = asMetadata.safeParse(json);
    if (!parsed.success) {
      throw new TesseraError('discovery_failed', `The discovery document at ${candidate.url} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`, 'The AS publishes broken metadata; configure its endpoints manually.', { spec: SPEC.discovery });
    }
    const metadata = { ...parsed.data, ...(config.metadata ?? {}) } as AsMetadata;
    // RFC 8414 §3.3 exact match, with the one normalisation trust matching also applies: a lone
    // trailing slash is not significant (so an as_uri that passes trust cannot then fail here).
    if (normalizeIssuer(metadata.issuer) !== normalizeIssuer(asUri)) {
      const names = [config.issuer, ...(config.aliases ?? [])];
      const aliased = config.aliases !== undefined && names.includes(metadata.issuer) && names.some((n) => normalizeIssuer(n) === normalizeIssuer(asUri));
      if (!aliased) {
        throw new TesseraError('issuer_mismatch', `The AS at ${candidate.url} says its issuer is "${metadata.issuer}", but the resource server named "${asUri}".`, `This can be an AS mix-up attack. If both names are the same server, add "${metadata.issuer}" as an alias of "${config.issuer}" in the trust configuration.`, { spec: SPEC.issuerCheck });
      }
    }
    return { issuer: asUri, metadata, source: candidate.source };
  }
  if (config.metadata) return { issuer: asUri, metadata: asMetadata.parse({ issuer: asUri, ...config.metadata }), source: 'manual' };
  throw new TesseraError('discovery_failed', `No discovery document for ${asUri} (${failures.join(', ')}).`, 'Configure a discovery URL or the token endpoint for this AS (e.g. WSO2 IS has no UMA discovery).', { spec: SPEC.discovery });
}
