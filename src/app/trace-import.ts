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

const MAX_STEPS = 5000;
const text = (max: number) => z.string().max(max);
const headers = z.record(text(200), text(16 * 1024));
const lane = z.enum(['rs', 'as', 'idp', 'browser']);
const errorView = z.object({ code: text(100), message: text(4000), hint: text(4000), spec: text(2048).optional() });
const jsonObject = z.record(z.string().max(200), z.unknown());

export const stepSchema = z.object({
  id: text(200), flowId: text(200), time: text(64), duration: z.number().min(0).max(1e9), lane, kind: text(40), method: text(20), url: text(8192),
  status: z.number().int().min(0).max(999).nullable(),
  request: z.object({ headers, body: text(256 * 1024).optional() }),
  response: z.object({ headers, body: text(256 * 1024).optional(), bodySize: z.number().min(0).optional() }).optional(),
  tokens: z.array(z.object({ fingerprint: text(100), length: z.number().int().min(0), jwt: z.object({ header: jsonObject, claims: jsonObject }).optional() })).max(100).optional(),
  challenge: z.object({ scheme: text(40), asUri: text(2048).optional(), realm: text(400).optional(), ticket: text(100).optional() }).optional(),
  outcome: text(40).optional(), note: text(4000).optional(), error: errorView.optional(),
});

const outcome = z.enum(['granted', 'denied', 'need_info', 'pending', 'untrusted_as', 'as_unreachable', 'error']);
export const flowSchema = z.object({
  flowId: text(200), url: text(8192), title: text(400).optional(), startedAt: text(64), running: z.boolean(), outcome: outcome.optional(),
  status: z.number().int().nullable().optional(), error: errorView.optional(), asIssuer: text(2048).optional(),
  needInfo: z.unknown().optional(), pending: z.unknown().optional(),
  steps: z.array(stepSchema).max(MAX_STEPS),
});

/** The Tessera JSON export. */
export const tesseraExportSchema = z.object({ exportedAt: text(64).optional(), note: text(1000).optional(), flows: z.array(flowSchema).max(500) });

const harHeader = z.object({ name: text(200), value: text(16 * 1024) });
const harEntry = z.object({
  pageref: text(200).optional(), startedDateTime: text(64), time: z.number().min(-1).max(1e9),
  request: z.object({ method: text(20), url: text(8192), headers: z.array(harHeader).max(200), postData: z.object({ mimeType: text(200).optional(), text: text(256 * 1024).optional() }).optional() }),
  response: z.object({ status: z.number().int().min(0).max(999), headers: z.array(harHeader).max(200), content: z.object({ size: z.number().optional(), text: text(256 * 1024).optional() }).optional() }),
  comment: text(8000).optional(),
  /** Tessera's own fields (HAR allows `_`-prefixed extensions): what a HAR cannot say. */
  _tessera: z.object({ lane, kind: text(40), outcome: text(40).optional(), note: text(4000).optional(), challenge: stepSchema.shape.challenge, tokens: stepSchema.shape.tokens, error: errorView.optional() }).optional(),
});
export const harSchema = z.object({
  log: z.object({
    version: text(20).optional(),
    pages: z.array(z.object({ id: text(200), startedDateTime: text(64), title: text(8192).optional() })).max(500).optional(),
    entries: z.array(harEntry).max(MAX_STEPS),
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
    const h = (list: { name: string; value: string }[]) => Object.fromEntries(list.map((x) => [x.name.toLowerCase(), x.value]));
    const step: StepView = {
      id: `${flowId}:${i}`, flowId, time: e.startedDateTime, duration: Math.max(0, e.time), lane: t?.lane ?? guessLane(e.request.url), kind: t?.kind ?? 'other',
      method: e.request.method, url: e.request.url, status: e.response.status === 0 ? null : e.response.status,
      request: { headers: h(e.request.headers), ...(e.request.postData?.text !== undefined ? { body: e.request.postData.text } : {}) },
      ...(e.response.status === 0 ? {} : { response: { headers: h(e.response.headers), ...(e.response.content?.text !== undefined ? { body: e.response.content.text } : {}) } }),
      ...(t?.outcome ? { outcome: t.outcome } : {}), ...(t?.note ? { note: t.note } : {}), ...(t?.error ? { error: t.error } : {}),
      ...(t?.challenge ? { challenge: t.challenge } : {}), ...(t?.tokens ? { tokens: t.tokens } : {}),
    };
    flow.steps.push(step);
  });
  return [...flows.values()];
}

/** Looks like a raw JWT: an imported trace that carries one was not redacted, and is refused. */
const RAW_JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/**
 * Parses an imported trace (Tessera JSON export or HAR). Throws {@link TraceImportError} with a
 * readable reason when the file is neither, is malformed, or still holds a raw token.
 */
export function parseTrace(source: string): { format: 'tessera' | 'har'; flows: FlowView[] } {
  if (source.length > 32 * 1024 * 1024) throw new TraceImportError('The file is larger than 32 MB.');
  let data: unknown;
  try { data = JSON.parse(source); } catch { throw new TraceImportError('The file is not JSON (a Tessera export or a HAR file is).'); }
  if (RAW_JWT.test(source)) throw new TraceImportError('The file contains what looks like a raw token; Tessera opens only redacted traces.');
  const isHar = typeof data === 'object' && data !== null && 'log' in data;
  const parsed = isHar ? harSchema.safeParse(data) : tesseraExportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TraceImportError(`Not a valid ${isHar ? 'HAR file' : 'Tessera export'}: ${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'invalid'}.`);
  }
  const flows = isHar ? fromHar(parsed.data as z.infer<typeof harSchema>) : ((parsed.data as z.infer<typeof tesseraExportSchema>).flows as FlowView[]).map((f) => ({ ...f, running: false }));
  return { format: isHar ? 'har' : 'tessera', flows };
}

export type ImportedTrace = ReturnType<typeof parseTrace> & { name: string };
