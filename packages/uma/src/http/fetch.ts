/**
 * The one outbound HTTP client used by the engine, discovery, registration and the token endpoint
 * (through oauth4webapi's `customFetch`). Every request has a timeout, a body-size bound and a
 * redirect limit; redirects are followed by hand so that credentials (Authorization, cookies, the
 * RPT) never follow a redirect to another origin; every hop becomes a redacted transcript step.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.4 (redirects)
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3 (bearer tokens only to their audience)
 */
import { randomUUID } from 'node:crypto';
import { TesseraError } from '../kernel/errors';
import { MAX_RECORDED_BODY, type Lane, type StepKind, type Transcript, type TranscriptStep } from '../kernel/transcript';
import { describeDpopProof } from '../kernel/dpop-proof';
import { Redactor } from '../kernel/redact';
import { transportRefusal } from '../kernel/urls';

/**
 * Timeout, body-size and redirect bounds of every request.
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export interface HttpBounds {
  /** Per-request timeout in milliseconds, each hop included. Default 10 000. */
  timeoutMs: number;
  /** Largest response body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes: number;
  /** Most redirects followed for one request. Default 5. */
  maxRedirects: number;
}

/**
 * Default bounds: 10 s timeout, 1 MiB body, 5 redirects.
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export const DEFAULT_BOUNDS: HttpBounds = { timeoutMs: 10_000, maxBodyBytes: 1024 * 1024, maxRedirects: 5 };

/**
 * One request of the HTTP client: method, headers, body, lane, kind, flow and the secrets to scrub.
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Text bodies are redacted into the transcript; byte bodies are recorded by size only. */
  body?: string | Uint8Array;
  signal?: AbortSignal;
  lane: Lane;
  kind: StepKind;
  flowId: string;
  /** Follow redirects (GET/HEAD resource reads). Token, registration and revocation calls do not. */
  followRedirects?: boolean;
  /** A shorter timeout for this request (milliseconds); never longer than the client's bound. */
  timeoutMs?: number;
  /** Extra secret values to scrub from the step (e.g. the RPT the agent is about to send). */
  secrets?: (string | undefined)[];
}

/**
 * A response of the HTTP client: status, final URL, headers, text and bytes, and its transcript step.
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export interface HttpResult {
  status: number;
  /** Final URL after redirects. */
  url: string;
  headers: Headers;
  /** The body decoded as UTF-8 (meaningful only when {@link isTextual} of its content type). */
  text: string;
  /** The body as received: resources may be PDFs, images, anything. */
  bytes: Uint8Array;
  /** The transcript step of the final hop. */
  step: TranscriptStep;
}

/**
 * The shape of the fetch the HTTP client calls (the global fetch by default).
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Bounds, transcript and underlying fetch of an {@link HttpClient}.
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export interface HttpClientOptions {
  bounds?: Partial<HttpBounds>;
  transcript?: Transcript;
  /** Underlying fetch (tests); defaults to the global fetch (undici). */
  fetch?: FetchLike;
  /** Counts every exchange (benchmarks). */
  onExchange?: (step: TranscriptStep) => void;
}

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'dpop'];
/** One decoder for every response (stateless without `stream: true`). */
const UTF8 = new TextDecoder();
/** Form fields that carry a credential: tokens (RPT, PCT, claim token, ID/refresh token), client secrets and assertions, codes. */
const CREDENTIAL_FIELD = /token|secret|assertion|password|^pct$|^rpt$|^code$|^code_verifier$/i;

/**
 * Whether a request carries a credential (an Authorization-like header, or a token, secret or
 * assertion form field): such a request may only go over https, or plain http to this machine.
 */
export function carriesCredentials(headers: Record<string, string>, body: string | Uint8Array | undefined): boolean {
  if (Object.keys(headers).some((h) => CREDENTIAL_HEADERS.includes(h.toLowerCase()))) return true;
  if (typeof body !== 'string' || body.length === 0) return false;
  const type = Object.entries(headers).find(([h]) => h.toLowerCase() === 'content-type')?.[1] ?? '';
  if (type && !type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return false;
  try {
    return [...new URLSearchParams(body).keys()].some((name) => CREDENTIAL_FIELD.test(name));
  } catch {
    return false;
  }
}

/**
 * Bounded, redacting, transcript-recording HTTP client.
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export class HttpClient {
  readonly bounds: HttpBounds;
  readonly transcript: Transcript | undefined;
  readonly #fetch: FetchLike;
  readonly #onExchange: ((step: TranscriptStep) => void) | undefined;

  constructor(options: HttpClientOptions = {}) {
    this.bounds = { ...DEFAULT_BOUNDS, ...options.bounds };
    this.transcript = options.transcript;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#onExchange = options.onExchange;
  }

  /** Sends a request, following redirects when asked, and records every hop. */
  async request(url: string, request: HttpRequest): Promise<HttpResult> {
    let method = (request.method ?? 'GET').toUpperCase();
    let headers = { ...(request.headers ?? {}) };
    let body = request.body;
    let current = url;
    const startOrigin = new URL(url).origin;
    for (let hop = 0; ; hop++) {
      const result = await this.#exchange(current, method, headers, body, request);
      const location = result.headers.get('location');
      if (!request.followRedirects || !location || ![301, 302, 303, 307, 308].includes(result.status)) return result;
      if (hop >= this.bounds.maxRedirects) {
        throw new TesseraError(
          'too_many_redirects',
          `More than ${this.bounds.maxRedirects} redirects starting at ${new URL(url).origin}.`,
          'The server is redirecting in a loop; check the URL.',
        );
      }
      const next = new URL(location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new TesseraError('rs_error', `Refusing to follow a redirect to a ${next.protocol} URL.`, 'Check the URL.');
      }
      if (next.origin !== startOrigin) {
        const stripped = Object.keys(headers).filter((h) => CREDENTIAL_HEADERS.includes(h.toLowerCase()));
        if (stripped.length > 0) {
          headers = Object.fromEntries(Object.entries(headers).filter(([h]) => !CREDENTIAL_HEADERS.includes(h.toLowerCase())));
          this.transcript?.annotate(result.step, { note: `redirect to ${next.origin}: credentials not forwarded` });
        }
      }
      if (result.status === 303 || ((result.status === 301 || result.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([h]) => h.toLowerCase() !== 'content-type'));
      }
      current = next.href;
    }
  }

  /**
   * A `customFetch` for oauth4webapi that routes its requests through this client (bounds,
   * transcript, no redirects).
   */
  oauthFetch(context: { kind: StepKind; flowId: string; lane?: Lane; signal?: AbortSignal; secrets?: (string | undefined)[] }) {
    return async (url: string, options: { method: string; headers: Record<string, string>; body?: unknown; signal?: AbortSignal }): Promise<Response> => {
      const body = options.body === undefined || options.body === null ? undefined : String(options.body);
      const result = await this.request(url, {
        method: options.method,
        headers: options.headers,
        ...(body !== undefined ? { body } : {}),
        lane: context.lane ?? 'as',
        kind: context.kind,
        flowId: context.flowId,
        ...(context.signal ? { signal: context.signal } : {}),
        ...(context.secrets ? { secrets: context.secrets } : {}),
      });
      const nullBody = [101, 103, 204, 205, 304].includes(result.status);
      return new Response(nullBody ? null : result.text, { status: result.status, headers: result.headers });
    };
  }

  /**
   * A `fetch`-compatible function bound to one lane, kind and flow, for libraries that take a plain
   * fetch (jose's `createRemoteJWKSet` `customFetch` passes a `Headers` object; oauth4webapi a
   * record): both are accepted. Same bounds and transcript as {@link request}; no redirects.
   */
  fetchFor(context: { kind: StepKind; flowId: string; lane: Lane; signal?: AbortSignal; secrets?: (string | undefined)[] }) {
    return async (input: string | URL, init: { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: string | URLSearchParams | null; signal?: AbortSignal | null } = {}): Promise<Response> => {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => { headers[name] = value; });
      const signal = context.signal ?? init.signal ?? undefined;
      const result = await this.request(String(input), {
        method: init.method ?? 'GET',
        headers,
        ...(init.body !== undefined && init.body !== null ? { body: String(init.body) } : {}),
        lane: context.lane,
        kind: context.kind,
        flowId: context.flowId,
        ...(signal ? { signal } : {}),
        ...(context.secrets ? { secrets: context.secrets } : {}),
      });
      const nullBody = [101, 103, 204, 205, 304].includes(result.status);
      return new Response(nullBody ? null : result.text, { status: result.status, headers: result.headers });
    };
  }

  async #exchange(url: string, method: string, headers: Record<string, string>, body: string | Uint8Array | undefined, request: HttpRequest): Promise<HttpResult> {
    const started = Date.now();
    const redactor = new Redactor();
    for (const secret of request.secrets ?? []) redactor.add(secret);
    const step: TranscriptStep = {
      id: randomUUID(),
      flowId: request.flowId,
      time: new Date(started).toISOString(),
      duration: 0,
      lane: request.lane,
      kind: request.kind,
      method,
      url,
      status: null,
      request: { headers: {} },
    };
    // A DPoP proof is kept decoded (header, claims, key thumbprint), never as the replayable JWS.
    const proof = Object.entries(headers).find(([h]) => h.toLowerCase() === 'dpop')?.[1];
    const dpop = proof ? await describeDpopProof(proof) : undefined;
    if (dpop) step.dpop = dpop;
    // One controller for the caller's cancel and our timeout. (AbortSignal.timeout/any are
    // transferable signals and cost more per request than the whole redaction on Node 20.)
    const controller = new AbortController();
    const timeoutMs = request.timeoutMs !== undefined && request.timeoutMs > 0 ? Math.min(request.timeoutMs, this.bounds.timeoutMs) : this.bounds.timeoutMs;
    const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
    timer.unref?.();
    const onCallerAbort = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) onCallerAbort();
    else request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const signal = controller.signal;
    const release = () => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    };
    const finish = (response?: { headers: Record<string, string>; text: string; size: number; contentType: string }) => {
      const textual = response ? isTextual(response.contentType) || response.size === 0 : true;
      redactor.collectHeaders(headers);
      if (typeof body === 'string') redactor.collectBody(body, headers['content-type'] ?? headers['Content-Type'] ?? '');
      if (response) {
        redactor.collectHeaders(response.headers);
        if (textual) redactor.collectBody(response.text, response.contentType);
      }
      step.url = redactor.url(url);
      step.request = {
        headers: redactor.headers(headers, true),
        ...(typeof body === 'string' ? recordBody(redactor, body, headers['content-type'] ?? '') : body !== undefined ? { body: `[${body.byteLength} bytes]` } : {}),
      };
      if (response) {
        const recorded = textual ? recordBody(redactor, response.text, response.contentType) : { body: `[${response.size} bytes of ${response.contentType || 'binary data'}]` };
        step.response = { headers: redactor.headers(response.headers, true), ...recorded, bodySize: response.size };
      }
      if (redactor.tokens.size > 0) step.tokens = [...redactor.tokens.values()];
      step.duration = Date.now() - started;
    };
    const refusal = carriesCredentials(headers, body) ? transportRefusal(url) : undefined;
    if (refusal) {
      // Refused before a byte leaves: a token over plain http to another machine is readable by anyone on the path.
      release();
      finish();
      const failure = refusal;
      step.error = failure.toInfo();
      this.#record(step);
      throw failure;
    }
    let response: Response;
    try {
      response = await this.#fetch(url, { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual', signal });
    } catch (error) {
      release();
      finish();
      const failure = classifyFailure(error, url, timeoutMs, request.signal);
      step.error = failure.toInfo();
      this.#record(step);
      throw failure;
    }
    let bytes: Uint8Array;
    let size: number;
    try {
      ({ bytes, size } = await readBounded(response, this.bounds.maxBodyBytes, url));
    } catch (error) {
      release();
      step.status = response.status;
      finish();
      const failure = error instanceof TesseraError ? error : classifyFailure(error, url, timeoutMs, request.signal);
      step.error = failure.toInfo();
      this.#record(step);
      throw failure;
    }
    release();
    step.status = response.status;
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    const text = UTF8.decode(bytes);
    finish({ headers: responseHeaders, text, size, contentType: response.headers.get('content-type') ?? '' });
    this.#record(step);
    return { status: response.status, url, headers: response.headers, text, bytes, step };
  }

  #record(step: TranscriptStep): void {
    this.transcript?.add(step);
    this.#onExchange?.(step);
  }
}

function recordBody(redactor: Redactor, text: string, contentType: string): { body: string; bodyTruncated?: boolean } {
  const redacted = redactor.body(text, contentType, true);
  return redacted.length > MAX_RECORDED_BODY ? { body: redacted.slice(0, MAX_RECORDED_BODY), bodyTruncated: true } : { body: redacted };
}

/**
 * Whether a body of this media type is text (shown, redacted, printed) rather than bytes (saved).
 * An absent type is treated as text: many ASes omit it on small JSON answers.
 * @see https://mimesniff.spec.whatwg.org/#mime-type-groups
 */
export function isTextual(contentType: string | null | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || /[/+](json|xml)$/.test(type) || type === 'application/x-www-form-urlencoded' || type === 'application/javascript' || type === 'application/jwt';
}

async function readBounded(response: Response, max: number, url: string): Promise<{ bytes: Uint8Array; size: number }> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const tooLarge = () =>
    new TesseraError('body_too_large', `The answer from ${new URL(url).origin} is larger than ${max} bytes.`, 'Raise the body-size limit if this server is trusted.');
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return { bytes: new Uint8Array(0), size: 0 };
  if (Number.isFinite(declared)) {
    // Length known and within bounds: let undici read it in one go (the fast path).
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > max) throw tooLarge();
    return { bytes, size: bytes.byteLength };
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks)), size };
}

function classifyFailure(error: unknown, url: string, timeoutMs: number, callerSignal?: AbortSignal): TesseraError {
  const origin = new URL(url).origin;
  if (callerSignal?.aborted) return new TesseraError('aborted', `Request to ${origin} was cancelled.`, 'Run it again when ready.', { cause: error });
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TesseraError('timeout', `${origin} did not answer within ${timeoutMs} ms.`, 'Check that the server is up, or raise the timeout.', { cause: error });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
  return new TesseraError('network', `Could not reach ${origin}: ${cause}.`, 'Check the URL and that the server is running.', { cause: error });
}
