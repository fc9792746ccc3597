/**
 * DPoP (RFC 9449) in the app, as a person sees it (jsdom, over a fake API; queries by role, label and
 * text): the "Sender-constrained tokens (DPoP)" switch on a trusted AS and in "Add an authorization
 * server", what the AS advertises; and in the diagram a key-thumbprint chip on each bound request,
 * the RPT chip as DPoP or Bearer, the decoded proof and the token_type in the exchange's details,
 * the narration, and exports (deck, SVG) without a proof or token.
 */
import { act } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState, TesseraApi, TrustedAsView } from '../../src/app/api';
import { App } from '../../renderer/App';
import { useUi } from '../../renderer/store';
import { layoutFlow } from '../../renderer/components/sequence/layout';
import { narrate } from '../../renderer/components/sequence/narration';
import { curlCommand } from '../../renderer/components/sequence/curl';
import { SequenceDiagram } from '../../renderer/components/sequence/SequenceDiagram';
import { StepDetail } from '../../renderer/components/StepDetail';
import { bearerFlow, dpopFlow, DPOP_JKT } from '../fixtures/dpop-flow';
import { parseTrace } from '../../src/app/trace-import';
import { uiAdvice } from '../../renderer/explain';
import { appState, render } from './support';

const AS = 'https://as.example';
const JWS = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./;
const SHORT = DPOP_JKT.slice(0, 8);

async function mount(state: AppState, methods: Partial<Record<keyof TesseraApi, unknown>>): Promise<HTMLElement> {
  const api = { getState: vi.fn(async () => state), subscribe: vi.fn(() => () => {}), ...methods } as unknown as TesseraApi;
  const el = render(<App />);
  await act(async () => { await useUi.getState().connect(api); });
  act(() => useUi.getState().go('connections'));
  return el;
}
beforeEach(() => { useUi.setState({ screen: 'resources', notice: undefined, flows: {}, busy: {} }); });

/** The form control a visible label names. */
function labelled(root: ParentNode, text: string): HTMLSelectElement {
  const label = [...root.querySelectorAll('label')].find((l) => l.textContent?.trim() === text);
  expect(label, `label "${text}"`).toBeTruthy();
  return root.ownerDocument!.getElementById(label!.htmlFor) as HTMLSelectElement;
}
function choose(select: HTMLSelectElement, optionText: string) {
  const option = [...select.options].find((o) => o.textContent === optionText);
  expect(option, `option "${optionText}"`).toBeTruthy();
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value')?.set?.call(select, option!.value);
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}
const card = (el: HTMLElement, name: string) => [...el.querySelectorAll('li')].find((li) => li.querySelector('strong')?.textContent === name) as HTMLElement;
const described = (control: Element) => control.ownerDocument.getElementById(control.getAttribute('aria-describedby') ?? '')?.textContent ?? '';

describe('Sender-constrained tokens (DPoP) on a trusted AS', () => {
  const lab: TrustedAsView = { issuer: AS, label: 'Lab AS', clientId: 'tessera', registration: 'static', dpop: 'auto', dpopAlgs: ['ES256', 'PS256'], dpopUsable: true };

  it('shows the switch with its three choices and what the AS advertises; a change is saved through the core at once', async () => {
    const setAsDpop = vi.fn(async () => appState({ trusted: [{ ...lab, dpop: 'off' }] }));
    const el = await mount(appState({ trusted: [lab] }), { setAsDpop });
    const item = card(el, 'Lab AS');
    const select = labelled(item, 'Sender-constrained tokens (DPoP)');
    expect(select.getAttribute('role') ?? 'combobox').toBe('combobox');
    expect([...select.options].map((o) => o.textContent)).toEqual(['Automatic (when the AS advertises it)', 'Always', 'Never']);
    expect(select.selectedOptions[0]?.textContent).toBe('Automatic (when the AS advertises it)');
    expect(described(select)).toContain('It advertises DPoP: dpop_signing_alg_values_supported ES256, PS256.');
    expect(described(select)).toContain('RPTs are bound to its key');

    await act(async () => { choose(select, 'Never'); });
    expect(setAsDpop).toHaveBeenCalledWith({ issuer: AS, dpop: 'off' });
    const after = labelled(card(el, 'Lab AS'), 'Sender-constrained tokens (DPoP)');
    expect(after.selectedOptions[0]?.textContent).toBe('Never');
    expect(described(after)).toContain('Tessera sends no DPoP proof here: RPTs are Bearer tokens.');
  });

  it('says when the AS does not advertise DPoP, when it advertises only algorithms Tessera cannot sign with, and when its metadata was not read yet', async () => {
    const el = await mount(appState({ trusted: [
      { ...lab, issuer: 'https://a.example', label: 'Plain AS', dpopAlgs: [], dpopUsable: false },
      { ...lab, issuer: 'https://b.example', label: 'RSA AS', dpopAlgs: ['RS256'], dpopUsable: false, dpop: 'on' },
      { issuer: 'https://c.example', label: 'New AS', registration: 'none' },
    ] }), {});
    expect(described(labelled(card(el, 'Plain AS'), 'Sender-constrained tokens (DPoP)'))).toContain('It does not advertise DPoP');
    const rsa = labelled(card(el, 'RSA AS'), 'Sender-constrained tokens (DPoP)');
    expect(rsa.selectedOptions[0]?.textContent).toBe('Always');
    expect(described(rsa)).toContain('RS256 — none that Tessera signs with');
    const fresh = labelled(card(el, 'New AS'), 'Sender-constrained tokens (DPoP)');
    expect(fresh.selectedOptions[0]?.textContent).toBe('Automatic (when the AS advertises it)');
    expect(described(fresh)).toContain('known once Tessera has read its metadata');
  });

  it('Add an authorization server: the switch goes with the form, and the check says what the AS advertises', async () => {
    const addAs = vi.fn(async () => ({ ...appState({ trusted: [{ ...lab, dpop: 'on' }] }), check: { source: 'discovery' as const, issuer: AS, tokenEndpoint: `${AS}/token`, umaGrant: 'listed' as const, dpopAlgs: ['ES256'] } }));
    const el = await mount(appState(), { addAs });
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Add an authorization server')) as HTMLFormElement;
    const type = (label: string, value: string) => {
      const input = labelled(form, label) as unknown as HTMLInputElement;
      act(() => { Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value); input.dispatchEvent(new Event('input', { bubbles: true })); });
    };
    type('Issuer', AS);
    type('Client id', 'tessera');
    type('Client secret', 's3cret-value');
    choose(labelled(form, 'Sender-constrained tokens (DPoP)'), 'Always');
    await act(async () => { ([...form.querySelectorAll('button')].find((b) => b.textContent === 'Trust this authorization server') as HTMLButtonElement).click(); });
    expect(addAs).toHaveBeenCalledWith(expect.objectContaining({ issuer: AS, dpop: 'on' }));
    expect(form.querySelector('[role="status"]')?.textContent).toContain('It advertises DPoP: dpop_signing_alg_values_supported ES256.');
  });
});

describe('the proof in the diagram', () => {
  const flow = dpopFlow();

  it('draws a key-thumbprint chip on each bound request and the RPT chip as DPoP', () => {
    const el = render(<SequenceDiagram steps={flow.steps} onSelect={() => {}} width={1100} />);
    const arrows = [...el.querySelectorAll('[role="button"]')].map((a) => a.getAttribute('aria-label') ?? '');
    const bound = arrows.filter((l) => l.includes(`DPoP proof signed by key ${SHORT}`));
    // The grant and both requests to the RS (the nonce retry included) carry a proof.
    expect(bound).toHaveLength(3);
    expect(bound[0]).toMatch(/^4 POST \/token \(uma-ticket grant\).*: Tessera to Authorization server/);
    expect(arrows.find((l) => /^4 200 RPT issued/.test(l))).toContain('RPT (requesting party token) RPT1 (DPoP-bound)');
    expect(arrows.filter((l) => /^[56] GET \/r\/prescriptions RPT1/.test(l)).every((l) => l.includes('RPT1 (DPoP-bound)'))).toBe(true);
    const chips = [...el.querySelectorAll('text')].map((t) => t.textContent?.trim());
    expect(chips.filter((t) => t === `DPoP ${SHORT}`)).toHaveLength(3);
    expect(chips).toContain('RPT1 · DPoP');
    expect(chips).not.toContain('RPT1 · Bearer');
    // One chip per key, whatever proof of it a request carries (three proofs, one key).
    expect(new Set(layoutFlow(flow.steps).messages.flatMap((m) => m.chips).filter((c) => c.role === 'dpop').map((c) => c.name))).toEqual(new Set(['DPoP']));
  });

  it('a Bearer flow: the RPT chip says Bearer and no request has a proof chip', () => {
    const el = render(<SequenceDiagram steps={bearerFlow().steps} width={1100} />);
    const texts = [...el.querySelectorAll('text')].map((t) => t.textContent?.trim());
    expect(texts).toContain('RPT1 · Bearer');
    expect(texts.some((t) => t?.startsWith('DPoP '))).toBe(false);
  });

  it("the exchange's details show the decoded proof (header with the public key, claims, ath as a fingerprint) and the token_type", () => {
    const names = layoutFlow(flow.steps).names;
    const grant = flow.steps.find((s) => s.kind === 'token')!;
    const el = render(<StepDetail step={grant} names={names} />);
    expect(el.textContent).toContain(`token_type DPoP: the RPT is bound to the key that signed this request's proof (jkt ${DPOP_JKT})`);
    const proof = el.querySelector('[aria-label="DPoP proof"]') as HTMLElement;
    expect(proof.textContent).toContain(`thumbprint (jkt) ${DPOP_JKT}`);
    const rows = (caption: string) => Object.fromEntries([...[...proof.querySelectorAll('table')].find((t) => t.querySelector('caption')?.textContent === caption)!.querySelectorAll('tr')].map((r) => [r.querySelector('th')?.textContent, r.querySelector('td')?.textContent ?? '']));
    const header = rows('Proof header');
    expect(header.typ).toBe('dpop+jwt');
    expect(header.alg).toBe('ES256');
    expect(JSON.parse(header.jwk?.replace(/ \(the public key\)$/, '') ?? '{}')).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(header.jwk).not.toContain('"d"');
    const claims = rows('Proof claims');
    expect(claims.htm).toMatch(/^POST/);
    expect(claims.htu).toMatch(/^http:\/\/127\.0\.0\.1:4410\/token/);
    expect(claims.jti).toMatch(/^[\w-]{20,}/);
    expect(claims.iat).toMatch(/\d{4}.*\((\d+ (s|min|h|days) ago|in \d+ \w+)\)$/);
    expect(proof.querySelector('dl')?.textContent).toContain('jtiits unique id');
    // The DPoP header is named as the proof of its key, not as an unknown secret.
    expect(el.textContent).toContain(`DPoP proof of key ${SHORT} fp:`);

    const resource = flow.steps.at(-1)!;
    const rs = render(<StepDetail step={resource} names={names} />);
    const rsClaims = Object.fromEntries([...rs.querySelectorAll('[aria-label="DPoP proof"] tr')].map((r) => [r.querySelector('th')?.textContent, r.querySelector('td')?.textContent ?? '']));
    expect(rsClaims.ath).toMatch(/^fp:[\w-]+$/);
    expect(rs.querySelector('[aria-label="DPoP proof"] dl')?.textContent).toContain('athhash of the access token');
    expect(rsClaims.nonce).toMatch(/^rs-nonce-/);
    expect(rs.textContent).not.toContain('token_type');
  });

  it('narrates the binding, and curl names the proof as one to make afresh', () => {
    const layout = layoutFlow(flow.steps);
    const grant = flow.steps.find((s) => s.kind === 'token')!;
    expect(narrate(grant, layout).text).toMatch(new RegExp(`issues an RPT RPT1\\. The request carries a DPoP proof \\(key ${SHORT}\\), and the AS binds the RPT to that key \\(token_type DPoP\\)\\.`));
    expect(narrate(flow.steps.at(-1)!, layout).text).toContain(`The RPT goes as DPoP, with a proof signed by Tessera's key (key ${SHORT})`);
    const curl = curlCommand(flow.steps.at(-1)!, layout.names);
    expect(curl).toContain('-H "dpop: ${DPOP_PROOF}"');
    expect(curl).toContain('-H "authorization: DPoP ${RPT_1}"');
    expect(curl).toMatch(/# DPOP_PROOF=… +\(a fresh DPoP proof/);
  });

  it('the HTML deck and the exported SVG show the thumbprint chips and carry no proof or token', async () => {
    const { deckHtml } = await import('../../renderer/components/sequence/deck');
    const html = await deckHtml([flow]);
    expect(html).toContain(`DPoP ${SHORT}`);
    expect(html).toContain('RPT1 · DPoP');
    expect(html).not.toMatch(JWS);
    expect(html).not.toMatch(/rpt-[A-Za-z0-9_-]{10,}/);
    const { svgMarkup } = await import('../../renderer/components/sequence/export');
    const el = render(<SequenceDiagram steps={flow.steps} width={1100} />);
    const svg = svgMarkup(el.querySelector('svg') as SVGSVGElement);
    expect(svg).toContain(`DPoP ${SHORT}`);
    expect(svg).not.toMatch(JWS);
  });

  it('an exported flow opened again keeps each proof decoded, and only the members a proof has', () => {
    const hostile = dpopFlow();
    const grant = hostile.steps.find((s) => s.kind === 'token')!;
    Object.assign(grant.dpop!.header.jwk!, { d: 'private-part' });
    Object.assign(grant.dpop!.claims, { extra: 'x'.repeat(10) });
    const { flows } = parseTrace(JSON.stringify({ exportedAt: new Date().toISOString(), flows: [hostile] }));
    const steps = flows[0]?.steps ?? [];
    expect(steps.filter((s) => s.dpop?.jkt === DPOP_JKT)).toHaveLength(3);
    expect(steps.find((s) => s.kind === 'token')?.dpop?.claims).not.toHaveProperty('extra');
    // A public key only: a private member in someone's trace is not shown.
    expect(steps.find((s) => s.kind === 'token')?.dpop?.header.jwk).not.toHaveProperty('d');
    expect(steps.find((s) => s.kind === 'token')?.dpop?.header.jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it("an AS that binds in the RPT's cnf.jkt but answers Bearer (Keycloak's UMA grant) is shown as such", () => {
    const grant = structuredClone(flow.steps.find((s) => s.kind === 'token')!);
    grant.response = { ...grant.response!, body: grant.response!.body!.replace('"token_type":"DPoP"', '"token_type":"Bearer"') };
    const rpt = JSON.parse(grant.response.body!).access_token.replace(/^\[redacted (fp:[\w-]+)\]$/, '$1') as string;
    grant.tokens = [...(grant.tokens ?? []).filter((t) => t.fingerprint !== rpt), { fingerprint: rpt, length: 900, jwt: { header: { alg: 'RS256' }, claims: { cnf: { jkt: DPOP_JKT } } } }];
    const el = render(<StepDetail step={grant} names={layoutFlow([grant]).names} />);
    expect(el.textContent).toContain(`token_type Bearer, yet the RPT names this proof's key in cnf.jkt (${DPOP_JKT})`);
  });

  it('a refusal under Always points at the switch in Connections, never at a command-line flag', () => {
    for (const code of ['dpop_not_bound', 'dpop_unsupported']) {
      const advice = uiAdvice({ code, message: 'm', hint: 'h', facts: { asIssuer: AS } });
      expect(advice).toContain(AS);
      expect(advice).toContain('Sender-constrained tokens (DPoP)');
      expect(advice).toContain('Connections');
      expect(advice).not.toMatch(/--|config\.json/);
    }
  });
});
