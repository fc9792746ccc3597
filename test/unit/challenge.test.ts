import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, readRsResponse } from '../../packages/uma/src/uma/challenge';

const h = (init: Record<string, string>) => new Headers(init);

describe('parseWwwAuthenticate', () => {
  it('reads the spec example', () => {
    const [c] = parseWwwAuthenticate('UMA realm="example", as_uri="https://as.example.com", ticket="016f84e8-f9b9-11e0-bd6f-0021cc6004de"');
    expect(c).toEqual({ scheme: 'UMA', params: { realm: 'example', as_uri: 'https://as.example.com', ticket: '016f84e8-f9b9-11e0-bd6f-0021cc6004de' } });
  });

  it('reads Keycloak (no spaces) and Janssen (extra error=) forms', () => {
    expect(parseWwwAuthenticate('UMA realm="demo",as_uri="https://kc/realms/demo",ticket="eyJ.a.b"')[0]?.params.ticket).toBe('eyJ.a.b');
    const j = parseWwwAuthenticate('UMA realm="rs",as_uri="https://jans",error="insufficient_scope",ticket="e986"')[0];
    expect(j?.params).toMatchObject({ error: 'insufficient_scope', ticket: 'e986' });
  });

  it('is case-insensitive for scheme and parameter names, keeps = padding and escapes', () => {
    const [c] = parseWwwAuthenticate('uma AS_URI = "https://as" ,  Ticket=ZXJyb3JfZGV0YWlscw==, realm="a \\"q\\" b"');
    expect(c?.scheme.toLowerCase()).toBe('uma');
    expect(c?.params).toEqual({ as_uri: 'https://as', ticket: 'ZXJyb3JfZGV0YWlscw==', realm: 'a "q" b' });
  });

  it('splits several challenges in one header, with token68 and bare schemes', () => {
    const cs = parseWwwAuthenticate('Basic realm="x", Negotiate abc==, Bearer, UMA as_uri="https://as", ticket="t"');
    expect(cs.map((c) => c.scheme)).toEqual(['Basic', 'Negotiate', 'Bearer', 'UMA']);
    expect(cs[1]?.token68).toBe('abc==');
    expect(cs[3]?.params.ticket).toBe('t');
  });

  it('accepts several header values', () => {
    expect(parseWwwAuthenticate(['Bearer realm="a"', 'UMA as_uri="https://as", ticket="t"']).map((c) => c.scheme)).toEqual(['Bearer', 'UMA']);
  });

  it('rejects malformed input with challenge_invalid', () => {
    expect(() => parseWwwAuthenticate('UMA ticket="unterminated')).toThrow(expect.objectContaining({ code: 'challenge_invalid' }));
    expect(() => parseWwwAuthenticate('UMA ticket="a" junk junk')).toThrow(expect.objectContaining({ code: 'challenge_invalid' }));
  });

  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
  // eslint-disable-next-line no-control-regex -- header values cannot hold control characters
  const value = fc.string({ maxLength: 40 }).filter((s) => !/[\r\n\u0000-\u0008\u000b-\u001f\u007f]/.test(s));
  const param = fc.tuple(token, value, fc.boolean());
  const sp = fc.constantFrom('', ' ', '  ', '\t');
  test.prop([fc.array(param, { minLength: 1, maxLength: 5 }), value, value, sp, sp, fc.constantFrom('UMA', 'uma', 'Uma'), fc.boolean()])(
    'round-trips any quoted values, spacing, order and a leading Bearer challenge',
    (extra, ticket, asUri, s1, s2, scheme, leadingBearer) => {
      const quote = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
      const params = [...extra.filter(([n]) => !['ticket', 'as_uri'].includes(n.toLowerCase())).map(([n, v, q]) => [n, q || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v) ? quote(v) : v] as const), ['ticket', quote(ticket)] as const, ['As_Uri', quote(asUri)] as const];
      const header = `${leadingBearer ? 'Bearer realm="r", ' : ''}${scheme} ${params.map(([n, v]) => `${n}${s1}=${s2}${v}`).join(`,${s1}`)}`;
      const uma = parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === 'uma');
      expect(uma?.params.ticket).toBe(ticket);
      expect(uma?.params.as_uri).toBe(asUri);
    },
  );

  test.prop([fc.string({ maxLength: 80 })])('never throws anything but a TesseraError', (input) => {
    try {
      parseWwwAuthenticate(input);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('challenge_invalid');
    }
  });
});

describe('readRsResponse', () => {
  it('finds the UMA challenge on 401 and 403', () => {
    const www = { 'www-authenticate': 'Bearer realm="x", UMA as_uri="https://as", ticket="t1"' };
    expect(readRsResponse(401, h(www), '')).toMatchObject({ type: 'uma', asUri: 'https://as', ticket: 't1', source: 'header' });
    expect(readRsResponse(403, h(www), '')).toMatchObject({ type: 'uma', ticket: 't1' });
  });

  it('reads ticket and as_uri from a JSON body (ForgeRock demo RS)', () => {
    const r = readRsResponse(401, h({ 'www-authenticate': 'UMA realm="rs.example"', 'content-type': 'application/json' }), '{"ticket":"tb","as_uri":"https://am/oauth2"}');
    expect(r).toMatchObject({ type: 'uma', ticket: 'tb', asUri: 'https://am/oauth2', source: 'body' });
  });

  it('403 + Warning 199 → as_unreachable', () => {
    expect(readRsResponse(403, h({ warning: '199 - "UMA Authorization Server Unreachable"' }), '')).toEqual({ type: 'as_unreachable' });
  });

  it('a UMA challenge without a ticket is a clear error', () => {
    expect(() => readRsResponse(401, h({ 'www-authenticate': 'UMA realm="x", as_uri="https://as"' }), '')).toThrow(expect.objectContaining({ code: 'challenge_missing_ticket' }));
  });

  it('401 without UMA → no_challenge; 200 → ok', () => {
    expect(readRsResponse(401, h({ 'www-authenticate': 'Bearer realm="x"' }), '')).toEqual({ type: 'no_challenge', status: 401 });
    expect(readRsResponse(200, h({}), '')).toEqual({ type: 'ok' });
  });
});

describe('a parameter twice in the UMA challenge (RFC 9110 §11.2: once per challenge)', () => {
  it('as_uri, ticket or resource_metadata twice is challenge_invalid, not "the first one wins"', () => {
    // e.g. a realm the RS builds from the request, unescaped: `realm="x", as_uri="https://evil"` lands before the real as_uri
    for (const header of [
      'UMA realm="x", as_uri="https://evil.example", as_uri="https://as.example", ticket="t"',
      'UMA as_uri="https://as.example", ticket="t1", ticket="t2"',
      'UMA as_uri="https://as.example", ticket="t", resource_metadata="https://a", RESOURCE_METADATA="https://b"',
    ]) {
      expect(() => readRsResponse(401, h({ 'www-authenticate': header }), ''), header).toThrow(expect.objectContaining({ code: 'challenge_invalid', spec: 'https://www.rfc-editor.org/rfc/rfc9110#section-11.2' }));
    }
  });

  it('another repeated parameter is left alone, and names on Object.prototype are ordinary names', () => {
    expect(readRsResponse(401, h({ 'www-authenticate': 'UMA realm="a", realm="b", as_uri="https://as.example", ticket="t"' }), '')).toMatchObject({ type: 'uma', realm: 'a' });
    const [c] = parseWwwAuthenticate('UMA constructor="x", tostring="y", __proto__="z", as_uri="https://as.example", ticket="t"');
    expect(c?.params).toMatchObject({ constructor: 'x', tostring: 'y', as_uri: 'https://as.example', ticket: 't' });
  });
});
