/**
 * The headline API: `createUmaClient(options)` returns `umaFetch(url, init, { party })`, a fetch that
 * runs the UMA 2.0 grant (challenge → trust → token request → need_info / request_submitted →
 * retry with the RPT) for one requesting party and answers with a `Response` plus a typed outcome.
 *
 * Everything it needs comes in as ports (store, claims source, claims interaction, clock, transcript
 * hook, fetch) and options (the fingerprint key): no process-wide state, no environment, no files.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
import { TesseraError, toErrorInfo, type ErrorCode, type ErrorFacts, type ErrorInfo } from './kernel/errors';
import { withFingerprintKey } from './kernel/redact';
import { MemoryStore, type RecordMeta, type TokenStore } from './kernel/store';
import type { StepListener, TranscriptStep } from './kernel/transcript';
import { trustPolicy, type TrustPolicy } from './kernel/trust';
import type { FetchLike, HttpBounds } from './http/fetch';
import { createAgent, type DefaultClient, type FetchResult } from './uma/agent';
import type { ClaimsInteraction, ClaimsSource, RequiredClaim } from './uma/ports';

/**
 * Time, as the client sees it: `now` for expiry and deadlines, `sleep` between polls. Inject a fake
 * clock in tests; the default is `Date.now` and `setTimeout`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface UmaClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds, or rejects when `signal` aborts. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * What {@link createUmaClient} needs. Only `trust` and `fingerprintKey` are required.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export interface UmaClientOptions {
  /**
   * The authorization servers this client may send tickets, claims, PCTs and client credentials to
   * (UMA Grant §5.7). A function is re-read on every fetch (an app that edits trust live).
   */
  trust: TrustPolicy | (() => TrustPolicy);
  /** The client registered at the AS (id and secret or private JWK), used where the store holds none. */
  client?: DefaultClient;
  /** Where RPTs, PCTs and dynamic registrations are kept. Default: an in-memory store (this process only). */
  store?: TokenStore;
  /** Claim tokens to push for the requesting party (e.g. their ID token), UMA Grant §3.3.1. */
  claims?: ClaimsSource;
  /** The claims-interaction leg in a browser (UMA Grant §3.3.2); see `@tessera/uma/node` for the system-browser one. */
  interaction?: ClaimsInteraction;
  /** The fetch that reaches the network (default: the global fetch). */
  fetch?: FetchLike;
  /** Time and sleeping (tests). */
  clock?: UmaClock;
  /**
   * Called for every exchange, already redacted: tokens appear as salted fingerprints and decoded JWT
   * claims, never as themselves. Use it as a log or a transcript.
   */
  transcript?: StepListener;
  /**
   * At least 32 random bytes that salt token fingerprints (HMAC-SHA-256), so a fingerprint in a log
   * cannot be tested offline against guesses. Keep it with the store to get stable fingerprints.
   */
  fingerprintKey: Uint8Array;
  /** The requesting party when a fetch names none (`issuer#sub`, `token:…`); default `nobody`. */
  party?: string;
  /** Timeout, body-size and redirect bounds of every request. */
  http?: Partial<HttpBounds>;
  /** `claims_redirect_uris` to register when the client registers itself dynamically (RFC 7591). */
  claimsRedirectUris?: string[];
  /** Seconds between polls when `request_submitted` names no interval (default 5). */
  defaultPollSeconds?: number;
}

/**
 * The fetch parameters `umaFetch` honours (a subset of `RequestInit`: a UMA client retries the
 * request, so a body is bytes or text, never a stream).
 * @see https://fetch.spec.whatwg.org/#requestinit
 */
export interface UmaRequestInit {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

/**
 * Per-call choices of `umaFetch`.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export interface UmaCallOptions {
  /** The requesting party this call acts for: only their RPT, PCT and claims are ever sent. */
  party?: string;
  /** Seconds to keep polling after `request_submitted` (default 0: report `pending` at once). */
  waitSeconds?: number;
  /** Allow the claims-interaction leg (default: when an interaction port is configured). */
  interaction?: boolean;
  /** Scopes to ask for in addition to the ticket's. */
  scopes?: string[];
  /** Resume a `pending` grant with the ticket it reported (UMA Grant §3.3.6). */
  resume?: { asUri: string; ticket: string };
  /** Id of this call's transcript steps (default: a random UUID). */
  flowId?: string;
}

/**
 * What a call ended in, typed by `type`. `error` (all but `granted`) carries a stable `code`,
 * non-secret `facts`, a message, a hint and a spec link.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export type UmaOutcome =
  | { type: 'granted'; access: 'open' | 'held' | 'issued'; asIssuer?: string }
  | { type: 'denied'; asIssuer?: string; error: ErrorInfo }
  | { type: 'need_info'; asIssuer?: string; ticket: string; requiredClaims?: RequiredClaim[]; redirectUser?: string; error: ErrorInfo }
  | { type: 'pending'; asIssuer?: string; ticket?: string; interval?: number; reason: 'owner_must_approve' | 'wait_limit' | 'ticket_expired'; error: ErrorInfo }
  | { type: 'untrusted_as'; asUri: string; error: ErrorInfo }
  | { type: 'as_unreachable'; error: ErrorInfo }
  | { type: 'error'; code: ErrorCode; facts?: ErrorFacts; error: ErrorInfo };

/**
 * The answer of `umaFetch`: the resource server's last response (null when it never answered) and
 * the outcome. `steps` is the call's redacted transcript.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
export interface UmaResult {
  outcome: UmaOutcome;
  response: Response | null;
  /** The requesting party the call acted for. */
  party: string;
  flowId: string;
  steps: TranscriptStep[];
}

/**
 * A UMA-aware fetch plus the token administration of its store.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export interface UmaClient {
  /** Fetches `url` for a requesting party, running the UMA grant as needed. Never throws: failures are outcomes. */
  (url: string | URL, init?: UmaRequestInit, options?: UmaCallOptions): Promise<UmaResult>;
  /** Non-secret descriptions of the RPTs and PCTs held. */
  tokens(): Promise<RecordMeta[]>;
  /** Forgets the RPT of `party` for (AS, RS origin), revoking it first when asked (RFC 7009). */
  forgetRpt(asIssuer: string, rsOrigin: string, party: string, options?: { revoke?: boolean }): Promise<boolean>;
  /** Revokes (where possible) and forgets every PCT and RPT of a requesting party. */
  signOut(party: string): Promise<number>;
}

/**
 * Creates a UMA client: `const umaFetch = createUmaClient({ trust, fingerprintKey, … })`, then
 * `await umaFetch(url, init, { party })`.
 *
 * Throws a `TesseraError` with code `usage` when the options are unusable (no 32-byte key, a trust
 * list that does not parse).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export function createUmaClient(options: UmaClientOptions): UmaClient {
  const key = options.fingerprintKey;
  if (!(key instanceof Uint8Array) || key.length < 32) {
    throw new TesseraError('usage', 'fingerprintKey must be at least 32 random bytes.', 'Make one with crypto.getRandomValues(new Uint8Array(32)) and keep it with the store.');
  }
  const fixedKey = Uint8Array.from(key);
  const trust = typeof options.trust === 'function' ? options.trust : parseTrust(options.trust);
  const agent = createAgent({
    store: options.store ?? new MemoryStore(),
    trust,
    ...(options.client ? { defaultClient: options.client } : {}),
    ...(options.claims ? { claims: options.claims } : {}),
    ...(options.interaction ? { interaction: options.interaction } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.clock ? { now: () => options.clock!.now() } : {}),
    ...(options.clock?.sleep ? { sleep: (ms: number, signal?: AbortSignal) => options.clock!.sleep!(ms, signal) } : {}),
    ...(options.transcript ? { onStep: options.transcript } : {}),
    ...(options.party ? { party: options.party } : {}),
    ...(options.http ? { http: options.http } : {}),
    ...(options.claimsRedirectUris ? { claimsRedirectUris: options.claimsRedirectUris } : {}),
    ...(options.defaultPollSeconds !== undefined ? { defaultPollSeconds: options.defaultPollSeconds } : {}),
  });
  const scoped = <T>(fn: () => Promise<T>): Promise<T> => withFingerprintKey(fixedKey, fn);

  const umaFetch = async (url: string | URL, init: UmaRequestInit = {}, call: UmaCallOptions = {}): Promise<UmaResult> => {
    const result = await scoped(() => agent.fetch(String(url), {
      ...(init.method ? { method: init.method } : {}),
      ...(init.headers ? { headers: Object.fromEntries(new Headers(init.headers).entries()) } : {}),
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
      ...(call.party ? { party: call.party } : {}),
      ...(call.waitSeconds !== undefined ? { waitSeconds: call.waitSeconds } : {}),
      ...(call.interaction !== undefined ? { interaction: call.interaction } : {}),
      ...(call.scopes ? { scopes: call.scopes } : {}),
      ...(call.resume ? { resume: call.resume } : {}),
      ...(call.flowId ? { flowId: call.flowId } : {}),
    }));
    return { outcome: toOutcome(result), response: toResponse(result), party: result.party, flowId: result.flowId, steps: result.steps };
  };
  return Object.assign(umaFetch, {
    tokens: () => scoped(() => agent.tokens()),
    forgetRpt: (asIssuer: string, rsOrigin: string, party: string, o: { revoke?: boolean } = {}) => scoped(() => agent.forgetRpt(asIssuer, rsOrigin, party, o)),
    signOut: (party: string) => scoped(() => agent.signOut(party)),
  });
}

function parseTrust(value: TrustPolicy): TrustPolicy {
  const parsed = trustPolicy.safeParse(value);
  if (!parsed.success) {
    throw new TesseraError('usage', `The trust list does not parse: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'Give { authorizationServers: [{ issuer: "https://as.example.com" }] }.');
  }
  return parsed.data;
}

const NO_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** The RS's last answer as a WHATWG Response (bytes kept: resources may be PDFs). */
function toResponse(result: FetchResult): Response | null {
  if (result.status === null || result.status < 200 || result.status > 599) return null;
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers)) {
    // The body is already decoded: a Content-Encoding or Content-Length would describe other bytes.
    if (name === 'content-encoding' || name === 'content-length' || name === 'transfer-encoding') continue;
    headers.set(name, value);
  }
  const body = NO_BODY_STATUS.has(result.status) ? null : result.bytes.slice();
  return new Response(body, { status: result.status, headers });
}

function toOutcome(result: FetchResult): UmaOutcome {
  const error = result.error ?? toErrorInfo(new TesseraError('internal', `The fetch ended ${result.outcome} without an error.`, 'This is a bug; please report it.'));
  const asIssuer = result.asIssuer ? { asIssuer: result.asIssuer } : {};
  switch (result.outcome) {
    case 'granted':
      return { type: 'granted', access: result.access ?? 'open', ...asIssuer };
    case 'denied':
      return { type: 'denied', ...asIssuer, error };
    case 'need_info':
      return {
        type: 'need_info',
        ...asIssuer,
        ticket: result.needInfo?.ticket ?? '',
        ...(result.needInfo?.requiredClaims ? { requiredClaims: result.needInfo.requiredClaims } : {}),
        ...(result.needInfo?.redirectUser ? { redirectUser: result.needInfo.redirectUser } : {}),
        error,
      };
    case 'pending':
      return {
        type: 'pending',
        ...asIssuer,
        ...(result.pending?.ticket ? { ticket: result.pending.ticket } : {}),
        ...(result.pending?.interval !== undefined ? { interval: result.pending.interval } : {}),
        reason: result.pending?.reason ?? 'owner_must_approve',
        error,
      };
    case 'untrusted_as':
      return { type: 'untrusted_as', asUri: result.asIssuer ?? error.facts?.asIssuer ?? '', error };
    case 'as_unreachable':
      return { type: 'as_unreachable', error };
    default:
      return { type: 'error', code: error.code, ...(error.facts ? { facts: error.facts } : {}), error };
  }
}
