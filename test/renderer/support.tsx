/**
 * What the renderer tests share: mounting React into jsdom (unmounted after each test), an AppState
 * and FlowView with every required field (override what a test is about), and the App connected to
 * a fake TesseraApi whose methods the test supplies.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, vi } from 'vitest';
import type { AppState, FlowView, TesseraApi } from '../../src/app/api';
import { App } from '../../renderer/App';
import { useUi } from '../../renderer/store';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const mounted: { root: Root; el: HTMLElement }[] = [];
afterEach(() => { for (const { root, el } of mounted.splice(0)) { act(() => root.unmount()); el.remove(); } });

/** Renders `node` into a fresh container; React's own error logging is silenced where a test provokes errors. */
export function render(node: React.ReactNode, options: { quietErrors?: boolean } = {}): HTMLElement {
  const el = document.createElement('div');
  document.body.append(el);
  const root = options.quietErrors ? createRoot(el, { onUncaughtError: () => {}, onCaughtError: () => {} }) : createRoot(el);
  act(() => root.render(node));
  mounted.push({ root, el });
  return el;
}

export function appState(over: Partial<AppState> = {}): AppState {
  return { mode: 'browser', vault: { backend: 'memory' }, resources: [], trusted: [], providers: [], identities: [], actingAs: { party: 'nobody', label: 'Nobody (no claims)' }, tokens: [], flows: [], untrustedSeen: [], ...over };
}

export function flowView(over: Partial<FlowView> = {}): FlowView {
  return { flowId: Math.random().toString(36).slice(2), url: 'http://127.0.0.1:1/r', startedAt: new Date().toISOString(), running: false, outcome: 'granted', status: 200, steps: [], ...over };
}

/** The App on the Resources screen, connected to a fake API: `getState` answers `state`, `subscribe` is a no-op unless given. */
export async function mountApp(state: AppState, methods: Partial<Record<keyof TesseraApi, unknown>> = {}, options: { quietErrors?: boolean } = {}): Promise<{ el: HTMLElement; api: TesseraApi }> {
  const api = { getState: vi.fn(async () => state), subscribe: vi.fn(() => () => {}), ...methods } as unknown as TesseraApi;
  useUi.setState({ screen: 'resources', flows: {}, app: undefined, notice: undefined });
  const el = render(<App />, options);
  await act(async () => { await useUi.getState().connect(api); });
  return { el, api };
}

/** Clicks the navigation tab whose label starts with `label`. */
export const clickTab = (el: HTMLElement, label: string) => act(() => { ([...el.querySelectorAll('nav button')].find((b) => b.textContent?.startsWith(label)) as HTMLButtonElement).click(); });
