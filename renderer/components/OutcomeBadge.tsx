import type { Outcome } from '../../src/app/api';
import { OUTCOME_TEXT } from '../explain';

export function OutcomeBadge({ outcome, running }: { outcome?: Outcome | undefined; running?: boolean }) {
  if (running) return <span className="badge running" role="status"><span className="spinner" aria-hidden="true" /> Working…</span>;
  if (!outcome) return null;
  return <span className={`badge ${outcome}`}>{OUTCOME_TEXT[outcome].label}</span>;
}
