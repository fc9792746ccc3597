/**
 * Trace import is hostile input (issue #23): links only to the spec hosts Tessera cites, keys per
 * object, steps per flow, steps and flows in total and nesting bounded, and the raw-token scan linear.
 * How fast each case is handled is measured in bench/trace-import.bench.ts.
 */
import { describe, expect, it } from 'vitest';
import { SPEC } from '../../packages/uma/src/kernel/errors';
import { isSpecLink, parseTrace, SPEC_HOSTS, TraceImportError, holdsRawJwt } from '../../src/app/trace-import';
import { toHar } from '../../src/app/har';
import { bloodTestFlow } from '../fixtures/blood-test-flow';
import { hostileTraces } from '../fixtures/hostile-traces';

describe('hostile trace import', () => {
  for (const c of hostileTraces()) {
    it(c.refused ? `refuses ${c.name}` : `reads ${c.name} safely`, () => {
      if (c.refused) {
        expect(() => parseTrace(c.text)).toThrow(TraceImportError);
        expect(() => parseTrace(c.text)).toThrow(c.refused);
      } else {
        expect(() => parseTrace(c.text)).not.toThrow();
      }
    });
  }

  it('drops a spec link that is not to a spec host Tessera cites, and keeps the error', () => {
    const evil = hostileTraces().find((c) => c.name.startsWith('error.spec'))!;
    const [flow] = parseTrace(evil.text).flows;
    expect(flow?.error).toEqual({ code: 'x', message: 'm', hint: 'h' });
    expect(flow?.steps[0]?.error).toEqual({ code: 'x', message: 'm', hint: 'h' });
    const good = bloodTestFlow();
    const withSpec = { ...good, error: { code: 'x', message: 'm', hint: 'h', spec: SPEC.tokenErrors } };
    expect(parseTrace(JSON.stringify({ flows: [withSpec] })).flows[0]?.error?.spec).toBe(SPEC.tokenErrors);
    // The same in a HAR's Tessera fields.
    const har = toHar([{ ...good, steps: good.steps.map((s) => ({ ...s, error: { code: 'x', message: 'm', hint: 'h', spec: 'http://docs.kantarainitiative.org/uma' } })) }]);
    expect(parseTrace(JSON.stringify(har)).flows[0]?.steps.every((s) => s.error && !('spec' in s.error))).toBe(true);
  });

  it('allows exactly the spec hosts the project cites, over https, with no credentials or port', () => {
    for (const href of Object.values(SPEC)) expect(isSpecLink(href)).toBe(true);
    expect(SPEC_HOSTS).toContain('openid.net');
    for (const bad of ['http://www.rfc-editor.org/rfc/rfc7591', 'https://www.rfc-editor.org.evil.example/', 'https://user@docs.kantarainitiative.org/', 'https://docs.kantarainitiative.org:8443/', 'javascript:alert(1)', 'data:text/html,x', '/relative', 'not a url']) {
      expect(isSpecLink(bad), bad).toBe(false);
    }
  });

  it('still finds a raw JWT anywhere in the text, and not in near misses', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2ln';
    expect(holdsRawJwt(`{"a":"Bearer ${jwt}"}`)).toBe(true);
    expect(holdsRawJwt(`{"a":"x=${jwt}&y"}`)).toBe(true);
    expect(holdsRawJwt(`aaaa.${jwt}.bbbb`)).toBe(true);
    expect(holdsRawJwt('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.short')).toBe(false);
    expect(holdsRawJwt('eyJhbGciOiJFUzI1NiJ9.xyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2ln')).toBe(false);
    expect(holdsRawJwt('eyJ'.repeat(100_000))).toBe(false);
    expect(holdsRawJwt(`${'eyJ'.repeat(100_000)}.${'eyJ'.repeat(100_000)}.${'eyJ'.repeat(10)}`)).toBe(true);
  });
});
