/** "Check this AS" runs as the core streams them (`check` and `checkRun` events), by run id. */
import { create } from 'zustand';
import type { ApiEvent, CheckRunView } from '../src/app/api';

export interface CheckRunsState {
  runs: Record<string, CheckRunView>;
  onEvent(event: ApiEvent): void;
  /** The newest run for an AS. */
  latest(issuer: string): CheckRunView | undefined;
}

export const useChecks = create<CheckRunsState>((set, get) => ({
  runs: {},
  onEvent(event) {
    if (event.type === 'checkRun') {
      set({ runs: { ...get().runs, [event.run.runId]: event.run } });
    } else if (event.type === 'check') {
      const run = get().runs[event.runId];
      // A check of a finished run (an event overtaken by the report) changes nothing.
      if (!run || !run.running || run.checks.some((c) => c.id === event.check.id)) return;
      const summary = { ...run.summary, [event.check.status]: run.summary[event.check.status] + 1 };
      set({ runs: { ...get().runs, [run.runId]: { ...run, checks: [...run.checks, event.check], summary, done: event.index + 1, total: event.total } } });
    }
  },
  latest: (issuer) => Object.values(get().runs).filter((r) => r.issuer === issuer).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0],
}));
