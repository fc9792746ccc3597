/**
 * An imported trace must not bring a token into the app or an exported deck (issue #23): a raw JWT
 * spelled with JSON escapes is still found, and a credential header that is not a Tessera placeholder
 * (a HAR from elsewhere: an opaque Bearer token, a session cookie) is redacted on import.
 */
import { describe, expect, it } from 'vitest';
import { parseTrace, TraceImportError } from '../../src/app/trace-import';
import { bloodTestFlow } from '../fixtures/blood-test-flow';

const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2ln';

function withHeaders(headers: Record<string, string>) {
  const flow = bloodTestFlow();
  const [first, ...rest] = flow.steps;
  return { flows: [{ ...flow, steps: [{ ...first!, request: { headers } }, ...rest] }] };
}

describe('tokens in an imported trace', () => {
  it('refuses a raw JWT whose dots are JSON escapes (\\u002e) or percent-encoded', () => {
    const escaped = JSON.stringify(withHeaders({ authorization: `Bearer ${jwt}` })).replace(jwt, jwt.replaceAll('.', '\\u002e'));
    expect(escaped).not.toContain(jwt);
    expect(() => parseTrace(escaped)).toThrow(TraceImportError);
    expect(() => parseTrace(escaped)).toThrow(/raw token/);
    const unicode = JSON.stringify(withHeaders({ authorization: `Bearer ${jwt}` })).replace(jwt, jwt.replace('eyJ', '\\u0065yJ'));
    expect(() => parseTrace(unicode)).toThrow(/raw token/);
    const url = JSON.stringify(withHeaders({ accept: '*/*' })).replace('/patients/kate/blood-test', `/x?access_token=${jwt.replaceAll('.', '%2E')}`);
    expect(() => parseTrace(url)).toThrow(/raw token/);
  });

  it('redacts credential headers that are not already Tessera placeholders, in a Tessera export and in a HAR', () => {
    const secrets = ['2YotnFZFEjr1zCsicMWpAA', 'sessionSECRET123', 'proofNotAJwtButSecret'];
    const file = withHeaders({ Authorization: `Bearer ${secrets[0]}`, cookie: `sid=${secrets[1]}`, DPoP: secrets[2]!, accept: 'application/json' });
    const [flow] = parseTrace(JSON.stringify(file)).flows;
    const text = JSON.stringify(flow);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(flow?.steps[0]?.request.headers).toMatchObject({ Authorization: 'Bearer [redacted on import]', cookie: '[redacted on import]', DPoP: '[redacted on import]', accept: 'application/json' });
    const har = { log: { version: '1.2', entries: [{ startedDateTime: '2026-01-01T00:00:00Z', time: 1, request: { method: 'GET', url: 'https://rs.example/x', headers: [{ name: 'Authorization', value: `Bearer ${secrets[0]}` }, { name: 'Cookie', value: `sid=${secrets[1]}` }] }, response: { status: 200, headers: [{ name: 'Set-Cookie', value: `sid=${secrets[1]}; HttpOnly` }] } }] } };
    const imported = JSON.stringify(parseTrace(JSON.stringify(har)).flows);
    for (const s of secrets) expect(imported).not.toContain(s);
    expect(imported).toContain('Bearer [redacted on import]');
  });

  it("keeps Tessera's own placeholders as they are", () => {
    const [flow] = parseTrace(JSON.stringify(withHeaders({ authorization: 'Bearer [redacted fp:RPTone1234]', cookie: '[redacted fp:COOKIE1234]' }))).flows;
    expect(flow?.steps[0]?.request.headers).toEqual({ authorization: 'Bearer [redacted fp:RPTone1234]', cookie: '[redacted fp:COOKIE1234]' });
    // the fixture's Basic placeholder too
    expect(parseTrace(JSON.stringify({ flows: [bloodTestFlow()] })).flows[0]).toEqual({ ...bloodTestFlow(), running: false });
  });
});
