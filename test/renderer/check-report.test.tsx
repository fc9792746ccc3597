/**
 * "Check this AS" in jsdom, over the API contract: Connections offers the action per trusted AS;
 * the resource of this AS comes first; progress streams in through the API's events (role=status,
 * a progress bar, the checks so far) with Cancel; the report shows the counts, each check with its
 * verdict, detail, advice, spec link and its exchange as a sequence diagram; Export saves the HTML.
 */
import { act } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvent, AppState, CheckRunView, CheckView, StepView, TesseraApi } from '../../src/app/api';
import { API_METHOD_NAMES } from '../../src/app/api-methods';
import { Connections } from '../../renderer/screens/Connections';
import { useUi } from '../../renderer/store';
import { useChecks } from '../../renderer/checks';
import { httpApi } from '../../renderer/api-client';

import { appState, render } from './support';

let container: HTMLElement;

const AS = 'http://127.0.0.1:4402';
const RS = 'http://127.0.0.1:4403';
const other = { url: 'https://files.example/album', title: 'Holiday album', origin: 'https://files.example', fromDemo: false };
const rx = { url: `${RS}/patients/kate/prescriptions`, title: "Kate's prescriptions", origin: RS, fromDemo: true };
const state: AppState = appState({
  resources: [other, rx],
  trusted: [{ issuer: AS, label: "Kate's AS (demo)", clientId: 'tessera', registration: 'static' }],
  providers: [], identities: [], actingAs: { party: 'http://127.0.0.1:4401#alice', label: 'Dr. Alice Moreau', issuer: 'http://127.0.0.1:4401' }, tokens: [],
  // The last flow of the prescriptions was protected by this AS: it is offered first.
  flows: [{ flowId: 'f1', url: rx.url, startedAt: '2026-01-01T10:00:00.000Z', running: false, outcome: 'granted', asIssuer: AS, steps: [] }],
});

const step = (over: Partial<StepView>): StepView => ({ id: Math.random().toString(36).slice(2), flowId: 'token.ticket-garbage', time: '2026-01-01T10:00:01.000Z', duration: 4, lane: 'as', kind: 'token', method: 'POST', url: `${AS}/token`, status: 400, request: { headers: { authorization: 'Basic [redacted fp:abcdefghij]' }, body: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Auma-ticket&ticket=tessera-probe-x' }, response: { headers: { 'content-type': 'application/json' }, body: '{"error":"invalid_grant"}' }, ...over });
const checks: CheckView[] = [
  { id: 'rs.challenge', title: 'The RS answers with a UMA challenge', spec: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.2', status: 'pass', detail: 'HTTP 401 with as_uri and ticket.', steps: [step({ lane: 'rs', kind: 'resource', method: 'GET', url: rx.url, status: 401, challenge: { scheme: 'UMA', asUri: AS, ticket: 'fp:tickettick' } })] },
  { id: 'discovery.grant-type', title: 'grant_types_supported lists the UMA grant', spec: 'https://www.rfc-editor.org/rfc/rfc8414#section-2', rule: 'The metadata lists the grant types the AS supports.', status: 'deviation', detail: 'grant_types_supported does not list the UMA grant.', advice: 'Do not rely on grant_types_supported.', steps: [] },
  { id: 'token.ticket-garbage', title: 'An unknown ticket gets invalid_grant', spec: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6', status: 'pass', detail: 'A ticket the AS never issued: 400 invalid_grant.', steps: [step({})] },
  { id: 'token.ticket-expired', title: 'An expired ticket gets invalid_grant', spec: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6', status: 'skip', detail: 'The ticket is opaque.', steps: [] },
];
const base: CheckRunView = { runId: 'run-1', issuer: AS, resource: rx.url, party: state.actingAs.party, startedAt: '2026-01-01T10:00:00.500Z', running: true, cancelled: false, done: 0, checks: [], summary: { pass: 0, info: 0, deviation: 0, fail: 0, unsafe: 0, skip: 0 }, created: [], origins: [] };

let listener: (e: ApiEvent) => void = () => {};
let api: TesseraApi & Record<string, ReturnType<typeof vi.fn>>;
beforeEach(async () => {
  useChecks.setState({ runs: {} });
  api = {
    getState: vi.fn(async () => state),
    checkAs: vi.fn(async () => ({ runId: 'run-1' })),
    cancelCheck: vi.fn(async () => base),
    exportCheckReport: vi.fn(async () => ({ filename: 'tessera-check-127.0.0.1-4402.html', mime: 'text/html', text: '<!DOCTYPE html><title>report</title>' })),
    subscribe: vi.fn((l: (e: ApiEvent) => void) => { listener = l; return () => {}; }),
  } as never;
  await act(async () => { await useUi.getState().connect(api); });
  container = render(<Connections />);
});

const button = (name: string) => [...container.querySelectorAll('button')].find((b) => b.textContent === name) as HTMLButtonElement;
const emit = (e: ApiEvent) => act(() => listener(e));

describe('Check this AS', () => {
  it('offers the resource of this AS first, runs as the acting person, streams progress, cancels', async () => {
    act(() => button('Check this AS').click());
    const form = container.querySelector('.check-as') as HTMLElement;
    expect(form.textContent).toContain('sends nothing to an authorization server you do not trust');
    expect(form.textContent).toContain('Dr. Alice Moreau');
    const radios = [...form.querySelectorAll<HTMLInputElement>('input[type="radio"]')];
    expect(radios.map((r) => r.value)).toEqual([rx.url, other.url, '__other__']);
    expect(radios[0]?.checked).toBe(true);
    expect(radios[0]?.closest('label')?.textContent).toContain('protected by this server');
    await act(async () => { (form.querySelector('button[type="submit"]') as HTMLButtonElement).click(); });
    expect(api.checkAs).toHaveBeenCalledWith({ issuer: AS, resource: rx.url });

    emit({ type: 'checkRun', run: base });
    expect(container.querySelector('[role="status"]')?.textContent).toContain('Starting the checks');
    emit({ type: 'check', runId: 'run-1', check: checks[0] as CheckView, index: 0, total: 4 });
    emit({ type: 'check', runId: 'run-1', check: checks[1] as CheckView, index: 1, total: 4 });
    // Another run's event, and a repeated one, change nothing.
    emit({ type: 'check', runId: 'run-2', check: checks[2] as CheckView, index: 2, total: 4 });
    emit({ type: 'check', runId: 'run-1', check: checks[1] as CheckView, index: 1, total: 4 });
    expect(container.querySelector('[role="status"]')?.textContent).toBe('2 of 4 checks done');
    const bar = container.querySelector('progress') as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([2, 4]);
    expect(bar.labels?.[0]?.textContent).toBe('2 of 4 checks done');
    const live = [...container.querySelectorAll('ol.check-live li')].map((li) => li.textContent);
    expect(live).toEqual(['✓ Pass The RS answers with a UMA challenge', '≈ Deviation grant_types_supported lists the UMA grant']);
    await act(async () => { button('Cancel').click(); });
    expect(api.cancelCheck).toHaveBeenCalledWith({ runId: 'run-1' });
  });

  it('shows the report: counts, verdicts, detail, advice, spec, the exchange as a diagram; Export saves the HTML', async () => {
    act(() => button('Check this AS').click());
    await act(async () => { (container.querySelector('button[type="submit"]') as HTMLButtonElement).click(); });
    emit({ type: 'checkRun', run: base });
    emit({ type: 'checkRun', run: { ...base, running: false, done: 4, total: 4, checks, summary: { pass: 2, info: 0, deviation: 1, fail: 0, unsafe: 0, skip: 1 }, created: [{ kind: 'pending_request', description: `access request for ${rx.url} waiting for the resource owner`, count: 2, cleanedUp: false, check: 'grant.no-claims' }], origins: [AS, RS] } });
    const report = container.querySelector('[aria-label="Check report"]') as HTMLElement;
    expect(container.querySelector('progress')).toBeNull();
    expect([...report.querySelectorAll('.check-summary li')].map((li) => li.textContent)).toEqual(['2 passed', '0 info', '1 deviation', '0 failed', '0 unsafe', '1 skipped']);
    expect(report.textContent).toContain('Nothing unsafe, no check failed: a UMA client can work with this server, provided it handles the deviations below.');
    expect(report.textContent).toContain('An access request waiting for the owner');
    expect(report.textContent).toContain('(from 2 requests)');
    const items = [...report.querySelectorAll('li.check-item')];
    expect(items).toHaveLength(4);
    const dev = items[1] as HTMLElement;
    expect(dev.querySelector('.badge')?.textContent).toBe('≈ Deviation');
    expect(dev.textContent).toContain('What a client must do: Do not rely on grant_types_supported.');
    expect(dev.querySelector('a')?.getAttribute('href')).toBe('https://www.rfc-editor.org/rfc/rfc8414#section-2');
    expect(dev.querySelector('details')).toBeNull();
    // The exchange: drawn when opened, an arrow selects its redacted detail.
    const garbage = items[2] as HTMLElement;
    const details = garbage.querySelector('details') as HTMLDetailsElement;
    expect(details.querySelector('svg')).toBeNull();
    act(() => { details.open = true; details.dispatchEvent(new Event('toggle')); });
    const arrows = details.querySelectorAll('.seq-msg[data-kind="request"]');
    expect(arrows).toHaveLength(1);
    act(() => { arrows[0]?.dispatchEvent(new MouseEvent('click', { bubbles: true })); });
    expect(details.querySelector('.step-detail')?.textContent).toContain('fp:abcdefghij');

    const saved: string[] = [];
    const createObjectURL = vi.fn(() => 'blob:report');
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) { saved.push(this.download); });
    await act(async () => { button('Export report (HTML)').click(); });
    expect(api.exportCheckReport).toHaveBeenCalledWith({ runId: 'run-1', format: 'html' });
    expect(saved).toEqual(['tessera-check-127.0.0.1-4402.html']);
    click.mockRestore();
  });

  it('a report with failures says what they mean without claiming no client can use the server; unsafe checks say so first', async () => {
    act(() => button('Check this AS').click());
    await act(async () => { (container.querySelector('button[type="submit"]') as HTMLButtonElement).click(); });
    const failed = (id: string): CheckView => ({ id, title: id, spec: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1', status: 'fail', detail: '401 unauthorized_client.', steps: [] });
    emit({ type: 'checkRun', run: { ...base, running: false, done: 2, total: 2, checks: [failed('grant.no-claims')], summary: { pass: 0, info: 0, deviation: 0, fail: 1, unsafe: 0, skip: 0 } } });
    const report = () => (container.querySelector('[aria-label="Check report"]') as HTMLElement).textContent;
    expect(report()).toContain('1 check failed: this server does not do what UMA 2.0 requires there. A client can use it only if it copes with each failure below.');
    emit({ type: 'checkRun', run: { ...base, running: false, done: 2, total: 2, checks: [failed('grant.no-claims'), failed('registration.dynamic')], summary: { pass: 0, info: 0, deviation: 0, fail: 2, unsafe: 0, skip: 0 } } });
    expect(report()).toContain('2 checks failed: this server does not do what UMA 2.0 requires there.');
    expect(report()).not.toContain('cannot work with this server');
    const unsafe: CheckView = { id: 'discovery.https', title: 'HTTPS outside loopback', spec: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7', status: 'unsafe', detail: 'Not HTTPS: http://as.example.com.', advice: 'Never send credentials there.', steps: [] };
    emit({ type: 'checkRun', run: { ...base, running: false, done: 2, total: 2, checks: [unsafe, failed('grant.no-claims')], summary: { pass: 0, info: 0, deviation: 0, fail: 1, unsafe: 1, skip: 0 } } });
    expect(report()).toContain('1 check is unsafe: following this server there could expose tokens, claims or credentials.');
    expect(report()).toContain('! Unsafe');
    expect(report()).toContain('0 info');
  });

  it('browser mode exposes every method of the contract (actAs, checkAs … included)', () => {
    const client = httpApi('session', vi.fn() as never) as unknown as Record<string, unknown>;
    for (const m of API_METHOD_NAMES) expect(typeof client[m], m).toBe('function');
  });
});
