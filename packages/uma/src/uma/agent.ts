/**
 * The UMA requesting-party agent: the loop of UMA Grant §3 as one `fetch`, for one requesting party.
 * It requests the resource; on `401` + `WWW-Authenticate: UMA` it checks trust, asks the token
 * endpoint with the ticket (pushing the party's claims, their PCT and their held RPT for upgrade),
 * follows `need_info` (push or claims interaction) and `request_submitted` (polling), and retries the
 * resource with the RPT. Concurrent fetches for one (AS, RS origin, party) run one grant at a time.
 *
 * The pieces it composes live beside it: challenge.ts (the 401), discovery.ts, clients.ts +
 * registration.ts (who Tessera is at the AS), token-loop.ts (the token-endpoint conversation for
 * one ticket, on grant.ts's request/process), poll-policy.ts (waiting for an owner),
 * rpt-refresh.ts (a held RPT refreshed), rpt-cache.ts (RPTs per party), token-admin.ts
 * (forget/revoke), outcomes.ts (codes and facts).
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
import { randomUUID } from 'node:crypto';
import { SPEC, TesseraError, toErrorInfo, type ErrorInfo } from '../kernel/errors';
import type { Outcome } from '../kernel/outcome';
import { NOBODY } from '../kernel/party';
import { fingerprint } from '../kernel/redact';
import type { TokenStore } from '../kernel/store';
import { Transcript, type StepListener, type TranscriptStep } from '../kernel/transcript';
import { findTrustedAs, normalizeIssuer, type AsConfig, type TrustPolicy } from '../kernel/trust';
import { isSecureOrLoopback, transportRefusal } from '../kernel/urls';
import { HttpClient, isTextual, type FetchLike, type HttpBounds, type HttpResult } from '../http/fetch';
import type { AsAccessDeps } from './as-access';
import { OTHER_SCHEME_SPEC, readRsResponse, type RsReading } from './challenge';
import { ClientResolver, type DefaultClient } from './clients';
import { DiscoveryCache, type AsMetadata } from './discovery';
import type { KeycloakUmaOptions } from './grant';
import { askKeycloak, type KeycloakAnswer } from './keycloak-request';
import { checkAsListed, ResourceMetadataCache, type ResourceMetadata } from './resource-metadata';
import { outcomes } from './outcomes';
import type { ClaimsInteraction, ClaimsSource, RequiredClaim } from './ports';
import { DpopKeys, dpopResourceRequest, isDpopTokenType, type DpopKey } from './dpop';
import { RptCache, type HeldRpt } from './rpt-cache';
import { heldRpt, type RptRefreshDeps } from './rpt-refresh';
import { SingleFlight } from './single-flight';
import { TokenAdmin } from './token-admin';
import { startPolling, TokenLoop, type GrantOutcome } from './token-loop';

// Re-exported for the faces; each is documented (with @see) where it is defined.
export type { DefaultClient } from './clients';
export type { RptValue } from './rpt-cache';
export type { PctValue } from './token-admin';
export { repairRedirectUser } from './token-loop';
export type { Outcome } from '../kernel/outcome';

/**
 * How to fetch: the request, who for, how long to wait for an owner, a ticket to resume with.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.1
 */
export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Allow the claims-interaction redirect (default true when an interaction port is configured). */
  interaction?: boolean;
  /** How long to keep polling after `request_submitted` (seconds, default 0: report `pending`). */
  waitSeconds?: number;
  /**
   * The requesting party this fetch acts for (`issuer#sub`, `token:…`, or `nobody`). Only that
   * party's RPT, PCT and claims are ever sent. Default: the agent's `party`, else `nobody`.
   */
  party?: string;
  signal?: AbortSignal;
  /** Id for this fetch's transcript steps (the app streams them live); default a random UUID. */
  flowId?: string;
  /** Scopes to ask the AS for in addition to the ticket's (token request `scope`, UMA Grant §3.3.1). */
  scopes?: string[];
  /**
   * Resume a grant that ended `pending`: ask the token endpoint with the ticket the AS returned with
   * `request_submitted` (UMA Grant §3.3.6: the client polls with that new ticket) instead of
   * requesting the resource first. If the AS rejects the ticket, the agent goes back to the RS.
   */
  resume?: { asUri: string; ticket: string };
}

/**
 * A fetch's result: the outcome (granted, pending, need_info, denied, …), the RS's last answer and the flow's steps.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface FetchResult {
  outcome: Outcome;
  /** Final RS HTTP status, or null when the RS never answered. */
  status: number | null;
  headers: Record<string, string>;
  /** The body as UTF-8 text (meaningful when `text` is true). */
  body: string;
  /** The body as received (PDFs, images: keep these, not `body`). */
  bytes: Uint8Array;
  contentType?: string;
  /** Whether the body is text (by its content type). */
  text: boolean;
  steps: TranscriptStep[];
  flowId: string;
  /** The requesting party the flow acted for. */
  party: string;
  /**
   * How access was obtained when granted: `open` (no UMA challenge at all), `held` (an RPT already
   * held was accepted), `issued` (a new RPT from this flow).
   */
  access?: 'open' | 'held' | 'issued';
  /** When the RPT that was used was stored (epoch ms), for `held`. */
  rptStoredAt?: number;
  asIssuer?: string;
  /** What the RS's protected-resource metadata (RFC 9728) says about it, when it publishes any. */
  resourceMetadata?: ResourceMetadata;
  error?: ErrorInfo;
  needInfo?: { requiredClaims?: RequiredClaim[]; redirectUser?: string; ticket: string };
  pending?: { ticket?: string; interval?: number; reason: 'owner_must_approve' | 'wait_limit' | 'ticket_expired' };
}

/**
 * What an agent is made of: the store, trust, the party's claims, the interaction port, HTTP, clocks, loop guards.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export interface AgentOptions {
  store: TokenStore;
  /** Trusted ASes; a function is re-read on every fetch (the app edits trust live). */
  trust: TrustPolicy | (() => TrustPolicy);
  claims?: ClaimsSource;
  interaction?: ClaimsInteraction;
  /** Live transcript callback. */
  onStep?: StepListener;
  /** Shared transcript (the app's); a private one is created otherwise. */
  transcript?: Transcript;
  http?: Partial<HttpBounds>;
  /** The HTTP client to use (the engine composition shares one with sign-in); else one is made from `http`/`fetch`. */
  httpClient?: HttpClient;
  /** Underlying fetch (tests, benchmarks). */
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  discoveryTtlMs?: number;
  defaultClient?: DefaultClient;
  /** Default requesting party (`issuer#sub`); `nobody` when absent. */
  party?: string;
  /** The requesting party's access token for Keycloak bearer mode. */
  bearerToken?: (asIssuer: string) => Promise<string | undefined>;
  /** `claims_redirect_uris` to register dynamically. */
  claimsRedirectUris?: string[];
  /** Loop guards. */
  limits?: { maxGrantsPerFetch?: number; maxTokenRequestsPerGrant?: number; maxRsRequests?: number; serverRetries?: number; retryBaseMs?: number; freshTicketsWhileWaiting?: number };
  /**
   * Look for `/.well-known/oauth-protected-resource` at an RS origin whose challenge names no
   * `resource_metadata`, and check it like an advertised document before anything goes to the AS
   * (one request per origin, cached; a 404, a non-JSON page, a timeout is "no metadata"). Default
   * true; `false` turns the well-known lookup off (an advertised document is always read).
   * @see https://www.rfc-editor.org/rfc/rfc9728#section-3
   */
  wellKnownResourceMetadata?: boolean;
  /** Poll interval when `request_submitted` carries none (seconds, default 5; bounded like the AS's, packages/uma/src/uma/poll-policy.ts). */
  defaultPollSeconds?: number;
}

/**
 * Creates an agent for the requesting party's side of UMA 2.0.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export function createAgent(options: AgentOptions): Agent {
  return new Agent(options);
}

/**
 * The requesting-party agent: `fetch` runs UMA Grant §3 for one party; token administration
 * (forget, revoke, sign-out) and discovery are offered as methods, so faces never reach into its parts.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export class Agent {
  /** The steps of every flow (the timeline), redacted. */
  readonly transcript: Transcript;
  readonly #http: HttpClient;
  readonly #discovery: DiscoveryCache;
  readonly #rsMetadata: ResourceMetadataCache;
  readonly #rpts: RptCache;
  readonly #admin: TokenAdmin;
  readonly #loop: TokenLoop;
  readonly #refresh: RptRefreshDeps;
  readonly #o: AgentOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #flights = new SingleFlight();
  readonly #access: AsAccessDeps;
  readonly #limits: Required<NonNullable<AgentOptions['limits']>>;
  readonly #dpop: DpopKeys;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
    this.transcript = options.httpClient?.transcript ?? options.transcript ?? new Transcript();
    if (options.onStep) this.transcript.on(options.onStep);
    this.#http = options.httpClient ?? new HttpClient({ transcript: this.transcript, ...(options.http ? { bounds: options.http } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.#discovery = new DiscoveryCache({ ...(options.discoveryTtlMs !== undefined ? { ttlMs: options.discoveryTtlMs } : {}), now: this.#now });
    this.#rsMetadata = new ResourceMetadataCache({ now: this.#now });
    this.#rpts = new RptCache(options.store, this.#now);
    this.#dpop = new DpopKeys(options.store);
    const clients = new ClientResolver({ store: options.store, ...(options.defaultClient ? { defaultClient: options.defaultClient } : {}), ...(options.claimsRedirectUris ? { claimsRedirectUris: options.claimsRedirectUris } : {}) });
    this.#access = { http: this.#http, discovery: this.#discovery, clients, ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}) };
    this.#admin = new TokenAdmin({ store: options.store, trust: () => this.#trust(), access: this.#access });
    this.#limits = { maxGrantsPerFetch: 4, maxTokenRequestsPerGrant: 10, maxRsRequests: 64, serverRetries: 2, retryBaseMs: 250, freshTicketsWhileWaiting: 3, ...options.limits };
    this.#loop = new TokenLoop({
      store: options.store, access: this.#access, rpts: this.#rpts, transcript: this.transcript, now: this.#now, sleep: this.#sleep, limits: this.#limits, dpop: this.#dpop,
      ...(options.claims ? { claims: options.claims } : {}),
      ...(options.interaction ? { interaction: options.interaction } : {}),
      ...(options.defaultPollSeconds !== undefined ? { defaultPollSeconds: options.defaultPollSeconds } : {}),
    });
    this.#refresh = { rpts: this.#rpts, flights: this.#flights, access: this.#access, transcript: this.transcript, trust: () => this.#trust(), dpop: this.#dpop };
  }

  #trust(): TrustPolicy {
    return typeof this.#o.trust === 'function' ? this.#o.trust() : this.#o.trust;
  }

  /** Fetches a UMA-protected resource for one requesting party, running the grant as needed. Never throws. */
  async fetch(url: string, init: FetchOptions = {}): Promise<FetchResult> {
    const flowId = init.flowId ?? randomUUID();
    const party = init.party ?? this.#o.party ?? NOBODY;
    const last: { rs?: HttpResult; resourceMetadata?: ResourceMetadata } = {};
    const base = (): Pick<FetchResult, 'status' | 'headers' | 'body' | 'bytes' | 'text' | 'contentType' | 'flowId' | 'party'> => {
      const contentType = last.rs?.headers.get('content-type') ?? undefined;
      return {
        status: last.rs?.status ?? null,
        headers: last.rs ? Object.fromEntries(last.rs.headers.entries()) : {},
        body: last.rs?.text ?? '',
        bytes: last.rs?.bytes ?? new Uint8Array(0),
        text: isTextual(contentType),
        ...(contentType ? { contentType } : {}),
        flowId,
        party,
        ...(last.resourceMetadata ? { resourceMetadata: last.resourceMetadata } : {}),
      };
    };
    try {
      const result = await this.#run(url, { ...init, party }, flowId, last);
      return { ...base(), ...result, steps: this.transcript.flow(flowId) };
    } catch (error) {
      const info = toErrorInfo(error);
      const outcome: Outcome = info.code === 'untrusted_as' ? 'untrusted_as' : 'error';
      return { ...base(), outcome, error: info, steps: this.transcript.flow(flowId) };
    }
  }

  async #run(url: string, init: FetchOptions & { party: string }, flowId: string, last: { rs?: HttpResult; resourceMetadata?: ResourceMetadata }): Promise<Omit<FetchResult, 'steps' | 'status' | 'headers' | 'body' | 'bytes' | 'text' | 'contentType' | 'flowId' | 'party'>> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new TesseraError('usage', `"${url}" is not an absolute URL.`, 'Give the full resource URL, e.g. https://rs.example.com/records/42.');
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TesseraError('usage', `Unsupported URL scheme ${target.protocol}`, 'Use an http(s) URL.');
    const rsOrigin = target.origin;
    const party = init.party;
    let grants = 0;
    let freshTickets = 0;
    let issued = false;
    const polling = startPolling(this.#now(), init.waitSeconds);
    for (let round = 0; ; round++) {
      if (round >= this.#limits.maxRsRequests) {
        throw new TesseraError('loop_guard', `Gave up after ${round} requests to ${rsOrigin}.`, 'The RS and AS keep exchanging tickets without granting access; report it to their operators.');
      }
      const held = await heldRpt(this.#refresh, rsOrigin, party, flowId, init.signal);
      let challenge: { asUri: string; ticket: string } | undefined = round === 0 ? init.resume : undefined;
      if (!challenge) {
        const headers: Record<string, string> = { ...(init.headers ?? {}) };
        // A DPoP-bound RPT goes only with a proof of its own key (RFC 9449 §7); without that key it is not presented.
        const boundKey = held?.usable && isDpopTokenType(held.value.token_type) ? await this.#boundKey(held, party) : undefined;
        const present = Boolean(held?.usable) && (!isDpopTokenType(held?.value.token_type) || boundKey !== undefined);
        if (present) for (const name of Object.keys(headers)) if (['authorization', 'dpop'].includes(name.toLowerCase())) delete headers[name];
        const method = init.method ?? 'GET';
        const request = {
          method,
          ...(init.body !== undefined ? { body: init.body } : {}),
          lane: 'rs' as const,
          kind: 'resource' as const,
          flowId,
          followRedirects: true,
          secrets: [held?.value.access_token],
          ...(init.signal ? { signal: init.signal } : {}),
        };
        const rs = boundKey && held
          ? await dpopResourceRequest(url, method, headers, held.value.access_token, boundKey, (sent) => this.#rsRequest(url, { ...request, headers: sent }))
          : await this.#rsRequest(url, { ...request, headers: present && held ? { ...headers, authorization: `Bearer ${held.value.access_token}` } : headers });
        last.rs = rs;
        let reading: RsReading;
        try {
          reading = readRsResponse(rs.status, rs.headers, rs.text);
        } catch (error) {
          this.transcript.annotate(rs.step, { outcome: 'error', error: toErrorInfo(error) });
          throw error;
        }
        if (reading.type === 'ok') {
          const ok = rs.status < 400;
          this.transcript.annotate(rs.step, { outcome: ok ? 'granted' : 'error' });
          if (!ok) return { outcome: 'error', error: outcomes.rsError(rs.status) };
          if (!present || !held) return { outcome: 'granted', access: 'open' };
          // The held record's own timestamp: no second store read on the cached-access hot path.
          return { outcome: 'granted', asIssuer: held.asIssuer, access: issued ? 'issued' : 'held', ...(!issued ? { rptStoredAt: held.storedAt } : {}) };
        }
        if (reading.type === 'as_unreachable') {
          this.transcript.annotate(rs.step, { outcome: 'as_unreachable' });
          return { outcome: 'as_unreachable', error: outcomes.asUnreachable() };
        }
        if (reading.type === 'other_scheme') {
          // Not UMA: say which scheme, and (for OAuth) which ASes the RS's metadata lists.
          this.transcript.annotate(rs.step, { outcome: 'error' });
          if (reading.resourceMetadata) last.resourceMetadata = await this.#rsMetadata.lookup(rs.url, reading.resourceMetadata, { http: this.#http, flowId, transcript: this.transcript, wellKnown: false, ...(init.signal ? { signal: init.signal } : {}) }).catch(() => undefined);
          const listedAs = last.resourceMetadata?.authorizationServers;
          return { outcome: 'error', error: outcomes.otherScheme(reading.scheme, reading.status, OTHER_SCHEME_SPEC[reading.scheme], { ...(reading.asUri ? { asUri: reading.asUri } : {}), ...(listedAs ? { listedAs } : {}) }) };
        }
        if (reading.type === 'no_challenge') {
          this.transcript.annotate(rs.step, { outcome: 'error' });
          return rs.status === 403
            ? { outcome: 'error', error: outcomes.rsForbidden() }
            : { outcome: 'error', error: { code: 'no_uma_challenge', message: `The resource server answered ${rs.status} without a UMA challenge.`, hint: 'This resource is not protected by UMA; it may need another kind of sign-in.', spec: SPEC.challenge, facts: { status: rs.status } } };
        }
        if (new URL(rs.url).origin !== rsOrigin) {
          // A UMA challenge from the origin a redirect led to: an RPT for it must not be bound to (or
          // sent to) the origin the user asked for, so stop and let the user ask for that URL directly.
          this.transcript.annotate(rs.step, { outcome: 'error' });
          return { outcome: 'error', error: outcomes.redirectedChallenge(rsOrigin, new URL(rs.url).origin, rs.url) };
        }
        this.transcript.annotate(rs.step, {
          outcome: 'challenge',
          challenge: { scheme: 'UMA', asUri: reading.asUri, ...(reading.realm ? { realm: reading.realm } : {}), ticket: fingerprint(reading.ticket), params: redactParams(reading.params), source: reading.source },
        });
        challenge = { asUri: reading.asUri, ticket: reading.ticket };
        // An as_uri Tessera could never contact (not an absolute https URL, plain http to another
        // machine, credentials in it): the RS's mistake or a lure, never an AS to offer for trust.
        if (!usableAsUri(reading.asUri)) {
          const invalid = new TesseraError('challenge_invalid', `The resource server names an authorization server Tessera cannot use: "${reading.asUri.slice(0, 200)}".`, 'An as_uri must be an https URL (plain http only on this machine) without a user name or password; report it to the RS operator.', { spec: SPEC.challenge, facts: { status: rs.status } });
          this.transcript.annotate(rs.step, { outcome: 'error', error: toErrorInfo(invalid) });
          throw invalid;
        }
        // The RPT could only reach this resource over plain http to another machine (RFC 6750 §5.3):
        // ask the AS for none, so no claims, PCT or credentials are spent on a token that cannot be used.
        const refusal = transportRefusal(url);
        if (refusal) {
          this.transcript.annotate(rs.step, { outcome: 'error', error: toErrorInfo(refusal) });
          throw refusal;
        }
        // RFC 9728: the RS's own metadata must list this AS before anything is sent to it (named on any of its challenges, §5.1).
        const advertised = reading.resourceMetadata;
        last.resourceMetadata = await this.#rsMetadata.lookup(rs.url, advertised, { http: this.#http, flowId, transcript: this.transcript, wellKnown: this.#o.wellKnownResourceMetadata !== false, ...(init.signal ? { signal: init.signal } : {}) });
        checkAsListed(last.resourceMetadata, reading.asUri);
      }
      const { asUri, ticket } = challenge;
      const asConfig = findTrustedAs(this.#trust(), asUri);
      if (!asConfig) return { outcome: 'untrusted_as', asIssuer: asUri, error: outcomes.untrustedAs(asUri, party) };
      const asIssuer = normalizeIssuer(asConfig.issuer);
      const sentToken = held && held.asIssuer === asIssuer ? held.value.access_token : undefined;
      const outcome = await this.#flights.run(this.#rpts.key(asIssuer, rsOrigin, party), async (): Promise<GrantOutcome> => {
        const current = await this.#rpts.get(asIssuer, rsOrigin, party);
        if (current?.value.access_token !== sentToken) return { type: 'retry' };
        if (++grants > this.#limits.maxGrantsPerFetch) {
          throw new TesseraError('loop_guard', `The RS still refuses after ${grants - 1} RPTs from ${asIssuer}.`, 'The AS may be granting only part of what the RS asks for (partial grant); ask the resource owner to share the missing scopes.', { spec: SPEC.rpt, facts: { asIssuer } });
        }
        return this.#loop.run({ asUri, asIssuer, asConfig, rsOrigin, party, ticket, ...(current ? { held: current.value } : {}), flowId, init, polling });
      });
      if (outcome.type === 'granted') {
        issued = true;
        continue;
      }
      if (outcome.type === 'retry') continue;
      if (outcome.type === 'fresh_ticket') {
        if (!outcome.polled && ++freshTickets > 1) throw new TesseraError('invalid_ticket', 'The AS rejected a fresh permission ticket too.', 'The RS and its AS disagree about tickets; try again later or contact the RS operator.', { spec: SPEC.tokenErrors, facts: { asIssuer } });
        continue;
      }
      return { asIssuer, outcome: outcome.outcome, ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.needInfo ? { needInfo: outcome.needInfo } : {}), ...(outcome.pending ? { pending: outcome.pending } : {}) };
    }
  }

  /** The party's DPoP key a bound RPT was issued to, or undefined (key forgotten or replaced: the RPT is useless). */
  async #boundKey(held: HeldRpt, party: string): Promise<DpopKey | undefined> {
    const key = await this.#dpop.existing(held.asIssuer, party);
    return key && key.jkt === held.value.dpop_jkt ? key : undefined;
  }

  /**
   * The resource request. Idempotent reads (GET/HEAD) are retried a bounded number of times, with
   * backoff, on network faults and 502/503/504; other methods are sent once.
   */
  async #rsRequest(url: string, request: Parameters<HttpClient['request']>[1]): Promise<HttpResult> {
    const idempotent = ['GET', 'HEAD'].includes((request.method ?? 'GET').toUpperCase());
    for (let attempt = 0; ; attempt++) {
      const last = !idempotent || attempt >= this.#limits.serverRetries;
      try {
        const result = await this.#http.request(url, request);
        if (last || ![502, 503, 504].includes(result.status)) return result;
      } catch (error) {
        if (last || !(error instanceof TesseraError) || (error.code !== 'network' && error.code !== 'timeout')) throw error;
      }
      await this.#sleep(this.#limits.retryBaseMs * 2 ** attempt, request.signal);
    }
  }

  // ---- token administration (packages/uma/src/uma/token-admin.ts) and discovery, for the faces ----

  /**
   * Non-secret descriptions of held RPTs and PCTs.
   * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
   */
  tokens() { return this.#admin.tokens(); }
  /**
   * Forgets one RPT or PCT by its store key; revokes it at its AS first when asked and possible (RFC 7009).
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
   */
  forget(kind: 'rpt' | 'pct', key: string, options: { revoke?: boolean } = {}): Promise<boolean> { return this.#admin.forget(kind, key, options); }
  /**
   * Forgets the RPT of `party` for (AS, RS origin); revokes it first when asked and possible.
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
   */
  forgetRpt(asIssuer: string, rsOrigin: string, party: string, options: { revoke?: boolean } = {}) { return this.#admin.forgetRpt(asIssuer, rsOrigin, party, options); }
  /**
   * Forgets a PCT; revokes it first when asked and the AS has a revocation endpoint.
   * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.3
   */
  forgetPct(asIssuer: string, party: string, clientId: string, options: { revoke?: boolean } = {}) { return this.#admin.forgetPct(asIssuer, party, clientId, options); }
  /**
   * Sign-out of a requesting party: revoke (where possible) and forget their PCTs and RPTs.
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
   */
  signOut(party: string) { return this.#admin.signOut(party); }

  /**
   * The discovered metadata of a trusted AS, through the engine's discovery (size bound, issuer
   * check, https rule), as a real flow would see it.
   * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
   */
  async discover(config: AsConfig, flowId: string = randomUUID()): Promise<AsMetadata> {
    return (await this.#discovery.resolve(normalizeIssuer(config.issuer), config, { http: this.#http, flowId })).metadata;
  }

  /**
   * Keycloak's ticketless request (`audience`, `permission`, `response_mode`) to a trusted AS, with
   * the party's own claims; an RPT is kept for `rsOrigin` when given, so a fetch there presents it.
   * Throws `untrusted_as` for an AS not trusted (nothing is sent).
   * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
   */
  async askKeycloak(asUri: string, options: KeycloakUmaOptions, init: { party?: string; flowId?: string; signal?: AbortSignal; rsOrigin?: string } = {}): Promise<KeycloakAnswer & { steps: TranscriptStep[] }> {
    const party = init.party ?? this.#o.party ?? NOBODY;
    const flowId = init.flowId ?? randomUUID();
    const config = findTrustedAs(this.#trust(), asUri);
    if (!config) throw new TesseraError('untrusted_as', outcomes.untrustedAs(asUri, party).message, outcomes.untrustedAs(asUri, party).hint, { spec: SPEC.trust, facts: { asIssuer: asUri, party } });
    const asIssuer = normalizeIssuer(config.issuer);
    const answer = await askKeycloak({ ...this.#access, ...(this.#o.claims ? { claims: this.#o.claims } : {}) }, asIssuer, config, options, { flowId, party, ...(init.signal ? { signal: init.signal } : {}) });
    if (answer.type === 'token' && init.rsOrigin) await this.#rpts.save(asIssuer, new URL(init.rsOrigin).origin, party, answer.token);
    return { ...answer, steps: this.transcript.flow(flowId) };
  }

  /**
   * Forgets every discovered document (an AS's endpoints were edited).
   * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.2
   */
  forgetDiscovery(): void {
    this.#discovery.clear();
    this.#rsMetadata.clear();
  }

}

function redactParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, k === 'ticket' ? fingerprint(v) : v]));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Whether a challenge's `as_uri` is an AS Tessera could talk to: an absolute https URL (plain http
 * only on this machine), with no userinfo. Anything else is refused before trust is even asked.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
function usableAsUri(asUri: string): boolean {
  if (!URL.canParse(asUri)) return false;
  const u = new URL(asUri);
  return isSecureOrLoopback(u) && !u.username && !u.password;
}
