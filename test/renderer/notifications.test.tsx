/**
 * The approval toast goes away by itself and stays in the notification list (jsdom, a fake API whose
 * `subscribe` the test drives): after TOAST_MS the toast region is empty, "Notifications (1)" lists
 * the decision, and its Show leads to the record's screen.
 */
import { act, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvent } from '../../src/app/api';
import { TOAST_MS, useUi } from '../../renderer/store';
import { appState, mountApp, person } from './support';

const CARE = 'http://127.0.0.1:4403/patients/kate/care-notes';
afterEach(() => { vi.useRealTimers(); useUi.setState({ toasts: [], notifications: [], screen: 'resources' }); });

describe('notifications', () => {
  it('a decision toast leaves by itself after TOAST_MS; the notification list keeps it', async () => {
    let listener: (e: ApiEvent) => void = () => {};
    await mountApp(appState({ resources: [{ url: CARE, title: "Kate's care notes", origin: 'http://127.0.0.1:4403', fromDemo: true }] }), { subscribe: vi.fn((l: (e: ApiEvent) => void) => { listener = l; return () => {}; }) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    act(() => listener({ type: 'decided', flowId: 'p1', url: CARE, title: "Kate's care notes", outcome: 'granted' }));
    const region = screen.getByRole('status', { name: 'Owner decisions' });
    expect(region.textContent).toContain("The owner approved your request for Kate's care notes.");
    act(() => { vi.advanceTimersByTime(TOAST_MS - 100); });
    expect(region.textContent).toContain('The owner approved');
    act(() => { vi.advanceTimersByTime(200); });
    expect(region.textContent).toBe('');
    // Testing Library waits on a real setTimeout after each user event: the clock is real again from here.
    vi.useRealTimers();
    const user = person();
    act(() => { useUi.getState().go('tokens'); });
    // On screen a bell and the count (the header stays one line at 1280 px); its name, made of its
    // content, says what it is and holds the count seen (axe label-content-name-mismatch, WCAG 2.5.3).
    const button = within(screen.getByRole('banner')).getByRole('button', { name: 'Notifications (1)' });
    expect(within(button).getByText('(1)')).toBeTruthy();
    expect(button.hasAttribute('aria-label')).toBe(false);
    await user.click(button);
    const list = within(screen.getByRole('list', { name: 'Notifications' }));
    expect(list.getByText(/The owner approved your request for Kate's care notes\./)).toBeTruthy();
    await user.click(list.getByRole('button', { name: 'Show' }));
    expect(useUi.getState().screen).toBe('resources');
    expect(useUi.getState().selectedFlow).toBe('p1');
  });
});

describe('the Tokens screen', () => {
  it('each RPT row says whose it is, for which RS (and its records), the permissions the AS stated, and counts down to expiry', async () => {
    const IDP = 'http://127.0.0.1:4401';
    const alice = { key: `${IDP}#alice`, issuer: IDP, sub: 'alice', name: 'Dr. Alice Moreau', expiresAt: Date.now() + 3600_000, refreshable: true };
    await mountApp(appState({
      resources: [{ url: CARE, title: "Kate's care notes", origin: 'http://127.0.0.1:4403', fromDemo: true }],
      identities: [alice],
      tokens: [
        { kind: 'rpt', key: 'k1', issuer: 'http://127.0.0.1:4402', rsOrigin: 'http://127.0.0.1:4403', identity: alice.key, expiresAt: Date.now() + 125_000, fingerprint: 'fp:abc', permissions: [{ resource_id: 'rs-care', resource_scopes: ['read'] }] },
        { kind: 'rpt', key: 'k2', issuer: 'http://127.0.0.1:4402', rsOrigin: 'http://127.0.0.1:4403', identity: 'nobody', expiresAt: Date.now() + 30_000, fingerprint: 'fp:def' },
      ],
    }));
    act(() => { useUi.getState().go('tokens'); });
    // The table's body rows (the first row holds the column headers).
    const rows = screen.getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('cell').map((c) => c.textContent ?? ''));
    expect(rows[0]?.[0]).toBe('Dr. Alice Moreau');
    expect(rows[0]?.[1]).toBe("http://127.0.0.1:4403 (Kate's care notes)");
    expect(rows[0]?.[3]).toBe('rs-care: read');
    expect(rows[0]?.[4]).toMatch(/^expires in 2:0[45]$/);
    expect(rows[1]?.[0]).toBe('Nobody (no claims)');
    expect(rows[1]?.[3]).toBe('not stated by the AS (an opaque token)');
    expect(rows[1]?.[4]).toMatch(/^expires in 0:(29|30)$/);
  });
});

describe('the request builder', () => {
  it("a PUT shows the resource server's status and its body", async () => {
    const RX = 'http://127.0.0.1:4403/patients/kate/prescriptions';
    const openResource = vi.fn(async () => ({ flowId: 'put1' }));
    const { user } = await mountApp(appState({ resources: [{ url: RX, title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }] }), { openResource });
    const form = within(screen.getByRole('form', { name: 'Request builder' }));
    await user.selectOptions(form.getByRole('combobox', { name: 'Method' }), 'PUT');
    const body = form.getByRole('textbox', { name: 'Body' });
    await user.clear(body);
    await user.click(body);
    await user.paste('{"patient":"Kate"}');
    await user.click(form.getByRole('button', { name: 'Send PUT' }));
    expect(openResource).toHaveBeenCalledWith(expect.objectContaining({ url: RX, method: 'PUT', body: '{"patient":"Kate"}' }));
    act(() => { useUi.setState({ flows: { put1: { flowId: 'put1', url: RX, startedAt: new Date().toISOString(), running: false, outcome: 'granted', status: 200, contentType: 'application/json', body: '{"patient":"Kate","updated":true}', steps: [] } } }); });
    const response = within(form.getByRole('region', { name: /^Response of the resource server/ }));
    expect(response.getByRole('heading').textContent).toBe('The resource server answered 200 (application/json)');
    expect(response.getByText(/"updated": true/).textContent).toBe('{\n  "patient": "Kate",\n  "updated": true\n}');
  });
});
