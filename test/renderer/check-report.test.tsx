/**
 * "Check this AS" in jsdom, over the API contract: Connections offers the action per trusted AS;
 * the resource of this AS comes first; progress streams in through the API's events (role=status,
 * a progress bar, the checks so far) with Cancel; the report shows the counts, each check with its
 * verdict, detail, advice, spec link and its exchange as a sequence diagram; Export saves the HTML.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvent, AppState, CheckRunView, CheckView, StepView, TesseraApi } from '../../src/app/api';
import { API_METHOD_NAMES } from '../../src/app/api-methods';
import { Connections } from '../../renderer/screens/Connections';
import { useUi } from '../../renderer/store';
import { useChecks } from '../../renderer/checks';
import { httpApi } from '../../renderer/api-client';

import { appState, person, render } from './support';

let user: ReturnType<typeof person>;

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
  render(<Connections />);
  user = person();
});

const button = (name: string) => screen.getByRole('button', { name });
const report = () => screen.getByRole('region', { name: 'Check report' });
const emit = (e: ApiEvent) => act(() => listener(e));

describe('Check this AS', () => {
  it('offers the resource of this AS first, runs as the acting person, streams progress, cancels', async () => {
    await user.click(button('Check this AS'));
    const form = screen.getByRole('region', { name: "Check Kate's AS (demo)" });
    expect(form.textContent).toContain('sends nothing to an authorization server you do not trust');
    expect(form.textContent).toContain('Dr. Alice Moreau');
    const radios = within(within(form).getByRole('group', { name: /^A protected resource of this server/ })).getAllByRole<HTMLInputElement>('radio');
    expect(radios.map((r) => r.value)).toEqual([rx.url, other.url, '__other__']);
    expect(within(form).getByRole('radio', { name: `Kate's prescriptions ${rx.url}protected by this server` })).toBe(radios[0]);
    expect(radios[0]?.checked).toBe(true);
    await user.click(within(form).getByRole('button', { name: 'Run the checks' }));
    expect(api.checkAs).toHaveBeenCalledWith({ issuer: AS, resource: rx.url });

    emit({ type: 'checkRun', run: base });
    expect(screen.getByRole('status').textContent).toContain('Starting the checks');
    emit({ type: 'check', runId: 'run-1', check: checks[0] as CheckView, index: 0, total: 4 });
    emit({ type: 'check', runId: 'run-1', check: checks[1] as CheckView, index: 1, total: 4 });
    // Another run's event, and a repeated one, change nothing.
    emit({ type: 'check', runId: 'run-2', check: checks[2] as CheckView, index: 2, total: 4 });
    emit({ type: 'check', runId: 'run-1', check: checks[1] as CheckView, index: 1, total: 4 });
    expect(screen.getByRole('status').textContent).toBe('2 of 4 checks done');
    const bar = screen.getByRole<HTMLProgressElement>('progressbar', { name: '2 of 4 checks done' });
    expect([bar.value, bar.max]).toEqual([2, 4]);
    const live = within(screen.getByRole('list', { name: 'Checks done so far' })).getAllByRole('listitem').map((li) => li.textContent);
    expect(live).toEqual(['✓ Pass The RS answers with a UMA challenge', '≈ Deviation grant_types_supported lists the UMA grant']);
    await user.click(button('Cancel'));
    expect(api.cancelCheck).toHaveBeenCalledWith({ runId: 'run-1' });
  });

  it('shows the report: counts, verdicts, detail, advice, spec, the exchange as a diagram; Export saves the HTML', async () => {
    await user.click(button('Check this AS'));
    await user.click(button('Run the checks'));
    emit({ type: 'checkRun', run: base });
    emit({ type: 'checkRun', run: { ...base, running: false, done: 4, total: 4, checks, summary: { pass: 2, info: 0, deviation: 1, fail: 0, unsafe: 0, skip: 1 }, created: [{ kind: 'pending_request', description: `access request for ${rx.url} waiting for the resource owner`, count: 2, cleanedUp: false, check: 'grant.no-claims' }], origins: [AS, RS] } });
    const shown = within(report());
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(within(shown.getByRole('list', { name: 'Summary' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['2 passed', '0 info', '1 deviation', '0 failed', '0 unsafe', '1 skipped']);
    expect(report().textContent).toContain('Nothing unsafe, no check failed: a UMA client can work with this server, provided it handles the deviations below.');
    expect(report().textContent).toContain('An access request waiting for the owner');
    expect(report().textContent).toContain('(from 2 requests)');
    const items = within(shown.getByRole('list', { name: 'Checks' })).getAllByRole('article');
    expect(items.map((a) => a.getAttribute('aria-labelledby'))).toEqual(checks.map((c) => `h-${c.id}`));
    const dev = within(shown.getByRole('article', { name: 'grant_types_supported lists the UMA grant' }));
    expect(dev.getByText('Deviation').textContent).toBe('≈ Deviation');
    expect(items[1]?.textContent).toContain('What a client must do: Do not rely on grant_types_supported.');
    expect(dev.getByRole('link', { name: 'Specification' }).getAttribute('href')).toBe('https://www.rfc-editor.org/rfc/rfc8414#section-2');
    // No exchange to show: no disclosure (a <details> is a group).
    expect(dev.queryByRole('group')).toBeNull();
    // The exchange: drawn when opened, an arrow selects its redacted detail.
    const garbage = within(shown.getByRole('article', { name: 'An unknown ticket gets invalid_grant' }));
    expect(garbage.queryByRole('group', { name: /diagram/i })).toBeNull();
    expect(garbage.queryByRole('button', { name: /POST/ })).toBeNull();
    await user.click(garbage.getByText('The exchange (1 request)'));
    const arrows = await garbage.findAllByRole('button', { name: /^\d+ (GET|POST) / });
    expect(arrows).toHaveLength(1);
    await user.click(arrows[0] as HTMLElement);
    expect(garbage.getByRole('region', { name: 'Exchange details' }).textContent).toContain('fp:abcdefghij');

    const saved: string[] = [];
    const createObjectURL = vi.fn(() => 'blob:report');
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) { saved.push(this.download); });
    await user.click(button('Export report (HTML)'));
    expect(api.exportCheckReport).toHaveBeenCalledWith({ runId: 'run-1', format: 'html' });
    expect(saved).toEqual(['tessera-check-127.0.0.1-4402.html']);
    click.mockRestore();
  });

  it('a report with failures says what they mean without claiming no client can use the server; unsafe checks say so first', async () => {
    await user.click(button('Check this AS'));
    await user.click(button('Run the checks'));
    const failed = (id: string): CheckView => ({ id, title: id, spec: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1', status: 'fail', detail: '401 unauthorized_client.', steps: [] });
    emit({ type: 'checkRun', run: { ...base, running: false, done: 2, total: 2, checks: [failed('grant.no-claims')], summary: { pass: 0, info: 0, deviation: 0, fail: 1, unsafe: 0, skip: 0 } } });
    const text = () => report().textContent;
    expect(text()).toContain('1 check failed: this server does not do what UMA 2.0 requires there. A client can use it only if it copes with each failure below.');
    emit({ type: 'checkRun', run: { ...base, running: false, done: 2, total: 2, checks: [failed('grant.no-claims'), failed('registration.dynamic')], summary: { pass: 0, info: 0, deviation: 0, fail: 2, unsafe: 0, skip: 0 } } });
    expect(text()).toContain('2 checks failed: this server does not do what UMA 2.0 requires there.');
    expect(text()).not.toContain('cannot work with this server');
    const unsafe: CheckView = { id: 'discovery.https', title: 'HTTPS outside loopback', spec: 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7', status: 'unsafe', detail: 'Not HTTPS: http://as.example.com.', advice: 'Never send credentials there.', steps: [] };
    emit({ type: 'checkRun', run: { ...base, running: false, done: 2, total: 2, checks: [unsafe, failed('grant.no-claims')], summary: { pass: 0, info: 0, deviation: 0, fail: 1, unsafe: 1, skip: 0 } } });
    expect(text()).toContain('1 check is unsafe: following this server there could expose tokens, claims or credentials.');
    expect(text()).toContain('! Unsafe');
    expect(text()).toContain('0 info');
  });

  it('browser mode exposes every method of the contract (actAs, checkAs … included)', () => {
    const client = httpApi('session', vi.fn() as never) as unknown as Record<string, unknown>;
    for (const m of API_METHOD_NAMES) expect(typeof client[m], m).toBe('function');
  });
});
