/**
 * DPoP (RFC 9449) in the app, as a person sees it (jsdom, over a fake API; queries by role, label and
 * text): the "Sender-constrained tokens (DPoP)" switch on a trusted AS and in "Add an authorization
 * server", what the AS advertises; and in the diagram a key-thumbprint chip on each bound request,
 * the RPT chip as DPoP or Bearer, the decoded proof and the token_type in the exchange's details,
 * the narration, and exports (deck, SVG) without a proof or token; on the Tokens screen each held RPT
 * as bound to a DPoP key (the diagram's chip) or Bearer, the keys held, and Sign out saying it forgets them.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState, TesseraApi, TrustedAsView } from '../../src/app/api';
import { useUi } from '../../renderer/store';
import { layoutFlow } from '../../renderer/components/sequence/layout';
import { narrate } from '../../renderer/components/sequence/narration';
import { curlCommand } from '../../renderer/components/sequence/curl';
import { SequenceDiagram } from '../../renderer/components/sequence/SequenceDiagram';
import { StepDetail } from '../../renderer/components/StepDetail';
import { bearerFlow, dpopFlow, DPOP_JKT } from '../fixtures/dpop-flow';
import { parseTrace } from '../../src/app/trace-import';
import { uiAdvice } from '../../renderer/explain';
import { appState, fill, mountApp, render } from './support';

const AS = 'https://as.example';
const JWS = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./;
const SHORT = DPOP_JKT.slice(0, 8);
const DPOP = 'Sender-constrained tokens (DPoP)';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The App on the Connections screen, over a fake API. */
async function mount(state: AppState, methods: Partial<Record<keyof TesseraApi, unknown>>) {
  const view = await mountApp(state, methods);
  await act(async () => { useUi.getState().go('connections'); });
  return view;
}
beforeEach(() => { useUi.setState({ screen: 'resources', notice: undefined, flows: {}, busy: {} }); });

/** The trusted AS's card, by its name. */
const card = (name: string) => screen.getByRole('listitem', { name });
/**
 * The DPoP switch in `scope`, which must be described (its accessible description, read out with it)
 * by every one of `says`.
 */
const dpopSwitch = (scope: HTMLElement, ...says: string[]) =>
  within(scope).getByRole<HTMLSelectElement>('combobox', { name: DPOP, description: (d: string) => says.every((s) => d.includes(s)) });
/** The choice a select shows. */
const chosen = (select: HTMLElement) => within(select).getByRole('option', { selected: true }).textContent;

describe('Sender-constrained tokens (DPoP) on a trusted AS', () => {
  const lab: TrustedAsView = { issuer: AS, label: 'Lab AS', clientId: 'tessera', registration: 'static', dpop: 'auto', dpopAlgs: ['ES256', 'PS256'], dpopUsable: true };

  it('shows the switch with its three choices and what the AS advertises; a change is saved through the core at once', async () => {
    const setAsDpop = vi.fn(async () => appState({ trusted: [{ ...lab, dpop: 'off' }] }));
    const { user } = await mount(appState({ trusted: [lab] }), { setAsDpop });
    const select = dpopSwitch(card('Lab AS'), 'It advertises DPoP: dpop_signing_alg_values_supported ES256, PS256.', 'RPTs are bound to its key');
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual(['Automatic (when the AS advertises it)', 'Always', 'Never']);
    expect(chosen(select)).toBe('Automatic (when the AS advertises it)');

    await user.selectOptions(select, 'Never');
    expect(setAsDpop).toHaveBeenCalledWith({ issuer: AS, dpop: 'off' });
    const after = dpopSwitch(card('Lab AS'), 'Tessera sends no DPoP proof here: RPTs are Bearer tokens.');
    expect(chosen(after)).toBe('Never');
  });

  it('says when the AS does not advertise DPoP, when it advertises only algorithms Tessera cannot sign with, and when its metadata was not read yet', async () => {
    await mount(appState({ trusted: [
      { ...lab, issuer: 'https://a.example', label: 'Plain AS', dpopAlgs: [], dpopUsable: false },
      { ...lab, issuer: 'https://b.example', label: 'RSA AS', dpopAlgs: ['RS256'], dpopUsable: false, dpop: 'on' },
      { issuer: 'https://c.example', label: 'New AS', registration: 'none' },
    ] }), {});
    expect(dpopSwitch(card('Plain AS'), 'It does not advertise DPoP')).toBeTruthy();
    expect(chosen(dpopSwitch(card('RSA AS'), 'RS256 — none that Tessera signs with'))).toBe('Always');
    expect(chosen(dpopSwitch(card('New AS'), 'known once Tessera has read its metadata'))).toBe('Automatic (when the AS advertises it)');
  });

  it('Add an authorization server: the switch goes with the form, and the check says what the AS advertises', async () => {
    const addAs = vi.fn(async () => ({ ...appState({ trusted: [{ ...lab, dpop: 'on' }] }), check: { source: 'discovery' as const, issuer: AS, tokenEndpoint: `${AS}/token`, umaGrant: 'listed' as const, dpopAlgs: ['ES256'] } }));
    const { user } = await mount(appState(), { addAs });
    const form = within(screen.getByRole('form', { name: 'Add an authorization server' }));
    await fill(user, form.getByLabelText('Issuer'), AS);
    await fill(user, form.getByLabelText('Client id'), 'tessera');
    await fill(user, form.getByLabelText('Client secret'), 's3cret-value');
    await user.selectOptions(form.getByRole('combobox', { name: DPOP }), 'Always');
    await user.click(form.getByRole('button', { name: 'Trust this authorization server' }));
    expect(addAs).toHaveBeenCalledWith(expect.objectContaining({ issuer: AS, dpop: 'on' }));
    expect(form.getByRole('status').textContent).toContain('It advertises DPoP: dpop_signing_alg_values_supported ES256.');
  });
});

describe('the proof in the diagram', () => {
  const flow = dpopFlow();

  it('draws a key-thumbprint chip on each bound request and the RPT chip as DPoP', () => {
    const { getAllByRole, getByRole, getAllByText, queryAllByText } = render(<SequenceDiagram steps={flow.steps} onSelect={() => {}} width={1100} />);
    const bound = getAllByRole('button', { name: new RegExp(escape(`DPoP proof signed by key ${SHORT}`)) });
    // The grant and both requests to the RS (the nonce retry included) carry a proof; the grant is the first.
    expect(bound).toHaveLength(3);
    expect(bound[0]).toBe(getByRole('button', { name: /^4 POST \/token \(uma-ticket grant\).*: Tessera to Authorization server/ }));
    expect(getByRole('button', { name: /^4 200 RPT issued.*RPT \(requesting party token\) RPT1 \(DPoP-bound\)/ })).toBeTruthy();
    // Every request to the RS with the RPT says the RPT goes DPoP-bound.
    const rsRequests = getAllByRole('button', { name: /^[56] GET \/r\/prescriptions RPT1/ });
    expect(getAllByRole('button', { name: /^[56] GET \/r\/prescriptions RPT1.*RPT1 \(DPoP-bound\)/ })).toEqual(rsRequests);
    // The chips' visible text (SVG text: what a sighted person reads on the arrow).
    expect(getAllByText(`DPoP ${SHORT}`)).toHaveLength(3);
    expect(getAllByText('RPT1 · DPoP').length).toBeGreaterThan(0);
    expect(queryAllByText('RPT1 · Bearer')).toHaveLength(0);
    // One chip per key, whatever proof of it a request carries (three proofs, one key).
    expect(new Set(layoutFlow(flow.steps).messages.flatMap((m) => m.chips).filter((c) => c.role === 'dpop').map((c) => c.name))).toEqual(new Set(['DPoP']));
  });

  it('a Bearer flow: the RPT chip says Bearer and no request has a proof chip', () => {
    const { getAllByText, queryAllByText } = render(<SequenceDiagram steps={bearerFlow().steps} width={1100} />);
    expect(getAllByText('RPT1 · Bearer').length).toBeGreaterThan(0);
    expect(queryAllByText(/^DPoP /)).toHaveLength(0);
  });

  it("the exchange's details show the decoded proof (header with the public key, claims, ath as a fingerprint) and the token_type", () => {
    const names = layoutFlow(flow.steps).names;
    const grant = flow.steps.find((s) => s.kind === 'token')!;
    // Each render is looked into through its own container: both stay in the document.
    const { container } = render(<StepDetail step={grant} names={names} />);
    expect(container.textContent).toContain(`token_type DPoP: the RPT is bound to the key that signed this request's proof (jkt ${DPOP_JKT})`);
    const region = within(container).getByRole('region', { name: 'DPoP proof' });
    expect(region.textContent).toContain(`thumbprint (jkt) ${DPOP_JKT}`);
    const proof = within(region);
    /** A table of the proof by its caption, as { row header: cell }. */
    const rows = (caption: string) => Object.fromEntries(within(proof.getByRole('table', { name: caption })).getAllByRole('row')
      .map((r) => [within(r).getByRole('rowheader').textContent, within(r).getByRole('cell').textContent ?? '']));
    /** What the list under the tables says each claim is, as { claim: words }. */
    const meanings = () => { const terms = proof.getAllByRole('term'); const words = proof.getAllByRole('definition'); return Object.fromEntries(terms.map((t, i) => [t.textContent, words[i]?.textContent])); };
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
    expect(meanings().jti).toMatch(/^its unique id/);
    // The DPoP header is named as the proof of its key, not as an unknown secret.
    expect(container.textContent).toContain(`DPoP proof of key ${SHORT} fp:`);

    const resource = flow.steps.at(-1)!;
    const rs = render(<StepDetail step={resource} names={names} />).container;
    const rsProof = within(within(rs).getByRole('region', { name: 'DPoP proof' }));
    const rsClaims = Object.fromEntries(rsProof.getAllByRole('row').map((r) => [within(r).getByRole('rowheader').textContent, within(r).getByRole('cell').textContent ?? '']));
    expect(rsClaims.ath).toMatch(/^fp:[\w-]+$/);
    const rsTerms = rsProof.getAllByRole('term').map((t) => t.textContent);
    expect(rsProof.getAllByRole('definition')[rsTerms.indexOf('ath')]?.textContent).toMatch(/^hash of the access token/);
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
    const { getByRole } = render(<SequenceDiagram steps={flow.steps} width={1100} />);
    const svg = svgMarkup(getByRole('group', { name: 'Sequence diagram of this flow' }) as Element as SVGSVGElement);
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
    const { container } = render(<StepDetail step={grant} names={layoutFlow([grant]).names} />);
    expect(container.textContent).toContain(`token_type Bearer, yet the RPT names this proof's key in cnf.jkt (${DPOP_JKT})`);
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

describe('held RPTs and DPoP keys on the Tokens screen, and what Sign out takes with it', () => {
  const IDP = 'https://id.example';
  const alice = { key: `${IDP}#alice`, issuer: IDP, sub: 'alice', name: 'Dr. Alice Moreau', email: 'alice@example.org', expiresAt: Date.now() + 3600_000, refreshable: true };
  const held = appState({
    identities: [alice],
    providers: [{ issuer: IDP, clientId: 'tessera', label: 'Hospital ID', scope: 'openid' }],
    tokens: [
      { kind: 'rpt', key: 'bound', issuer: AS, rsOrigin: 'https://rs.example', identity: alice.key, fingerprint: 'fp:bound', scheme: 'DPoP', dpopJkt: DPOP_JKT },
      { kind: 'rpt', key: 'bearer', issuer: AS, rsOrigin: 'https://other-rs.example', identity: alice.key, fingerprint: 'fp:bearer', scheme: 'Bearer' },
    ],
    dpopKeys: [{ issuer: AS, party: alice.key, jkt: DPOP_JKT }],
  });
  /** Each RPT row's cell under the column `name`, by the row's resource server. */
  const column = (name: string) => {
    const table = screen.getByRole('table');
    const index = within(table).getAllByRole('columnheader').findIndex((h) => h.textContent === name);
    return Object.fromEntries(within(table).getAllByRole('row').slice(1).map((r) => { const cells = within(r).getAllByRole('cell'); return [cells[1]?.textContent ?? '', cells[index]?.textContent ?? '']; }));
  };

  it('each held RPT says whether it is bound to a DPoP key (the chip the diagram draws) or Bearer; the keys held are listed', async () => {
    await mountApp(held);
    await act(async () => { useUi.getState().go('tokens'); });
    expect(column('Presented as')).toEqual({ 'https://rs.example': `Bound to a DPoP key DPoP ${SHORT}`, 'https://other-rs.example': 'Bearer' });
    // The same words the diagram's key chip uses for this thumbprint.
    const diagram = render(<SequenceDiagram steps={dpopFlow().steps} width={1100} />);
    expect(within(diagram.container).getAllByText(`DPoP ${SHORT}`).length).toBeGreaterThan(0);
    diagram.unmount();

    const keys = within(screen.getByRole('list', { name: 'DPoP keys' }));
    expect(keys.getAllByRole('listitem').map((li) => li.textContent)).toEqual([`DPoP ${SHORT} at ${AS} for Dr. Alice Moreau`]);
    expect(screen.getByText(/Forgetting a token keeps the key .* Signing the person out \(Connections\) forgets their keys too\./)).toBeTruthy();
    expect(document.body.textContent).not.toMatch(JWS);
  });

  it('no DPoP key and no bound RPT: the screen says so', async () => {
    await mountApp(appState({ tokens: [{ kind: 'rpt', key: 'bearer', issuer: AS, rsOrigin: 'https://rs.example', identity: 'nobody', fingerprint: 'fp:b', scheme: 'Bearer' }] }));
    await act(async () => { useUi.getState().go('tokens'); });
    expect(column('Presented as')).toEqual({ 'https://rs.example': 'Bearer' });
    expect(screen.queryByRole('list', { name: 'DPoP keys' })).toBeNull();
    expect(screen.getByText(/^None: no authorization server has bound a token to a key of yours\.$/)).toBeTruthy();
  });

  it("Sign out says it forgets the person's DPoP key (by its chip) with their tokens; without a key it says tokens only", async () => {
    const signOut = vi.fn(async () => appState({ providers: held.providers }));
    const { user, unmount } = await mount(held, { signOut });
    const button = screen.getByRole('button', { name: 'Sign out', description: `Signing out also revokes and forgets their tokens, and forgets the DPoP key held for them: DPoP ${SHORT} at ${AS}.` });
    await user.click(button);
    expect(signOut).toHaveBeenCalledWith({ key: alice.key });
    unmount();

    await mount({ ...held, dpopKeys: [] }, {});
    expect(screen.getByRole('button', { name: 'Sign out', description: 'Signing out also revokes and forgets their tokens.' })).toBeTruthy();
  });
});
