import type { Outcome } from '../../src/app/api';
import { OUTCOME_TEXT } from '../explain';

export function OutcomeBadge({ outcome, running, access }: { outcome?: Outcome | undefined; running?: boolean; access?: 'open' | 'held' | 'issued' | undefined }) {
  if (running) return <span className="badge running" role="status"><span className="spinner" aria-hidden="true" /> Working…</span>;
  if (!outcome) return null;
  return <span className={`badge ${outcome}`}>{outcome === 'granted' && access === 'open' ? 'Open' : OUTCOME_TEXT[outcome].label}</span>;
}
