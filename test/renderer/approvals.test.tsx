/**
 * The renderer's side of approvals that arrive by themselves (jsdom, over the API contract): the
 * Requests badge counts only requests still waiting for the owner; the Requests screen speaks in
 * whole sentences; a `decided` event shows a dismissible toast (role=status) that leads to the
 * record; the theme comes from and goes to the core; Clear history asks first.
 */
import { act, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvent, AppState, FlowView, TesseraApi } from '../../src/app/api';
import { App } from '../../renderer/App';
import { useUi } from '../../renderer/store';
import { httpApi } from '../../renderer/api-client';
import { API_METHOD_NAMES } from '../../src/app/api-methods';

import { appState, person, render, screenTab } from './support';

afterEach(() => { useUi.setState({ toasts: [], screen: 'resources' }); });

const CARE = 'http://127.0.0.1:4403/patients/kate/care-notes';
const BLOOD = 'http://127.0.0.1:4403/patients/kate/blood-test';
const now = new Date().toISOString();
const pending: FlowView = { flowId: 'p1', url: CARE, title: "Kate's care notes", startedAt: now, running: false, outcome: 'pending', pending: { reason: 'owner_must_approve', interval: 5, watching: true, nextPollAt: Date.now() + 30_000 }, steps: [] };
const needInfo: FlowView = { flowId: 'n1', url: BLOOD, startedAt: now, running: false, outcome: 'need_info', needInfo: { requiredClaims: [{ name: 'email' }] }, steps: [] };
const state = (flows: FlowView[], extra: Partial<AppState> = {}): AppState => appState({
  vault: { backend: 'passphrase' },
  resources: [{ url: CARE, title: "Kate's care notes", origin: 'http://127.0.0.1:4403', fromDemo: true }, { url: BLOOD, title: "Kate's blood-test report", origin: 'http://127.0.0.1:4403', fromDemo: true }],
  flows, ...extra,
});

async function connect(initial: AppState) {
  let push: (e: ApiEvent) => void = () => {};
  const api = {
    getState: vi.fn(async () => initial),
    subscribe: vi.fn((l: (e: ApiEvent) => void) => { push = l; return () => {}; }),
    cancelFlow: vi.fn(async () => initial),
    setTheme: vi.fn(async () => initial),
    clearHistory: vi.fn(async () => state([])),
    openResource: vi.fn(async () => ({ flowId: 'x' })),
  } as unknown as TesseraApi & Record<string, ReturnType<typeof vi.fn>>;
  render(<App />);
  await act(async () => { await useUi.getState().connect(api); });
  return { api, user: person(), push: (e: ApiEvent) => act(() => push(e)) };
}
/** The live region where owner decisions appear. */
const toasts = () => screen.getByRole('status', { name: 'Owner decisions' });

describe('requests waiting for the owner', () => {
  it('the badge counts only requests still waiting for the owner, not those that need information', async () => {
    const { push } = await connect(state([pending, needInfo]));
    expect(screenTab('Requests').textContent).toBe('Requests1');
    expect(within(screenTab('Requests')).getByLabelText('1 waiting for the owner')).toBeTruthy();
    push({ type: 'flow', flow: { ...pending, outcome: 'granted', pending: undefined as never, body: '{"kind":"care-notes"}' } });
    expect(within(screenTab('Requests')).queryByLabelText(/waiting for the owner/)).toBeNull();
    expect(screenTab('Requests').textContent).toBe('Requests');
  });

  it('the Requests screen says what happens in whole sentences, and Stop waiting asks the core', async () => {
    const { api, user } = await connect(state([pending, needInfo]));
    await user.click(screenTab('Requests'));
    const waiting = within(screen.getByRole('region', { name: 'Requests' })).getByRole('list', { name: 'Waiting for the owner' });
    const [card, ...others] = within(waiting).getAllByRole('listitem');
    expect(others).toHaveLength(0);
    const text = card?.textContent ?? '';
    expect(text).toContain("Kate's care notes");
    expect(text).toContain('The owner has to approve your request before you can see this.');
    expect(text).toContain('Tessera keeps checking by itself and tells you when the owner decides.');
    expect(text).toMatch(/Next check in \d+ seconds\./);
    // No sentence that starts in lower case after a full stop ("… request. can check now.").
    expect(text).not.toMatch(/\.\s+[a-z]/);
    await user.click(within(card as HTMLElement).getByRole('button', { name: 'Stop waiting' }));
    expect(api.cancelFlow).toHaveBeenCalledWith({ flowId: 'p1' });
  });

  it('a request no longer watched offers to ask again', async () => {
    const { api, user } = await connect(state([{ ...pending, pending: { reason: 'owner_must_approve' } }]));
    await user.click(screenTab('Requests'));
    expect(screen.getByText('Tessera is not checking any more.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Ask again' }));
    expect(api.openResource).toHaveBeenCalledWith({ url: CARE, waitSeconds: 0 });
  });
});

describe('the owner decided while Tessera was elsewhere', () => {
  it('a toast (role=status) says so; clicking it shows the record; it can be dismissed', async () => {
    const { user, push } = await connect(state([pending]));
    await user.click(screenTab('Tokens'));
    const region = toasts();
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(region.textContent).toBe('');
    push({ type: 'flow', flow: { ...pending, outcome: 'granted', pending: undefined as never, body: JSON.stringify({ kind: 'care-notes', notes: [{ date: '2026-11-18', author: 'Nurse J. Okafor', text: 'Blood pressure 132/84.' }] }) } });
    push({ type: 'decided', flowId: 'p1', url: CARE, title: "Kate's care notes", outcome: 'granted' });
    expect(region.textContent).toContain("The owner approved your request for Kate's care notes. Show the record.");
    await user.click(within(region).getByRole('button', { name: "The owner approved your request for Kate's care notes. Show the record." }));
    expect(useUi.getState().screen).toBe('resources');
    expect(screen.getByText('Blood pressure 132/84.')).toBeTruthy();
    expect(region.textContent).toBe('');
  });

  it('a denial toast, dismissed with its button', async () => {
    const { user, push } = await connect(state([pending]));
    push({ type: 'decided', flowId: 'p1', url: CARE, outcome: 'denied' });
    const region = toasts();
    expect(region.textContent).toContain("The owner declined your request for Kate's care notes.");
    await user.click(within(region).getByRole('button', { name: "Dismiss the message about Kate's care notes" }));
    expect(region.textContent).toBe('');
  });
});

describe('theme and history kept by the core', () => {
  it('the theme comes from the core and a change goes back to it', async () => {
    const { api, user } = await connect(state([], { theme: 'dark' }));
    expect(document.documentElement.dataset.theme).toBe('dark');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Theme' }), 'Light');
    expect(api.setTheme).toHaveBeenCalledWith({ theme: 'light' });
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('Clear history asks first, then clears through the core; the timeline empties', async () => {
    const { api, user } = await connect(state([pending, needInfo]));
    await user.click(screenTab('Export'));
    await user.click(screen.getByRole('button', { name: 'Clear history' }));
    expect(api.clearHistory).not.toHaveBeenCalled();
    expect(screen.getByText(/Forget every flow on the timeline/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Yes, clear history' }));
    expect(api.clearHistory).toHaveBeenCalledWith({ confirm: true });
  });
});

describe('the browser-mode client', () => {
  it('offers every method of the contract (setTheme, clearHistory, actAs…), not a hand-kept subset', async () => {
    const sent: string[] = [];
    const fetchImpl = (async (_u: string, init: { body: string }) => { sent.push((JSON.parse(init.body) as { method: string }).method); return new Response(JSON.stringify({ ok: true, result: {} })); }) as unknown as typeof fetch;
    const api = httpApi('session-token-for-the-test', fetchImpl) as unknown as Record<string, (i: unknown) => Promise<unknown>>;
    for (const m of API_METHOD_NAMES) await api[m]?.({});
    expect(sent).toEqual([...API_METHOD_NAMES]);
  });
});
