/**
 * The UMA requesting-party agent: the loop of UMA Grant §3 as one `fetch`, for one requesting party.
 * It requests the resource; on `401` + `WWW-Authenticate: UMA` it checks trust, asks the token
 * endpoint with the ticket (pushing the party's claims, their PCT and their held RPT for upgrade),
 * follows `need_info` (push or claims interaction) and `request_submitted` (polling), and retries the
 * resource with the RPT. Concurrent fetches for one (AS, RS origin, party) run one grant at a time.
 *
 * The pieces it composes live beside it: challenge.ts (the 401), discovery.ts, clients.ts +
 * registration.ts (who Tessera is at the AS), grant.ts (token-endpoint request/process),
 * rpt-cache.ts (RPTs per party), token-admin.ts (forget/revoke), outcomes.ts (codes and facts).
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
import { randomUUID } from 'node:crypto';
import { SPEC, TesseraError, toErrorInfo, type ErrorInfo } from '../kernel/errors';
import type { Outcome } from '../kernel/outcome';
import { NOBODY } from '../kernel/party';
import { fingerprint } from '../kernel/redact';
import { storeKeys, type TokenStore } from '../kernel/store';
import { Transcript, type StepListener, type StepOutcome, type TranscriptStep } from '../kernel/transcript';
import { findTrustedAs, normalizeIssuer, type AsConfig, type TrustPolicy } from '../kernel/trust';
import { HttpClient, isTextual, type FetchLike, type HttpBounds, type HttpResult } from '../http/fetch';
import { openAs, type AsAccess, type AsAccessDeps } from './as-access';
import { readRsResponse, type RsReading } from './challenge';
import { matchesRequiredClaims } from './claims';
import { ClientResolver, type DefaultClient } from './clients';
import { DiscoveryCache } from './discovery';
import { processUmaTokenResponse, refreshRequest, umaTokenRequest, type GrantResult } from './grant';
import { outcomes } from './outcomes';
import type { ClaimToken, ClaimsInteraction, ClaimsSource, RequiredClaim } from './ports';
import { RptCache, type HeldRpt, type RptValue } from './rpt-cache';
import { SingleFlight } from './single-flight';
import { TokenAdmin, type PctValue } from './token-admin';

export type { DefaultClient } from './clients';
export type { RptValue } from './rpt-cache';
export type { PctValue } from './token-admin';

export type { Outcome } from '../kernel/outcome';

/**
 * Per-fetch choices of {@link Agent.fetch}: method, headers, body, party, waiting, interaction, scopes, resume.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
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
 * What {@link Agent.fetch} ends in: outcome, the RS response, the flow's steps and the details of need_info or pending.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
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
  error?: ErrorInfo;
  needInfo?: { requiredClaims?: RequiredClaim[]; redirectUser?: string; ticket: string };
  pending?: { ticket?: string; interval?: number; reason: 'owner_must_approve' | 'wait_limit' | 'ticket_expired' };
}

/**
 * What an {@link Agent} composes: store, trust, claims source, interaction, transcript, bounds, clock, limits.
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
  limits?: { maxGrantsPerFetch?: number; maxTokenRequestsPerGrant?: number; maxRsRequests?: number; serverRetries?: number; retryBaseMs?: number };
  /** Poll interval when `request_submitted` carries none (seconds, default 5). */
  defaultPollSeconds?: number;
}

type GrantOutcome =
  | { type: 'granted' }
  | { type: 'retry' }
  | { type: 'fresh_ticket' }
  | { type: 'final'; outcome: Outcome; error?: ErrorInfo; needInfo?: FetchResult['needInfo']; pending?: FetchResult['pending'] };

interface Grant { asUri: string; asIssuer: string; asConfig: AsConfig; rsOrigin: string; party: string; ticket: string; held?: RptValue; flowId: string; init: FetchOptions }

/**
 * Creates an agent.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export function createAgent(options: AgentOptions): Agent {
  return new Agent(options);
}

/**
 * The UMA requesting-party agent: the grant of UMA Grant §3 as one `fetch` for one requesting party, plus token administration.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export class Agent {
  readonly transcript: Transcript;
  readonly http: HttpClient;
  readonly discovery: DiscoveryCache;
  readonly rpts: RptCache;
  readonly admin: TokenAdmin;
  readonly #o: AgentOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #flights = new SingleFlight();
  readonly #access: AsAccessDeps;
  readonly #limits: Required<NonNullable<AgentOptions['limits']>>;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
    this.transcript = options.transcript ?? new Transcript();
    if (options.onStep) this.transcript.on(options.onStep);
    this.http = new HttpClient({ transcript: this.transcript, ...(options.http ? { bounds: options.http } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.discovery = new DiscoveryCache({ ...(options.discoveryTtlMs !== undefined ? { ttlMs: options.discoveryTtlMs } : {}), now: this.#now });
    this.rpts = new RptCache(options.store, this.#now);
    const clients = new ClientResolver({ store: options.store, ...(options.defaultClient ? { defaultClient: options.defaultClient } : {}), ...(options.claimsRedirectUris ? { claimsRedirectUris: options.claimsRedirectUris } : {}) });
    this.#access = { http: this.http, discovery: this.discovery, clients, ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}) };
    this.admin = new TokenAdmin({ store: options.store, trust: () => this.#trust(), access: this.#access });
    this.#limits = { maxGrantsPerFetch: 4, maxTokenRequestsPerGrant: 10, maxRsRequests: 64, serverRetries: 2, retryBaseMs: 250, ...options.limits };
  }

  #trust(): TrustPolicy {
    return typeof this.#o.trust === 'function' ? this.#o.trust() : this.#o.trust;
  }

  /** Fetches a UMA-protected resource for one requesting party, running the grant as needed. Never throws. */
  async fetch(url: string, init: FetchOptions = {}): Promise<FetchResult> {
    const flowId = init.flowId ?? randomUUID();
    const party = init.party ?? this.#o.party ?? NOBODY;
    const last: { rs?: HttpResult } = {};
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

  async #run(url: string, init: FetchOptions & { party: string }, flowId: string, last: { rs?: HttpResult }): Promise<Omit<FetchResult, 'steps' | 'status' | 'headers' | 'body' | 'bytes' | 'text' | 'contentType' | 'flowId' | 'party'>> {
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
    for (let round = 0; ; round++) {
      if (round >= this.#limits.maxRsRequests) {
        throw new TesseraError('loop_guard', `Gave up after ${round} requests to ${rsOrigin}.`, 'The RS and AS keep exchanging tickets without granting access; report it to their operators.');
      }
      const held = await this.#heldRpt(rsOrigin, party, flowId, init.signal);
      let challenge: { asUri: string; ticket: string } | undefined = round === 0 ? init.resume : undefined;
      if (!challenge) {
        const headers: Record<string, string> = { ...(init.headers ?? {}) };
        if (held?.usable) {
          for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
          headers.authorization = `Bearer ${held.value.access_token}`;
        }
        const rs = await this.#rsRequest(url, {
          method: init.method ?? 'GET',
          headers,
          ...(init.body !== undefined ? { body: init.body } : {}),
          lane: 'rs',
          kind: 'resource',
          flowId,
          followRedirects: true,
          secrets: [held?.value.access_token],
          ...(init.signal ? { signal: init.signal } : {}),
        });
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
          if (!held?.usable) return { outcome: 'granted', access: 'open' };
          // The held record's own timestamp: no second store read on the cached-access hot path.
          return { outcome: 'granted', asIssuer: held.asIssuer, access: issued ? 'issued' : 'held', ...(!issued ? { rptStoredAt: held.storedAt } : {}) };
        }
        if (reading.type === 'as_unreachable') {
          this.transcript.annotate(rs.step, { outcome: 'as_unreachable' });
          return { outcome: 'as_unreachable', error: outcomes.asUnreachable() };
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
      }
      const { asUri, ticket } = challenge;
      const asConfig = findTrustedAs(this.#trust(), asUri);
      if (!asConfig) return { outcome: 'untrusted_as', asIssuer: asUri, error: outcomes.untrustedAs(asUri, party) };
      const asIssuer = normalizeIssuer(asConfig.issuer);
      const sentToken = held && held.asIssuer === asIssuer ? held.value.access_token : undefined;
      const outcome = await this.#flights.run(this.rpts.key(asIssuer, rsOrigin, party), async (): Promise<GrantOutcome> => {
        const current = await this.rpts.get(asIssuer, rsOrigin, party);
        if (current?.value.access_token !== sentToken) return { type: 'retry' };
        if (++grants > this.#limits.maxGrantsPerFetch) {
          throw new TesseraError('loop_guard', `The RS still refuses after ${grants - 1} RPTs from ${asIssuer}.`, 'The AS may be granting only part of what the RS asks for (partial grant); ask the resource owner to share the missing scopes.', { spec: SPEC.rpt, facts: { asIssuer } });
        }
        return this.#grant({ asUri, asIssuer, asConfig, rsOrigin, party, ticket, ...(current ? { held: current.value } : {}), flowId, init });
      });
      if (outcome.type === 'granted') {
        issued = true;
        continue;
      }
      if (outcome.type === 'retry') continue;
      if (outcome.type === 'fresh_ticket') {
        if (++freshTickets > 1) throw new TesseraError('invalid_ticket', 'The AS rejected a fresh permission ticket too.', 'The RS and its AS disagree about tickets; try again later or contact the RS operator.', { spec: SPEC.tokenErrors, facts: { asIssuer } });
        continue;
      }
      return { asIssuer, outcome: outcome.outcome, ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.needInfo ? { needInfo: outcome.needInfo } : {}), ...(outcome.pending ? { pending: outcome.pending } : {}) };
    }
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
        const result = await this.http.request(url, request);
        if (last || ![502, 503, 504].includes(result.status)) return result;
      } catch (error) {
        if (last || !(error instanceof TesseraError) || (error.code !== 'network' && error.code !== 'timeout')) throw error;
      }
      await this.#sleep(this.#limits.retryBaseMs * 2 ** attempt, request.signal);
    }
  }

  /** A claim token for `party` from the claims source, or undefined (never another party's). */
  async #claimFor(g: Grant, requiredClaims?: RequiredClaim[]): Promise<ClaimToken | undefined> {
    if (!this.#o.claims || g.asConfig.pushClaims === false) return undefined;
    const claim = await this.#o.claims.claimTokenFor({ asIssuer: g.asIssuer, party: g.party, flowId: g.flowId, ...(requiredClaims ? { requiredClaims } : {}), ...(g.init.signal ? { signal: g.init.signal } : {}) });
    if (claim?.identity && claim.identity !== g.party) return undefined; // never push one person's claims while acting for another
    return claim;
  }

  /** Runs the token-endpoint conversation for one ticket (UMA Grant §3.3). */
  async #grant(g: Grant): Promise<GrantOutcome> {
    const { asIssuer, asConfig, flowId, init, party } = g;
    const access = await openAs(this.#access, asIssuer, asConfig, { flowId, asUri: g.asUri, ...(init.signal ? { signal: init.signal } : {}) });
    const { discovered, client, ctx } = access;
    let claim = await this.#claimFor(g);
    const pctKey = storeKeys.pct(asIssuer, party, client.client_id);
    const pctRecord = await this.#o.store.get<PctValue>('pct', pctKey);
    let pct = pctRecord?.meta.identity === party ? pctRecord.value.pct : undefined;
    let rpt = g.held?.access_token;
    let ticket = g.ticket;
    const pushed = new Set<string>();
    if (claim) pushed.add(claim.claim_token);
    let interactions = 0;
    let polls = 0;
    let pollDelayMs = 0;
    let serverRetries = 0;
    const deadline = this.#now() + Math.max(0, init.waitSeconds ?? 0) * 1000;
    const interactionAllowed = init.interaction !== false && this.#o.interaction !== undefined;
    const scope = requestedScope(asConfig.scope, init.scopes);

    for (let requests = 0; ; requests++) {
      if (requests >= this.#limits.maxTokenRequestsPerGrant) {
        throw new TesseraError('loop_guard', `Stopped after ${requests} token requests to ${asIssuer} for one ticket.`, 'The AS keeps asking for more without deciding; report it to its operator.', { spec: SPEC.tokenErrors, facts: { asIssuer } });
      }
      let result: GrantResult;
      try {
        const response = await umaTokenRequest(discovered.metadata, client, { ticket, ...(claim ? { claimToken: claim } : {}), ...(pct ? { pct } : {}), ...(rpt ? { rpt } : {}), ...(scope ? { scope } : {}), ...(asConfig.submitRequest !== undefined ? { submitRequest: asConfig.submitRequest } : {}) }, ctx);
        result = await processUmaTokenResponse(response);
      } catch (error) {
        if (error instanceof TesseraError && (error.code === 'network' || error.code === 'timeout')) result = { type: 'server_error', status: 0, description: error.message };
        else throw error;
      }
      const step = this.#lastStep(flowId, 'token');
      const mark = (outcome: StepOutcome, error?: ErrorInfo) => step && this.transcript.annotate(step, { outcome, ...(error ? { error } : {}) });
      const final = (outcome: Outcome, error: ErrorInfo, extra: Pick<Extract<GrantOutcome, { type: 'final' }>, 'needInfo' | 'pending'> = {}): GrantOutcome => ({ type: 'final', outcome, error, ...extra });
      switch (result.type) {
        case 'token': {
          mark('rpt_issued');
          await this.rpts.save(asIssuer, g.rsOrigin, party, result.token);
          if (result.token.pct) await this.#o.store.put<PctValue>('pct', pctKey, { pct: result.token.pct }, { issuer: asIssuer, identity: party, clientId: client.client_id, fingerprint: fingerprint(result.token.pct) });
          return { type: 'granted' };
        }
        case 'need_info': {
          mark('need_info');
          if (result.ticket === ticket && step) this.transcript.annotate(step, { note: 'the AS did not rotate the ticket (UMA Grant §3.3.6 requires a new one)' });
          ticket = result.ticket;
          const candidate = await this.#claimFor(g, result.requiredClaims);
          if (candidate && !pushed.has(candidate.claim_token) && matchesRequiredClaims(result.requiredClaims, candidate)) {
            claim = candidate;
            pushed.add(candidate.claim_token);
            continue;
          }
          claim = undefined;
          // A relative redirect_user is resolved against the AS's issuer; one that is not a URL is ignored.
          const raw = repairRedirectUser(result.redirectUser);
          const endpoint = (raw ? resolveUrl(raw, discovered.metadata.issuer) : undefined) ?? discovered.metadata.claims_interaction_endpoint;
          if (interactionAllowed && endpoint && interactions < 2) {
            interactions++;
            ticket = await this.#interact(access, asIssuer, endpoint, ticket, flowId, init.signal);
            continue;
          }
          return final('need_info', outcomes.needInfo(asIssuer, party, result.requiredClaims, { ...(endpoint ? { origin: safeOrigin(endpoint) } : {}), allowed: interactionAllowed }), {
            needInfo: { ticket, ...(result.requiredClaims ? { requiredClaims: result.requiredClaims } : {}), ...(endpoint ? { redirectUser: endpoint } : {}) },
          });
        }
        case 'request_submitted': {
          mark('request_submitted');
          // Keycloak answers access_denied/request_submitted with no new ticket: the old one is spent,
          // so the caller goes back to the RS for a fresh ticket when it asks again.
          if (!result.ticket) return final('pending', outcomes.submittedNoTicket(asIssuer, party), { pending: { reason: 'owner_must_approve' } });
          ticket = result.ticket;
          const interval = (result.interval ?? this.#o.defaultPollSeconds ?? 5) * 1000;
          pollDelayMs = polls === 0 ? interval : Math.min(Math.max(interval, Math.round(pollDelayMs * 1.5)), 60_000);
          if (this.#now() + pollDelayMs > deadline) {
            const reason = polls === 0 ? 'owner_must_approve' : 'wait_limit';
            return final('pending', outcomes.waiting(asIssuer, party, result.interval, reason), { pending: { ticket, ...(result.interval !== undefined ? { interval: result.interval } : {}), reason } });
          }
          polls++;
          await this.#sleep(pollDelayMs, init.signal);
          continue;
        }
        case 'denied':
          mark('denied');
          return final('denied', outcomes.denied(asIssuer, party, result.description, result.error));
        case 'invalid_ticket':
          mark('invalid_ticket');
          if (polls > 0) return final('pending', outcomes.ticketExpired(asIssuer, party), { pending: { reason: 'ticket_expired' } });
          return { type: 'fresh_ticket' };
        case 'invalid_pct':
          mark('invalid_pct');
          if (!pct) return final('error', outcomes.notSent(asIssuer, 'PCT'));
          await this.#o.store.delete('pct', pctKey);
          pct = undefined;
          continue;
        case 'invalid_rpt':
          mark('invalid_rpt');
          if (!rpt) return final('error', outcomes.notSent(asIssuer, 'RPT'));
          await this.rpts.delete(asIssuer, g.rsOrigin, party);
          rpt = undefined;
          continue;
        case 'invalid_scope': {
          const error = outcomes.invalidScope(asIssuer, scope, result.description);
          mark('invalid_scope', error);
          return final('error', error);
        }
        case 'invalid_client': {
          const error = outcomes.invalidClient(asIssuer, client.client_id, result.status, result.description);
          mark('error', error);
          return final('error', error);
        }
        case 'server_error':
          mark('error');
          if (serverRetries < this.#limits.serverRetries) {
            await this.#sleep(this.#limits.retryBaseMs * 2 ** serverRetries, init.signal);
            serverRetries++;
            continue;
          }
          return final('error', outcomes.serverError(asIssuer, serverRetries + 1, result.status, result.description));
        case 'error': {
          const error = outcomes.tokenError(asIssuer, result.status, result.error, result.description);
          mark('error', error);
          return final('error', error);
        }
      }
    }
  }

  /**
   * The claims-interaction leg (UMA Grant §3.3.2–3.3.3): the person continues in the system
   * browser; the AS sends them back with a new ticket. Recorded on the timeline's browser lane.
   */
  async #interact(access: AsAccess, asIssuer: string, endpoint: string, ticket: string, flowId: string, signal?: AbortSignal): Promise<string> {
    const started = Date.now();
    const target = new URL(endpoint);
    const browserStep = this.transcript.add({ id: randomUUID(), flowId, time: new Date(started).toISOString(), duration: 0, lane: 'browser', kind: 'interaction', method: 'GET', url: `${target.origin}${target.pathname}`, status: null, request: { headers: {} }, note: 'claims interaction: the requesting party continues in the system browser (UMA Grant §3.3.2)' });
    let back: { ticket: string };
    try {
      back = await this.#o.interaction!.gather({ asIssuer, endpoint: target.href, clientId: access.client.client_id, ticket, ...(signal ? { signal } : {}) });
    } catch (error) {
      browserStep.duration = Date.now() - started;
      this.transcript.annotate(browserStep, { outcome: 'error', error: toErrorInfo(error) });
      throw error;
    }
    browserStep.duration = Date.now() - started;
    this.transcript.annotate(browserStep, { note: 'claims interaction: back from the browser with a new ticket (UMA Grant §3.3.3)' });
    if (back.ticket === ticket) throw new TesseraError('interaction_failed', 'The claims redirect returned the same ticket that was sent.', 'The AS did not rotate the ticket (UMA Grant §5.5); try again.', { spec: SPEC.grant, facts: { asIssuer } });
    return back.ticket;
  }

  #lastStep(flowId: string, kind: TranscriptStep['kind']): TranscriptStep | undefined {
    const steps = this.transcript.flow(flowId);
    for (let i = steps.length - 1; i >= 0; i--) if (steps[i]?.kind === kind) return steps[i];
    return undefined;
  }

  /** The party's RPT for an RS origin, refreshed (UMA Grant §3.6) if expired and a refresh token exists. */
  async #heldRpt(rsOrigin: string, party: string, flowId: string, signal?: AbortSignal): Promise<HeldRpt | undefined> {
    const trust = this.#trust();
    const [held] = await this.rpts.held(rsOrigin, party, (issuer) => findTrustedAs(trust, issuer) !== undefined);
    if (!held || held.usable || !held.value.refresh_token) return held;
    const config = findTrustedAs(trust, held.asIssuer) as AsConfig;
    return this.#flights.run(held.key, async () => {
      const again = await this.rpts.get(held.asIssuer, rsOrigin, party);
      if (!again) return undefined;
      if (again.value.access_token !== held.value.access_token) return { ...held, value: again.value, usable: true, storedAt: again.meta.updatedAt };
      try {
        const access = await openAs(this.#access, held.asIssuer, config, { flowId, ...(signal ? { signal } : {}) });
        const response = await refreshRequest(access.discovered.metadata, access.client, held.value.refresh_token as string, access.ctx);
        const result = await processUmaTokenResponse(response);
        const step = this.#lastStep(flowId, 'refresh');
        if (result.type === 'token') {
          if (step) this.transcript.annotate(step, { outcome: 'rpt_issued' });
          await this.rpts.save(held.asIssuer, rsOrigin, party, { ...result.token, refreshToken: result.token.refreshToken ?? (held.value.refresh_token as string) });
          const fresh = await this.rpts.get(held.asIssuer, rsOrigin, party);
          return fresh ? { ...held, value: fresh.value, usable: true, storedAt: fresh.meta.updatedAt } : undefined;
        }
        if (step) this.transcript.annotate(step, { outcome: 'error', note: 'refresh failed: a new ticket will be used' });
      } catch {
        // fall through: drop the refresh token, a new ticket will be obtained
      }
      return { ...held, value: await this.rpts.dropRefresh(held.asIssuer, rsOrigin, party, held.value), usable: false };
    });
  }

  // ---- token administration (packages/uma/src/uma/token-admin.ts) ----

  /** Non-secret descriptions of held RPTs and PCTs. */
  tokens() { return this.admin.tokens(); }
  /** Forgets the RPT of `party` for (AS, RS origin); revokes it first when asked and possible. */
  forgetRpt(asIssuer: string, rsOrigin: string, party: string, options: { revoke?: boolean } = {}) { return this.admin.forgetRpt(asIssuer, rsOrigin, party, options); }
  /** Forgets a PCT; revokes it first when asked and the AS has a revocation endpoint. */
  forgetPct(asIssuer: string, party: string, clientId: string, options: { revoke?: boolean } = {}) { return this.admin.forgetPct(asIssuer, party, clientId, options); }
  /** Sign-out of a requesting party: revoke (where possible) and forget their PCTs and RPTs. */
  signOut(party: string) { return this.admin.signOut(party); }
}

/** The token request's `scope`: the AS's configured scope plus the ones this fetch asks for, once each. */
function requestedScope(configured: string | undefined, extra: string[] | undefined): string | undefined {
  const all = [...new Set([...(configured?.split(' ') ?? []), ...(extra ?? [])].filter(Boolean))];
  return all.length ? all.join(' ') : undefined;
}

function redactParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, k === 'ticket' ? fingerprint(v) : v]));
}

function resolveUrl(value: string, base: string): string | undefined {
  try {
    return new URL(value, base).href;
  } catch {
    return undefined;
  }
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Janssen sometimes builds `redirect_user` without `?` (`…/gather_claims&client_id=…`): repair it.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export function repairRedirectUser(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!value.includes('?') && value.includes('&')) return value.replace('&', '?');
  return value;
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
