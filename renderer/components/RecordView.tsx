/**
 * A health record rendered for a person: a prescription looks like a prescription, a lab report
 * like a lab report. The body comes from a resource server, so it is untrusted input: each record
 * kind has a schema, and a body that does not match it (nulls where entries belong, numbers as
 * objects, anything) falls back to a bounded key/value view instead of throwing. The raw JSON is one
 * click away, printed with a nesting and size bound (a 20,000-deep document is legal JSON and would
 * overflow the stack of `JSON.stringify`).
 */
import type { ReactNode } from 'react';
import { z } from 'zod';

/** Deeper than this is shown as "…" in the raw view and never reaches a typed view. */
export const MAX_DEPTH = 32;
/** The raw view prints at most this many characters. */
export const MAX_RAW_CHARS = 100_000;
/** Entries shown per list or object in the views. */
const MAX_ITEMS = 500;

/** Longest text shown in a typed view field (the raw JSON has the rest). */
const MAX_FIELD = 2_000;
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)} … (${s.length - max} more characters; see the raw JSON)` : s);
const text = z.union([z.string(), z.number(), z.boolean()]).nullish().transform((v) => clip(v === undefined || v === null ? '' : String(v), MAX_FIELD));

/** Break opportunities (`<wbr>`) inside runs of this many non-space characters. */
const RUN = 48;
/**
 * Text that wraps however long its unbroken runs are. CSS alone (`overflow-wrap: anywhere`,
 * `word-break: break-all`) makes Chromium's line breaking quadratic in the length of a word: a
 * 200,000-character string took 50–90 s to lay out here. `<wbr>` every {@link RUN} characters keeps
 * it linear, and copying the text copies no extra characters.
 */
export function wrapRuns(value: string): ReactNode {
  let run = 0;
  let start = 0;
  const parts: ReactNode[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) <= 32) { run = 0; continue; }
    if (++run === RUN) { parts.push(value.slice(start, i + 1), <wbr key={i} />); start = i + 1; run = 0; }
  }
  if (parts.length === 0) return value;
  parts.push(value.slice(start));
  return <>{parts}</>;
}
function W({ t }: { t: string }) { return wrapRuns(t); }
const patient = z.object({ name: text, born: text, id: text }).partial().nullish();
const list = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_ITEMS).default([]);

export const RECORD_SCHEMAS = {
  prescriptions: z.object({
    kind: z.literal('prescriptions'), patient,
    prescriptions: list(z.object({ id: text, medication: text, strength: text, form: text, status: text, dosage: text, quantity: text, refills: text, prescribed: text, prescribedBy: text })),
  }),
  'lab-report': z.object({
    kind: z.literal('lab-report'), patient, panel: text, laboratory: text, collected: text, comment: text,
    results: list(z.object({ test: text, value: text, unit: text, range: text, flag: text })),
  }),
  bills: z.object({
    kind: z.literal('bills'), patient, currency: text,
    invoices: list(z.object({ id: text, date: text, description: text, amount: z.number().finite(), status: text })),
  }),
  'care-notes': z.object({
    kind: z.literal('care-notes'), patient, team: text,
    notes: list(z.object({ text, author: text, date: text })),
  }),
} as const;
type Kind = keyof typeof RECORD_SCHEMAS;
type Rec<K extends Kind> = z.output<(typeof RECORD_SCHEMAS)[K]>;

/** Nesting depth of a parsed JSON value, without recursion (stops counting past `limit`). */
export function jsonDepth(value: unknown, limit = MAX_DEPTH + 1): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (d > max) max = d;
    if (max >= limit) return max;
    if (v !== null && typeof v === 'object') for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

/** Pretty JSON with a nesting bound ("…" below `maxDepth`) and a size bound. */
export function boundedJson(value: unknown, maxDepth = MAX_DEPTH, maxChars = MAX_RAW_CHARS): { text: string; truncated: boolean } {
  let out = '';
  let truncated = false;
  const write = (s: string) => {
    if (out.length + s.length > maxChars) { out += s.slice(0, Math.max(0, maxChars - out.length)); truncated = true; return false; }
    out += s;
    return true;
  };
  const walk = (v: unknown, depth: number, indent: string): boolean => {
    if (v === null || typeof v !== 'object') return write(JSON.stringify(v) ?? 'null');
    const isArray = Array.isArray(v);
    const entries: [string, unknown][] = isArray ? (v as unknown[]).map((x, i) => [String(i), x]) : Object.entries(v as object);
    if (entries.length === 0) return write(isArray ? '[]' : '{}');
    if (depth >= maxDepth) { truncated = true; return write(isArray ? '[…]' : '{…}'); }
    if (!write(isArray ? '[\n' : '{\n')) return false;
    const inner = `${indent}  `;
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i] as [string, unknown];
      if (!write(isArray ? inner : `${inner}${JSON.stringify(k)}: `)) return false;
      if (!walk(x, depth + 1, inner)) return false;
      if (!write(i < entries.length - 1 ? ',\n' : '\n')) return false;
    }
    return write(`${indent}${isArray ? ']' : '}'}`);
  };
  walk(value, 0, '');
  return { text: out, truncated };
}

/** One value for the key/value view: short, flat, bounded. */
function preview(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    const s = v === undefined ? '' : String(v);
    return clip(s, 5_000);
  }
  const t = boundedJson(v, 2, 2_000);
  return t.truncated ? `${t.text.replace(/\s+/g, ' ')} …` : t.text.replace(/\s+/g, ' ');
}

function Patient({ p }: { p: Rec<Kind>['patient'] }) {
  if (!p) return null;
  return <p className="muted">Patient: <strong><W t={p.name ?? ""} /></strong>{p.born ? <> · born <W t={p.born} /></> : null}{p.id ? <> · <W t={p.id} /></> : null}</p>;
}

function Prescriptions({ r }: { r: Rec<'prescriptions'> }) {
  return (
    <div className="record prescriptions">
      <Patient p={r.patient} />
      {r.prescriptions.map((rx, i) => (
        <article key={i} className={`rx ${rx.status === 'completed' ? 'completed' : ''}`} aria-label={`Prescription ${rx.medication}`}>
          <header><span className="rx-symbol" aria-hidden="true">℞</span> <strong><W t={rx.medication} /></strong> <W t={rx.strength} /> <W t={rx.form} /> <span className="pill"><W t={rx.status} /></span></header>
          <p className="sig"><W t={rx.dosage} /></p>
          <p className="muted">Quantity <W t={rx.quantity} /> · refills <W t={rx.refills} /> · prescribed <W t={rx.prescribed} /> by <W t={rx.prescribedBy} /></p>
        </article>
      ))}
    </div>
  );
}

function LabReport({ r }: { r: Rec<'lab-report'> }) {
  return (
    <div className="record lab">
      <Patient p={r.patient} />
      <p><strong><W t={r.panel} /></strong> — <W t={r.laboratory} />, collected <W t={r.collected.slice(0, 10)} /></p>
      <table>
        <thead><tr><th scope="col">Test</th><th scope="col">Result</th><th scope="col">Reference</th><th scope="col">Flag</th></tr></thead>
        <tbody>{r.results.map((t, i) => (
          <tr key={i} className={t.flag === 'normal' ? '' : 'flagged'}><td><W t={t.test} /></td><td><W t={t.value} /> <W t={t.unit} /></td><td><W t={t.range} /></td><td>{t.flag === 'normal' ? 'normal' : <strong><W t={t.flag} /></strong>}</td></tr>
        ))}</tbody>
      </table>
      {r.comment ? <p className="muted"><W t={r.comment} /></p> : null}
    </div>
  );
}

function Bills({ r }: { r: Rec<'bills'> }) {
  const total = r.invoices.reduce((s, i) => s + i.amount, 0);
  return (
    <div className="record bills">
      <Patient p={r.patient} />
      <table>
        <thead><tr><th scope="col">Invoice</th><th scope="col">Date</th><th scope="col">For</th><th scope="col">Amount</th><th scope="col">Status</th></tr></thead>
        <tbody>{r.invoices.map((i, n) => <tr key={n}><td><W t={i.id} /></td><td><W t={i.date} /></td><td><W t={i.description} /></td><td>{i.amount.toFixed(2)} <W t={r.currency} /></td><td><W t={i.status} /></td></tr>)}</tbody>
        <tfoot><tr><th scope="row" colSpan={3}>Total</th><td>{total.toFixed(2)} <W t={r.currency} /></td><td /></tr></tfoot>
      </table>
    </div>
  );
}

function CareNotes({ r }: { r: Rec<'care-notes'> }) {
  return (
    <div className="record notes">
      <Patient p={r.patient} />
      <p className="muted"><W t={r.team} /></p>
      {r.notes.map((n, i) => <blockquote key={i}><p><W t={n.text} /></p><footer>— <W t={n.author} />, <W t={n.date} /></footer></blockquote>)}
    </div>
  );
}

function Generic({ r }: { r: Record<string, unknown> }) {
  const entries = Object.entries(r);
  return (
    <dl className="record generic">
      {entries.slice(0, MAX_ITEMS).map(([k, v]) => <div key={k}><dt>{wrapRuns(clip(k, 200))}</dt><dd>{wrapRuns(preview(v))}</dd></div>)}
      {entries.length > MAX_ITEMS ? <div><dt>…</dt><dd>{entries.length - MAX_ITEMS} more fields (see the raw JSON)</dd></div> : null}
    </dl>
  );
}

/** The typed view for a record that matches its kind's schema, else undefined. */
function typedView(r: Record<string, unknown>) {
  const kind = r.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(RECORD_SCHEMAS, kind)) return undefined;
  switch (kind as Kind) {
    case 'prescriptions': { const p = RECORD_SCHEMAS.prescriptions.safeParse(r); return p.success ? <Prescriptions r={p.data} /> : null; }
    case 'lab-report': { const p = RECORD_SCHEMAS['lab-report'].safeParse(r); return p.success ? <LabReport r={p.data} /> : null; }
    case 'bills': { const p = RECORD_SCHEMAS.bills.safeParse(r); return p.success ? <Bills r={p.data} /> : null; }
    case 'care-notes': { const p = RECORD_SCHEMAS['care-notes'].safeParse(r); return p.success ? <CareNotes r={p.data} /> : null; }
  }
}

export function RecordView({ body }: { body: string }) {
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  const r = (parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined) as Record<string, unknown> | undefined;
  if (parsed === undefined) return <pre className="raw">{body.length > MAX_RAW_CHARS ? `${body.slice(0, MAX_RAW_CHARS)}\n… (${body.length - MAX_RAW_CHARS} more characters)` : body}</pre>;
  const tooDeep = jsonDepth(parsed) > MAX_DEPTH;
  const typed = r && !tooDeep ? typedView(r) : undefined;
  const raw = boundedJson(parsed);
  return (
    <div className="record-view">
      {typed ?? null}
      {typed === null || tooDeep ? (
        <p className="muted unknown-shape" role="note">
          {tooDeep ? `This record is nested more than ${MAX_DEPTH} levels deep; it is shown as data, not as a ${typeof r?.kind === 'string' ? r.kind : 'record'} view.`
            : `This record says it is “${String(r?.kind)}” but does not have the shape Tessera knows; it is shown as data.`}
        </p>
      ) : null}
      {!typed && r ? <Generic r={r} /> : null}
      {!typed && !r ? <pre className="raw">{raw.text}</pre> : null}
      <details className="raw-json"><summary>Raw JSON</summary><pre>{raw.text}{raw.truncated ? '\n… (shortened)' : ''}</pre></details>
    </div>
  );
}
