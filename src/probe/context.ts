/**
 * What every probe check works with: the guarded HTTP client (one transcript, one flow per check),
 * a fresh permission ticket from the RS on demand, token-endpoint requests read into the engine's
 * {@link GrantResult}, and the state later checks share (the RPT, PCT and refresh token obtained,
 * what was created at the AS, every origin contacted).
 */
import { TesseraError, fingerprint, type TranscriptStep, normalizeIssuer, type AsConfig, HttpClient, type FetchLike, type HttpBounds, type HttpResult, readRsResponse, processUmaTokenResponse, umaTokenRequest, type ClientCredentials, type GrantResult, type GrantedToken, type RequestContext, type UmaTokenParams } from '@tessera/uma';
import { Transcript, umaTokenRequestRaw } from '@tessera/uma/engine';
import type { AsMetadata, ClaimToken } from '@tessera/uma';
import type { CreatedItem } from './types';

/** Thrown inside a check when it cannot apply; the runner turns it into `skip`. */
export class SkipCheck extends Error {
  override readonly name = 'SkipCheck';
}

/** One token-endpoint answer as the probe saw it. */
export interface TokenObservation {
  check: string;
  status: number;
  headers: Headers;
  /** Parsed JSON body, when it was JSON. */
  json?: Record<string, unknown>;
  contentType: string;
  result: GrantResult;
  /** The ticket that was sent (for the rotation checks); never shown, only compared and fingerprinted. */
  sentTicket?: string;
  step?: TranscriptStep;
}

export interface DiscoveryFinding {
  /** Every URL tried, in order, with its HTTP status (null: no answer). */
  attempts: { url: string; status: number | null; source: string }[];
  found?: { url: string; source: 'uma2' | 'rfc8414' | 'configured_url' | 'manual'; headers?: Headers; raw?: Record<string, unknown>; step?: TranscriptStep };
  metadata?: AsMetadata;
  /** Endpoints the found document lacks, taken from the AS's configured discovery document (the one the client uses). */
  supplemented?: { url: string; fields: string[]; source: 'configured_url' | 'openid' };
  /** Why the document could not be used. */
  problem?: string;
}

export interface ProbeShared {
  resource: string;
  rsOrigin: string;
  asUri: string;
  asConfig: AsConfig;
  client?: ClientCredentials;
  claimTokens: ClaimToken[];
  bearerToken?: string;
  claimsRedirectUri: string;
  discovery: DiscoveryFinding;
  transcript: Transcript;
  http: HttpClient;
  allowed: Set<string>;
  contacted: Set<string>;
  violations: { origin: string; path: string; check: string }[];
  created: CreatedItem[];
  /** Tokens obtained, to revoke at the end (never reported, only fingerprinted). */
  revocable: { token: string; hint: 'access_token' | 'refresh_token' | 'pct' }[];
  observations: TokenObservation[];
  /** The check currently running (the guard attributes violations to it). */
  current: string;
  memo: Map<string, Promise<unknown>>;
  /** The AS or one of its endpoints is plain http outside loopback: nothing secret is sent to it. */
  insecure?: boolean;
  /** A second resource the AS is expected to put on hold (request_submitted), and how long to wait for its owner. */
  pending?: { resource: string; waitMs: number };
  /** Keycloak's decision checks: the RS's client id, a permission granted and one refused (RESOURCE#SCOPE). */
  keycloak?: { audience?: string; permitted?: string; denied?: string };
  /** Extra headers on resource requests without an RPT (never sent to the AS). */
  rsHeaders: Record<string, string>;
  /** Cancels the run (the clean-up in safety.created still goes out). */
  signal?: AbortSignal;
}

/** Builds the guarded client: every request to an origin outside `allowed` is refused and recorded. */
export function guardedHttp(shared: Pick<ProbeShared, 'allowed' | 'contacted' | 'violations' | 'current' | 'signal'>, transcript: Transcript, bounds?: Partial<HttpBounds>, underlying?: FetchLike): HttpClient {
  const base: FetchLike = underlying ?? ((input, init) => fetch(input, init));
  const guarded: FetchLike = async (input, init) => {
    const url = new URL(input);
    if (!shared.allowed.has(url.origin)) {
      shared.violations.push({ origin: url.origin, path: url.pathname, check: shared.current });
      throw new TesseraError('untrusted_as', `Probe origin guard: refused to send a request to ${url.origin}, which is neither the RS, the AS nor one of its endpoints.`, 'The server tried to lead the client elsewhere (redirect or endpoint on another origin); see the safety check.');
    }
    // A cancelled run sends nothing more, except the clean-up (revoking what it obtained).
    const cancel = shared.current === 'safety.created' ? undefined : shared.signal;
    if (cancel?.aborted) throw new TesseraError('aborted', 'The check was cancelled.', 'Run it again when ready.');
    shared.contacted.add(url.origin);
    return base(input, cancel ? { ...init, signal: init.signal ? AbortSignal.any([init.signal, cancel]) : cancel } : init);
  };
  return new HttpClient({ transcript, fetch: guarded, ...(bounds ? { bounds } : {}) });
}

/** The per-check view: its own flow id in the transcript. */
export class CheckContext {
  constructor(readonly shared: ProbeShared, readonly checkId: string) {}

  get flowId(): string {
    return this.checkId;
  }

  get metadata(): AsMetadata {
    const m = this.shared.discovery.metadata;
    if (!m) throw new SkipCheck('No usable AS metadata (see the discovery checks).');
    return m;
  }

  /** The client credentials, or skip: nothing is sent to the token endpoint without a client. */
  get client(): ClientCredentials {
    if (!this.shared.client) throw new SkipCheck('No client credentials given (a client id with its secret or key, or a public client).');
    return this.shared.client;
  }

  get requestContext(): RequestContext {
    return { http: this.shared.http, flowId: this.flowId, ...(this.shared.bearerToken ? { bearerToken: this.shared.bearerToken } : {}) };
  }

  /**
   * The claims the ordinary grant sends (the first claim token given), so a check that varies only
   * the ticket measures the ticket and not the AS's answer to a request without a requesting party.
   */
  get grantClaims(): Pick<UmaTokenParams, 'claimToken'> {
    const claim = this.shared.claimTokens[0];
    return claim ? { claimToken: claim } : {};
  }

  /** Says which claims a ticket check sent, for its detail. */
  get claimsNote(): string {
    return this.shared.claimTokens[0] ? ' (with the claim token the grant sends)' : ' (without claims: none was given)';
  }

  /** GET the resource (default: the probed one) without a token; returns the fresh ticket from the UMA challenge. */
  async freshTicket(resource: string = this.shared.resource): Promise<string> {
    const rs = await this.shared.http.request(resource, { lane: 'rs', kind: 'resource', flowId: this.flowId, followRedirects: true, headers: { ...this.shared.rsHeaders }, secrets: Object.values(this.shared.rsHeaders) });
    const reading = readRsResponse(rs.status, rs.headers, rs.text);
    if (reading.type !== 'uma') throw new SkipCheck(`The resource server gave no new permission ticket (HTTP ${rs.status}).`);
    if (normalizeIssuer(reading.asUri) !== normalizeIssuer(this.shared.asUri)) {
      throw new TesseraError('untrusted_as', `The resource server named a different AS (${reading.asUri}) this time.`, 'The probe only talks to the AS it was started with.');
    }
    this.shared.transcript.annotate(rs.step, { outcome: 'challenge', challenge: { scheme: 'UMA', asUri: reading.asUri, ticket: fingerprint(reading.ticket), source: reading.source } });
    return reading.ticket;
  }

  /** The resource with an RPT. */
  async resourceWith(rpt: string): Promise<HttpResult> {
    const headers = Object.fromEntries(Object.entries(this.shared.rsHeaders).filter(([k]) => k.toLowerCase() !== 'authorization'));
    return this.shared.http.request(this.shared.resource, { lane: 'rs', kind: 'resource', flowId: this.flowId, followRedirects: true, headers: { ...headers, authorization: `Bearer ${rpt}` }, secrets: [rpt] });
  }

  /**
   * A UMA grant request; `raw` sends exactly those form parameters. `resource`: the resource the
   * ticket is for (default the probed one), named in what the probe leaves at the AS.
   */
  async token(params: UmaTokenParams | { raw: URLSearchParams; secrets?: string[] }, client: ClientCredentials = this.client, resource: string = this.shared.resource, dpop?: RequestContext['dpop']): Promise<TokenObservation> {
    // With `dpop` the request carries a proof of that handle's key (raw: a use_dpop_nonce answer is returned as it is).
    const requestContext = dpop ? { ...this.requestContext, dpop } : this.requestContext;
    const response = 'raw' in params
      ? await umaTokenRequestRaw(this.metadata, client, params.raw, requestContext, params.secrets ?? [])
      : await umaTokenRequest(this.metadata, client, params, requestContext);
    const text = await response.clone().text();
    let json: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = text ? JSON.parse(text) : undefined;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    const result = await processUmaTokenResponse(response);
    const step = this.lastStep('token');
    const sentTicket = 'raw' in params ? params.raw.get('ticket') ?? undefined : params.ticket;
    const observation: TokenObservation = { check: this.checkId, status: response.status, headers: response.headers, ...(json ? { json } : {}), contentType: response.headers.get('content-type') ?? '', result, ...(sentTicket ? { sentTicket } : {}), ...(step ? { step } : {}) };
    if (step) this.shared.transcript.annotate(step, { outcome: outcomeOf(result) });
    this.shared.observations.push(observation);
    if (result.type === 'request_submitted') {
      const description = pendingDescription(resource);
      const known = this.shared.created.find((c) => c.kind === 'pending_request' && c.description === description);
      if (known) known.count = (known.count ?? 1) + 1;
      else this.noteCreated({ kind: 'pending_request', description, cleanedUp: false, count: 1 });
    }
    if (result.type === 'token') {
      this.noteCreated({ kind: 'rpt', description: `RPT ${fingerprint(result.token.accessToken)}`, cleanedUp: false });
      this.shared.revocable.push({ token: result.token.accessToken, hint: 'access_token' });
      if (result.token.refreshToken) {
        this.noteCreated({ kind: 'refresh_token', description: `refresh token ${fingerprint(result.token.refreshToken)}`, cleanedUp: false });
        this.shared.revocable.push({ token: result.token.refreshToken, hint: 'refresh_token' });
      }
      if (result.token.pct) {
        this.noteCreated({ kind: 'pct', description: `PCT ${fingerprint(result.token.pct)}`, cleanedUp: false });
        this.shared.revocable.push({ token: result.token.pct, hint: 'pct' });
      }
    }
    return observation;
  }

  noteCreated(item: Omit<CreatedItem, 'check'>): void {
    if (this.shared.created.some((c) => c.description === item.description)) return;
    this.shared.created.push({ ...item, check: this.checkId });
  }

  markCleaned(descriptionPart: string): void {
    for (const c of this.shared.created) if (c.description.includes(descriptionPart)) c.cleanedUp = true;
  }

  lastStep(kind: TranscriptStep['kind']): TranscriptStep | undefined {
    const steps = this.shared.transcript.flow(this.flowId);
    for (let i = steps.length - 1; i >= 0; i--) if (steps[i]?.kind === kind) return steps[i];
    return undefined;
  }

  /** Runs `fn` once per probe (shared state such as "an RPT obtained with the given claims"). */
  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.shared.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.shared.memo.set(key, p);
    }
    return p;
  }

  /**
   * An RPT obtained the ordinary way: fresh ticket, the first claim token given (if any). Shared by
   * the PCT, upgrade, refresh and revocation checks; skips them when the AS does not grant.
   */
  async grant(options: { fresh?: boolean } = {}): Promise<{ token: GrantedToken; claim?: ClaimToken }> {
    const obtain = async () => {
      const claim = this.shared.claimTokens[0];
      const obs = await this.token({ ticket: await this.freshTicket(), ...(claim ? { claimToken: claim } : {}) });
      return { obs, claim };
    };
    const got = options.fresh ? await obtain() : await this.once('grant', obtain);
    if (got.obs.result.type !== 'token') {
      throw new SkipCheck(`No RPT to work with: the AS answered ${describeResult(got.obs)} to ${got.claim ? 'the request with the given claim token' : 'a request without claims (give a claim token to probe further)'}.`);
    }
    return { token: got.obs.result.token, ...(got.claim ? { claim: got.claim } : {}) };
  }
}

/** How the probe lists an access request it left waiting for the resource owner. */
export const pendingDescription = (resource: string): string => `access request for ${resource} waiting for the resource owner`;

export function outcomeOf(result: GrantResult): NonNullable<TranscriptStep['outcome']> {
  switch (result.type) {
    case 'token': return 'rpt_issued';
    case 'need_info': return 'need_info';
    case 'request_submitted': return 'request_submitted';
    case 'denied': return 'denied';
    case 'invalid_ticket': return 'invalid_ticket';
    case 'invalid_pct': return 'invalid_pct';
    case 'invalid_rpt': return 'invalid_rpt';
    case 'invalid_scope': return 'invalid_scope';
    default: return 'error';
  }
}

/** A short human description of a token-endpoint answer: status, error and description. */
export function describeResult(obs: Pick<TokenObservation, 'status' | 'json' | 'result'>): string {
  if (obs.result.type === 'token') return `${obs.status} with an RPT`;
  const error = typeof obs.json?.error === 'string' ? obs.json.error : undefined;
  const description = typeof obs.json?.error_description === 'string' ? obs.json.error_description : undefined;
  return `${obs.status}${error ? ` ${error}` : ' (no OAuth error)'}${description ? ` ("${description.length > 120 ? `${description.slice(0, 117)}…` : description}")` : ''}`;
}
