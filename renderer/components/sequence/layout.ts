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
import type { StepView } from '../../../src/app/api';
import { TokenNamer, tokensOf, type TokenRole } from './tokens';

export type LaneId = 'browser' | 'tessera' | 'rs' | 'as' | 'idp';
export const LANES: { id: LaneId; label: string }[] = [
  { id: 'browser', label: 'Person (browser)' },
  { id: 'tessera', label: 'Tessera' },
  { id: 'rs', label: 'Resource server' },
  { id: 'as', label: 'Authorization server' },
  { id: 'idp', label: 'Identity provider' },
];

export interface Chip { role: TokenRole; name: string; fingerprint: string; inferred?: boolean }
export type Tone = 'ok' | 'challenge' | 'pending' | 'warn' | 'bad' | 'neutral';

export interface Message {
  id: string;
  stepId: string;
  /** 0-based index of the step in the flow. */
  step: number;
  from: LaneId;
  to: LaneId;
  kind: 'request' | 'return';
  label: string;
  tone: Tone;
  chips: Chip[];
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

export interface LayoutOptions { width?: number; rowHeight?: number; header?: number; fontSize?: number }

/** Lane names when the full ones would overlap (narrow windows, 800×600). */
const SHORT: Record<LaneId, string> = { browser: 'Person', tessera: 'Tessera', rs: 'RS', as: 'AS', idp: 'IdP' };

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
  const gap = (width - 2 * margin) / (LANES.length - 1);
  const fontSize = options.fontSize ?? 13;
  const fits = LANES.every((l) => textWidth(l.label, fontSize) + 26 <= gap);
  const lanes = LANES.map((l, i) => ({ id: l.id, label: fits ? l.label : SHORT[l.id], x: Math.round(margin + i * gap) }));
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
  steps.forEach((s, i) => {
    const seen = tokensOf(s);
    const req = seen.filter((t) => t.where === 'request').map((t) => chip(t.role, t.fingerprint));
    const res = seen.filter((t) => t.where === 'response').map((t) => chip(t.role, t.fingerprint));
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
      return;
    }
    const to = laneOf(s.lane);
    messages.push({ id: `${s.id}:req`, stepId: s.id, step: i, from: 'tessera', to, kind: 'request', label: requestLabel(s), tone: 'neutral', chips: req, row: row++ });
    if (s.status !== null || s.error) messages.push({ id: `${s.id}:ret`, stepId: s.id, step: i, from: to, to: 'tessera', kind: 'return', label: returnLabel(s), tone: stepTone(s), chips: res, row: row++ });
    for (const c of [...req, ...res]) if (c.role === 'ticket') lastTicket = c;
  });
  return { width, height: header + row * rowHeight + 24, header, rowHeight, lanes, messages, names };
}

/** Estimated text width in px (system-ui ≈ 0.58 em per character), for chips and label backgrounds. */
export const textWidth = (text: string, fontSize: number): number => Math.ceil(text.length * fontSize * 0.58);
