/** UI state (zustand): the core's AppState plus what the person is looking at. */
import { create } from 'zustand';
import type { AppState, FlowView, TesseraApi } from '../src/app/api';
import { ApiError } from './api-client';
import { useChecks } from './checks';

export type Screen = 'resources' | 'flow' | 'presenter' | 'requests' | 'tokens' | 'connections' | 'export';
export type Theme = 'light' | 'dark' | 'system';
export interface Toast { flowId: string; url: string; title: string; outcome: 'granted' | 'denied' }

export interface UiState {
  api: TesseraApi | undefined;
  app: AppState | undefined;
  flows: Record<string, FlowView>;
  screen: Screen;
  selectedFlow: string | undefined;
  selectedStep: string | undefined;
  theme: Theme;
  notice: { kind: 'error' | 'info'; text: string; hint?: string } | undefined;
  /** Owner decisions that arrived while the person was elsewhere (the core watched the request); each leaves by itself after {@link TOAST_MS}. */
  toasts: Toast[];
  /** Every such decision of this session, newest first (the notification list keeps what the toasts showed). */
  notifications: (Toast & { at: number })[];
  busy: Record<string, boolean>;
  connect(api: TesseraApi): Promise<void>;
  go(screen: Screen): void;
  selectFlow(flowId: string | undefined): void;
  selectStep(stepId: string | undefined): void;
  setTheme(theme: Theme): void;
  notify(notice: UiState['notice']): void;
  dismissToast(flowId: string): void;
  run<T>(key: string, fn: (api: TesseraApi) => Promise<T>): Promise<T | undefined>;
  open(url: string, waitSeconds?: number): Promise<void>;
}

/** How long a toast stays (long enough to read and reach; the notification list keeps it after). */
export const TOAST_MS = 12_000;

const initialTheme = (): Theme => {
  try { return (localStorage.getItem('tessera.theme') as Theme | null) ?? 'system'; } catch { return 'system'; }
};

export const useUi = create<UiState>((set, get) => ({
  api: undefined,
  app: undefined,
  flows: {},
  screen: 'resources',
  selectedFlow: undefined,
  selectedStep: undefined,
  theme: initialTheme(),
  notice: undefined,
  toasts: [],
  notifications: [],
  busy: {},
  async connect(api) {
    set({ api });
    api.subscribe((event) => {
      // A state is the whole picture (history cleared → those flows are gone).
      if (event.type === 'state') set({ app: event.state, flows: Object.fromEntries(event.state.flows.map((f) => [f.flowId, f])), ...themeOf(event.state) });
      else if (event.type === 'flow') set({ flows: { ...get().flows, [event.flow.flowId]: event.flow } });
      else if (event.type === 'decided') {
        const title = event.title ?? get().app?.resources.find((r) => r.url === event.url)?.title ?? event.url;
        const toast = { flowId: event.flowId, url: event.url, title, outcome: event.outcome };
        set({
          toasts: [...get().toasts.filter((t) => t.flowId !== event.flowId), toast].slice(-5),
          notifications: [{ ...toast, at: Date.now() }, ...get().notifications.filter((n) => n.flowId !== event.flowId)].slice(0, 50),
        });
        // The toast goes away by itself; the notification list keeps it.
        setTimeout(() => get().dismissToast(event.flowId), TOAST_MS);
      }
      else useChecks.getState().onEvent(event);
    });
    const app = await get().run('state', (a) => a.getState({}));
    // The screen the person was on last time (preferences.json, kept without the vault).
    if (app) set({ app, flows: Object.fromEntries(app.flows.map((f) => [f.flowId, f])), ...themeOf(app), ...(app.screen ? { screen: app.screen } : {}) });
  },
  go(screen) {
    set({ screen });
    const api = get().api;
    if (api?.setPreferences) void api.setPreferences({ screen }).catch(() => undefined);
  },
  selectFlow: (flowId) => set({ selectedFlow: flowId, selectedStep: undefined }),
  selectStep: (stepId) => set({ selectedStep: stepId }),
  setTheme(theme) {
    // The core keeps it (the page's origin may change between launches); localStorage only paints the first frame.
    try { localStorage.setItem('tessera.theme', theme); } catch { /* private mode */ }
    set({ theme });
    void get().run('theme', (a) => a.setTheme({ theme }));
  },
  notify: (notice) => set({ notice }),
  dismissToast: (flowId) => set({ toasts: get().toasts.filter((t) => t.flowId !== flowId) }),
  async run(key, fn) {
    const api = get().api;
    if (!api) return undefined;
    set({ busy: { ...get().busy, [key]: true } });
    try {
      return await fn(api);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError('error', error instanceof Error ? error.message : String(error), '');
      set({ notice: { kind: 'error', text: e.message, ...(e.hint ? { hint: e.hint } : {}) } });
      return undefined;
    } finally {
      const busy = { ...get().busy };
      delete busy[key];
      set({ busy });
    }
  },
  async open(url, waitSeconds = 0) {
    const started = await get().run(`open:${url}`, (a) => a.openResource({ url, waitSeconds }));
    if (started) set({ selectedFlow: started.flowId, selectedStep: undefined });
  },
}));

/** The newest flow for a URL. */
export function latestFlow(flows: Record<string, FlowView>, url: string): FlowView | undefined {
  return Object.values(flows).filter((f) => f.url === url).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
}

function themeOf(app: AppState): { theme?: Theme } {
  if (!app.theme) return {};
  try { localStorage.setItem('tessera.theme', app.theme); } catch { /* private mode */ }
  return { theme: app.theme };
}

/**
 * Requests still waiting for the owner: per resource, its newest flow when that ended pending (or is
 * running and already heard request_submitted). Requests that need information are not counted.
 */
export function waitingRequests(flows: Record<string, FlowView>): FlowView[] {
  const latest = new Map<string, FlowView>();
  for (const f of Object.values(flows).sort((a, b) => a.startedAt.localeCompare(b.startedAt))) latest.set(f.url, f);
  return [...latest.values()].filter((f) => (f.running ? f.steps.some((s) => s.outcome === 'request_submitted') : f.outcome === 'pending'));
}
