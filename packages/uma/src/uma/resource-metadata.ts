/**
 * Protected-resource metadata (RFC 9728): what an RS says about itself — its resource identifier,
 * the authorization servers it accepts tokens from, its name and documentation. The agent reads it
 * after a UMA challenge and before anything goes to the challenge's `as_uri`: when the document's
 * `authorization_servers` do not include that AS, or its `resource` is not the resource Tessera
 * called, the flow stops (nothing reaches the AS).
 *
 * Where the document comes from: the challenge's `resource_metadata` parameter (RFC 9728 §5.1, on
 * any scheme), else the RS origin's `/.well-known/oauth-protected-resource` (RFC 9728 §3), fetched
 * once per RS origin and cached, a missing one (404, anything not a valid document) cached as "none".
 * An RS without metadata never fails a flow.
 *
 * The `resource` check: RFC 9728 §3.3 asks for the exact URL requested when the document was named by
 * the challenge, which no RS with more than one URL can satisfy; Tessera accepts the identifier when it
 * is the same origin and a path prefix (at a `/` boundary) of the URL called — the rule of
 * draft-mcguinness-oauth-rfc9728bis. Documents found at the well-known URL must name exactly the
 * identifier the URL was built from (§3.3, first rule).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 */
import { z } from 'zod';
import { TesseraError } from '../kernel/errors';
import { normalizeIssuer } from '../kernel/trust';
import { isSecureOrLoopback } from '../kernel/urls';
import type { HttpClient } from '../http/fetch';
import { outcomes, refuse } from './outcomes';

/**
 * RFC 9728 sections, for errors and TSDoc.
 * @see https://www.rfc-editor.org/rfc/rfc9728
 */
export const RFC9728 = {
  metadata: 'https://www.rfc-editor.org/rfc/rfc9728#section-2',
  wellKnown: 'https://www.rfc-editor.org/rfc/rfc9728#section-3',
  validation: 'https://www.rfc-editor.org/rfc/rfc9728#section-3.3',
  challenge: 'https://www.rfc-editor.org/rfc/rfc9728#section-5.1',
} as const;

const MAX_BYTES = 64 * 1024;
const short = z.string().min(1).max(2048);

/**
 * The fields Tessera reads (RFC 9728 §2); the rest is kept loose and ignored.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export const resourceMetadataSchema = z
  .object({
    resource: z.url().max(2048),
    authorization_servers: z.array(short).max(32).optional(),
    resource_name: z.string().max(200).optional(),
    resource_documentation: z.string().max(2048).optional(),
    scopes_supported: z.array(z.string().max(200)).max(100).optional(),
    bearer_methods_supported: z.array(z.string().max(50)).max(10).optional(),
  })
  .loose();

/**
 * What the person (and the probe) may see of an RS's metadata: non-secret, bounded.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export interface ResourceMetadata {
  resource: string;
  authorizationServers?: string[];
  name?: string;
  documentation?: string;
  /** Where it came from: the challenge's `resource_metadata` or the well-known URL. */
  source: 'challenge' | 'well_known';
  url: string;
}

/**
 * The well-known metadata URL of a resource identifier, the suffix inserted between host and path.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 */
export function wellKnownResourceMetadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
  return `${u.origin}/.well-known/oauth-protected-resource${path}${u.search}`;
}

/**
 * Whether `resource` identifies the URL called: the same origin and a path prefix at a `/` boundary.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export function resourceCovers(resource: string, called: string): boolean {
  let r: URL;
  let c: URL;
  try {
    r = new URL(resource);
    c = new URL(called);
  } catch {
    return false;
  }
  if (r.origin !== c.origin || r.search || r.hash) return false;
  const prefix = r.pathname.replace(/\/+$/, '');
  return prefix === '' || c.pathname === prefix || c.pathname.startsWith(`${prefix}/`);
}

/**
 * Fetches, validates and caches RS metadata; checks it against the resource called and the AS named.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export class ResourceMetadataCache {
  readonly #entries = new Map<string, { value: ResourceMetadata | null; expires: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 10 * 60 * 1000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The RS's metadata for a challenge on `called`: from `advertised` (the challenge's
   * `resource_metadata`) when given, else the RS origin's well-known document. `undefined` when the
   * RS has none (or an unusable one). Throws only for a document that names another resource.
   * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
   */
  async lookup(called: string, advertised: string | undefined, options: { http: HttpClient; flowId: string; signal?: AbortSignal }): Promise<ResourceMetadata | undefined> {
    const origin = new URL(called).origin;
    const url = advertised && isSecureOrLoopback(advertised) ? new URL(advertised, called).href : wellKnownResourceMetadataUrl(origin);
    const source = advertised && isSecureOrLoopback(advertised) ? 'challenge' : 'well_known';
    const key = `${source} ${url}`;
    const cached = this.#entries.get(key);
    let value: ResourceMetadata | null;
    if (cached && cached.expires > this.#now()) value = cached.value;
    else {
      value = await fetchMetadata(url, source, options);
      if (this.#entries.size >= 256) this.#entries.clear();
      this.#entries.set(key, { value, expires: this.#now() + this.#ttlMs });
    }
    if (!value) return undefined;
    const ok = source === 'well_known' ? normalizeIssuer(value.resource) === normalizeIssuer(origin) : resourceCovers(value.resource, called);
    if (!ok) {
      throw refuse(outcomes.rsMetadataResourceMismatch(called, value.resource, url));
    }
    return value;
  }

  /** Forgets every cached document. */
  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Refuses an `as_uri` that the RS's own metadata does not list (when it lists any).
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function checkAsListed(metadata: ResourceMetadata | undefined, asUri: string): void {
  const listed = metadata?.authorizationServers;
  if (!metadata || !listed || listed.length === 0) return;
  if (listed.some((a) => normalizeIssuer(a) === normalizeIssuer(asUri))) return;
  throw refuse(outcomes.rsMetadataAsMismatch(asUri, listed, metadata.resource));
}

async function fetchMetadata(url: string, source: ResourceMetadata['source'], options: { http: HttpClient; flowId: string; signal?: AbortSignal }): Promise<ResourceMetadata | null> {
  let text: string;
  try {
    const result = await options.http.request(url, { lane: 'rs', kind: 'discovery', flowId: options.flowId, headers: { accept: 'application/json' }, ...(options.signal ? { signal: options.signal } : {}) });
    if (result.status !== 200 || result.bytes.byteLength > MAX_BYTES) return null;
    text = result.text;
  } catch (error) {
    if (error instanceof TesseraError && error.code === 'aborted') throw error;
    return null; // unreachable or too large: the RS has no usable metadata
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = resourceMetadataSchema.safeParse(json);
  if (!parsed.success) return null;
  const d = parsed.data;
  return {
    resource: d.resource,
    ...(d.authorization_servers ? { authorizationServers: d.authorization_servers } : {}),
    ...(d.resource_name ? { name: d.resource_name } : {}),
    ...(d.resource_documentation ? { documentation: d.resource_documentation } : {}),
    source,
    url,
  };
}
