/**
 * The transcript: every HTTP exchange the engine makes becomes one redacted {@link TranscriptStep}.
 * The app renders steps as a sequence diagram and exports them as HAR, so a step keeps the full
 * (redacted) request and response; the CLI prints them with `--json`.
 */
import type { ErrorInfo } from './errors';
import type { DpopProofInfo } from './dpop-proof';
import type { TokenDescription } from './redact';

import type { Lane } from './outcome';
export type { Lane } from './outcome';

/**
 * What an exchange is for (resource, discovery, token, registration, interaction, …).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export type StepKind =
  | 'resource'
  | 'discovery'
  | 'token'
  | 'registration'
  | 'interaction'
  | 'refresh'
  | 'revocation'
  | 'identity'
  /** OpenID provider discovery (`/.well-known/openid-configuration`). */
  | 'oidc_discovery'
  /** The provider's signing keys (`jwks_uri`), fetched to verify an ID token. */
  | 'jwks'
  /** The browser leg of a sign-in: the system browser goes to the authorization endpoint. */
  | 'signin'
  /** The browser leg of a sign-out: RP-initiated logout at `end_session_endpoint`. */
  | 'logout'
  | 'other';

/**
 * UMA meaning of an exchange, when it has one.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export type StepOutcome =
  | 'granted'
  | 'challenge'
  | 'as_unreachable'
  | 'rpt_issued'
  | 'need_info'
  | 'request_submitted'
  | 'denied'
  | 'invalid_ticket'
  | 'invalid_pct'
  | 'invalid_rpt'
  | 'invalid_scope'
  | 'error';

/**
 * A request or response as recorded: redacted headers and body, and the body's size.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export interface RecordedMessage {
  headers: Record<string, string>;
  /** Redacted body text, truncated to {@link MAX_RECORDED_BODY} characters. */
  body?: string;
  bodyTruncated?: boolean;
  /** Size of the (unredacted) body in bytes. */
  bodySize?: number;
}

/**
 * The UMA reading of a resource server's challenge, as recorded (the ticket by fingerprint only).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2
 */
export interface ParsedChallengeInfo {
  scheme: string;
  asUri?: string;
  realm?: string;
  /** Fingerprint of the ticket, never the ticket. */
  ticket?: string;
  params?: Record<string, string>;
  source: 'header' | 'body';
}

/**
 * One HTTP exchange, redacted: request, response, tokens by fingerprint, the UMA reading.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export interface TranscriptStep {
  id: string;
  flowId: string;
  /** ISO time the request started. */
  time: string;
  /** Milliseconds from request start to the end of the response body. */
  duration: number;
  lane: Lane;
  kind: StepKind;
  method: string;
  url: string;
  /** HTTP status, or null when no response arrived (network fault, timeout). */
  status: number | null;
  request: RecordedMessage;
  response?: RecordedMessage;
  /** Tokens seen in this exchange, described by fingerprint and decoded JWT claims only. */
  tokens?: TokenDescription[];
  challenge?: ParsedChallengeInfo;
  /** The DPoP proof this request carried (RFC 9449 §4.2), decoded: never the proof itself. */
  dpop?: DpopProofInfo;
  outcome?: StepOutcome;
  /** Free-text note, e.g. "upgrade of held RPT" or "redirect stripped Authorization". */
  note?: string;
  error?: ErrorInfo;
}

/**
 * Characters of a body kept in a transcript step (64 KiB).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export const MAX_RECORDED_BODY = 64 * 1024;

/**
 * Called for every transcript step when it is added and when it is annotated.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export type StepListener = (step: TranscriptStep, event: 'added' | 'updated') => void;

/**
 * Records steps in order and notifies listeners live. Keeps at most `maxSteps` (oldest dropped
 * first) so a long-running app does not grow without bound; listeners see every step.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3
 */
export class Transcript {
  readonly steps: TranscriptStep[] = [];
  readonly #listeners = new Set<StepListener>();
  readonly #byFlow = new Map<string, TranscriptStep[]>();
  readonly #max: number;

  constructor(listener?: StepListener, options: { maxSteps?: number } = {}) {
    if (listener) this.#listeners.add(listener);
    this.#max = options.maxSteps ?? 5000;
  }

  on(listener: StepListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  add(step: TranscriptStep): TranscriptStep {
    this.steps.push(step);
    const flow = this.#byFlow.get(step.flowId);
    if (flow) flow.push(step);
    else this.#byFlow.set(step.flowId, [step]);
    // Trim in chunks (a tenth of the cap), not one step per add: splicing the head of a full array on
    // every exchange made each request O(cap).
    if (this.steps.length > this.#max) {
      const dropped = this.steps.splice(0, this.steps.length - this.#max + Math.ceil(this.#max / 10));
      for (const old of dropped) {
        const list = this.#byFlow.get(old.flowId);
        if (list && list[0] === old) list.shift();
        if (list && list.length === 0) this.#byFlow.delete(old.flowId);
      }
    }
    this.#emit(step, 'added');
    return step;
  }

  /** Adds the UMA reading of an exchange (challenge, outcome, error) after it was recorded. */
  annotate(step: TranscriptStep, patch: Partial<Pick<TranscriptStep, 'challenge' | 'outcome' | 'note' | 'error'>>): void {
    Object.assign(step, patch);
    this.#emit(step, 'updated');
  }

  /** Steps of one flow (one `fetch`). */
  flow(flowId: string): TranscriptStep[] {
    return [...(this.#byFlow.get(flowId) ?? [])];
  }

  #emit(step: TranscriptStep, event: 'added' | 'updated'): void {
    for (const listener of this.#listeners) {
      try {
        listener(step, event);
      } catch {
        // a faulty listener must not break the protocol flow
      }
    }
  }
}
