/**
 * A flow as a sequence diagram: lanes for Tessera, the resource server, the authorization server,
 * the identity provider and the browser; one arrow per HTTP exchange, coloured by result. Click (or
 * Enter on) an arrow to see the exchange.
 */
import type { FlowView, StepView } from '../../src/app/api';

const LANES = [
  { id: 'tessera', label: 'Tessera' },
  { id: 'rs', label: 'Resource server' },
  { id: 'as', label: 'Authorization server' },
  { id: 'idp', label: 'Identity provider' },
  { id: 'browser', label: 'Browser' },
] as const;

export function stepClass(s: StepView): string {
  if (s.kind === 'interaction') return s.error ? 'bad' : 'ok';
  if (s.error || s.status === null) return 'bad';
  if (s.status >= 500) return 'bad';
  if (s.status === 401 && s.challenge) return 'challenge';
  if (s.outcome === 'need_info' || s.outcome === 'request_submitted') return 'pending';
  if (s.status >= 400) return s.outcome === 'denied' ? 'bad' : 'warn';
  return 'ok';
}

function label(s: StepView): string {
  let path = s.url;
  try { const u = new URL(s.url); path = u.pathname; } catch { /* keep */ }
  if (s.kind === 'interaction') return `${path} in your browser → ${s.error ? 'did not complete' : s.duration > 0 ? 'back with a new ticket' : 'waiting for you'}`;
  const outcome = s.outcome ? ` · ${s.outcome.replace(/_/g, ' ')}` : '';
  return `${s.method} ${path} → ${s.status ?? 'no answer'}${outcome}`;
}

export function Timeline({ flow, selected, onSelect }: { flow: FlowView; selected?: string | undefined; onSelect: (id: string) => void }) {
  return (
    <div className="timeline" role="list" aria-label="Exchanges of this flow">
      <div className="lanes" aria-hidden="true">{LANES.map((l) => <div key={l.id} className="lane-head">{l.label}</div>)}</div>
      {flow.steps.map((s, i) => {
        const to = LANES.findIndex((l) => l.id === s.lane);
        return (
          <div key={s.id} role="listitem" className="row">
            <button type="button" className={`arrow ${stepClass(s)} ${selected === s.id ? 'selected' : ''}`} style={{ gridColumn: `1 / ${Math.max(2, to + 1) + 1}` }}
              aria-pressed={selected === s.id} onClick={() => onSelect(s.id)} title={s.url}>
              <span className="num">{i + 1}</span> {label(s)} <span className="ms">{s.duration} ms</span>
            </button>
          </div>
        );
      })}
      {flow.running ? <div className="row" role="status"><span className="arrow running"><span className="spinner" aria-hidden="true" /> waiting for the next answer…</span></div> : null}
    </div>
  );
}
