import type { Outcome } from '../../src/app/api';
import { CANCELLED_TEXT, OUTCOME_TEXT } from '../explain';

export function OutcomeBadge({ outcome, running, access, cancelled }: { outcome?: Outcome | undefined; running?: boolean; access?: 'open' | 'held' | 'issued' | undefined; cancelled?: boolean }) {
  if (running) return <span className="badge running" role="status"><span className="spinner" aria-hidden="true" /> Working…</span>;
  if (!outcome) return null;
  if (cancelled) return <span className="badge cancelled">{CANCELLED_TEXT.label}</span>;
  return <span className={`badge ${outcome}`}>{outcome === 'granted' && access === 'open' ? 'Open' : OUTCOME_TEXT[outcome].label}</span>;
}
