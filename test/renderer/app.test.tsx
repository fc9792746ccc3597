/** Renderer components in jsdom: records rendered for people, the timeline, and the App over a fake API. */
import { act, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { FlowView, TesseraApi } from '../../src/app/api';
import { RecordView } from '../../renderer/components/RecordView';
import { Timeline, stepClass } from '../../renderer/components/Timeline';
import { App } from '../../renderer/App';
import { useUi } from '../../renderer/store';
import { bridgeApi, ApiError } from '../../renderer/api-client';
import { appState, person, render } from './support';


const prescriptions = JSON.stringify({ kind: 'prescriptions', patient: { name: 'Kate Lee' }, prescriptions: [{ id: 'rx1', medication: 'Atorvastatin', strength: '20 mg', form: 'tablet', dosage: 'One tablet every evening', quantity: 28, refills: 5, prescribedBy: 'Dr. Alice Moreau', prescribed: '2026-11-07', status: 'active' }] });

describe('RecordView', () => {
  it('renders a prescription like a prescription, raw JSON behind a disclosure', () => {
    render(<RecordView body={prescriptions} />);
    expect(screen.getByRole('article', { name: 'Prescription Atorvastatin' }).textContent).toContain('One tablet every evening');
    // The disclosure: <details> is a group whose <summary> (no ARIA role of its own) reads "Raw JSON".
    expect(screen.getByRole('group').querySelector('summary')?.textContent).toBe('Raw JSON');
  });
  it('flags out-of-range lab values and shows unknown JSON as a list, non-JSON as text', () => {
    const lab = render(<RecordView body={JSON.stringify({ kind: 'lab-report', results: [{ test: 'LDL', value: 3.9, unit: 'mmol/L', range: '< 3.0', flag: 'high' }, { test: 'HDL', value: 1.4, unit: 'mmol/L', range: '> 1.0', flag: 'normal' }] })} />);
    // An out-of-range value is said in strong words in its row; a normal one is not.
    expect(within(lab.getByRole('row', { name: /LDL/ })).getByRole('strong').textContent).toBe('high');
    expect(within(lab.getByRole('row', { name: /HDL/ })).queryByRole('strong')).toBeNull();
    const generic = render(<RecordView body={'{"hello":"world"}'} />);
    expect(generic.getByRole('term').textContent).toBe('hello');
    expect(generic.getByRole('definition').textContent).toContain('world');
    expect(render(<RecordView body={'plain text'} />).getByText('plain text')).toBeTruthy();
  });
});

const step = (over: Partial<FlowView['steps'][number]>): FlowView['steps'][number] => ({ id: Math.random().toString(36), flowId: 'f', time: new Date().toISOString(), duration: 3, lane: 'rs', kind: 'resource', method: 'GET', url: 'http://rs/r', status: 200, request: { headers: {} }, ...over });

describe('Timeline', () => {
  it('colours arrows by result and selects a step on click', async () => {
    expect(stepClass(step({ status: 401, challenge: { scheme: 'UMA' } }))).toBe('challenge');
    expect(stepClass(step({ status: 403, lane: 'as', outcome: 'request_submitted' }))).toBe('pending');
    expect(stepClass(step({ status: 403, outcome: 'denied' }))).toBe('bad');
    expect(stepClass(step({ status: null, error: { code: 'network', message: 'x', hint: '' } }))).toBe('bad');
    expect(stepClass(step({ status: null, lane: 'browser', kind: 'interaction', duration: 900 }))).toBe('ok');
    const onSelect = vi.fn();
    const flow: FlowView = { flowId: 'f', url: 'http://rs/r', startedAt: new Date().toISOString(), running: true, steps: [step({ status: 401, challenge: { scheme: 'UMA' } }), step({ lane: 'as', method: 'POST', url: 'http://as/token' })] };
    render(<Timeline flow={flow} onSelect={onSelect} />);
    // The arrows are toggle buttons named by step number, what was sent, and from which lane to which.
    const arrows = screen.getAllByRole('button', { name: /^\d+ (GET|POST) / });
    expect(arrows.map((a) => a.getAttribute('aria-label'))).toEqual(['1 GET /r: Tessera to Resource server', '2 POST /token: Tessera to Authorization server']);
    expect(screen.getByText(/waiting for the next answer/)).toBeTruthy();
    await person().click(arrows[1] as HTMLElement);
    expect(onSelect).toHaveBeenCalledWith(flow.steps[1]?.id);
  });
});

describe('App over the API contract', () => {
  it('lists resources and opens one through the API', async () => {
    const state = appState({ vault: { backend: 'memory', warning: 'tokens kept in memory only' }, resources: [{ url: 'http://127.0.0.1:4403/patients/kate/prescriptions', title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }] });
    const api = { getState: vi.fn(async () => state), openResource: vi.fn(async () => ({ flowId: 'f1' })), subscribe: vi.fn(() => () => {}) } as unknown as TesseraApi;
    render(<App />);
    await act(async () => { await useUi.getState().connect(api); });
    expect(screen.getAllByText("Kate's prescriptions").length).toBeGreaterThan(0);
    // Said once, in a person's words (no environment variable), dismissible.
    expect(screen.getAllByRole('region', { name: 'Storage' })).toHaveLength(1);
    expect(screen.getByRole('region', { name: 'Storage' }).textContent).toContain('memory only');
    await person().click(screen.getByRole('button', { name: "Open Kate's prescriptions" }));
    expect(api.openResource).toHaveBeenCalledWith({ url: state.resources[0]?.url, waitSeconds: 0 });
  });

  it('the Electron bridge turns error envelopes into typed errors', async () => {
    const bridge = { getState: vi.fn(async () => ({ ok: false, error: { code: 'forbidden', message: 'no', hint: 'h' } })), subscribe: vi.fn() } as never;
    await expect(bridgeApi(bridge).getState({})).rejects.toBeInstanceOf(ApiError);
  });
});
