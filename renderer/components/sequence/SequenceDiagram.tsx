/**
 * The flow as an SVG sequence diagram (layout in ./layout.ts). Click, Enter or Space on an arrow
 * selects its exchange. The drawing scales to the container's width; `zoom` enlarges it (the
 * container scrolls). In presenter mode `upTo` dims the exchanges not reached yet.
 *
 * A long diagram (more than {@link WINDOW_MIN} arrows) draws in full only the rows in view and a
 * screenful either side; the others keep their group — its accessible name, focus, click target and
 * place — without the line, label and chips nobody can see (the browser's style, layout and paint
 * of thousands of SVG nodes were most of the time to draw a 200-exchange flow). Scrolling draws
 * the rows that come into view before the frame is painted; exports ask for every row (`windowed`).
 */
import { forwardRef, memo, useCallback, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import { flushSync } from 'react-dom';
import type { ServerEventView, StepView } from '../../../src/app/api';
import { LANES, OWNER_LANE, chipJkt, layoutFlow, shortJkt, textWidth, type Chip, type Message } from './layout';
import { ROLE_LABEL } from './tokens';
import type { IssuerName } from './server-side';

export interface SequenceDiagramProps {
  steps: readonly StepView[];
  selected?: string | undefined;
  onSelect?: (stepId: string) => void;
  zoom?: number;
  /** Presenter: index of the current step; later steps are dimmed, the current one highlighted. */
  upTo?: number | undefined;
  fontSize?: number;
  running?: boolean;
  /** Fixed logical width (tests, benchmark); default: the container's width. */
  width?: number;
  label?: string;
  /** End to end: the servers' events of this flow, drawn among the client's exchanges (adds the owner lane). */
  server?: readonly ServerEventView[] | undefined;
  issuerName?: IssuerName | undefined;
  /** Draw only the rows near the view when the diagram is long (default); `false` for an export. */
  windowed?: boolean;
}

/** Diagrams with more arrows than this draw in full only the rows near the view. */
export const WINDOW_MIN = 150;
/** Rows are drawn in blocks of this many, so scrolling re-renders only when a new block comes near. */
const BLOCK = 16;

const LANE_NAMES = new Map<string, string>([...LANES, OWNER_LANE].map((l) => [l.id, l.label]));
const laneName = (id: string) => LANE_NAMES.get(id) ?? id;
/** One empty list, so "no server events" does not lay the flow out again on every render. */
const NO_EVENTS: readonly ServerEventView[] = [];

/**
 * A chip's visible text: its name; for an RPT whether it is DPoP-bound or Bearer; for a DPoP proof
 * the short form of its key's thumbprint (RFC 7638).
 */
export const chipText = (c: Chip): string => {
  const jkt = chipJkt(c);
  if (c.role === 'dpop') return jkt ? `${c.name} ${shortJkt(jkt)}` : c.name;
  return c.scheme ? `${c.name} · ${c.scheme}` : c.name;
};
const schemeWords = (c: Chip) => (c.scheme === 'DPoP' ? ' (DPoP-bound)' : c.scheme === 'Bearer' ? ' (Bearer)' : '');
/** How a screen reader hears a chip: its role and name (a proof: the key). */
const chipWords = (c: Chip) => (c.role === 'dpop' ? `DPoP proof signed by key ${shortJkt(chipJkt(c))}` : `${ROLE_LABEL[c.role]} ${c.name}${schemeWords(c)}`);

/**
 * The container's width; `undefined` until measured. It is measured in a layout effect, before the
 * first paint, so the diagram is laid out and drawn once at its real width, rather than first at a
 * guessed 960 and then all over again when the ResizeObserver reports.
 */
function useContainerWidth(fixed: number | undefined): [React.RefObject<HTMLDivElement | null>, number | undefined] {
  const ref = useRef<HTMLDivElement | null>(null);
  const observing = fixed === undefined && typeof ResizeObserver !== 'undefined';
  const [width, setWidth] = useState<number | undefined>(observing ? undefined : 960);
  useLayoutEffect(() => {
    if (!observing || !ref.current) return;
    const el = ref.current;
    const measure = () => setWidth(Math.max(640, Math.floor(el.clientWidth - 2)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [observing]);
  return [ref, fixed ?? width];
}

interface MessageProps { m: Message; x1: number; x2: number; rowHeight: number; header: number; width: number; fontSize: number; selected: boolean; state: 'past' | 'current' | 'future' | undefined; onSelect: ((id: string) => void) | undefined; light: boolean }

/**
 * One arrow (or note). Memoised on plain values (its message, lane positions, geometry), so a new
 * selection or presenter step re-renders only the arrows whose state changed, not all of them.
 */
const MessageView = memo(function MessageView({ m, x1, x2, rowHeight, header, width, fontSize, selected, state, onSelect, light }: MessageProps) {
  const y = header + m.row * rowHeight + rowHeight * 0.62;
  const dir = x2 > x1 ? 1 : -1;
  const mid = (x1 + x2) / 2;
  const chipFont = Math.round(fontSize * 0.82);
  const chipW = m.chips.map((c) => textWidth(chipText(c), chipFont) + 12);
  const total = chipW.reduce((a, b) => a + b + 4, -4);
  let cx = mid - total / 2;
  const activate = () => onSelect?.(m.stepId);
  const onKey = (e: KeyboardEvent) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(); } };
  const chipsText = m.chips.length ? `; carries ${m.chips.map(chipWords).join(', ')}` : '';
  if (m.kind === 'note') {
    // Something a server did by itself (a decision, a cache hit): a box on its lane, kept inside the drawing.
    const full = `${m.label}${m.chips.map((c) => ` ${c.name}`).join('')}`;
    const max = Math.floor((width - 16) / (fontSize * 0.58));
    // A shortened note ends in an ellipsis hidden from assistive technology, so what is seen stays
    // a part of the note's name (WCAG 2.5.3), which is the whole sentence.
    const cut = full.length > max;
    const shown = cut ? full.slice(0, max - 1) : full;
    const w = textWidth(cut ? `${shown}…` : shown, fontSize) + 16;
    const cxNote = Math.min(Math.max(x1, w / 2 + 8), width - w / 2 - 8);
    const hit = <rect className="seq-hit" x={cxNote - w / 2} y={y - fontSize * 1.1} width={w} height={fontSize * 1.9} rx={6} />;
    return (
      <g className={`seq-msg note server tone-${m.tone}${selected ? ' selected' : ''}${state ? ` ${state}` : ''}`} data-step={m.step} data-kind="note" data-lane={m.from}
        role={onSelect ? 'button' : undefined} tabIndex={onSelect ? 0 : undefined} aria-pressed={onSelect ? selected : undefined} aria-current={state === 'current' ? 'step' : undefined}
        aria-label={`${m.step + 1} ${full}: ${laneName(m.from)}${chipsText}`} onClick={activate} onKeyDown={onKey}>
        {hit}
        {light ? null : <>
        <title>{m.detail ?? full}</title>
        <rect className="seq-note" x={cxNote - w / 2} y={y - fontSize * 1.1} width={w} height={fontSize * 1.9} rx={6} />
        <text className="seq-label" x={cxNote} y={y + fontSize * 0.3} textAnchor="middle" fontSize={fontSize}>
          <tspan className="seq-num" fontWeight={700}>{m.step + 1}</tspan>{` ${shown}`}{cut ? <tspan aria-hidden="true">…</tspan> : null}
        </text>
        </>}
      </g>
    );
  }
  return (
    <g className={`seq-msg ${m.kind}${m.server ? ' server' : ''} tone-${m.tone}${selected ? ' selected' : ''}${state ? ` ${state}` : ''}`} data-step={m.step} data-kind={m.kind}
      role={onSelect ? 'button' : undefined} tabIndex={onSelect ? 0 : undefined} aria-pressed={onSelect ? selected : undefined} aria-current={state === 'current' ? 'step' : undefined}
      aria-label={`${m.step + 1} ${m.label}${m.chips.map((c) => ` ${chipText(c)}`).join('')}: ${laneName(m.from)} to ${laneName(m.to)}${chipsText}`} onClick={activate} onKeyDown={onKey}>
      <rect className="seq-hit" x={Math.min(x1, x2)} y={y - rowHeight * 0.62} width={Math.abs(x2 - x1)} height={rowHeight} fill="transparent" />
      {light ? null : <>
      <line className="seq-line" x1={x1} y1={y} x2={x2 - dir * 2} y2={y} strokeWidth={m.kind === 'request' ? 2 : 1.6} strokeDasharray={m.kind === 'return' ? '7 5' : undefined} />
      <polygon className="seq-head" points={`${x2},${y} ${x2 - dir * 10},${y - 5} ${x2 - dir * 10},${y + 5}`} />
      <text className="seq-label" x={mid} y={y - (m.chips.length ? chipFont * 0.75 + 4 : 7)} textAnchor="middle" fontSize={fontSize}>
        <tspan className="seq-num" fontWeight={700}>{m.step + 1}</tspan>{` ${m.label}`}
      </text>
      {m.chips.map((c, i) => {
        const w = chipW[i] ?? 0;
        const x = cx;
        cx += w + 4;
        return (
          <g key={`${c.fingerprint}${i}`} className={`seq-chip role-${c.role}`} data-chip={c.name} data-role={c.role}>
            <title>{c.role === 'dpop' ? `DPoP proof signed by the key with thumbprint ${chipJkt(c) ?? '(unknown)'} (RFC 7638)` : `${ROLE_LABEL[c.role]} ${c.name} (${c.fingerprint})${schemeWords(c)}${c.inferred ? ' — carried in the browser' : ''}`}</title>
            <rect x={x} y={y - chipFont * 0.75} width={w} height={chipFont * 1.5} rx={c.role === 'dpop' ? 3 : chipFont * 0.75} />
            <text x={x + w / 2} y={y + chipFont * 0.36} textAnchor="middle" fontSize={chipFont} fontWeight={700}>{` ${chipText(c)}`}</text>
          </g>
        );
      })}
      </>}
    </g>
  );
});

/**
 * The rows to draw in full, `[from, to)`, or `undefined` for all of them (a short diagram, no layout
 * to measure — jsdom, static markup — or `enabled` false): the rows in view and a screenful either
 * side, in blocks. Measured before paint when the diagram changes, and again as any ancestor scrolls.
 */
function useRowWindow(svg: React.RefObject<SVGSVGElement | null>, box: React.RefObject<HTMLDivElement | null>, geometry: { rows: number; header: number; rowHeight: number; height: number }, enabled: boolean): [number, number] | undefined {
  const [range, setRange] = useState<[number, number] | undefined>();
  const on = enabled && geometry.rows > WINDOW_MIN;
  const latest = useRef(geometry);
  latest.current = geometry;
  const measure = useCallback((): [number, number] | undefined => {
    const el = svg.current;
    const g = latest.current;
    if (!el || !box.current) return undefined;
    const r = el.getBoundingClientRect();
    if (r.height <= 0) return undefined;
    const b = box.current.getBoundingClientRect();
    const top = Math.max(0, b.top);
    const bottom = Math.min(window.innerHeight, b.bottom);
    const scale = r.height / g.height;
    const row = (px: number) => ((px - r.top) / scale - g.header) / g.rowHeight;
    const first = Math.floor(row(top));
    const last = Math.ceil(row(Math.max(top, bottom)));
    const margin = Math.max(BLOCK, last - first);
    const from = Math.max(0, Math.floor((Math.min(first, g.rows) - margin) / BLOCK) * BLOCK);
    const to = Math.min(g.rows, Math.ceil((Math.max(last, 0) + margin) / BLOCK) * BLOCK);
    return [from, Math.max(to, from + BLOCK)];
  }, [svg, box]);
  const update = useCallback((sync: boolean) => {
    const next = measure();
    const apply = () => setRange((prev) => (prev && next && prev[0] === next[0] && prev[1] === next[1] ? prev : next));
    if (sync) flushSync(apply); else apply();
  }, [measure]);
  useLayoutEffect(() => { if (on) update(false); else setRange(undefined); }, [on, update, geometry.rows, geometry.height, geometry.rowHeight]);
  useLayoutEffect(() => {
    if (!on) return;
    // Draw the rows coming into view in the same frame as the scroll (scroll events do not bubble: capture).
    const onScroll = () => update(true);
    document.addEventListener('scroll', onScroll, { capture: true, passive: true });
    window.addEventListener('resize', onScroll);
    return () => { document.removeEventListener('scroll', onScroll, { capture: true }); window.removeEventListener('resize', onScroll); };
  }, [on, update]);
  // Until the view is measured (the first drawing of a long diagram), the top rows: drawing every row
  // only to take most of it down again one layout effect later would cost more than the whole window.
  return on ? range ?? [0, 3 * BLOCK] : undefined;
}

export const SequenceDiagram = forwardRef<SVGSVGElement, SequenceDiagramProps>(function SequenceDiagram(props, svgRef) {
  const { steps, selected, onSelect, zoom = 1, upTo, fontSize = 13, running = false, label = 'Sequence diagram of this flow', server, issuerName, windowed = true } = props;
  const [box, measured] = useContainerWidth(props.width);
  const own = useRef<SVGSVGElement | null>(null);
  const setSvg = useCallback((el: SVGSVGElement | null) => { own.current = el; assignRef(svgRef, el); }, [svgRef]);
  const events = server?.length === 0 ? NO_EVENTS : server;
  const layout = useMemo(() => layoutFlow(steps, { width: measured, fontSize, rowHeight: Math.round(fontSize * 3.5), header: Math.round(fontSize * 4.3), server: events, issuerName }), [steps, measured, fontSize, events, issuerName]);
  // A stable handler for every arrow (callers often pass a new function each render), so the memoised arrows keep.
  const latest = useRef(onSelect);
  latest.current = onSelect;
  const select = useCallback((id: string) => latest.current?.(id), []);
  const lanesX = useMemo(() => new Map(layout.lanes.map((l) => [l.id, l.x])), [layout]);
  const height = layout.height + (running ? layout.rowHeight : 0);
  const rows = layout.messages.length;
  const range = useRowWindow(own, box, { rows, header: layout.header, rowHeight: layout.rowHeight, height }, windowed && measured !== undefined);
  return (
    <div className="seq-box" ref={box}>
      <svg ref={setSvg} className="seq" xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${layout.width} ${height}`} width={layout.width * zoom} height={height * zoom}
        role="group" aria-label={label} fontFamily="system-ui, -apple-system, 'Segoe UI', sans-serif">
        <rect className="seq-bg" x={0} y={0} width={layout.width} height={height} />
        {layout.lanes.map((l) => {
          const w = textWidth(l.label, fontSize) + 18;
          return (
            <g key={l.id} className={`seq-lane lane-${l.id}`} data-lane={l.id}>
              <line className="seq-lifeline" x1={l.x} y1={layout.header * 0.7} x2={l.x} y2={height - 8} strokeDasharray="2 4" />
              <rect className="seq-lane-head" x={l.x - w / 2} y={8} width={w} height={fontSize * 2} rx={6} />
              <text className="seq-lane-label" x={l.x} y={8 + fontSize * 1.35} textAnchor="middle" fontSize={fontSize} fontWeight={700}>{l.label}</text>
            </g>
          );
        })}
        {/* The arrows wait for the measured width (one layout effect, before the first paint). */}
        {measured === undefined ? null : layout.messages.map((m) => (
          <MessageView key={m.id} m={m} x1={lanesX.get(m.from) ?? 0} x2={lanesX.get(m.to) ?? 0} rowHeight={layout.rowHeight} header={layout.header} width={layout.width}
            fontSize={fontSize} selected={selected === m.stepId} onSelect={onSelect ? select : undefined} light={range !== undefined && (m.row < range[0] || m.row >= range[1])}
            state={upTo === undefined ? undefined : m.step < upTo ? 'past' : m.step === upTo ? 'current' : 'future'} />
        ))}
        {running ? <text className="seq-running" x={layout.width / 2} y={layout.height + layout.rowHeight / 2} textAnchor="middle" fontSize={fontSize}>waiting for the next answer…</text> : null}
      </svg>
    </div>
  );
});

function assignRef<T>(ref: Ref<T> | undefined, value: T | null): void {
  if (typeof ref === 'function') ref(value);
  else if (ref) (ref as { current: T | null }).current = value;
}
