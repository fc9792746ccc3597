/**
 * What the renderer tests share: Testing Library's `render` (unmounted after each test by setup.ts),
 * a user-event `user` to click and type as a person does, an AppState and FlowView with every
 * required field (override what a test is about), and the App connected to a fake TesseraApi whose
 * methods the test supplies. Tests find things by what a person sees: roles, accessible names, labels, text.
 */
import { act, render as rtlRender, screen, within, type RenderResult } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { vi } from 'vitest';
import type { AppState, FlowView, TesseraApi } from '../../src/app/api';
import { App } from '../../renderer/App';
import { useUi } from '../../renderer/store';

/** Renders `node` with Testing Library; React's logging of errors an error boundary caught is silenced where a test provokes them. */
export function render(node: React.ReactNode, options: { quietErrors?: boolean } = {}): RenderResult {
  return rtlRender(node, options.quietErrors ? { onCaughtError: () => {} } : {});
}

/** A person at the keyboard and mouse (user-event); `advanceTimers` when the test fakes timers. */
export const person = (options: Parameters<typeof userEvent.setup>[0] = {}) => userEvent.setup(options);

/** Replaces what a field holds as a person would: clear it, then paste (user-event's `type` reads `{` and `[` as keys). */
export async function fill(user: ReturnType<typeof person>, field: HTMLElement, value: string): Promise<void> {
  await user.clear(field);
  if (value) await user.paste(value);
}

export function appState(over: Partial<AppState> = {}): AppState {
  return { mode: 'browser', vault: { backend: 'memory' }, resources: [], trusted: [], providers: [], identities: [], actingAs: { party: 'nobody', label: 'Nobody (no claims)' }, tokens: [], dpopKeys: [], flows: [], untrustedSeen: [], ...over };
}

export function flowView(over: Partial<FlowView> = {}): FlowView {
  return { flowId: Math.random().toString(36).slice(2), url: 'http://127.0.0.1:1/r', startedAt: new Date().toISOString(), running: false, outcome: 'granted', status: 200, steps: [], ...over };
}

/** The App on the Resources screen, connected to a fake API: `getState` answers `state`, `subscribe` is a no-op unless given. */
export async function mountApp(state: AppState, methods: Partial<Record<keyof TesseraApi, unknown>> = {}, options: { quietErrors?: boolean } = {}): Promise<RenderResult & { api: TesseraApi; user: ReturnType<typeof person> }> {
  const api = { getState: vi.fn(async () => state), subscribe: vi.fn(() => () => {}), ...methods } as unknown as TesseraApi;
  useUi.setState({ screen: 'resources', flows: {}, app: undefined, notice: undefined });
  const view = render(<App />, options);
  await act(async () => { await useUi.getState().connect(api); });
  return { ...view, api, user: person() };
}

/** The navigation button (in the "Screens" navigation) whose accessible name starts with `name`, e.g. "Requests 1 waiting for the owner". */
export const screenTab = (name: string) => within(screen.getByRole('navigation', { name: 'Screens' })).getByRole('button', { name: new RegExp(`^${name}`) });
