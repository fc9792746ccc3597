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
 * An AS as discovered: its issuer, its metadata and where each part came from.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.2
 */
export interface DiscoveredAs {
  /** The issuer this AS is known by (the `as_uri`, or the configured issuer). */
  issuer: string;
  metadata: AsMetadata;
  /** Where the metadata came from. */
  source: 'uma2' | 'rfc8414' | 'openid' | 'configured_url' | 'manual';
  /** Endpoints the document lacked, taken from the same issuer's OpenID document. */
  supplemented?: { url: string; keys: string[] };
}

/**
 * The HTTP client and transcript flow a discovery runs in.
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
 * Candidate UMA and OAuth discovery URLs for an issuer, in the order they are tried: the UMA form
 * `{issuer}/.well-known/uma2-configuration` (UMA Grant §2), then RFC 8414 §3.1's path-inserted forms
 * (`/.well-known/uma2-configuration{path}`, `/.well-known/oauth-authorization-server{path}`), then the
 * appended OAuth form some servers use. The engine tries {@link openidConfigurationUrl} last.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 */
export function discoveryUrls(asUri: string): { url: string; source: 'uma2' | 'rfc8414' }[] {
  const base = normalizeIssuer(asUri);
  const parsed = new URL(base);
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  const urls: { url: string; source: 'uma2' | 'rfc8414' }[] = [{ url: `${base}/.well-known/uma2-configuration`, source: 'uma2' }];
  if (path) urls.push({ url: `${parsed.origin}/.well-known/uma2-configuration${path}`, source: 'rfc8414' });
  urls.push({ url: `${parsed.origin}/.well-known/oauth-authorization-server${path}`, source: 'rfc8414' });
  if (path) urls.push({ url: `${base}/.well-known/oauth-authorization-server`, source: 'rfc8414' });
  return urls;
}

/**
 * `{issuer}/.well-known/openid-configuration` (appended, as OpenID Discovery §4 defines): the last
 * discovery fallback, and where endpoints a UMA document lacks are looked up.
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest
 */
export function openidConfigurationUrl(asUri: string): string {
  return `${normalizeIssuer(asUri)}/.well-known/openid-configuration`;
}

/**
 * Discovery with a TTL cache, keyed by issuer.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
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
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export function requireHttps(url: string, what: string): void {
  if (!isSecureOrLoopback(url)) {
    throw new TesseraError('discovery_failed', `The ${what} ${url} does not use HTTPS.`, 'Tessera sends credentials and claims only over TLS (loopback excepted); check the AS configuration.', { spec: SPEC.discovery });
  }
}

/**
 * Fetches and validates the AS metadata for a trusted `as_uri`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
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
  const candidates: Candidate[] = config.discoveryUrl ? [{ url: config.discoveryUrl, source: 'configured_url' }] : [...discoveryUrls(asUri), { url: openidConfigurationUrl(asUri), source: 'openid' }];
  const failures: string[] = [];
  for (const candidate of candidates) {
    const document = await readDocument(candidate, asUri, config, options, failures);
    if (!document) continue;
    const found: DiscoveredAs = { issuer: asUri, metadata: { ...document, ...(config.metadata ?? {}) } as AsMetadata, source: candidate.source };
    return candidate.source === 'openid' ? found : supplement(found, candidate.url, asUri, config, options);
  }
  if (config.metadata) return { issuer: asUri, metadata: asMetadata.parse({ issuer: asUri, ...config.metadata }), source: 'manual' };
  throw new TesseraError('discovery_failed', `No discovery document for ${asUri} (${failures.join(', ')}).`, 'Configure a discovery URL or the token endpoint for this AS (e.g. WSO2 IS has no UMA discovery).', { spec: SPEC.discovery });
}

type Candidate = { url: string; source: DiscoveredAs['source'] };

/**
 * Endpoints a UMA document may lack that the same server's OpenID document has (Keycloak's UMA
 * document has no `revocation_endpoint`; its OpenID one does).
 */
const SUPPLEMENTED = ['revocation_endpoint', 'introspection_endpoint', 'registration_endpoint', 'token_endpoint_auth_methods_supported'] as const;

/**
 * When the document found lacks a revocation endpoint, reads `{issuer}/.well-known/openid-configuration`
 * and takes what the first document lacks (never overriding it). The OpenID document must name the
 * same issuer; if it does not, or is missing, the first document is used alone.
 */
async function supplement(found: DiscoveredAs, readFrom: string, asUri: string, config: AsConfig, options: DiscoveryOptions): Promise<DiscoveredAs> {
  const url = openidConfigurationUrl(asUri);
  if (found.metadata.revocation_endpoint || url === readFrom) return found;
  let other: AsMetadata | undefined;
  try {
    other = await readDocument({ url, source: 'openid' }, asUri, config, options, []);
  } catch (error) {
    if (error instanceof TesseraError && (error.code === 'issuer_mismatch' || error.code === 'discovery_failed')) return found; // not the same server's document: ignore it
    throw error;
  }
  if (!other) return found;
  const added: Partial<AsMetadata> = {};
  for (const key of SUPPLEMENTED) if (found.metadata[key] === undefined && other[key] !== undefined) Object.assign(added, { [key]: other[key] });
  const keys = Object.keys(added);
  if (keys.length === 0) return found;
  return { ...found, metadata: { ...found.metadata, ...added }, supplemented: { url, keys } };
}

/**
 * Reads one discovery document: undefined when it is absent (non-200, not JSON; noted in `failures`);
 * throws when it is invalid or names another issuer (RFC 8414 §3.3, checked on every document).
 */
async function readDocument(candidate: Candidate, asUri: string, config: AsConfig, options: DiscoveryOptions, failures: string[]): Promise<AsMetadata | undefined> {
  const result = await options.http.request(candidate.url, {
    lane: 'as',
    kind: 'discovery',
    flowId: options.flowId,
    headers: { accept: 'application/json' },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.status !== 200) {
    failures.push(`${candidate.url} → ${result.status}`);
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(result.text);
  } catch {
    failures.push(`${candidate.url} → not JSON`);
    return undefined;
  }
  const parsed = asMetadata.safeParse(json);
  if (!parsed.success) {
    throw new TesseraError('discovery_failed', `The discovery document at ${candidate.url} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`, 'The AS publishes broken metadata; configure its endpoints manually.', { spec: SPEC.discovery });
  }
  const issuer = parsed.data.issuer;
  // RFC 8414 §3.3 exact match, with the one normalisation trust matching also applies: a lone
  // trailing slash is not significant (so an as_uri that passes trust cannot then fail here).
  if (normalizeIssuer(issuer) !== normalizeIssuer(asUri)) {
    const names = [config.issuer, ...(config.aliases ?? [])];
    const aliased = config.aliases !== undefined && names.includes(issuer) && names.some((n) => normalizeIssuer(n) === normalizeIssuer(asUri));
    if (!aliased) {
      throw new TesseraError('issuer_mismatch', `The AS at ${candidate.url} says its issuer is "${issuer}", but the resource server named "${asUri}".`, `This can be an AS mix-up attack. If both names are the same server, add "${issuer}" as an alias of "${config.issuer}" in the trust configuration.`, { spec: SPEC.issuerCheck });
    }
  }
  return parsed.data;
}
