/**
 * The story's write scene (issue #23): Dr. Alice reads Kate's prescriptions, then writes them back;
 * the RS asks for `write`, Tessera sends the RPT it holds as the grant's `rpt` parameter (UMA Grant
 * §3.3.1) and the AS upgrades it (§3.3.5.1) — or, without a rule of Kate's for `write`, refuses.
 * The narration says it from both sides (presenter and deck), with the RPT chip before and after;
 * the story's button reads the record, then PUTs it back unchanged.
 */
import { act, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { TesseraApi } from '../../src/app/api';
import { layoutFlow } from '../../renderer/components/sequence/layout';
import { narrate } from '../../renderer/components/sequence/narration';
import { Presenter, storyChapters } from '../../renderer/screens/Presenter';
import { useUi } from '../../renderer/store';
import { useTraces } from '../../renderer/traces';
import { writeUpgradeFlow } from '../fixtures/write-upgrade-flow';
import { appState, flowView, render } from './support';

const rs = 'http://127.0.0.1:4403/patients/kate';
const resources = ['care-notes', 'discharge-letter', 'bills', 'blood-test', 'prescriptions'].map((p) => ({ url: `${rs}/${p}`, title: p, fromDemo: true }));
const narrationOf = (el: Screen) => el.getByTestId('narration').textContent ?? '';
type Screen = ReturnType<typeof within>;
const key = (k: string) => act(() => { window.dispatchEvent(new KeyboardEvent('keydown', { key: k })); });

describe('the write-upgrade scene', () => {
  it('is in the story after PCT reuse and before Mallory, reading then writing the prescriptions', () => {
    const chapters = storyChapters(resources);
    expect(chapters.map((c) => c.id)).toEqual(['/prescriptions', '/blood-test', '/bills', '/care-notes', 'pct-reuse', 'write-upgrade', 'mallory']);
    const write = chapters.find((c) => c.id === 'write-upgrade');
    expect(write).toMatchObject({ url: `${rs}/prescriptions`, write: true });
    expect(write?.hint).toMatch(/add a rule for write in Kate's view/);
  });

  it("narrates the client's side: the PUT with RPT1, the rpt parameter, RPT1 → RPT2", () => {
    const flow = writeUpgradeFlow();
    const layout = layoutFlow(flow.steps);
    const [put, token, retry] = flow.steps.map((s) => narrate(s, layout));
    expect(put?.text).toBe("Tessera sends the PUT (a change, not a read) with the RPT it holds (RPT1), but it does not cover this request; the RS asks Kate's AS for a new permission ticket T1 and sends it to Tessera.");
    expect(token?.text).toMatch(/^Tessera brings the ticket T1 to the AS's token endpoint, the PCT PCT1 .*, with the RPT it holds \(RPT1\) as the grant's rpt parameter so the AS can add to it; Kate's policy allows it and the AS upgrades the RPT: RPT1 → RPT2/);
    expect(token?.spec).toBe('UMA Grant §3.3.1, §3.3.5.1');
    expect(retry?.text).toBe('Tessera presents the RPT RPT2; the RS checks it with the AS and accepts the PUT.');
    const refused = writeUpgradeFlow({ refused: true });
    expect(narrate(refused.steps[1]!, layoutFlow(refused.steps)).text).toMatch(/request_denied\. The RPT RPT1 is not upgraded\.$/);
  });

  it("presents both sides: the RS asked for write, Kate's rule allowed it, the RPT before and after", () => {
    const flow = writeUpgradeFlow();
    useUi.setState({ app: appState({ identities: [{ key: 'k', issuer: 'http://127.0.0.1:4401', sub: 'alice', name: 'Dr. Alice Moreau', expiresAt: 0, refreshable: true }] }), flows: { [flow.flowId]: flow } });
    useTraces.setState({ view: 'e2e' });
    useTraces.getState().present(flow.flowId, 0);
    const el = within(render(<Presenter />).container);
    expect(el.getByText('Step 1 of 3').parentElement?.textContent).toMatch(/Step 1 of 3 · Kate's prescriptions · for Dr\. Alice Moreau/);
    expect(narrationOf(el)).toMatch(/On the RS: RPT1 does not cover write on prescriptions \(its introspection cache says so\)\. The RS asks the AS for a permission ticket for write on prescriptions: T1\./);
    key('ArrowRight');
    expect(narrationOf(el)).toMatch(/On the AS: Dr\. Alice Moreau's PCT \(claims the AS kept\) from 127\.0\.0\.1:4401 says role = physician; Kate's rule 'physicians-write' \(role = physician\) allows write: RPT issued\. The RPT is upgraded: RPT2 carries RPT1's permissions plus write, and RPT1 is revoked\./);
    // The chips before and after, on the token request and its answer.
    // The current step's arrows (aria-current="step").
    const arrows = el.getAllByRole('button', { current: 'step' }).map((g) => g.getAttribute('aria-label') ?? '');
    expect(arrows.some((a) => /uma-ticket grant.*carries .*RPT \(requesting party token\) RPT1/.test(a))).toBe(true);
    expect(arrows.some((a) => /^2 200 RPT issued RPT2/.test(a))).toBe(true);
    key('ArrowRight');
    expect(narrationOf(el)).toMatch(/On the RS: RPT2 covers write on prescriptions \(the AS says so when the RS introspects it\), so the RS serves the request\./);
  });

  it('a refusal names that no rule of Kate covers write, and the RPT stays as it was', () => {
    const flow = writeUpgradeFlow({ refused: true });
    useUi.setState({ app: appState(), flows: { [flow.flowId]: flow } });
    useTraces.setState({ view: 'e2e' });
    useTraces.getState().present(flow.flowId, 1);
    const el = within(render(<Presenter />).container);
    expect(narrationOf(el)).toMatch(/The RPT RPT1 is not upgraded\..*On the AS: No rule of Kate's covers this request: request_denied\./);
  });

  it('is in the deck, both sides on its slides', async () => {
    const { deckHtml } = await import('../../renderer/components/sequence/deck');
    const doc = new DOMParser().parseFromString(await deckHtml([writeUpgradeFlow()], { server: true }), 'text/html');
    const slides = [...doc.querySelectorAll('section.slide')].map((s) => s.querySelector('.narration')?.textContent ?? '');
    expect(slides).toHaveLength(3);
    expect(slides[0]).toMatch(/PUT .*RPT1.*On the RS: RPT1 does not cover write on prescriptions/);
    expect(slides[1]).toMatch(/upgrades the RPT: RPT1 → RPT2.*On the AS: .*'physicians-write'.*RPT2 carries RPT1's permissions plus write/);
  });

  it("the story's button reads the record, then writes it back unchanged with PUT, and presents the write", async () => {
    const read = flowView({ flowId: 'f-read', url: `${rs}/prescriptions`, outcome: 'granted', body: '{"prescriptions":[]}' });
    const write = flowView({ flowId: 'f-put', url: `${rs}/prescriptions`, outcome: 'granted' });
    const openResource = vi.fn(async (input: { method?: string }) => {
      const f = input.method === 'PUT' ? write : read;
      setTimeout(() => act(() => useUi.setState({ flows: { ...useUi.getState().flows, [f.flowId]: f } })), 0);
      return { flowId: f.flowId };
    });
    useUi.setState({ app: appState({ resources: resources.map((r) => ({ ...r, origin: 'http://127.0.0.1:4403' })) }), flows: {}, api: { openResource } as unknown as TesseraApi });
    const el = within(render(<Presenter />).container);
    const button = el.getByRole('button', { name: 'Read, then write prescriptions' });
    await act(async () => { button.click(); await new Promise((r) => setTimeout(r, 20)); });
    await vi.waitFor(() => expect(openResource).toHaveBeenCalledTimes(2));
    expect(openResource.mock.calls[0]?.[0]).toMatchObject({ url: `${rs}/prescriptions` });
    expect(openResource.mock.calls[0]?.[0]).not.toHaveProperty('method');
    expect(openResource.mock.calls[1]?.[0]).toMatchObject({ url: `${rs}/prescriptions`, method: 'PUT', body: '{"prescriptions":[]}', headers: { 'Content-Type': 'application/json' } });
    await vi.waitFor(() => expect(useTraces.getState().presenting.flowId).toBe('f-put'));
  });
});
