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
 * A URL named by a challenge is fetched only when {@link mayFetchAdvertisedMetadata} allows it: a
 * remote RS cannot make Tessera send requests to this machine or a private network (RFC 9728 §7.7).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-7.7
 */
import { z } from 'zod';
import { TesseraError } from '../kernel/errors';
import { normalizeIssuer } from '../kernel/trust';
import { isLocalNetworkHost, isSecureOrLoopback } from '../kernel/urls';
import type { HttpClient } from '../http/fetch';
import type { Transcript, TranscriptStep } from '../kernel/transcript';
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
  ssrf: 'https://www.rfc-editor.org/rfc/rfc9728#section-7.7',
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
 * The well-known metadata URL of a resource identifier: `/.well-known/oauth-protected-resource`
 * inserted between the host and the path and query (RFC 9728 §3.1). Only the `/` right after the host
 * is dropped (`https://rs.example/` → `…/oauth-protected-resource`); a path keeps its own trailing
 * slash (`https://rs.example/api/` → `…/oauth-protected-resource/api/`).
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.1
 */
export function wellKnownResourceMetadataUrl(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname;
  return `${u.origin}/.well-known/oauth-protected-resource${path}${u.search}`;
}

/**
 * Whether a document's `resource` is the identifier the well-known URL was built from (RFC 9728 §3.3,
 * first rule: "identical"). Compared as parsed URLs, so `https://rs.example` and `https://rs.example/`
 * (one identifier, one well-known URL) are the same, and nothing else is; a fragment never matches.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export function sameResourceIdentifier(resource: string, identifier: string): boolean {
  try {
    const r = new URL(resource);
    return !r.hash && !resource.includes('#') && r.href === new URL(identifier).href;
  } catch {
    return false;
  }
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
  // No fragment (RFC 9728 §1.2), no query here, and no userinfo: §3.3 asks for the identical URL, and URL.origin ignores userinfo.
  if (r.origin !== c.origin || r.username || r.password || r.search || r.hash) return false;
  const prefix = r.pathname.replace(/\/+$/, '');
  return prefix === '' || c.pathname === prefix || c.pathname.startsWith(`${prefix}/`);
}

/**
 * Whether Tessera may fetch the metadata URL an RS names in its challenge (`resource_metadata`). The
 * URL comes from the server being called, so RFC 9728 §7.7 (SSRF) applies: an absolute https URL
 * (plain http only on this machine), no credentials in it, and, unless the RS called is itself on this
 * machine or a private network, not a host there. The RS's own origin is always fine.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-7.7
 */
export function mayFetchAdvertisedMetadata(advertised: string, called: string): boolean {
  let a: URL;
  let c: URL;
  try {
    a = new URL(advertised);
    c = new URL(called);
  } catch {
    return false;
  }
  if (!isSecureOrLoopback(a) || a.username || a.password) return false;
  if (a.origin === c.origin) return true;
  return isLocalNetworkHost(c.hostname) || !isLocalNetworkHost(a.hostname);
}

/** A lookup's answer: the document, or why there is none (for the transcript). */
type Found = { value: ResourceMetadata } | { value: null; why: string };

/** How long the well-known lookup may take: a silent RS must not hold a flow for the full request timeout. */
const WELL_KNOWN_TIMEOUT_MS = 3000;

/**
 * Fetches, validates and caches RS metadata; checks it against the resource called and the AS named.
 *
 * Cached per metadata URL (one request per RS origin for the well-known location), answers and
 * "none" alike, for a bounded time (10 minutes, "none" 5) and at most 256 URLs (the oldest go first).
 * Concurrent flows share one request.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
 */
export class ResourceMetadataCache {
  readonly #entries = new Map<string, { found: Promise<Found>; expires: number }>();
  readonly #ttlMs: number;
  readonly #noneTtlMs: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; noneTtlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 10 * 60 * 1000;
    this.#noneTtlMs = options.noneTtlMs ?? Math.min(this.#ttlMs, 5 * 60 * 1000);
    this.#now = options.now ?? Date.now;
  }

  /**
   * The RS's metadata for a challenge on `called`.
   *
   * With `advertised` (the challenge's `resource_metadata`): that document, whose `resource` must
   * cover the URL called. Without it, and when `wellKnown` is set: the RS origin's
   * `/.well-known/oauth-protected-resource`, built from the origin as resource identifier, whose
   * `resource` must be that identifier (§3.3). An RS that is merely silent there — 4xx/5xx, a non-JSON
   * answer such as an SPA's catch-all page, a document that is not RFC 9728 metadata, a network error
   * or timeout — has no metadata: the step says so and the flow goes on. `undefined` when there is
   * none; throws only for a document that names another resource (or when the caller aborts).
   * @see https://www.rfc-editor.org/rfc/rfc9728#section-3.3
   */
  async lookup(called: string, advertised: string | undefined, options: { http: HttpClient; flowId: string; signal?: AbortSignal; transcript?: Transcript; wellKnown?: boolean }): Promise<ResourceMetadata | undefined> {
    const useAdvertised = advertised !== undefined && mayFetchAdvertisedMetadata(advertised, called);
    if (advertised !== undefined && !useAdvertised) {
      // Said on the challenge's step (the flow's last): the RS named a URL Tessera will not request.
      const step = options.transcript?.flow(options.flowId).at(-1);
      if (step && options.transcript) options.transcript.annotate(step, { note: `resource_metadata ${advertised.slice(0, 200)} not fetched: an RS may name only an https URL on a public host or its own origin (RFC 9728 §7.7)` });
    }
    if (!useAdvertised && options.wellKnown === false) return undefined;
    const identifier = new URL(called).origin;
    const url = useAdvertised ? new URL(advertised, called).href : wellKnownResourceMetadataUrl(identifier);
    const source = useAdvertised ? 'challenge' : 'well_known';
    const key = `${source} ${url}`;
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (!entry || entry.expires <= now) {
      this.#entries.delete(key);
      const found = fetchMetadata(url, source, options);
      const fresh = { found, expires: Number.POSITIVE_INFINITY };
      entry = fresh;
      if (this.#entries.size >= 256) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(key, fresh);
      found.then(
        (f) => { fresh.expires = this.#now() + (f.value ? this.#ttlMs : this.#noneTtlMs); },
        () => { if (this.#entries.get(key) === fresh) this.#entries.delete(key); }, // aborted: nothing learnt
      );
    }
    const found = await entry.found;
    const value = found.value;
    if (!value) return undefined;
    const ok = source === 'well_known' ? sameResourceIdentifier(value.resource, identifier) : resourceCovers(value.resource, called);
    if (!ok) {
      throw refuse(outcomes.rsMetadataResourceMismatch(called, value.resource, url, source === 'well_known' ? identifier : undefined));
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

async function fetchMetadata(url: string, source: ResourceMetadata['source'], options: { http: HttpClient; flowId: string; signal?: AbortSignal; transcript?: Transcript }): Promise<Found> {
  const wellKnown = source === 'well_known';
  // Why the RS has no usable metadata, noted on its step: at the well-known URL the RS may simply be silent.
  const none = (why: string, step?: TranscriptStep): Found => {
    if (step && options.transcript) options.transcript.annotate(step, { note: `no protected-resource metadata (${why}): ${wellKnown ? 'the RS publishes none; not checked' : 'not checked'}` });
    return { value: null, why };
  };
  let text: string;
  let step: TranscriptStep;
  try {
    const result = await options.http.request(url, { lane: 'rs', kind: 'discovery', flowId: options.flowId, headers: { accept: 'application/json' }, ...(wellKnown ? { timeoutMs: WELL_KNOWN_TIMEOUT_MS } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    step = result.step;
    if (result.status !== 200) return none(`status ${result.status}`, step);
    if (result.bytes.byteLength > MAX_BYTES) return none(`larger than ${MAX_BYTES} bytes`, step);
    text = result.text;
  } catch (error) {
    if (error instanceof TesseraError && error.code === 'aborted') throw error;
    // unreachable, timed out or too large: the RS has no usable metadata (the failed request is the flow's last step)
    const failed = options.transcript?.flow(options.flowId).at(-1);
    return none(error instanceof TesseraError ? error.code : 'request failed', failed?.url === url ? failed : undefined);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return none('not JSON', step);
  }
  const parsed = resourceMetadataSchema.safeParse(json);
  if (!parsed.success) return none('not RFC 9728 metadata', step);
  const d = parsed.data;
  return {
    value: {
      resource: d.resource,
      ...(d.authorization_servers ? { authorizationServers: d.authorization_servers } : {}),
      ...(d.resource_name ? { name: d.resource_name } : {}),
      ...(d.resource_documentation ? { documentation: d.resource_documentation } : {}),
      source,
      url,
    },
  };
}
