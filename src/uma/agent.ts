/**
 * The UMA requesting-party agent: the loop of UMA Grant §3 as one `fetch`. It requests the resource;
 * on `401` + `WWW-Authenticate: UMA` it checks trust, discovers the AS, asks the token endpoint with
 * the ticket (pushing claims, a PCT and the held RPT for upgrade), follows `need_info` (push or
 * claims interaction) and `request_submitted` (polling), and retries the resource with the RPT.
 * Concurrent fetches to one (AS, RS) pair run one grant at a time and upgrade the same RPT.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { decodeJwt, type JWK } from 'jose';
import { SPEC, TesseraError, toErrorInfo, type ErrorInfo } from '../kernel/errors';
import { fingerprint } from '../kernel/redact';
import { storeKeys, type RecordMeta, type TokenStore } from '../kernel/store';
import { Transcript, type StepListener, type StepOutcome, type TranscriptStep } from '../kernel/transcript';
import { findTrustedAs, normalizeIssuer, type AsConfig, type TokenAuthMethod, type TrustPolicy } from '../kernel/trust';
import { HttpClient, type FetchLike, type HttpBounds } from '../http/fetch';
import { readRsResponse, type RsReading } from './challenge';
import { matchesRequiredClaims } from './claims';
import { DiscoveryCache, type DiscoveredAs } from './discovery';
import {
  UMA_GRANT_TYPE,
  processUmaTokenResponse,
  refreshRequest,
  revokeToken,
  umaTokenRequest,
  type ClientCredentials,
  type GrantResult,
  type RequestContext,
} from './grant';
import type { ClaimToken, ClaimsInteraction, ClaimsSource, RequiredClaim } from './ports';

export type Outcome = 'granted' | 'denied' | 'need_info' | 'pending' | 'untrusted_as' | 'as_unreachable' | 'error';

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Allow the claims-interaction redirect (default true when an interaction port is configured). */
  interaction?: boolean;
  /** How long to keep polling after `request_submitted` (seconds, default 0: report `pending`). */
  waitSeconds?: number;
  /** Requesting-party identity (`issuer#sub` or a label) for PCT selection and claims. */
  identity?: string;
  signal?: AbortSignal;
  /** Id for this fetch's transcript steps (the app streams them live); default a random UUID. */
  flowId?: string;
  /** Scopes to ask the AS for in addition to the ticket's (token request `scope`, UMA Grant §3.3.1). */
  scopes?: string[];
}

export interface FetchResult {
  outcome: Outcome;
  /** Final RS HTTP status, or null when the RS never answered. */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  steps: TranscriptStep[];
  flowId: string;
  asIssuer?: string;
  error?: ErrorInfo;
  needInfo?: { requiredClaims?: RequiredClaim[]; redirectUser?: string; ticket: string };
  pending?: { ticket?: string; interval?: number; reason: 'owner_must_approve' | 'wait_limit' | 'ticket_expired' };
}

/** Client used when no per-AS client is stored (the CLI's --client-id / --client-secret). */
export interface DefaultClient {
  clientId: string;
  clientSecret?: string;
  privateJwk?: JWK;
  authMethod?: TokenAuthMethod;
}

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
  /** Default requesting-party identity label. */
  identity?: string;
  /** The requesting party's access token for Keycloak bearer mode. */
  bearerToken?: (asIssuer: string) => Promise<string | undefined>;
  /** `claims_redirect_uris` to register dynamically. */
  claimsRedirectUris?: string[];
  /** Loop guards. */
  limits?: { maxGrantsPerFetch?: number; maxTokenRequestsPerGrant?: number; maxRsRequests?: number; serverRetries?: number; retryBaseMs?: number };
  /** Poll interval when `request_submitted` carries none (seconds, default 5). */
  defaultPollSeconds?: number;
}

/** What the RPT record holds (secret). */
export interface RptValue {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  /** Epoch ms, from expires_in or the JWT's exp. */
  expires_at?: number;
}

export interface PctValue {
  pct: string;
}

type GrantOutcome =
  | { type: 'granted' }
  | { type: 'retry' }
  | { type: 'fresh_ticket' }
  | { type: 'final'; outcome: Outcome; error?: ErrorInfo; needInfo?: FetchResult['needInfo']; pending?: FetchResult['pending'] };

const EXPIRY_SKEW_MS = 5_000;

/** Creates an agent. */
export function createAgent(options: AgentOptions): Agent {
  return new Agent(options);
}

export class Agent {
  readonly transcript: Transcript;
  readonly http: HttpClient;
  readonly discovery: DiscoveryCache;
  readonly #o: AgentOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #locks = new Map<string, Promise<void>>();
  /** RS origin → AS issuer of the RPT used last (a hint; the store stays the source of truth). */
  readonly #originIssuer = new Map<string, string>();
  readonly #limits: Required<NonNullable<AgentOptions['limits']>>;

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
    this.transcript = options.transcript ?? new Transcript();
    if (options.onStep) this.transcript.on(options.onStep);
    this.http = new HttpClient({ transcript: this.transcript, ...(options.http ? { bounds: options.http } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.discovery = new DiscoveryCache({ ...(options.discoveryTtlMs !== undefined ? { ttlMs: options.discoveryTtlMs } : {}), now: this.#now });
    this.#limits = { maxGrantsPerFetch: 4, maxTokenRequestsPerGrant: 10, maxRsRequests: 64, serverRetries: 2, retryBaseMs: 250, ...options.limits };
  }

  #trust(): TrustPolicy {
    return typeof this.#o.trust === 'function' ? this.#o.trust() : this.#o.trust;
  }

  /** Fetches a UMA-protected resource, running the grant as needed. Never throws. */
  async fetch(url: string, init: FetchOptions = {}): Promise<FetchResult> {
    const flowId = init.flowId ?? randomUUID();
    const last: { rs?: { status: number; headers: Headers; text: string } } = {};
    const base = (): Pick<FetchResult, 'status' | 'headers' | 'body' | 'flowId'> => ({
      status: last.rs?.status ?? null,
      headers: last.rs ? Object.fromEntries(last.rs.headers.entries()) : {},
      body: last.rs?.text ?? '',
      flowId,
    });
    try {
      const result = await this.#run(url, init, flowId, last);
      return { ...base(), ...result, steps: this.transcript.flow(flowId) };
    } catch (error) {
      const info = toErrorInfo(error);
      const outcome: Outcome = info.code === 'untrusted_as' ? 'untrusted_as' : 'error';
      return { ...base(), outcome, error: info, steps: this.transcript.flow(flowId) };
    }
  }

  async #run(
    url: string,
    init: FetchOptions,
    flowId: string,
    last: { rs?: { status: number; headers: Headers; text: string } },
  ): Promise<Omit<FetchResult, 'steps' | 'status' | 'headers' | 'body' | 'flowId'> & Partial<Pick<FetchResult, 'status'>>> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new TesseraError('usage', `"${url}" is not an absolute URL.`, 'Give the full resource URL, e.g. https://rs.example.com/records/42.');
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TesseraError('usage', `Unsupported URL scheme ${target.protocol}`, 'Use an http(s) URL.');
    const rsOrigin = target.origin;
    let grants = 0;
    let freshTickets = 0;
    for (let round = 0; ; round++) {
      if (round >= this.#limits.maxRsRequests) {
        throw new TesseraError('loop_guard', `Gave up after ${round} requests to ${rsOrigin}.`, 'The RS and AS keep exchanging tickets without granting access; report it to their operators.');
      }
      const held = await this.#heldRpt(rsOrigin, flowId, init.signal);
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
      last.rs = { status: rs.status, headers: rs.headers, text: rs.text };
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
        if (ok) return { outcome: 'granted', ...(held ? { asIssuer: held.asIssuer } : {}) };
        return { outcome: 'error', error: { code: 'rs_error', message: `The resource server answered ${rs.status}.`, hint: rs.status === 404 ? 'Check the resource URL.' : 'See the response body for details.' } };
      }
      if (reading.type === 'as_unreachable') {
        this.transcript.annotate(rs.step, { outcome: 'as_unreachable' });
        return { outcome: 'as_unreachable', error: { code: 'as_unreachable', message: 'The resource server could not reach its authorization server (403, Warning 199).', hint: 'Try again later; the problem is between the RS and its AS.', spec: SPEC.asUnreachable } };
      }
      if (reading.type === 'no_challenge') {
        this.transcript.annotate(rs.step, { outcome: 'error' });
        return rs.status === 403
          ? { outcome: 'error', error: { code: 'rs_forbidden', message: 'The resource server refused access (403) without a UMA challenge.', hint: 'The RS may want you signed in first (a Keycloak enforcer only challenges requests that carry a bearer token), or access is simply not possible.', spec: SPEC.challenge } }
          : { outcome: 'error', error: { code: 'no_uma_challenge', message: `The resource server answered ${rs.status} without a UMA challenge.`, hint: 'This resource is not protected by UMA; it may need another kind of sign-in.', spec: SPEC.challenge } };
      }
      if (new URL(rs.url).origin !== rsOrigin) {
        // A UMA challenge from the origin a redirect led to: an RPT for it must not be bound to (or
        // sent to) the origin the user asked for, so stop and let the user ask for that URL directly.
        this.transcript.annotate(rs.step, { outcome: 'error' });
        return { outcome: 'error', error: { code: 'rs_error', message: `${rsOrigin} redirected to ${new URL(rs.url).origin}, which asks for UMA authorization.`, hint: `Fetch ${rs.url} directly if you want access to it.`, spec: SPEC.rpt } };
      }
      this.transcript.annotate(rs.step, {
        outcome: 'challenge',
        challenge: { scheme: 'UMA', asUri: reading.asUri, ...(reading.realm ? { realm: reading.realm } : {}), ticket: fingerprint(reading.ticket), params: redactParams(reading.params), source: reading.source },
      });
      const asConfig = findTrustedAs(this.#trust(), reading.asUri);
      if (!asConfig) {
        return {
          outcome: 'untrusted_as',
          asIssuer: reading.asUri,
          error: { code: 'untrusted_as', message: `The resource server sends you to ${reading.asUri}, which you do not trust.`, hint: `Nothing was sent to it. If you trust it, run again with --trust ${reading.asUri}`, spec: SPEC.trust },
        };
      }
      const asIssuer = normalizeIssuer(asConfig.issuer);
      const sentToken = held && held.asIssuer === asIssuer ? held.value.access_token : undefined;
      const outcome = await this.#exclusive(storeKeys.rpt(asIssuer, rsOrigin), async (): Promise<GrantOutcome> => {
        const current = await this.#o.store.get<RptValue>('rpt', storeKeys.rpt(asIssuer, rsOrigin));
        if (current?.value.access_token !== sentToken) return { type: 'retry' };
        if (++grants > this.#limits.maxGrantsPerFetch) {
          throw new TesseraError('loop_guard', `The RS still refuses after ${grants - 1} RPTs from ${asIssuer}.`, 'The AS may be granting only part of what the RS asks for (partial grant); ask the resource owner to share the missing scopes.', { spec: SPEC.rpt });
        }
        return this.#grant({ asUri: reading.asUri, asIssuer, asConfig, rsOrigin, ticket: reading.ticket, held: current?.value, flowId, init });
      });
      if (outcome.type === 'granted' || outcome.type === 'retry') continue;
      if (outcome.type === 'fresh_ticket') {
        if (++freshTickets > 1) throw new TesseraError('invalid_ticket', 'The AS rejected a fresh permission ticket too.', 'The RS and its AS disagree about tickets; try again later or contact the RS operator.', { spec: SPEC.tokenErrors });
        continue;
      }
      return { asIssuer, outcome: outcome.outcome, ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.needInfo ? { needInfo: outcome.needInfo } : {}), ...(outcome.pending ? { pending: outcome.pending } : {}) };
    }
  }

  /**
   * The resource request. Idempotent reads (GET/HEAD) are retried a bounded number of times, with
   * backoff, on network faults and 502/503/504; other methods are sent once.
   */
  async #rsRequest(url: string, request: Parameters<HttpClient['request']>[1]): Promise<Awaited<ReturnType<HttpClient['request']>>> {
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

  /** Runs the token-endpoint conversation for one ticket (UMA Grant §3.3). */
  async #grant(g: { asUri: string; asIssuer: string; asConfig: AsConfig; rsOrigin: string; ticket: string; held?: RptValue; flowId: string; init: FetchOptions }): Promise<GrantOutcome> {
    const { asIssuer, asConfig, flowId, init } = g;
    const discovered = await this.discovery.resolve(g.asUri, asConfig, { http: this.http, flowId, ...(init.signal ? { signal: init.signal } : {}) });
    const client = await this.#client(asIssuer, asConfig, discovered, flowId, init.signal);
    const ctx = await this.#ctx(asIssuer, client, flowId, init.signal);
    const pushAllowed = asConfig.pushClaims !== false;
    let identity = init.identity ?? this.#o.identity ?? 'default';
    let claim: ClaimToken | undefined;
    if (this.#o.claims && pushAllowed) {
      claim = await this.#o.claims.claimTokenFor({ asIssuer, ...(init.identity ? { identityHint: init.identity } : {}), ...(init.signal ? { signal: init.signal } : {}) });
      if (claim?.identity) identity = claim.identity;
    }
    const pctKey = storeKeys.pct(asIssuer, identity, client.client_id);
    let pct = (await this.#o.store.get<PctValue>('pct', pctKey))?.value.pct;
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

    for (let requests = 0; ; requests++) {
      if (requests >= this.#limits.maxTokenRequestsPerGrant) {
        throw new TesseraError('loop_guard', `Stopped after ${requests} token requests to ${asIssuer} for one ticket.`, 'The AS keeps asking for more without deciding; report it to its operator.', { spec: SPEC.tokenErrors });
      }
      let result: GrantResult;
      try {
        const response = await umaTokenRequest(discovered.metadata, client, { ticket, ...(claim ? { claimToken: claim } : {}), ...(pct ? { pct } : {}), ...(rpt ? { rpt } : {}), ...(requestedScope(asConfig.scope, init.scopes) ? { scope: requestedScope(asConfig.scope, init.scopes) as string } : {}) }, ctx);
        result = await processUmaTokenResponse(response);
      } catch (error) {
        if (error instanceof TesseraError && (error.code === 'network' || error.code === 'timeout')) result = { type: 'server_error', status: 0, description: error.message };
        else throw error;
      }
      const step = this.#lastStep(flowId, 'token');
      const mark = (outcome: StepOutcome, error?: ErrorInfo) => step && this.transcript.annotate(step, { outcome, ...(error ? { error } : {}) });
      switch (result.type) {
        case 'token': {
          mark('rpt_issued');
          await this.#storeRpt(asIssuer, g.rsOrigin, result.token.accessToken, result.token, rpt !== undefined);
          if (result.token.pct) await this.#o.store.put<PctValue>('pct', pctKey, { pct: result.token.pct }, { issuer: asIssuer, identity, clientId: client.client_id, fingerprint: fingerprint(result.token.pct) });
          return { type: 'granted' };
        }
        case 'need_info': {
          mark('need_info');
          if (result.ticket === ticket && step) this.transcript.annotate(step, { note: 'the AS did not rotate the ticket (UMA Grant §3.3.6 requires a new one)' });
          ticket = result.ticket;
          if (this.#o.claims && pushAllowed) {
            const candidate = await this.#o.claims.claimTokenFor({ asIssuer, ...(result.requiredClaims ? { requiredClaims: result.requiredClaims } : {}), ...(init.identity ? { identityHint: init.identity } : {}), ...(init.signal ? { signal: init.signal } : {}) });
            if (candidate && !pushed.has(candidate.claim_token) && matchesRequiredClaims(result.requiredClaims, candidate)) {
              claim = candidate;
              pushed.add(candidate.claim_token);
              continue;
            }
          }
          claim = undefined;
          const endpoint = repairRedirectUser(result.redirectUser) ?? discovered.metadata.claims_interaction_endpoint;
          if (interactionAllowed && endpoint && interactions < 2) {
            interactions++;
            // The browser leg is not an HTTP exchange of ours, but it belongs on the timeline.
            const started = Date.now();
            const target = new URL(endpoint);
            const browserStep = this.transcript.add({ id: randomUUID(), flowId, time: new Date(started).toISOString(), duration: 0, lane: 'browser', kind: 'interaction', method: 'GET', url: `${target.origin}${target.pathname}`, status: null, request: { headers: {} }, note: 'claims interaction: the requesting party continues in the system browser (UMA Grant §3.3.2)' });
            let back: { ticket: string };
            try {
              back = await this.#o.interaction!.gather({ asIssuer, endpoint, clientId: client.client_id, ticket, ...(init.signal ? { signal: init.signal } : {}) });
            } catch (error) {
              browserStep.duration = Date.now() - started;
              this.transcript.annotate(browserStep, { outcome: 'error', error: toErrorInfo(error) });
              throw error;
            }
            browserStep.duration = Date.now() - started;
            this.transcript.annotate(browserStep, { note: 'claims interaction: back from the browser with a new ticket (UMA Grant §3.3.3)' });
            if (back.ticket === ticket) throw new TesseraError('interaction_failed', 'The claims redirect returned the same ticket that was sent.', 'The AS did not rotate the ticket (UMA Grant §5.5); try again.', { spec: SPEC.grant });
            ticket = back.ticket;
            continue;
          }
          return {
            type: 'final',
            outcome: 'need_info',
            needInfo: { ticket, ...(result.requiredClaims ? { requiredClaims: result.requiredClaims } : {}), ...(endpoint ? { redirectUser: endpoint } : {}) },
            error: {
              code: 'token_error',
              message: `${asIssuer} needs more information about you${describeClaims(result.requiredClaims)}.`,
              hint: endpoint ? (interactionAllowed ? 'The claims interaction did not complete; try again.' : `Run again without --no-interaction to open ${new URL(endpoint).origin} in a browser, or push a matching --claim-token.`) : 'Push a claim token that carries these claims (--claim-token FILE) or sign in with an identity the AS accepts.',
              spec: SPEC.tokenErrors,
            },
          };
        }
        case 'request_submitted': {
          mark('request_submitted');
          if (!result.ticket) {
            return { type: 'final', outcome: 'pending', pending: { reason: 'owner_must_approve' }, error: { code: 'token_error', message: `${asIssuer} submitted an access request to the resource owner.`, hint: 'Run the same command again once the owner has approved it.', spec: SPEC.tokenErrors } };
          }
          ticket = result.ticket;
          const interval = (result.interval ?? this.#o.defaultPollSeconds ?? 5) * 1000;
          pollDelayMs = polls === 0 ? interval : Math.min(Math.max(interval, Math.round(pollDelayMs * 1.5)), 60_000);
          if (this.#now() + pollDelayMs > deadline) {
            return { type: 'final', outcome: 'pending', pending: { ticket, ...(result.interval !== undefined ? { interval: result.interval } : {}), reason: polls === 0 ? 'owner_must_approve' : 'wait_limit' }, error: { code: 'token_error', message: `Waiting for the resource owner to approve the request at ${asIssuer}.`, hint: 'Run again later, or pass --wait SECONDS to keep polling.', spec: SPEC.tokenErrors } };
          }
          polls++;
          await this.#sleep(pollDelayMs, init.signal);
          continue;
        }
        case 'denied':
          mark('denied');
          return { type: 'final', outcome: 'denied', error: { code: 'token_error', message: `${asIssuer} denied access${result.description && result.description !== result.error ? ` (${result.description})` : ''}.`, hint: 'Ask the resource owner to share this resource with you.', spec: SPEC.tokenErrors } };
        case 'invalid_ticket':
          mark('invalid_ticket');
          if (polls > 0) {
            return { type: 'final', outcome: 'pending', pending: { reason: 'ticket_expired' }, error: { code: 'invalid_ticket', message: 'The permission ticket expired while waiting for the resource owner.', hint: 'Run the same command again to ask with a fresh ticket.', spec: SPEC.tokenErrors } };
          }
          return { type: 'fresh_ticket' };
        case 'invalid_pct':
          mark('invalid_pct');
          if (!pct) return this.#fail('token_error', `${asIssuer} rejected a PCT that was not sent.`, 'Report this to the AS operator.');
          await this.#o.store.delete('pct', pctKey);
          pct = undefined;
          continue;
        case 'invalid_rpt':
          mark('invalid_rpt');
          if (!rpt) return this.#fail('token_error', `${asIssuer} rejected an RPT that was not sent.`, 'Report this to the AS operator.');
          await this.#o.store.delete('rpt', storeKeys.rpt(asIssuer, g.rsOrigin));
          rpt = undefined;
          continue;
        case 'invalid_scope': {
          const info: ErrorInfo = { code: 'invalid_scope', message: `${asIssuer} rejected the requested scope${asConfig.scope ? ` "${asConfig.scope}"` : ''}${result.description ? `: ${result.description}` : ''}.`, hint: 'Request only scopes this client pre-registered at the AS and the resource offers (or none: the ticket names them).', spec: SPEC.tokenErrors };
          mark('invalid_scope', info);
          return { type: 'final', outcome: 'error', error: info };
        }
        case 'invalid_client': {
          const info: ErrorInfo = { code: 'invalid_client', message: `${asIssuer} rejected the client credentials (${result.status}${result.description ? `: ${result.description}` : ''}).`, hint: 'Check --client-id / --client-secret / --token-auth for this AS.', spec: SPEC.tokenRequest };
          mark('error', info);
          return { type: 'final', outcome: 'error', error: info };
        }
        case 'server_error':
          mark('error');
          if (serverRetries < this.#limits.serverRetries) {
            await this.#sleep(this.#limits.retryBaseMs * 2 ** serverRetries, init.signal);
            serverRetries++;
            continue;
          }
          return this.#fail('server_error', `${asIssuer} failed ${serverRetries + 1} times${result.status ? ` (HTTP ${result.status})` : ''}${result.description ? `: ${result.description}` : ''}.`, 'The authorization server is having trouble; try again later.');
        case 'error': {
          const info: ErrorInfo = { code: 'token_error', message: `${asIssuer} answered ${result.status} ${result.error}${result.description ? `: ${result.description}` : ''}.`, hint: result.status === 401 ? 'The AS did not accept this client; check the client credentials.' : 'See the token step in the transcript.', spec: SPEC.tokenErrors };
          mark('error', info);
          return { type: 'final', outcome: 'error', error: info };
        }
      }
    }
  }

  #fail(code: ErrorInfo['code'], message: string, hint: string): GrantOutcome {
    return { type: 'final', outcome: 'error', error: { code, message, hint, spec: SPEC.tokenErrors } };
  }

  #lastStep(flowId: string, kind: TranscriptStep['kind']): TranscriptStep | undefined {
    const steps = this.transcript.flow(flowId);
    for (let i = steps.length - 1; i >= 0; i--) if (steps[i]?.kind === kind) return steps[i];
    return undefined;
  }

  async #ctx(asIssuer: string, client: ClientCredentials, flowId: string, signal?: AbortSignal): Promise<RequestContext> {
    const bearer = client.auth_method === 'keycloak_bearer' ? await this.#o.bearerToken?.(asIssuer) : undefined;
    return { http: this.http, flowId, ...(signal ? { signal } : {}), ...(bearer ? { bearerToken: bearer } : {}) };
  }

  async #storeRpt(asIssuer: string, rsOrigin: string, accessToken: string, token: { tokenType: string; expiresIn?: number; refreshToken?: string }, _upgrade: boolean): Promise<void> {
    // `upgraded` absent or false: the new RPT replaces the old one; it is never assumed to be merged.
    let expiresAt = token.expiresIn !== undefined ? this.#now() + token.expiresIn * 1000 : undefined;
    let permissions: RecordMeta['permissions'];
    try {
      const claims = decodeJwt(accessToken) as { exp?: number; authorization?: { permissions?: { rsid?: string; resource_id?: string; scopes?: string[]; resource_scopes?: string[] }[] }; permissions?: { resource_id?: string; resource_scopes?: string[] }[] };
      if (expiresAt === undefined && typeof claims.exp === 'number') expiresAt = claims.exp * 1000;
      const list = claims.authorization?.permissions ?? claims.permissions;
      if (Array.isArray(list)) permissions = list.map((p) => ({ resource_id: String((p as { rsid?: string }).rsid ?? p.resource_id ?? ''), resource_scopes: (p as { scopes?: string[] }).scopes ?? p.resource_scopes ?? [] }));
    } catch {
      // opaque RPT
    }
    const value: RptValue = { access_token: accessToken, token_type: token.tokenType, ...(token.refreshToken ? { refresh_token: token.refreshToken } : {}), ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}) };
    await this.#o.store.put<RptValue>('rpt', storeKeys.rpt(asIssuer, rsOrigin), value, {
      issuer: asIssuer,
      rsOrigin,
      fingerprint: fingerprint(accessToken),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(permissions ? { permissions } : {}),
    });
  }

  /** The RPT held for an RS origin, refreshed if expired and a refresh token exists. */
  async #heldRpt(rsOrigin: string, flowId: string, signal?: AbortSignal): Promise<{ asIssuer: string; value: RptValue; usable: boolean } | undefined> {
    const trust = this.#trust();
    // Fast path: the AS this origin used last time (one store read instead of a listing).
    const lastIssuer = this.#originIssuer.get(rsOrigin);
    const lastRecord = lastIssuer && findTrustedAs(trust, lastIssuer) ? await this.#o.store.get<RptValue>('rpt', storeKeys.rpt(lastIssuer, rsOrigin)) : undefined;
    const metas = lastRecord
      ? [lastRecord.meta]
      : (await this.#o.store.list('rpt')).filter((m) => m.rsOrigin === rsOrigin && m.issuer).sort((a, b) => b.updatedAt - a.updatedAt);
    for (const meta of metas) {
      const asIssuer = meta.issuer as string;
      const config = findTrustedAs(trust, asIssuer);
      if (!config) continue; // an AS the user no longer trusts: its RPT is not used
      const record = lastRecord && meta === lastRecord.meta ? lastRecord : await this.#o.store.get<RptValue>('rpt', meta.key);
      if (!record) continue;
      this.#originIssuer.set(rsOrigin, asIssuer);
      const expired = record.value.expires_at !== undefined && record.value.expires_at - EXPIRY_SKEW_MS <= this.#now();
      if (!expired) return { asIssuer, value: record.value, usable: true };
      if (!record.value.refresh_token) return { asIssuer, value: record.value, usable: false };
      return this.#exclusive(meta.key, async () => {
        const again = await this.#o.store.get<RptValue>('rpt', meta.key);
        if (!again) return undefined;
        if (again.value.access_token !== record.value.access_token) return { asIssuer, value: again.value, usable: true };
        try {
          const discovered = await this.discovery.resolve(asIssuer, config, { http: this.http, flowId, ...(signal ? { signal } : {}) });
          const client = await this.#client(asIssuer, config, discovered, flowId, signal);
          const response = await refreshRequest(discovered.metadata, client, record.value.refresh_token as string, await this.#ctx(asIssuer, client, flowId, signal));
          const result = await processUmaTokenResponse(response);
          const step = this.#lastStep(flowId, 'refresh');
          if (result.type === 'token') {
            if (step) this.transcript.annotate(step, { outcome: 'rpt_issued' });
            await this.#storeRpt(asIssuer, rsOrigin, result.token.accessToken, { ...result.token, ...(result.token.refreshToken ? {} : { refreshToken: record.value.refresh_token as string }) }, false);
            const fresh = await this.#o.store.get<RptValue>('rpt', meta.key);
            return fresh ? { asIssuer, value: fresh.value, usable: true } : undefined;
          }
          if (step) this.transcript.annotate(step, { outcome: 'error', note: 'refresh failed: a new ticket will be used' });
        } catch {
          // fall through: drop the refresh token, a new ticket will be obtained
        }
        const { refresh_token: _dropped, ...rest } = record.value;
        await this.#o.store.put<RptValue>('rpt', meta.key, rest, { issuer: asIssuer, rsOrigin, fingerprint: fingerprint(rest.access_token), ...(rest.expires_at !== undefined ? { expiresAt: rest.expires_at } : {}) });
        return { asIssuer, value: rest, usable: false };
      });
    }
    return undefined;
  }

  /** The client registration to use at a trusted AS: stored, default (CLI flags), or dynamic. */
  async #client(asIssuer: string, config: AsConfig, discovered: DiscoveredAs, flowId: string, signal?: AbortSignal): Promise<ClientCredentials> {
    const stored = await this.#o.store.get<ClientCredentials>('client', storeKeys.client(asIssuer));
    const override = config.client?.authMethod;
    if (stored) return override ? { ...stored.value, auth_method: override } : stored.value;
    const d = this.#o.defaultClient;
    if (d && (!config.client?.clientId || config.client.clientId === d.clientId)) {
      return {
        client_id: d.clientId,
        ...(d.clientSecret ? { client_secret: d.clientSecret } : {}),
        ...(d.privateJwk ? { private_jwk: d.privateJwk } : {}),
        auth_method: override ?? d.authMethod ?? (d.privateJwk ? 'private_key_jwt' : d.clientSecret ? 'client_secret_basic' : 'none'),
        registration: 'static',
      };
    }
    if (config.client?.clientId && config.client.registration !== 'dynamic') {
      return { client_id: config.client.clientId, auth_method: override ?? 'none', registration: 'static' };
    }
    const endpoint = discovered.metadata.registration_endpoint;
    if ((config.client?.registration === 'dynamic' || !config.client) && endpoint) return this.#register(asIssuer, discovered, flowId, signal);
    throw new TesseraError('client_not_configured', `Tessera has no client registration at ${asIssuer}.`, 'Pass --client-id (and --client-secret or --private-key), or configure dynamic registration for this AS.', { spec: SPEC.registration });
  }

  /** RFC 7591 dynamic registration with the UMA grant type and `claims_redirect_uris`. */
  async #register(asIssuer: string, discovered: DiscoveredAs, flowId: string, signal?: AbortSignal): Promise<ClientCredentials> {
    const response = await oauth.dynamicClientRegistrationRequest(
      discovered.metadata as unknown as oauth.AuthorizationServer,
      {
        client_name: 'Tessera',
        grant_types: [UMA_GRANT_TYPE, 'refresh_token'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(this.#o.claimsRedirectUris?.length ? { claims_redirect_uris: this.#o.claimsRedirectUris } : {}),
      },
      { [oauth.customFetch]: this.http.oauthFetch({ kind: 'registration', flowId, ...(signal ? { signal } : {}) }), [oauth.allowInsecureRequests]: true, ...(signal ? { signal } : {}) },
    );
    let registered: oauth.Client;
    try {
      registered = await oauth.processDynamicClientRegistrationResponse(response);
    } catch (error) {
      throw new TesseraError('registration_failed', `Dynamic client registration at ${asIssuer} failed: ${error instanceof Error ? error.message : String(error)}.`, 'Register Tessera at this AS by hand and pass --client-id.', { spec: SPEC.registration, cause: error });
    }
    const secret = typeof registered.client_secret === 'string' ? registered.client_secret : undefined;
    const method = (registered.token_endpoint_auth_method as TokenAuthMethod | undefined) ?? (secret ? 'client_secret_basic' : 'none');
    const client: ClientCredentials = { client_id: registered.client_id, ...(secret ? { client_secret: secret } : {}), auth_method: secret ? method : 'none', registration: 'dynamic' };
    await this.#o.store.put<ClientCredentials>('client', storeKeys.client(asIssuer), client, { issuer: asIssuer, clientId: client.client_id, label: 'dynamic registration' });
    return client;
  }

  /** Runs `fn` while holding the lock for `key` (single-flight per (AS, RS)). */
  async #exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#locks.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    }
  }

  // ---- token management (the app's Tokens screen, `tessera` commands) ----

  /** Non-secret descriptions of held RPTs and PCTs. */
  async tokens(): Promise<RecordMeta[]> {
    return [...(await this.#o.store.list('rpt')), ...(await this.#o.store.list('pct'))];
  }

  /** Forgets the RPT held for (AS, RS origin); revokes it first when asked and possible. */
  async forgetRpt(asIssuer: string, rsOrigin: string, options: { revoke?: boolean } = {}): Promise<boolean> {
    const key = storeKeys.rpt(normalizeIssuer(asIssuer), rsOrigin);
    const record = await this.#o.store.get<RptValue>('rpt', key);
    if (!record) return false;
    if (options.revoke) await this.#revoke(normalizeIssuer(asIssuer), record.value.access_token, 'access_token').catch(() => undefined);
    return this.#o.store.delete('rpt', key);
  }

  /** Forgets a PCT; revokes it first when asked and the AS has a revocation endpoint. */
  async forgetPct(asIssuer: string, identity: string, clientId: string, options: { revoke?: boolean } = {}): Promise<boolean> {
    const key = storeKeys.pct(normalizeIssuer(asIssuer), identity, clientId);
    const record = await this.#o.store.get<PctValue>('pct', key);
    if (!record) return false;
    if (options.revoke) await this.#revoke(normalizeIssuer(asIssuer), record.value.pct, 'pct').catch(() => undefined);
    return this.#o.store.delete('pct', key);
  }

  /** Sign-out of a requesting-party identity: revoke (where possible) and forget all its PCTs. */
  async signOut(identity: string): Promise<number> {
    let count = 0;
    for (const meta of await this.#o.store.list('pct')) {
      if (meta.identity !== identity || !meta.issuer || !meta.clientId) continue;
      if (await this.forgetPct(meta.issuer, identity, meta.clientId, { revoke: true })) count++;
    }
    return count;
  }

  async #revoke(asIssuer: string, token: string, hint: 'pct' | 'access_token'): Promise<void> {
    const config = findTrustedAs(this.#trust(), asIssuer);
    if (!config) return;
    const flowId = randomUUID();
    const discovered = await this.discovery.resolve(asIssuer, config, { http: this.http, flowId });
    if (!discovered.metadata.revocation_endpoint) return;
    const client = await this.#client(asIssuer, config, discovered, flowId);
    await revokeToken(discovered.metadata, client, token, hint, await this.#ctx(asIssuer, client, flowId));
  }
}

/** The token request's `scope`: the AS's configured scope plus the ones this fetch asks for, once each. */
function requestedScope(configured: string | undefined, extra: string[] | undefined): string | undefined {
  const all = [...new Set([...(configured?.split(' ') ?? []), ...(extra ?? [])].filter(Boolean))];
  return all.length ? all.join(' ') : undefined;
}

function redactParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, k === 'ticket' ? fingerprint(v) : v]));
}

/** Janssen sometimes builds `redirect_user` without `?` (`…/gather_claims&client_id=…`): repair it. */
export function repairRedirectUser(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!value.includes('?') && value.includes('&')) return value.replace('&', '?');
  return value;
}

function describeClaims(required: RequiredClaim[] | undefined): string {
  if (!required || required.length === 0) return '';
  return `: ${required.map((r) => r.friendly_name ?? r.name ?? r.claim_type ?? 'claim').join(', ')}`;
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
