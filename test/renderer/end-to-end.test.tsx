/**
 * "End to end" (issue #23): the servers' events drawn among the client's exchanges — the RS's
 * permission request inside the 401 exchange with the same ticket chip T1, the AS's decision naming
 * the rule and the claim, a refusal naming the rule that did not match, Kate's approval in the owner
 * lane — and the Flow screen's "Client view" / "End to end" switch, which says when the server side
 * is not visible. Queries by accessible names and text.
 */
import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ServerEventView } from '../../src/app/api';
import { layoutFlow } from '../../renderer/components/sequence/layout';
import { SequenceDiagram } from '../../renderer/components/sequence/SequenceDiagram';
import { decisionText, issuerNamer } from '../../renderer/components/sequence/server-side';
import { Flow } from '../../renderer/screens/Flow';
import { Presenter } from '../../renderer/screens/Presenter';
import { useUi } from '../../renderer/store';
import { useTraces } from '../../renderer/traces';
import { bloodTestFlow, bloodTestServerEvents } from '../fixtures/blood-test-flow';
import { appState, person, render } from './support';

const flow = bloodTestFlow();
const server = bloodTestServerEvents();
/** The drawn diagram (an SVG with role=group), and the names of its arrows (toggle buttons), without their step numbers. */
const diagram = () => screen.getByRole('group', { name: /^Sequence diagram/ });
const names = (el: HTMLElement) => within(el).queryAllByRole('button').map((e) => e.getAttribute('aria-label')?.replace(/^\d+ /, '') ?? '');
const button = (name: string) => screen.getByRole('button', { name });

describe('end to end', () => {
  it("draws the servers' side in order, inside the client's exchanges, with the same chips", () => {
    const layout = layoutFlow(flow.steps, { server });
    expect(layout.lanes.map((l) => l.id)).toEqual(['browser', 'tessera', 'rs', 'as', 'owner', 'idp']);
    const order = layout.messages.map((m) => `${m.from}>${m.to} ${m.label}${m.chips.map((c) => ` ${c.name}`).join('')}`);
    const at = (re: RegExp) => order.findIndex((x) => re.test(x));
    expect(at(/^rs>as registers blood-test/)).toBe(0);
    // The RS asks the AS for the ticket while Tessera's first request waits, and that ticket is T1 on both sides.
    expect(at(/^tessera>rs GET/)).toBeLessThan(at(/^rs>as POST \/uma\/permission: blood-test read PAT$/));
    expect(at(/^as>rs 201 permission ticket T1$/)).toBeLessThan(at(/^rs>tessera 401 \+ ticket T1$/));
    expect(at(/^as>as policy: .*need_info/)).toBeLessThan(at(/^as>tessera 403 need_info T2$/));
    expect(at(/^rs>as POST \/uma\/introspect RPT1 PAT$/)).toBeGreaterThan(at(/^tessera>rs GET .* RPT1$/));
    expect(at(/^rs>as POST \/uma\/introspect/)).toBeLessThan(at(/^rs>tessera 200/));
    // Client view: the five lanes and only what Tessera saw.
    expect(layoutFlow(flow.steps).messages.some((m) => m.server)).toBe(false);
  });

  it("says which rule decided on which claim, and for a refusal which rule did not match", () => {
    const granted = server.find((e) => e.outcome === 'granted')!;
    expect(decisionText(granted)).toMatch(/Dr\. Alice Moreau's claims gathered in the browser from 127\.0\.0\.1:4401 says role = physician; Kate's rule 'physicians-terms' \(role = physician, terms accepted\) allows read: RPT issued/);
    // Named as the app names the provider.
    expect(decisionText(granted, issuerNamer([{ issuer: 'http://127.0.0.1:4401', label: 'Hospital ID (demo)' }]))).toMatch(/claims gathered in the browser from Hospital ID says role = physician/);
    const refused: ServerEventView = { id: 'as:9', at: granted.at, side: 'as', kind: 'decision', outcome: 'denied', scopes: ['read'], requester: 'Mallory Quinn', tokens: [],
      rules: [{ id: 'insurer', claim: 'role', value: 'insurer', issuer: 'http://127.0.0.1:4401', scopes: ['read'], terms: false, approval: false, matched: false, saw: 'visitor' }], claims: { source: 'id_token', issuer: 'http://127.0.0.1:4401', values: { role: 'visitor' } } };
    expect(decisionText(refused)).toBe("No rule matched: Kate's rule 'insurer' (role = insurer) does not match (Mallory Quinn has role = visitor): request_denied.");
    render(<SequenceDiagram steps={flow.steps} server={[...server, refused]} width={1200} onSelect={() => {}} />);
    expect(names(diagram()).some((n) => /^policy: No rule matched: Kate's rule 'insurer'.*: Authorization server$/.test(n))).toBe(true);
  });

  it("puts Kate's approval in the owner lane", () => {
    const approval: ServerEventView = { id: 'as:10', at: server.at(-1)!.at, side: 'owner', kind: 'approval', decision: 'approved', requester: 'Dr. Alice Moreau', resource: { id: 'r', name: 'care-notes' }, tokens: [] };
    render(<SequenceDiagram steps={flow.steps} server={[...server, approval]} width={1200} onSelect={() => {}} />);
    expect(names(diagram())).toContain("Kate approves Dr. Alice Moreau's request for care-notes in her dashboard: Owner (Kate) to Authorization server");
    // The lane's heading, drawn as SVG text.
    expect(within(diagram()).getAllByText('Owner (Kate)').length).toBeGreaterThan(0);
  });

  it('switches between Client view and End to end, and says when the server side is not visible', async () => {
    useUi.setState({ app: appState({ flows: [flow] }), flows: { [flow.flowId]: { ...flow, server: { visible: true, events: server } }, other: { ...flow, flowId: 'other', server: { visible: false, events: [] } } }, selectedFlow: flow.flowId });
    useTraces.setState({ view: 'client' });
    const { container } = render(<Flow />);
    const view = within(screen.getByRole('group', { name: 'Diagram view' }));
    expect(view.getByRole('button', { name: 'Client view', pressed: true })).toBeTruthy();
    expect(names(diagram()).some((n) => /uma\/permission/.test(n))).toBe(false);
    await person().click(view.getByRole('button', { name: 'End to end' }));
    expect(view.getByRole('button', { name: 'End to end', pressed: true })).toBeTruthy();
    expect(screen.getByRole('group', { name: /^Sequence diagram.*end to end/ })).toBeTruthy();
    expect(names(diagram()).some((n) => /^POST \/uma\/permission: blood-test read PAT: Resource server to Authorization server/.test(n))).toBe(true);
    expect(container.textContent).not.toMatch(/server side is not visible/);
    act(() => useUi.getState().selectFlow('other'));
    expect(screen.getByRole('note').textContent).toMatch(/The server side is not visible for this flow/);
  });

  it("Keycloak's own events: the decision and introspection in its words, and a note on what Keycloak does not record", () => {
    const at = server[0]!.at;
    const kc: ServerEventView[] = [
      { id: 'kc:1', at, side: 'as', kind: 'decision', outcome: 'request_submitted', status: 403, tokens: [], native: { server: 'keycloak', type: 'PERMISSION_TOKEN_ERROR', client: 'tessera', error: 'access_denied', reason: 'request_submitted' } },
      { id: 'kc:2', at, side: 'rs', kind: 'introspection', active: true, tokens: [], native: { server: 'keycloak', type: 'INTROSPECT_TOKEN', client: 'health-records', tokenId: 'fp:abcdefghij' } },
    ];
    expect(decisionText(kc[0]!)).toBe("Keycloak's event PERMISSION_TOKEN_ERROR (access_denied, request_submitted): a request for the owner was filed; request_submitted. Keycloak's events do not say which policy asked for it.");
    useUi.setState({ app: appState({ flows: [flow] }), flows: { [flow.flowId]: { ...flow, server: { visible: true, source: 'keycloak', events: kc } } }, selectedFlow: flow.flowId });
    useTraces.setState({ view: 'e2e' });
    const { container } = render(<Flow />);
    expect(names(diagram()).some((n) => /^policy: Keycloak's event PERMISSION_TOKEN_ERROR .*: Authorization server$/.test(n))).toBe(true);
    expect(names(diagram())).toContain('active (Keycloak: INTROSPECT_TOKEN): Authorization server to Resource server');
    expect(screen.getByRole('note').textContent).toMatch(/comes from Keycloak's own events/);
    expect(screen.getByRole('note').textContent).toMatch(/does not record the RS's permission requests, the policy that decided, or Kate's approvals/);
    expect(container.textContent).not.toMatch(/server side is not visible/);
  });

  it("presents the flow of its actual party, narrates both sides, and has progress, notes and a blank screen", () => {
    const alice = { key: 'k1', issuer: 'http://127.0.0.1:4401', sub: 'alice', name: 'Dr. Alice Moreau', expiresAt: 0, refreshable: true };
    const mallory = { ...alice, key: 'k2', sub: 'mallory', name: 'Mallory Quinn' };
    const presented = { ...flow, party: 'http://127.0.0.1:4401#alice', server: { visible: true, events: server } };
    // Mallory is the one signed in now (and listed first): the flow is still Dr. Alice's.
    useUi.setState({ app: appState({ identities: [mallory, alice], actingAs: { party: 'http://127.0.0.1:4401#mallory', label: 'Mallory Quinn' } }), flows: { [flow.flowId]: presented } });
    useTraces.setState({ view: 'e2e' });
    useTraces.getState().present(flow.flowId, 0);
    render(<Presenter />);
    const key = (k: string) => act(() => { window.dispatchEvent(new KeyboardEvent('keydown', { key: k })); });
    expect(screen.getByText('Step 1 of 7')).toBeTruthy();
    expect(screen.getByText(/^· Kate's blood-test report · for Dr\. Alice Moreau$/)).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Progress: step 1 of 7' })).toBeTruthy();
    key('End');
    expect(screen.getByRole('progressbar', { name: 'Progress: step 7 of 7' }).getAttribute('value')).toBe('7');
    // Step 6 is the token request that gets the RPT: the AS's side says which rule and which claim.
    key('ArrowLeft');
    const narration = screen.getByTestId('narration').textContent ?? '';
    expect(narration).toMatch(/issues an RPT RPT1/);
    expect(narration).toMatch(/On the AS: Dr\. Alice Moreau's claims gathered in the browser .* says role = physician; Kate's rule 'physicians-terms'/);
    const notes = () => screen.getByRole('region', { name: 'Speaker notes' });
    expect(notes().textContent).toMatch(/On the wire: POST .*\/uma\/token → 200/);
    key('Home');
    expect(screen.getByText('Step 1 of 7')).toBeTruthy();
    // Step 1, end to end: the notes say the RS asked the AS for the ticket, with the same chip T1.
    expect(notes().textContent).toMatch(/RS: POST \/uma\/permission: blood-test read \(PAT\)AS: 201 permission ticket \(T1\)/);
    key('b');
    expect(screen.getByRole('dialog', { name: /^Blank screen/ })).toBeTruthy();
    key('B');
    expect(screen.queryByRole('dialog', { name: /^Blank screen/ })).toBeNull();
    expect(button('Full screen')).toBeTruthy();
    key('f');
  });
});

describe('a deck that travels', () => {
  it('is one self-contained HTML page: strict CSP, no outside address loaded, a slide per step, fingerprints only', async () => {
    const { deckHtml } = await import('../../renderer/components/sequence/deck');
    const html = await deckHtml([{ ...flow, server: { visible: true, events: server } }], { server: true, names: () => 'Dr. Alice Moreau' });
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const csp = doc.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '';
    expect(csp).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(doc.querySelectorAll('script[src], link, img[src^="http"], iframe, object')).toHaveLength(0);
    expect(doc.documentElement.getAttribute('lang')).toBe('en');
    const slides = [...doc.querySelectorAll('section.slide')];
    expect(slides).toHaveLength(flow.steps.length);
    expect(slides[0]?.querySelector('h2')?.textContent).toBe("Kate's blood-test report · for Dr. Alice Moreau — step 1 of 7");
    expect(slides[5]?.textContent).toMatch(/On the AS: .*Kate's rule 'physicians-terms'/);
    expect(slides[0]?.querySelector('aside[aria-label="Speaker notes"]')?.textContent).toMatch(/RS: POST \/uma\/permission: blood-test read \(PAT\)/);
    expect(doc.querySelector('svg[aria-label$="end to end: Kate\'s blood-test report"]')).not.toBeNull();
    expect(html).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\./);
  });
});

describe('a deck of several flows', () => {
  it('has the slides of each flow in order, each with its own diagram', async () => {
    const { deckHtml } = await import('../../renderer/components/sequence/deck');
    const second = { ...flow, flowId: 'f-2', title: 'Second flow', steps: flow.steps.slice(0, 2) };
    const doc = new DOMParser().parseFromString(await deckHtml([flow, second]), 'text/html');
    expect(doc.title).toBe('2 UMA flows — Tessera deck');
    const heads = [...doc.querySelectorAll('section.slide h2')].map((h) => h.textContent);
    expect(heads).toHaveLength(flow.steps.length + 2);
    expect(heads.at(-1)).toBe('Second flow — step 2 of 2');
    expect([...doc.querySelectorAll('.flow-diagram')].map((d) => [d.getAttribute('aria-label'), d.hasAttribute('hidden')])).toEqual([["Diagram of Kate's blood-test report", false], ['Diagram of Second flow', true]]);
    expect(doc.querySelector('progress')?.getAttribute('max')).toBe(String(flow.steps.length + 2));
  });
});

describe('exported SVG', () => {
  it('carries no selection box, highlight or click target styling', async () => {
    const { svgMarkup } = await import('../../renderer/components/sequence/export');
    const style = document.createElement('style');
    style.textContent = '.seq-msg.selected .seq-hit { fill: #eee; stroke: #0a58a8; stroke-width: 2; } .seq-msg.current .seq-hit { fill: #fff4d6; } .seq-msg.future { opacity: 0.12; }';
    document.head.append(style);
    render(<SequenceDiagram steps={flow.steps} selected={flow.steps[0]!.id} upTo={1} onSelect={() => {}} width={1000} />);
    const markup = svgMarkup(diagram() as unknown as SVGSVGElement);
    style.remove();
    const doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
    const rects = [...doc.querySelectorAll('rect')];
    expect(rects.filter((r) => ['#eee', '#fff4d6', 'rgb(238, 238, 238)', 'rgb(255, 244, 214)'].includes(r.getAttribute('fill') ?? ''))).toHaveLength(0);
    expect(rects.filter((r) => (r.getAttribute('stroke') ?? '').includes('0a58a8') || r.getAttribute('stroke') === 'rgb(10, 88, 168)')).toHaveLength(0);
    expect(markup).not.toMatch(/opacity="0\.12"|role="button"|tabindex|aria-pressed|aria-current/);
  });
});
