/**
 * Shareable traces: a Tessera JSON export (`exportTranscript` format `json`) or a HAR 1.2 file of it,
 * parsed and validated at the trust boundary (the file comes from someone else) into read-only
 * {@link FlowView}s for the sequence diagram and presenter mode. Imports nothing but zod and types,
 * so the renderer loads it lazily in the browser, offline.
 *
 * @see http://www.softwareishard.com/blog/har-12-spec/
 */
import { z } from 'zod';
import type { FlowView, StepView } from './api';
import { serverEventFields as demoServerEventFields } from '../demo/event-schema';

const fpText = z.string().regex(/^fp:[A-Za-z0-9_-]{1,40}$/);
/**
 * A real AS's own event (Keycloak's admin events API): its type, the client and user it names, its
 * error and reason; a token id only as a fingerprint.
 * @see https://www.keycloak.org/docs/latest/server_admin/index.html#event-types
 */
export const nativeEventSchema = z.object({ server: z.literal('keycloak'), type: z.string().max(60), client: z.string().max(255).optional(), user: z.string().max(100).optional(), tokenId: fpText.optional(), error: z.string().max(200).optional(), reason: z.string().max(200).optional() });

/**
 * Bounds on an imported trace. Tessera itself keeps 200 flows (src/app/history.ts) of a few dozen
 * exchanges each, with a few dozen headers per message: these leave room for that and refuse the rest
 * before anything is drawn.
 */
export const TRACE_LIMITS = {
  /** Bytes (UTF-16 units) of the file. */
  size: 16 * 1024 * 1024,
  flows: 200,
  stepsPerFlow: 1000,
  stepsTotal: 4000,
  /** Header names per request or response. */
  headersPerMessage: 100,
  /** Keys of any one object anywhere in the file (decoded JWT claims included). */
  keysPerObject: 200,
  /** Items of any one array that has no tighter bound of its own. */
  itemsPerArray: 5000,
  /** Nesting of objects and arrays. */
  depth: 32,
} as const;

/**
 * The hosts of the specifications Tessera cites (packages/uma/src/kernel/errors.ts `SPEC`, the narration). An
 * imported `spec` link elsewhere is dropped: a trace from someone else must not make a link that looks
 * like Tessera's own "Specification" point anywhere else.
 */
export const SPEC_HOSTS: readonly string[] = ['docs.kantarainitiative.org', 'www.rfc-editor.org', 'datatracker.ietf.org', 'openid.net'];

/** An https link to one of {@link SPEC_HOSTS}, with no credentials and the default port. */
export function isSpecLink(href: string): boolean {
  let url: URL;
  try { url = new URL(href); } catch { return false; }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && url.port === '' && SPEC_HOSTS.includes(url.hostname);
}

/** The headers whose values are credentials (as packages/uma/src/kernel/redact.ts redacts them on export). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop']);
/** Tessera's own placeholder of a redacted secret, optionally after an auth scheme (`Bearer [redacted fp:…]`). */
const PLACEHOLDER = /^(?:[A-Za-z0-9_-]+ )?\[redacted fp:[A-Za-z0-9_-]{1,40}\]$/;

/**
 * Credential header values that are not Tessera's placeholders (a HAR from a browser's devtools: an
 * opaque Bearer token, a session cookie) replaced by `[redacted on import]`, keeping an Authorization
 * scheme: a token that was not redacted must not reach the screen, a screenshot or an exported deck.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-5.3
 */
export function redactImportedHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    const lower = name.toLowerCase();
    const scheme = lower.endsWith('authorization') ? /^\s*([A-Za-z0-9_-]+)\s+\S/.exec(value)?.[1] : undefined;
    out[name] = !CREDENTIAL_HEADERS.has(lower) || PLACEHOLDER.test(value.trim()) ? value : `${scheme ? `${scheme} ` : ''}[redacted on import]`;
  }
  return out;
}

/**
 * The member and parameter names whose values are secrets: the engine's own list
 * (packages/uma/src/kernel/redact.ts `SECRET_NAMES`, kept equal by a test; not imported, so this module
 * stays free of Node). A value under one of them in an imported URL or body that is not a placeholder
 * is replaced by {@link REDACTED_ON_IMPORT}.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.3
 */
export const IMPORT_SECRET_NAMES: readonly string[] = ['access_token', 'refresh_token', 'id_token', 'pct', 'rpt', 'ticket', 'claim_token', 'client_secret', 'client_assertion', 'subject_token', 'code', 'code_verifier', 'token', 'registration_access_token', 'password', 'assertion', 'state', 'private_key', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
/** In URLs and forms the private-JWK members (`q`, `p`, `k`…) are ordinary parameters such as a search. */
const SECRET_PARAMS = new Set(IMPORT_SECRET_NAMES.filter((n) => n.length > 2 && n !== 'private_key'));
const REDACTED_ON_IMPORT = '[redacted on import]';
// Only the secret names are matched (not every member, then filtered), placeholders skipped by a
// lookahead, and the replacement a plain string: a body of 10⁴ secret members costs no callbacks.
const KEPT = String.raw`\[redacted (?:fp:[A-Za-z0-9_-]{1,40}|on import)\]`;
const JSON_SECRET = new RegExp(String.raw`"(${IMPORT_SECRET_NAMES.join('|')})"(\s*:\s*)"(?!${KEPT}")(?:[^"\\]|\\.)*"`, 'gi');
const FORM_SECRET = new RegExp(String.raw`(^|&)(${[...SECRET_PARAMS].join('|')})=(?!(?:${KEPT}|%5Bredacted(?:%20|\+)(?:fp%3A[A-Za-z0-9_-]{1,40}|on(?:%20|\+)import)%5D)(?:&|$))[^&]*`, 'gi');
/** A member whose name holds an escape (`"acc\u0065ss_token"`): rare, so its name is decoded (RFC 8259 §7) and checked one by one. */
const JSON_ESCAPED_NAME = new RegExp(String.raw`"((?:[^"\\]|\\.){0,200}?\\(?:[^"\\]|\\.){0,200}?)"(\s*:\s*)"(?!${KEPT}")(?:[^"\\]|\\.)*"`, 'g');
const SECRET_NAME_SET = new Set(IMPORT_SECRET_NAMES);
function secretEscapedName(member: string, name: string, colon: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(`"${name}"`);
  } catch {
    return member;
  }
  return typeof decoded === 'string' && SECRET_NAME_SET.has(decoded.toLowerCase()) ? `"${name}"${colon}"${REDACTED_ON_IMPORT}"` : member;
}
const isRedacted = (value: string) => /^\[redacted (?:fp:[A-Za-z0-9_-]{1,40}|on import)\]$/.test(value);

/** A URL with secret-named query parameters redacted (rewritten only when one is). */
function redactImportedUrl(url: string): string {
  if (!url.includes('?') || !URL.canParse(url)) return url;
  const u = new URL(url);
  let changed = false;
  for (const [name, value] of [...u.searchParams]) {
    if (SECRET_PARAMS.has(name.toLowerCase()) && !isRedacted(value)) {
      u.searchParams.set(name, REDACTED_ON_IMPORT);
      changed = true;
    }
  }
  return changed ? u.href : url;
}

/** A form or JSON body with secret-named values redacted; linear (regular expressions without nesting). */
function redactImportedBody(body: string): string {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const plain = body.replace(JSON_SECRET, `"$1"$2"${REDACTED_ON_IMPORT}"`);
    return plain.includes('\\') ? plain.replace(JSON_ESCAPED_NAME, secretEscapedName) : plain;
  }
  if (!/^[^=&\s]+=/.test(trimmed)) return body;
  return body.replace(FORM_SECRET, `$1$2=${REDACTED_ON_IMPORT}`);
}

/** One imported step with secrets in its URL, bodies and `Location` redacted (headers are done by the schema). */
function redactImportedStep(step: StepView): StepView {
  const location = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, k.toLowerCase() === 'location' ? redactImportedUrl(v) : v]));
  return {
    ...step,
    url: redactImportedUrl(step.url),
    request: { ...step.request, ...(step.request.body !== undefined ? { body: redactImportedBody(step.request.body) } : {}) },
    ...(step.response ? { response: { ...step.response, headers: location(step.response.headers), ...(step.response.body !== undefined ? { body: redactImportedBody(step.response.body) } : {}) } } : {}),
  };
}

const text = (max: number) => z.string().max(max);
const headers = z.record(text(200), text(16 * 1024))
  .refine((h) => Object.keys(h).length <= TRACE_LIMITS.headersPerMessage, { message: `more than ${TRACE_LIMITS.headersPerMessage} headers` })
  .transform(redactImportedHeaders);
const lane = z.enum(['rs', 'as', 'idp', 'browser']);
const errorView = z.object({ code: text(100), message: text(4000), hint: text(4000), spec: text(2048).optional() })
  // Not refused: the error still reads; only a link outside the allow-list is dropped.
  .transform(({ spec, ...rest }) => (spec !== undefined && isSpecLink(spec) ? { ...rest, spec } : rest));
const jsonObject = z.record(z.string().max(200), z.unknown());

export const stepSchema = z.object({
  id: text(200), flowId: text(200), time: text(64), duration: z.number().min(0).max(1e9), lane, kind: text(40), method: text(20), url: text(8192),
  status: z.number().int().min(0).max(999).nullable(),
  request: z.object({ headers, body: text(256 * 1024).optional() }),
  response: z.object({ headers, body: text(256 * 1024).optional(), bodySize: z.number().min(0).optional() }).optional(),
  tokens: z.array(z.object({ fingerprint: text(100), length: z.number().int().min(0), jwt: z.object({ header: jsonObject, claims: jsonObject }).optional() })).max(100).optional(),
  challenge: z.object({ scheme: text(40), asUri: text(2048).optional(), realm: text(400).optional(), ticket: text(100).optional() }).optional(),
  /** A DPoP proof as Tessera records it (decoded, `ath` a fingerprint; RFC 9449 §4.2): unknown members dropped. */
  dpop: z.object({
    header: z.object({ typ: text(40).optional(), alg: text(40).optional(), jwk: z.object(Object.fromEntries(['kty', 'crv', 'x', 'y', 'n', 'e', 'alg', 'kid', 'use'].map((k) => [k, text(1024).optional()])))
      .transform((j) => Object.fromEntries(Object.entries(j).filter((e): e is [string, string] => typeof e[1] === 'string'))).optional() }),
    claims: z.object({ htm: text(20).optional(), htu: text(8192).optional(), iat: z.number().finite().optional(), jti: text(512).optional(), nonce: text(2048).optional(), ath: text(100).optional() }),
    jkt: text(64).optional(),
  }).optional(),
  outcome: text(40).optional(), note: text(4000).optional(), error: errorView.optional(),
});

/**
 * A server's event without its id: one definition, the demo's (src/demo/event-schema.ts), the same
 * fields on the demo's stream (src/app/server-events.ts) and in an exported flow's `server.events`.
 */
export const serverEventFields = demoServerEventFields.extend({
  /** An event a real AS published in its own terms (Keycloak's admin events API, src/app/keycloak-events.ts); the demo never sets it. */
  native: nativeEventSchema.optional(),
});

const outcome = z.enum(['granted', 'denied', 'need_info', 'pending', 'untrusted_as', 'as_unreachable', 'error']);
export const flowSchema = z.object({
  flowId: text(200), url: text(8192), title: text(400).optional(), startedAt: text(64), running: z.boolean(), outcome: outcome.optional(),
  status: z.number().int().nullable().optional(), error: errorView.optional(), asIssuer: text(2048).optional(),
  needInfo: z.unknown().optional(), pending: z.unknown().optional(),
  steps: z.array(stepSchema).max(TRACE_LIMITS.stepsPerFlow),
  server: z.object({ visible: z.boolean(), source: z.enum(['demo', 'keycloak']).optional(), events: z.array(serverEventFields.extend({ id: text(40) })).max(TRACE_LIMITS.stepsPerFlow) }).optional(),
});

/** The Tessera JSON export. */
export const tesseraExportSchema = z.object({ exportedAt: text(64).optional(), note: text(1000).optional(), flows: z.array(flowSchema).max(TRACE_LIMITS.flows) });

const harHeader = z.object({ name: text(200), value: text(16 * 1024) });
const harEntry = z.object({
  pageref: text(200).optional(), startedDateTime: text(64), time: z.number().min(-1).max(1e9),
  request: z.object({ method: text(20), url: text(8192), headers: z.array(harHeader).max(TRACE_LIMITS.headersPerMessage), postData: z.object({ mimeType: text(200).optional(), text: text(256 * 1024).optional() }).optional() }),
  response: z.object({ status: z.number().int().min(0).max(999), headers: z.array(harHeader).max(TRACE_LIMITS.headersPerMessage), content: z.object({ size: z.number().optional(), text: text(256 * 1024).optional() }).optional() }),
  comment: text(8000).optional(),
  /** Tessera's own fields (HAR allows `_`-prefixed extensions): what a HAR cannot say. */
  _tessera: z.object({ lane, kind: text(40), outcome: text(40).optional(), note: text(4000).optional(), challenge: stepSchema.shape.challenge, tokens: stepSchema.shape.tokens, dpop: stepSchema.shape.dpop, error: errorView.optional() }).optional(),
});
export const harSchema = z.object({
  log: z.object({
    version: text(20).optional(),
    pages: z.array(z.object({ id: text(200), startedDateTime: text(64), title: text(8192).optional() })).max(TRACE_LIMITS.flows).optional(),
    entries: z.array(harEntry).max(TRACE_LIMITS.stepsTotal),
  }),
});

export class TraceImportError extends Error {}

/** Lane of a foreign HAR entry: UMA discovery and token endpoints are the AS; the rest the RS. */
function guessLane(url: string): StepView['lane'] {
  return /\/\.well-known\/(uma2-configuration|openid-configuration|oauth-authorization-server)|\/token\b|\/register\b|\/introspect/.test(url) ? 'as' : 'rs';
}

function fromHar(har: z.infer<typeof harSchema>): FlowView[] {
  const flows = new Map<string, FlowView>();
  const titles = new Map((har.log.pages ?? []).map((p) => [p.id, p]));
  har.log.entries.forEach((e, i) => {
    const flowId = e.pageref ?? 'har';
    let flow = flows.get(flowId);
    if (!flow) {
      const page = titles.get(flowId);
      flow = { flowId, url: e.request.url, ...(page?.title ? { title: page.title } : {}), startedAt: page?.startedDateTime ?? e.startedDateTime, running: false, steps: [] };
      flows.set(flowId, flow);
    }
    const t = e._tessera;
    const h = (list: { name: string; value: string }[]) => redactImportedHeaders(Object.fromEntries(list.map((x) => [x.name.toLowerCase(), x.value])));
    const step: StepView = {
      id: `${flowId}:${i}`, flowId, time: e.startedDateTime, duration: Math.max(0, e.time), lane: t?.lane ?? guessLane(e.request.url), kind: t?.kind ?? 'other',
      method: e.request.method, url: e.request.url, status: e.response.status === 0 ? null : e.response.status,
      request: { headers: h(e.request.headers), ...(e.request.postData?.text !== undefined ? { body: e.request.postData.text } : {}) },
      ...(e.response.status === 0 ? {} : { response: { headers: h(e.response.headers), ...(e.response.content?.text !== undefined ? { body: e.response.content.text } : {}) } }),
      ...(t?.outcome ? { outcome: t.outcome } : {}), ...(t?.note ? { note: t.note } : {}), ...(t?.error ? { error: t.error } : {}),
      ...(t?.challenge ? { challenge: t.challenge } : {}), ...(t?.tokens ? { tokens: t.tokens } : {}), ...(t?.dpop ? { dpop: t.dpop } : {}),
    };
    flow.steps.push(step);
  });
  return [...flows.values()];
}

/**
 * Does the text hold what looks like a raw JWT (`eyJ….eyJ….…`)? An imported trace that carries one was
 * not redacted, and is refused. Linear in the text: one pass over runs of base64url-and-dot characters,
 * then a split of each run (a single backtracking regex is quadratic on `eyJeyJeyJ…`).
 */
export function holdsRawJwt(source: string): boolean {
  const runs = /[A-Za-z0-9_.-]{29,}/g;
  for (let m = runs.exec(source); m; m = runs.exec(source)) {
    const parts = m[0].split('.');
    for (let i = 0; i + 2 < parts.length; i++) {
      const [a, b, c] = [parts[i] ?? '', parts[i + 1] ?? '', parts[i + 2] ?? ''];
      if (a.length >= 11 && b.length >= 11 && c.length >= 8 && a.includes('eyJ') && b.startsWith('eyJ')) {
        // The header may start anywhere in the run (`Bearer` is outside it, but `x=eyJ…` is not).
        if (/eyJ[A-Za-z0-9_-]{8,}$/.test(a)) return true;
      }
    }
  }
  return false;
}

/**
 * Scans the file's text once, before `JSON.parse`: keys per object, items per array and nesting
 * bounded ({@link TRACE_LIMITS}). Parsing is what is slow on a flood (V8 takes about half a second
 * for one object of 10⁵ keys on a busy machine), so a hostile file is refused before it is parsed,
 * validated, copied or drawn. Returns the first problem with where it is (`file.flows.0.…`), or
 * nothing (malformed JSON is left to `JSON.parse` to refuse).
 */
export function shapeProblem(source: string): string | undefined {
  // One entry per open object or array: its kind, members so far, and the key being read.
  const stack: { object: boolean; count: number; key: string; max: number }[] = [];
  // Arrays with bounds of their own, by the key that holds them: refused at the first item too many.
  const own: Record<string, number> = { flows: TRACE_LIMITS.flows, steps: TRACE_LIMITS.stepsPerFlow, entries: TRACE_LIMITS.stepsTotal, pages: TRACE_LIMITS.flows };
  const path = () => ['file', ...stack.slice(0, -1).map((e) => (e.object ? e.key.slice(0, 40) : String(e.count)))].join('.');
  let keyFrom = 0;
  let keyTo = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 34 /* " */) {
      let q = source.indexOf('"', i + 1);
      for (;;) {
        if (q < 0) return undefined;
        let slashes = 0;
        while (source.charCodeAt(q - 1 - slashes) === 92 /* \ */) slashes++;
        if (slashes % 2 === 0) break;
        q = source.indexOf('"', q + 1);
      }
      keyFrom = i + 1;
      keyTo = q;
      i = q;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      const parent = stack.at(-1);
      const max = c === 91 && parent?.object && stack.length <= 3 ? own[parent.key] ?? TRACE_LIMITS.itemsPerArray : TRACE_LIMITS.itemsPerArray;
      stack.push({ object: c === 123, count: 0, key: '', max });
      if (stack.length > TRACE_LIMITS.depth) return `${path()} is nested more than ${TRACE_LIMITS.depth} deep`;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 58 /* : */) {
      const top = stack.at(-1);
      if (top?.object) {
        top.key = source.slice(keyFrom, Math.min(keyTo, keyFrom + 40));
        if (++top.count > TRACE_LIMITS.keysPerObject) return `${path()} has more than ${TRACE_LIMITS.keysPerObject} keys`;
      }
    } else if (c === 44 /* , */) {
      const top = stack.at(-1);
      // Items are commas + 1; the array's index in a path is the item being read.
      if (top && !top.object && ++top.count >= top.max) return `${path()} has more than ${top.max} items`;
    }
  }
  return undefined;
}

/** Flows, steps per flow and steps in all against {@link TRACE_LIMITS}, in words. */
function countFlows(stepsPerFlow: number[]): string | undefined {
  const total = stepsPerFlow.reduce((n, s) => n + s, 0);
  const longest = Math.max(0, ...stepsPerFlow);
  if (stepsPerFlow.length > TRACE_LIMITS.flows) return `The trace has ${stepsPerFlow.length} flows; Tessera opens at most ${TRACE_LIMITS.flows}.`;
  if (longest > TRACE_LIMITS.stepsPerFlow) return `A flow has ${longest} exchanges; Tessera opens at most ${TRACE_LIMITS.stepsPerFlow} per flow.`;
  if (total > TRACE_LIMITS.stepsTotal) return `The trace has ${total} exchanges in all; Tessera opens at most ${TRACE_LIMITS.stepsTotal}.`;
  return undefined;
}

/** The counts of a Tessera export, read before the schema so that a flood is refused in words. */
function countProblem(data: unknown, isHar: boolean): string | undefined {
  if (isHar) {
    const entries = (data as { log?: { entries?: unknown } }).log?.entries;
    return Array.isArray(entries) && entries.length > TRACE_LIMITS.stepsTotal ? `The trace has ${entries.length} exchanges in all; Tessera opens at most ${TRACE_LIMITS.stepsTotal}.` : undefined;
  }
  const flows = (data as { flows?: unknown } | null)?.flows;
  if (!Array.isArray(flows)) return undefined;
  return countFlows(flows.map((f) => { const steps = (f as { steps?: unknown } | null)?.steps; return Array.isArray(steps) ? steps.length : 0; }));
}

/**
 * Parses an imported trace (Tessera JSON export or HAR). Throws {@link TraceImportError} with a
 * readable reason when the file is neither, is malformed, or still holds a raw token.
 */
export function parseTrace(source: string): { format: 'tessera' | 'har'; flows: FlowView[] } {
  if (source.length > TRACE_LIMITS.size) throw new TraceImportError(`The file is larger than ${TRACE_LIMITS.size / 1024 / 1024} MB.`);
  const problem = shapeProblem(source);
  if (problem) throw new TraceImportError(`The trace is larger than Tessera opens: ${problem}.`);
  let data: unknown;
  try { data = JSON.parse(source); } catch { throw new TraceImportError('The file is not JSON (a Tessera export or a HAR file is).'); }
  // Scanned as re-serialised, so a JWT spelled with JSON escapes (`\u002e` for its dots) is seen as
  // the renderer will show it; a percent-encoded one (`%2E`, in a URL) too.
  const normal = JSON.stringify(data);
  if (holdsRawJwt(normal) || (/%2e/i.test(normal) && holdsRawJwt(normal.replace(/%2e/gi, '.')))) throw new TraceImportError('The file contains what looks like a raw token; Tessera opens only redacted traces.');
  const isHar = typeof data === 'object' && data !== null && 'log' in data;
  const counted = countProblem(data, isHar);
  if (counted) throw new TraceImportError(counted);
  const parsed = isHar ? harSchema.safeParse(data) : tesseraExportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TraceImportError(`Not a valid ${isHar ? 'HAR file' : 'Tessera export'}: ${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'invalid'}.`);
  }
  const flows = isHar ? fromHar(parsed.data as z.infer<typeof harSchema>) : ((parsed.data as z.infer<typeof tesseraExportSchema>).flows as FlowView[]).map((f) => ({ ...f, running: false }));
  // A HAR's pages are counted only once its entries are grouped.
  const grouped = countFlows(flows.map((f) => f.steps.length));
  if (grouped) throw new TraceImportError(grouped);
  return { format: isHar ? 'har' : 'tessera', flows: flows.map((f) => ({ ...f, url: redactImportedUrl(f.url), steps: f.steps.map(redactImportedStep) })) };
}

export type ImportedTrace = ReturnType<typeof parseTrace> & { name: string };
