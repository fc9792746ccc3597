/**
 * The sequence diagram, exchange details, presenter and trace import in jsdom: five lanes, one solid
 * arrow per request and one dashed return per response, ticket chips rotating T1 → T2 → T3, tokens
 * labelled by role (and no "=" token), curl with placeholders, presenter keyboard stepping.
 */
import { act, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { toHar } from '../../src/app/har';
import { parseTrace, TraceImportError } from '../../src/app/trace-import';
import { layoutFlow } from '../../renderer/components/sequence/layout';
import { narrate } from '../../renderer/components/sequence/narration';
import { curlCommand } from '../../renderer/components/sequence/curl';
import { SequenceDiagram } from '../../renderer/components/sequence/SequenceDiagram';
import { StepDetail, formParams } from '../../renderer/components/StepDetail';
import { Presenter, storyChapters } from '../../renderer/screens/Presenter';
import { useUi } from '../../renderer/store';
import { useTraces } from '../../renderer/traces';
import { bloodTestFlow, idTokenClaims, longFlow } from '../fixtures/blood-test-flow';
import { appState, person, render } from './support';


const flow = bloodTestFlow();

describe('sequence layout', () => {
  it('has five lanes, the person first, and a dashed return for every answered request', () => {
    const layout = layoutFlow(flow.steps, { width: 1000 });
    expect(layout.lanes.map((l) => l.id)).toEqual(['browser', 'tessera', 'rs', 'as', 'idp']);
    expect(layout.lanes.map((l) => l.x)).toEqual([...layout.lanes.map((l) => l.x)].sort((a, b) => a - b));
    const requests = layout.messages.filter((m) => m.kind === 'request');
    const returns = layout.messages.filter((m) => m.kind === 'return');
    // 6 HTTP exchanges + the browser leg (Tessera → person, person → AS) = 8 requests; 6 + 1 returns.
    expect(requests).toHaveLength(8);
    expect(returns).toHaveLength(7);
    expect(layout.messages.map((m) => m.row)).toEqual(layout.messages.map((_, i) => i));
    expect(layout.messages.find((m) => m.from === 'browser' && m.to === 'as')?.label).toMatch(/claims/);
    expect(layout.messages.some((m) => m.to === 'idp')).toBe(true);
    expect(returns.map((m) => m.label)).toEqual(expect.arrayContaining(['401 + ticket', '403 need_info', '200 RPT issued', '200 resource']));
  });

  it('names tickets by first appearance so the rotation T1 → T2 → T3 is visible, and the RPT travels', () => {
    const layout = layoutFlow(flow.steps);
    const chips = layout.messages.map((m) => `${m.kind}:${m.chips.map((c) => c.name).join(',')}`);
    expect(chips).toEqual([
      'request:', 'return:T1', // RS: 401 + ticket
      'request:', 'return:', // discovery
      'request:refresh', 'return:ID', // IdP: refresh token out, ID token back
      'request:secret,T1,ID', 'return:T2', // token: T1 + the ID token as claim token → need_info T2
      'request:T2', 'request:T2', 'return:T3', // browser leg: T2 out, T3 back
      'request:secret,T3', 'return:RPT1,PCT1', // token: RPT issued with a PCT
      'request:RPT1', 'return:', // RS with the RPT
    ]);
    expect(layout.names.get('fp:TICKETtwo')?.role).toBe('ticket');
    expect(layout.names.get('fp:CLIENTsec1')?.role).toBe('client_secret');
  });

  it('draws it as SVG: lane heads, solid requests, dashed returns, clickable arrows', async () => {
    const onSelect = vi.fn();
    const { container } = render(<SequenceDiagram steps={flow.steps} onSelect={onSelect} width={1000} />);
    // How the drawing looks (lane order, solid vs dashed strokes, chips) has no accessible role: by its SVG markup.
    expect([...container.querySelectorAll('.seq-lane')].map((g) => g.getAttribute('data-lane'))).toEqual(['browser', 'tessera', 'rs', 'as', 'idp']);
    expect(container.querySelectorAll('.seq-msg[data-kind="request"] line:not([stroke-dasharray])')).toHaveLength(8);
    expect(container.querySelectorAll('.seq-msg[data-kind="return"] line[stroke-dasharray]')).toHaveLength(7);
    expect([...container.querySelectorAll('.seq-chip[data-role="ticket"]')].map((c) => c.getAttribute('data-chip'))).toEqual(['T1', 'T1', 'T2', 'T2', 'T2', 'T3', 'T3']);
    // The arrows are toggle buttons a person clicks or reaches with Tab and Enter.
    const arrows = within(screen.getByRole('group', { name: /^Sequence diagram/ })).getAllByRole('button');
    expect(arrows).toHaveLength(15);
    expect(arrows[6]?.getAttribute('aria-label')).toBe('4 POST /uma/token (uma-ticket grant) secret T1 ID: Tessera to Authorization server; carries client secret secret, permission ticket T1, claim token ID');
    const user = person();
    await user.click(arrows[6] as HTMLElement);
    expect(onSelect).toHaveBeenCalledWith(flow.steps[3]?.id);
    (arrows[0] as HTMLElement).focus();
    await user.keyboard('{Enter}');
    expect(onSelect).toHaveBeenLastCalledWith(flow.steps[0]?.id);
  });

  it('lays out a 200-exchange flow', () => {
    const layout = layoutFlow(longFlow(200).steps);
    expect(layout.messages).toHaveLength(400);
    expect(layout.height).toBeGreaterThan(400 * layout.rowHeight);
  });
});

describe('exchange details', () => {
  const names = layoutFlow(flow.steps).names;
  it('decodes the form body into a parameter table and labels tokens by role, never "="', () => {
    const step = flow.steps[3];
    if (!step) throw new Error('fixture');
    expect(formParams(step.request.body ?? '', 'application/x-www-form-urlencoded')?.[0]).toEqual(['grant_type', 'urn:ietf:params:oauth:grant-type:uma-ticket']);
    render(<StepDetail step={step} names={names} />);
    const params = within(screen.getByRole('table', { name: 'Form parameters' })).getAllByRole('row').slice(1).map((tr) => tr.textContent); // the first row holds the column headers
    expect(params[0]).toBe('grant_typeurn:ietf:params:oauth:grant-type:uma-ticket');
    expect(params[1]).toContain('permission ticket T1');
    expect(params[2]).toContain('claim token ID');
    const list = screen.getByRole('list', { name: 'Tokens in this exchange' });
    const tokens = within(list).getAllByRole('listitem').map((li) => li.textContent ?? '');
    expect(tokens.some((t) => t.startsWith('client secret'))).toBe(true);
    expect(tokens.some((t) => t.startsWith('permission ticket T2'))).toBe(true);
    expect(tokens.every((t) => !/^\s*=|<code>=<\/code>/.test(t))).toBe(true);
    expect(list.innerHTML).not.toContain('<code>=</code>');
  });

  it('shows JWT dates as local time with "expires in"; the signature honestly not verified', () => {
    const step = flow.steps[2];
    if (!step) throw new Error('fixture');
    render(<StepDetail step={step} names={names} />);
    const jwt = within(screen.getByText('Decoded JWT').closest('details') as HTMLElement); // <details> is an unnamed group: found by its summary
    expect(within(jwt.getByRole('table', { name: 'Claims' })).getByRole('row', { name: /^exp / }).textContent).toContain(new Date(idTokenClaims.exp * 1000).toLocaleString());
    expect(jwt.getByText(/^Expire[sd] (in|.* ago)/)).toBeTruthy();
    expect(jwt.getByText(/not verified/)).toBeTruthy();
  });

  it('copies as curl with named placeholders instead of secrets', () => {
    const step = flow.steps[5];
    if (!step) throw new Error('fixture');
    const curl = curlCommand(step, names);
    expect(curl).toContain('${TICKET_3}');
    expect(curl).toContain('Basic ${CLIENT_CREDENTIALS}');
    expect(curl).not.toMatch(/fp:|redacted/);
    expect(curlCommand(flow.steps[6] as never, names)).toContain('Bearer ${RPT_1}');
  });
});

describe('narration', () => {
  it('says each step in plain words with its spec section', () => {
    const layout = layoutFlow(flow.steps);
    const lines = flow.steps.map((s) => narrate(s, layout));
    expect(lines[0]?.text).toMatch(/RS asks Kate's AS for a permission ticket T1/);
    expect(lines[0]?.spec).toBe('UMA Grant §3.2');
    expect(lines[3]?.spec).toBe('UMA Grant §3.3.6');
    expect(lines[4]?.spec).toBe('UMA Grant §3.3.2–3.3.3');
    expect(lines[5]?.text).toMatch(/issues an RPT RPT1/);
  });
});

describe('trace import', () => {
  it('reads a Tessera export and a HAR of it into the same diagram', () => {
    const exported = JSON.stringify({ exportedAt: new Date().toISOString(), flows: [flow] });
    const fromJson = parseTrace(exported);
    const fromHar = parseTrace(JSON.stringify(toHar([flow])));
    expect(fromJson.format).toBe('tessera');
    expect(fromHar.format).toBe('har');
    const a = layoutFlow(fromJson.flows[0]?.steps ?? []).messages.map((m) => [m.from, m.to, m.kind, m.label, m.chips.map((c) => c.name).join()]);
    const b = layoutFlow(fromHar.flows[0]?.steps ?? []).messages.map((m) => [m.from, m.to, m.kind, m.label, m.chips.map((c) => c.name).join()]);
    expect(b).toEqual(a);
    expect(a).toEqual(layoutFlow(flow.steps).messages.map((m) => [m.from, m.to, m.kind, m.label, m.chips.map((c) => c.name).join()]));
  });
  it('refuses files that are not traces, or that hold a raw token', () => {
    expect(() => parseTrace('not json')).toThrow(TraceImportError);
    expect(() => parseTrace('{"flows":[{"flowId":1}]}')).toThrow(/Not a valid Tessera export/);
    const leaked = JSON.stringify({ flows: [{ ...flow, steps: [{ ...flow.steps[0], request: { headers: { authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2ln' } } }] }] });
    expect(() => parseTrace(leaked)).toThrow(/raw token/);
  });
  it("shows an imported error's spec link only when it points at a spec host Tessera cites", async () => {
    const error = (spec: string) => ({ code: 'invalid_grant', message: 'The ticket is no longer valid.', hint: 'Ask the RS again.', spec });
    const steps = [{ ...flow.steps[0]!, id: 's-evil', error: error('https://evil.example/uma') }, { ...flow.steps[1]!, id: 's-good', error: error('https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6') }];
    const imported = await useTraces.getState().importText('hostile.json', JSON.stringify({ flows: [{ ...flow, flowId: 'hostile', steps }] }));
    const [evil, good] = imported?.[0]?.steps ?? [];
    const a = render(<StepDetail step={evil!} />);
    expect(a.getByRole('alert').textContent).toContain('The ticket is no longer valid.');
    expect(a.queryByRole('link', { name: 'Specification' })).toBeNull();
    a.unmount();
    const b = render(<StepDetail step={good!} />);
    expect(b.getByRole('link', { name: 'Specification' }).getAttribute('href')).toMatch(/^https:\/\/docs\.kantarainitiative\.org\//);
  });
});

describe('presenter', () => {
  it('steps through the flow with the keyboard, one narration per step', async () => {
    const state = appState({ flows: [flow] });
    useUi.setState({ app: state, flows: { [flow.flowId]: flow } });
    useTraces.getState().present(flow.flowId, 0);
    const { container } = render(<Presenter />);
    expect(screen.getByText('Step 1 of 7')).toBeTruthy();
    // The current step's request and answer are marked aria-current="step".
    expect(screen.getAllByRole('button', { current: 'step' }).map((b) => b.getAttribute('aria-label'))).toEqual([expect.stringMatching(/^1 GET /), expect.stringMatching(/^1 401 /)]);
    act(() => { window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' })); });
    act(() => { window.dispatchEvent(new KeyboardEvent('keydown', { key: ' ' })); });
    expect(screen.getByText('Step 3 of 7')).toBeTruthy();
    expect(screen.getByTestId('narration').textContent).toMatch(/identity provider/);
    act(() => { window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' })); });
    expect(screen.getByText('Step 2 of 7')).toBeTruthy();
    // Steps not reached yet are only dimmed (a visual state with no accessible role): by their class.
    expect(container.querySelectorAll('.seq-msg.future').length).toBeGreaterThan(0);
  });
  it("tells Kate's story in order, the write upgrade before Mallory, Mallory last", () => {
    const rs = 'http://127.0.0.1:4403/patients/kate';
    const chapters = storyChapters(['care-notes', 'discharge-letter', 'bills', 'blood-test', 'prescriptions'].map((p) => ({ url: `${rs}/${p}`, title: p, fromDemo: true })));
    expect(chapters.map((c) => c.id)).toEqual(['/prescriptions', '/blood-test', '/bills', '/care-notes', 'pct-reuse', 'write-upgrade', 'mallory']);
  });
});
