/** Imported traces (read-only flows from a Tessera export or a HAR) and the presenter's position. */
import { create } from 'zustand';
import type { FlowView } from '../src/app/api';

export interface TraceState {
  /** Imported flows by id; their ids are prefixed `import:` so they never collide with live ones. */
  imported: Record<string, FlowView>;
  importName: string | undefined;
  importError: string | undefined;
  /** Flow and step the presenter shows. */
  presenting: { flowId: string | undefined; step: number };
  importText(name: string, text: string): Promise<FlowView[] | undefined>;
  present(flowId: string | undefined, step?: number): void;
  /** The diagram's view: what Tessera saw ("Client view"), or with the servers' side ("End to end"). */
  view: 'client' | 'e2e';
  setView(view: 'client' | 'e2e'): void;
}

export const useTraces = create<TraceState>((set, get) => ({
  imported: {},
  importName: undefined,
  importError: undefined,
  presenting: { flowId: undefined, step: 0 },
  view: 'client',
  setView: (view) => set({ view }),
  async importText(name, text) {
    // zod and the schema load only when someone imports a file (not in the initial bundle).
    const { parseTrace, TraceImportError } = await import('../src/app/trace-import');
    try {
      const { flows } = parseTrace(text);
      // For the benchmark: the diagram's render time is measured from here (bench/app.bench.ts).
      performance.mark('tessera:trace-parsed');
      const renamed = flows.map((f) => ({ ...f, flowId: `import:${f.flowId}`, steps: f.steps.map((s) => ({ ...s, flowId: `import:${s.flowId}` })) }));
      set({ imported: { ...get().imported, ...Object.fromEntries(renamed.map((f) => [f.flowId, f])) }, importName: name, importError: undefined });
      return renamed;
    } catch (error) {
      set({ importError: error instanceof TraceImportError ? error.message : `Could not read ${name}: ${error instanceof Error ? error.message : String(error)}` });
      return undefined;
    }
  },
  present: (flowId, step = 0) => set({ presenting: { flowId, step } }),
}));

export const isImported = (flowId: string | undefined): boolean => flowId?.startsWith('import:') ?? false;
