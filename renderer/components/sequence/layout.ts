/**
 * Sequence-diagram layout for a flow: five lifelines (the person's browser, Tessera, the resource
 * server, the authorization server, the identity provider), one solid arrow per request and one
 * dashed return per response, each labelled with its UMA meaning, and the tokens that travel as
 * chips on the arrows. A pure function of the steps, so it is tested without a DOM and measured in
 * the benchmark.
 *
 * Own module rather than a library: the diagram has a fixed set of lanes and one message per row, so
 * the whole layout is arithmetic; Mermaid-class libraries add hundreds of KB gzip to the bundle and
 * lay out text we already know, and none draws token chips.
 */
import type { ServerEventView, StepView } from '../../../src/app/api';
import { TokenNamer, tokensOf, type TokenRole } from './tokens';
import { serverMessages, type IssuerName } from './server-side';

export type LaneId = 'browser' | 'tessera' | 'rs' | 'as' | 'owner' | 'idp';
/** The lanes of the client's view; "End to end" adds the owner (Kate) beside her AS. */
export const LANES: { id: LaneId; label: string }[] = [
  { id: 'browser', label: 'Person (browser)' },
  { id: 'tessera', label: 'Tessera' },
  { id: 'rs', label: 'Resource server' },
  { id: 'as', label: 'Authorization server' },
  { id: 'idp', label: 'Identity provider' },
];
export const OWNER_LANE = { id: 'owner' as const, label: 'Owner (Kate)' };

/**
 * A token on an arrow. `scheme` (RPTs): how it travels or was issued — `DPoP` (bound to Tessera's
 * key, RFC 9449) or `Bearer` — from the Authorization scheme or the token response's `token_type`.
 */
export interface Chip { role: TokenRole; name: string; fingerprint: string; inferred?: boolean; scheme?: 'DPoP' | 'Bearer' }

/** A thumbprint's short form for a chip: its first 8 characters. */
export const shortJkt = (jkt: string | undefined): string => (jkt ? jkt.slice(0, 8) : 'key?');
/** The key thumbprint a DPoP chip stands for (its fingerprint is `jkt:…`), or undefined. */
export const chipJkt = (c: Pick<Chip, 'role' | 'fingerprint'>): string | undefined => (c.role === 'dpop' && c.fingerprint.startsWith('jkt:') ? c.fingerprint.slice(4) : undefined);

/**
 * The `token_type` of a token response (RFC 6749 §5.1; `DPoP` per RFC 9449 §5), from the redacted
 * body (it is not a secret): `DPoP`, `Bearer`, another type as sent, or undefined.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
 */
export function tokenTypeOf(step: Pick<StepView, 'kind' | 'lane' | 'response'>): string | undefined {
  if (step.lane !== 'as' || !step.response?.body || step.response.body.length > 64 * 1024) return undefined;
  let body: unknown;
  try { body = JSON.parse(step.response.body); } catch { return undefined; }
  const type = body && typeof body === 'object' ? (body as { token_type?: unknown }).token_type : undefined;
  if (typeof type !== 'string' || type.length > 40) return undefined;
  return /^dpop$/i.test(type) ? 'DPoP' : /^bearer$/i.test(type) ? 'Bearer' : type;
}

/** How an RPT chip travels: the Authorization scheme to the RS, or the token response's token_type. */
function rptScheme(step: StepView, name: string, where: 'request' | 'response'): Chip['scheme'] {
  const type = where === 'request' ? /^Authorization: (\S+)$/.exec(name)?.[1] : tokenTypeOf(step);
  return type && /^dpop$/i.test(type) ? 'DPoP' : type && /^bearer$/i.test(type) ? 'Bearer' : undefined;
}
export type Tone = 'ok' | 'challenge' | 'pending' | 'warn' | 'bad' | 'neutral';

export interface Message {
  id: string;
  stepId: string;
  /** 0-based index of the step in the flow. */
  step: number;
  from: LaneId;
  to: LaneId;
  /** `note`: something a server did by itself (a decision, a cache hit), drawn on its lane. */
  kind: 'request' | 'return' | 'note';
  label: string;
  tone: Tone;
  chips: Chip[];
  /** Drawn from a server's own events (End to end), not seen by Tessera. */
  server?: boolean;
  /** The full sentence of a note whose label is shortened. */
  detail?: string;
  /** Row (0-based): y = header + row * rowHeight. */
  row: number;
}

export interface Layout {
  width: number;
  height: number;
  header: number;
  rowHeight: number;
  lanes: { id: LaneId; label: string; x: number }[];
  messages: Message[];
  /** Every token of the flow by fingerprint, with its role and chip name (T1, RPT1…). */
  names: Map<string, Chip>;
}

export interface LayoutOptions {
  width?: number; rowHeight?: number; header?: number; fontSize?: number;
  /** End to end: the servers' events joined to this flow (FlowView.server), drawn in time order among the client's exchanges. */
  server?: readonly ServerEventView[] | undefined;
  /** Names issuers in the servers' sentences (the app's provider labels). */
  issuerName?: IssuerName | undefined;
}

/** Lane names when the full ones would overlap (narrow windows, 800×600). */
const SHORT: Record<LaneId, string> = { browser: 'Person', tessera: 'Tessera', rs: 'RS', as: 'AS', owner: 'Kate', idp: 'IdP' };

export function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + (u.search ? '?…' : '');
  } catch {
    return url;
  }
}

/** Colour of a step by result (used for its return arrow and its detail). */
export function stepTone(s: StepView): Tone {
  if (s.kind === 'interaction') return s.error ? 'bad' : 'ok';
  if (s.error || s.status === null) return 'bad';
  if (s.status >= 500) return 'bad';
  if (s.status === 401 && s.challenge) return 'challenge';
  if (s.outcome === 'need_info' || s.outcome === 'request_submitted') return 'pending';
  if (s.status >= 400) return s.outcome === 'denied' ? 'bad' : 'warn';
  return 'ok';
}

const MEANING: Record<string, string> = {
  challenge: '+ ticket',
  rpt_issued: 'RPT issued',
  need_info: 'need_info',
  request_submitted: 'request_submitted',
  denied: 'request_denied',
  granted: 'resource',
  as_unreachable: 'AS unreachable',
  invalid_ticket: 'invalid_grant (ticket)',
  invalid_pct: 'invalid_grant (PCT)',
  invalid_rpt: 'invalid_grant (RPT)',
  invalid_scope: 'invalid_scope',
};

/** The label of a response: status plus its UMA meaning ("401 + ticket", "403 need_info", "200 RPT issued"). */
export function returnLabel(s: StepView): string {
  if (s.status === null) return s.error ? `no answer: ${s.error.message}` : 'no answer';
  const meaning = s.outcome ? MEANING[s.outcome] : s.kind === 'discovery' ? 'metadata' : s.kind === 'registration' ? 'client registered' : undefined;
  return meaning ? `${s.status} ${meaning}` : String(s.status);
}

export function requestLabel(s: StepView): string {
  const path = pathOf(s.url);
  if (s.kind === 'token') return `POST ${path} (uma-ticket grant)`;
  if (s.kind === 'refresh') return `POST ${path} (refresh)`;
  return `${s.method} ${path}`;
}

const laneOf = (lane: StepView['lane']): LaneId => (lane === 'browser' ? 'browser' : lane);

/** Lays a flow out; `width` is the drawing's logical width (the SVG scales it to the window). */
export function layoutFlow(steps: readonly StepView[], options: LayoutOptions = {}): Layout {
  const width = Math.max(640, options.width ?? 960);
  const rowHeight = options.rowHeight ?? 46;
  const header = options.header ?? 56;
  const margin = 90;
  const server = options.server;
  const laneList = server ? [...LANES.slice(0, 4), OWNER_LANE, ...LANES.slice(4)] : LANES;
  const gap = (width - 2 * margin) / (laneList.length - 1);
  const fontSize = options.fontSize ?? 13;
  const fits = laneList.every((l) => textWidth(l.label, fontSize) + 26 <= gap);
  const lanes = laneList.map((l, i) => ({ id: l.id, label: fits ? l.label : SHORT[l.id], x: Math.round(margin + i * gap) }));
  const namer = new TokenNamer();
  const messages: Message[] = [];
  let row = 0;
  let lastTicket: Chip | undefined;
  const names = new Map<string, Chip>();
  const chip = (role: TokenRole, fingerprint: string): Chip => {
    const c = { role, fingerprint, name: namer.name(role, fingerprint) };
    if (!names.has(fingerprint)) names.set(fingerprint, c);
    return c;
  };
  // End to end: each server event goes inside the client's exchange it happened during (between its
  // request and its answer), or after the exchange it followed; events before the first, at the top.
  const inside = new Map<number, ServerEventView[]>();
  const after = new Map<number, ServerEventView[]>();
  const before: ServerEventView[] = [];
  if (server) {
    const starts = steps.map((s) => Date.parse(s.time));
    for (const e of server) {
      const t = Date.parse(e.at);
      let i = -1;
      for (let k = 0; k < starts.length; k++) if ((starts[k] ?? Infinity) <= t) i = k;
      const owner = steps[i];
      if (!owner) { before.push(e); continue; }
      const into = t <= (starts[i] ?? 0) + owner.duration + 1 ? inside : after;
      into.set(i, [...(into.get(i) ?? []), e]);
    }
  }
  const drawServer = (events: readonly ServerEventView[] | undefined, i: number, stepId: string) => {
    for (const e of events ?? []) {
      serverMessages(e, options.issuerName).forEach((m, k) => {
        messages.push({ id: `srv:${e.id}:${k}`, stepId, step: i, from: m.from, to: m.to, kind: m.kind, label: m.label, tone: m.tone, chips: m.tokens.map((t) => chip(t.role, t.fingerprint)), row: row++, server: true, ...(m.detail ? { detail: m.detail } : {}) });
      });
    }
  };
  if (steps[0]) drawServer(before, 0, steps[0].id);
  steps.forEach((s, i) => {
    const seen = tokensOf(s);
    // An RPT chip says whether it is DPoP-bound or Bearer (the chip's name stays RPT1: the same token);
    // one chip per DPoP key (its thumbprint), whatever proof of it a request carries; the proof's own
    // fingerprint names that chip too (exchange details, curl's $DPOP_PROOF).
    const chipOf = (t: (typeof seen)[number]): Chip => {
      if (t.role === 'dpop' && s.dpop?.jkt) {
        const key = chip('dpop', `jkt:${s.dpop.jkt}`);
        if (!names.has(t.fingerprint)) names.set(t.fingerprint, key);
        return key;
      }
      const c = chip(t.role, t.fingerprint);
      const scheme = t.role === 'rpt' ? rptScheme(s, t.name, t.where) : undefined;
      return scheme ? { ...c, scheme } : c;
    };
    const req = seen.filter((t) => t.where === 'request').map(chipOf);
    const res = seen.filter((t) => t.where === 'response').map(chipOf);
    if (s.kind === 'interaction') {
      // The browser leg: Tessera opens the AS's claims page in the person's browser with the latest
      // ticket (its URL is not recorded with the query, so the chip is the ticket Tessera last
      // held), the person talks to the AS, and the AS redirects back with a new ticket (UMA Grant
      // §3.3.2–3.3.3), which the next token request carries.
      const sent = lastTicket ? [{ ...lastTicket, inferred: true }] : [];
      messages.push({ id: `${s.id}:open`, stepId: s.id, step: i, from: 'tessera', to: 'browser', kind: 'request', label: 'opens the claims page', tone: 'neutral', chips: sent, row: row++ });
      messages.push({ id: `${s.id}:req`, stepId: s.id, step: i, from: 'browser', to: 'as', kind: 'request', label: `GET ${pathOf(s.url)} (the person answers)`, tone: 'neutral', chips: sent, row: row++ });
      if (s.duration > 0 || s.error) {
        const next = steps.slice(i + 1).find((n) => n.kind === 'token');
        const back = next ? tokensOf(next).find((t) => t.role === 'ticket' && t.where === 'request') : undefined;
        const backChip = back && back.fingerprint !== lastTicket?.fingerprint ? [{ ...chip('ticket', back.fingerprint), inferred: true }] : [];
        messages.push({ id: `${s.id}:ret`, stepId: s.id, step: i, from: 'as', to: 'tessera', kind: 'return', label: s.error ? 'did not complete' : 'redirect back with a new ticket', tone: s.error ? 'bad' : 'ok', chips: backChip, row: row++ });
      }
      drawServer(inside.get(i), i, s.id);
      drawServer(after.get(i), i, s.id);
      return;
    }
    const to = laneOf(s.lane);
    messages.push({ id: `${s.id}:req`, stepId: s.id, step: i, from: 'tessera', to, kind: 'request', label: requestLabel(s), tone: 'neutral', chips: req, row: row++ });
    drawServer(inside.get(i), i, s.id);
    if (s.status !== null || s.error) messages.push({ id: `${s.id}:ret`, stepId: s.id, step: i, from: to, to: 'tessera', kind: 'return', label: returnLabel(s), tone: stepTone(s), chips: res, row: row++ });
    for (const c of [...req, ...res]) if (c.role === 'ticket') lastTicket = c;
    drawServer(after.get(i), i, s.id);
  });
  return { width, height: header + row * rowHeight + 24, header, rowHeight, lanes, messages, names };
}

/** Estimated text width in px (system-ui ≈ 0.58 em per character), for chips and label backgrounds. */
export const textWidth = (text: string, fontSize: number): number => Math.ceil(text.length * fontSize * 0.58);
