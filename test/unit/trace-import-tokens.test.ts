/**
 * An imported trace must not bring a token into the app or an exported deck (issue #23): a raw JWT
 * spelled with JSON escapes is still found, and a credential header that is not a Tessera placeholder
 * (a HAR from elsewhere: an opaque Bearer token, a session cookie) is redacted on import.
 */
import { describe, expect, it } from 'vitest';
import { IMPORT_SECRET_NAMES, parseTrace, TraceImportError } from '../../src/app/trace-import';
import { SECRET_NAMES } from '../../packages/uma/src/kernel/redact';
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

describe('secret-named values in URLs and bodies of an imported trace', () => {
  const opaque = 'OPAQUEsecretVALUE123';
  it('are redacted in the query (RFC 6750 §2.3), form bodies and JSON bodies; placeholders and other values stay', () => {
    const flow = bloodTestFlow();
    const [first, ...rest] = flow.steps;
    const file = { flows: [{ ...flow, url: `https://rs.example/x?access_token=${opaque}&page=2`, steps: [
      { ...first!, url: `https://rs.example/x?access_token=${opaque}&page=2`, request: { headers: {}, body: `grant_type=refresh_token&refresh_token=${opaque}&client_id=tessera` }, response: { headers: { 'content-type': 'application/json' }, body: `{"access_token": "${opaque}", "token_type":"Bearer","pct":"${opaque}x","expires_in":300}` } },
      ...rest,
    ] }] };
    const [imported] = parseTrace(JSON.stringify(file)).flows;
    expect(JSON.stringify(imported)).not.toContain(opaque);
    const step = imported!.steps[0]!;
    expect(step.url).toBe('https://rs.example/x?access_token=%5Bredacted+on+import%5D&page=2');
    expect(imported!.url).toBe(step.url);
    expect(step.request.body).toBe('grant_type=refresh_token&refresh_token=[redacted on import]&client_id=tessera');
    expect(step.response?.body).toBe('{"access_token": "[redacted on import]", "token_type":"Bearer","pct":"[redacted on import]","expires_in":300}');
    // Tessera's own export is untouched (its bodies hold placeholders)
    expect(parseTrace(JSON.stringify({ flows: [bloodTestFlow()] })).flows[0]).toEqual({ ...bloodTestFlow(), running: false });
  });

  it('the same in a HAR', () => {
    const har = { log: { version: '1.2', entries: [{ startedDateTime: '2026-01-01T00:00:00Z', time: 1, request: { method: 'POST', url: `https://as.example/token?code=${opaque}`, headers: [], postData: { mimeType: 'application/x-www-form-urlencoded', text: `client_secret=${opaque}` } }, response: { status: 200, headers: [], content: { text: `{"id_token":"${opaque}"}` } } }] } };
    expect(JSON.stringify(parseTrace(JSON.stringify(har)).flows)).not.toContain(opaque);
  });

  it('finds a secret-named JSON member whose name is spelled with escapes (RFC 8259 §7), and leaves other escaped names alone', () => {
    const flow = bloodTestFlow();
    const [first, ...rest] = flow.steps;
    const body = `{"acc\\u0065ss_token":"${opaque}","PC\\u0054":"${opaque}y","n\\u0061me":"Alice","token_type":"Bearer"}`;
    const file = { flows: [{ ...flow, steps: [{ ...first!, response: { headers: { 'content-type': 'application/json' }, body } }, ...rest] }] };
    const [imported] = parseTrace(JSON.stringify(file)).flows;
    expect(JSON.stringify(imported)).not.toContain(opaque);
    expect(imported!.steps[0]!.response?.body).toBe('{"acc\\u0065ss_token":"[redacted on import]","PC\\u0054":"[redacted on import]","n\\u0061me":"Alice","token_type":"Bearer"}');
  });

  it('the names are the engine\'s own list', () => {
    expect([...IMPORT_SECRET_NAMES].sort()).toEqual([...SECRET_NAMES].sort());
  });
});
