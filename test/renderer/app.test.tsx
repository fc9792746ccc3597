/** Renderer components in jsdom: records rendered for people, the timeline, and the App over a fake API. */
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { FlowView, TesseraApi } from '../../src/app/api';
import { RecordView } from '../../renderer/components/RecordView';
import { Timeline, stepClass } from '../../renderer/components/Timeline';
import { App } from '../../renderer/App';
import { useUi } from '../../renderer/store';
import { bridgeApi, ApiError } from '../../renderer/api-client';
import { appState, render } from './support';


const prescriptions = JSON.stringify({ kind: 'prescriptions', patient: { name: 'Kate Lee' }, prescriptions: [{ id: 'rx1', medication: 'Atorvastatin', strength: '20 mg', form: 'tablet', dosage: 'One tablet every evening', quantity: 28, refills: 5, prescribedBy: 'Dr. Alice Moreau', prescribed: '2026-11-07', status: 'active' }] });

describe('RecordView', () => {
  it('renders a prescription like a prescription, raw JSON behind a disclosure', () => {
    const el = render(<RecordView body={prescriptions} />);
    expect(el.querySelector('article[aria-label="Prescription Atorvastatin"]')?.textContent).toContain('One tablet every evening');
    expect(el.querySelector('details summary')?.textContent).toBe('Raw JSON');
  });
  it('flags out-of-range lab values and shows unknown JSON as a list, non-JSON as text', () => {
    const lab = render(<RecordView body={JSON.stringify({ kind: 'lab-report', results: [{ test: 'LDL', value: 3.9, unit: 'mmol/L', range: '< 3.0', flag: 'high' }] })} />);
    expect(lab.querySelector('tr.flagged')?.textContent).toContain('LDL');
    expect(render(<RecordView body={'{"hello":"world"}'} />).querySelector('dl')?.textContent).toContain('world');
    expect(render(<RecordView body={'plain text'} />).textContent).toContain('plain text');
  });
});

const step = (over: Partial<FlowView['steps'][number]>): FlowView['steps'][number] => ({ id: Math.random().toString(36), flowId: 'f', time: new Date().toISOString(), duration: 3, lane: 'rs', kind: 'resource', method: 'GET', url: 'http://rs/r', status: 200, request: { headers: {} }, ...over });

describe('Timeline', () => {
  it('colours arrows by result and selects a step on click', () => {
    expect(stepClass(step({ status: 401, challenge: { scheme: 'UMA' } }))).toBe('challenge');
    expect(stepClass(step({ status: 403, lane: 'as', outcome: 'request_submitted' }))).toBe('pending');
    expect(stepClass(step({ status: 403, outcome: 'denied' }))).toBe('bad');
    expect(stepClass(step({ status: null, error: { code: 'network', message: 'x', hint: '' } }))).toBe('bad');
    expect(stepClass(step({ status: null, lane: 'browser', kind: 'interaction', duration: 900 }))).toBe('ok');
    const onSelect = vi.fn();
    const flow: FlowView = { flowId: 'f', url: 'http://rs/r', startedAt: new Date().toISOString(), running: true, steps: [step({ status: 401, challenge: { scheme: 'UMA' } }), step({ lane: 'as', method: 'POST', url: 'http://as/token' })] };
    const el = render(<Timeline flow={flow} onSelect={onSelect} />);
    const arrows = el.querySelectorAll('.seq-msg[data-kind="request"]');
    expect(arrows).toHaveLength(2);
    expect(el.querySelector('.seq-running')?.textContent).toContain('waiting');
    act(() => { arrows[1]?.dispatchEvent(new MouseEvent('click', { bubbles: true })); });
    expect(onSelect).toHaveBeenCalledWith(flow.steps[1]?.id);
  });
});

describe('App over the API contract', () => {
  it('lists resources and opens one through the API', async () => {
    const state = appState({ vault: { backend: 'memory', warning: 'tokens kept in memory only' }, resources: [{ url: 'http://127.0.0.1:4403/patients/kate/prescriptions', title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }] });
    const api = { getState: vi.fn(async () => state), openResource: vi.fn(async () => ({ flowId: 'f1' })), subscribe: vi.fn(() => () => {}) } as unknown as TesseraApi;
    const el = render(<App />);
    await act(async () => { await useUi.getState().connect(api); });
    expect(el.textContent).toContain("Kate's prescriptions");
    // Said once, in a person's words (no environment variable), dismissible.
    expect(el.querySelectorAll('[aria-label="Storage"]')).toHaveLength(1);
    expect(el.querySelector('[aria-label="Storage"]')?.textContent).toContain('memory only');
    const open = el.querySelector('button[aria-label="Open Kate\'s prescriptions"]') as HTMLButtonElement;
    await act(async () => { open.click(); });
    expect(api.openResource).toHaveBeenCalledWith({ url: state.resources[0]?.url, waitSeconds: 0 });
  });

  it('the Electron bridge turns error envelopes into typed errors', async () => {
    const bridge = { getState: vi.fn(async () => ({ ok: false, error: { code: 'forbidden', message: 'no', hint: 'h' } })), subscribe: vi.fn() } as never;
    await expect(bridgeApi(bridge).getState({})).rejects.toBeInstanceOf(ApiError);
  });
});
