/**
 * A DPoP-bound flow (RFC 9449) in the diagram and the exchange details: the proof is a chip named
 * after its key (one chip for every proof of one key), the details show the decoded proof with the
 * key thumbprint, and an export or HAR of it imports with the proof intact.
 */
import { within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { FlowView, StepView } from '../../src/app/api';
import { toHar } from '../../src/app/har';
import { parseTrace } from '../../src/app/trace-import';
import { layoutFlow } from '../../renderer/components/sequence/layout';
import { StepDetail } from '../../renderer/components/StepDetail';
import { render } from './support';

const RS = 'http://127.0.0.1:4403';
const AS = 'http://127.0.0.1:4404';
const JKT = 'G-JGuQQxeJ7kAvUft_8_MUnrz8JgtPEOAF3Z-YxYnl4';
const jwk = { kty: 'EC', crv: 'P-256', x: 'LrUxOFWfaAbME8Z7fsnuukd1KC1rW3Jc77EAwxJPS_g', y: '2G5Z3cyNN89xBcUerYkRzhDPhTl_N2ErHSHoHVMi_yI' };
const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 9, 0, s)).toISOString();
const base = { flowId: 'f-dpop', duration: 3 };

const steps: StepView[] = [
  { ...base, id: 's1', time: at(0), lane: 'rs', kind: 'resource', method: 'GET', url: `${RS}/patients/kate/prescriptions`, status: 401, request: { headers: {} }, response: { headers: { 'www-authenticate': `UMA as_uri="${AS}", ticket="[redacted fp:TICKETone]"` } }, challenge: { scheme: 'UMA', asUri: AS, ticket: 'fp:TICKETone' }, outcome: 'challenge' },
  { ...base, id: 's2', time: at(1), lane: 'as', kind: 'token', method: 'POST', url: `${AS}/token`, status: 200, request: { headers: { authorization: 'Basic [redacted fp:CLIENTsec1]', dpop: '[redacted fp:PROOFone1]' }, body: 'ticket=[redacted fp:TICKETone]&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Auma-ticket' }, response: { headers: { 'content-type': 'application/json' }, body: '{"access_token":"[redacted fp:RPTaaaaaa1]","token_type":"DPoP"}' }, dpop: { header: { typ: 'dpop+jwt', alg: 'ES256', jwk }, claims: { htm: 'POST', htu: `${AS}/token`, iat: 1796624084, jti: 'jti-one' }, jkt: JKT }, outcome: 'rpt_issued' },
  { ...base, id: 's3', time: at(2), lane: 'rs', kind: 'resource', method: 'GET', url: `${RS}/patients/kate/prescriptions`, status: 200, request: { headers: { authorization: 'DPoP [redacted fp:RPTaaaaaa1]', dpop: '[redacted fp:PROOFtwo2]' } }, response: { headers: { 'content-type': 'application/json' }, body: '{"kind":"prescriptions"}' }, dpop: { header: { typ: 'dpop+jwt', alg: 'ES256', jwk }, claims: { htm: 'GET', htu: `${RS}/patients/kate/prescriptions`, iat: 1796624085, jti: 'jti-two', ath: 'fp:ATHaaaaaa1' }, jkt: JKT }, outcome: 'granted' },
];
const flow: FlowView = { flowId: 'f-dpop', url: `${RS}/patients/kate/prescriptions`, title: "Kate's prescriptions", startedAt: at(0), running: false, outcome: 'granted', status: 200, steps };

describe('a DPoP-bound flow', () => {
  it('draws the proof as one chip per key on every bound request, beside the RPT', () => {
    const layout = layoutFlow(steps);
    const requests = layout.messages.filter((m) => m.kind === 'request').map((m) => m.chips.map((c) => c.name).join(','));
    expect(requests).toEqual(['', 'secret,DPoP,T1', 'RPT1,DPoP']);
    expect(layout.names.get(`jkt:${JKT}`)?.role).toBe('dpop');
  });

  it('shows the decoded proof and the key thumbprint in the exchange details, never a proof', () => {
    const names = layoutFlow(steps).names;
    const { container } = render(<StepDetail step={steps[2] as StepView} names={names} />);
    const proof = within(container).getByRole('region', { name: 'DPoP proof' });
    expect(proof.textContent).toContain(JKT);
    expect(proof.textContent).toContain('ath');
    const rows = within(proof).getAllByRole('row').map((tr) => tr.textContent ?? '');
    expect(rows).toEqual(expect.arrayContaining(['typdpop+jwt', 'htmGET', `htu${RS}/patients/kate/prescriptions`]));
    expect(container.textContent).not.toMatch(/eyJ[\w-]+\.eyJ/);
    // A step without a proof has no such section (looked for in its own container: the first render is still in the document).
    const plain = render(<StepDetail step={steps[0] as StepView} names={names} />).container;
    expect(within(plain).queryByRole('region', { name: 'DPoP proof' })).toBeNull();
    expect(within(plain).getAllByRole('table').length).toBeGreaterThan(0);
  });

  it('keeps the proof through an export and a HAR import', () => {
    const fromJson = parseTrace(JSON.stringify({ exportedAt: at(9), flows: [flow] }));
    const fromHar = parseTrace(JSON.stringify(toHar([flow])));
    for (const imported of [fromJson, fromHar]) {
      expect(imported.flows[0]?.steps[2]?.dpop).toEqual(steps[2]?.dpop);
      expect(layoutFlow(imported.flows[0]?.steps ?? []).messages.filter((m) => m.kind === 'request').map((m) => m.chips.map((c) => c.name).join(','))).toEqual(['', 'secret,DPoP,T1', 'RPT1,DPoP']);
    }
  });
});

describe('curl of a bound request', () => {
  it('names the proof after its key ($DPOP_PROOF), never a fingerprint', async () => {
    const { curlCommand } = await import('../../renderer/components/sequence/curl');
    const names = layoutFlow(steps).names;
    const curl = curlCommand(steps[2] as StepView, names);
    expect(curl).toContain('dpop: ${DPOP_PROOF}');
    expect(curl).toContain('DPoP ${RPT_1}');
    expect(curl).not.toMatch(/fp:|redacted/);
  });
});
