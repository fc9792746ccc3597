/**
 * The probe's grading rules (src/probe/grading.ts) as every report format carries them: the exit
 * code, JUnit failures for fail and unsafe, the HTML report's counts, badges and verdict sentence.
 */
import { describe, expect, it } from 'vitest';
import { GRADES, STATUSES, exitCodeOf, finding, summarize, verdictSentence } from '../../src/probe/grading';
import { renderJunit } from '../../src/probe/junit';
import { renderProbeHtml } from '../../src/probe/report-html';
import { probeExitCode, probeJson } from '../../src/probe/runner';
import { pollDelayMs } from '../../src/probe/checks/pending';
import type { CheckResult, CheckStatus, ProbeReport } from '../../src/probe/types';

const check = (id: string, status: CheckStatus): CheckResult => ({ id, title: id, spec: 'https://www.rfc-editor.org/rfc/rfc8414#section-2', status, detail: `${status} detail`, ...(status === 'pass' || status === 'skip' ? {} : { advice: `${status} advice` }), steps: [] });

function report(statuses: CheckStatus[]): ProbeReport {
  const checks = statuses.map((s, i) => check(`group.check-${i}`, s));
  return { tool: { name: 'tessera probe', version: 1 }, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5, resource: 'https://rs.example/r', rs: { origin: 'https://rs.example' }, as: { issuer: 'https://as.example', trusted: true }, summary: summarize(checks), checks, created: [], origins: [], exchanges: [] };
}

describe('probe grading', () => {
  it('exits 1 only for fail or unsafe; deviations, info and skips exit 0', () => {
    expect(probeExitCode(report(['pass', 'info', 'deviation', 'skip']))).toBe(0);
    expect(probeExitCode(report(['pass', 'deviation', 'fail']))).toBe(1);
    expect(probeExitCode(report(['pass', 'unsafe']))).toBe(1);
    expect(STATUSES.filter((s) => GRADES[s].blocking)).toEqual(['fail', 'unsafe']);
    expect(exitCodeOf(summarize([]))).toBe(0);
  });

  it('a shared finding has one grade and one advice, whichever check meets it', () => {
    const a = finding('claimless_unauthorized_client', 'seen by token.client-auth');
    const b = finding('claimless_unauthorized_client', 'seen by grant.no-claims');
    expect(a.status).toBe('deviation');
    expect(a.advice).toBe(b.advice);
    expect(finding('rpt_for_bad_ticket', 'x').status).toBe('unsafe');
  });

  it('JUnit: fail and unsafe are failures of their type; info and deviation pass with a note', () => {
    const xml = renderJunit(report(['pass', 'info', 'deviation', 'fail', 'unsafe', 'skip']));
    expect(xml).toContain('failures="2"');
    expect(xml).toContain('type="unsafe"');
    expect(xml).toContain('type="fail"');
    expect(xml).toContain('<system-out>info: info detail');
    expect(xml).toContain('<system-out>deviation: deviation detail');
    expect((xml.match(/<skipped /g) ?? []).length).toBe(1);
  });

  it('HTML and JSON: every grade counted, unsafe said first, the rules shown', () => {
    const r = report(['pass', 'info', 'deviation', 'fail', 'unsafe', 'skip']);
    const html = renderProbeHtml(r);
    for (const s of STATUSES) expect(html).toContain(`<li class="${s}"><strong>1</strong>`);
    expect(html).toContain('1 check is unsafe: following this server there could expose tokens, claims or credentials.');
    expect(html).toContain(GRADES.unsafe.meaning);
    expect(html).toContain('(unsafe): unsafe advice');
    expect(probeJson(r).summary).toEqual({ pass: 1, info: 1, deviation: 1, fail: 1, unsafe: 1, skip: 1 });
    expect(verdictSentence(summarize([check('a', 'deviation')]))).toBe('Nothing unsafe, no check failed: a UMA client can work with this authorization server, provided it handles the deviations below.');
  });

  it('the hold is polled no faster than the AS asks (a minimum, never shortened), at least 1 s apart, 5 s without an interval', () => {
    expect(pollDelayMs(undefined)).toBe(5000);
    expect(pollDelayMs(Number.NaN)).toBe(5000);
    expect(pollDelayMs(0)).toBe(1000);
    expect(pollDelayMs(-3)).toBe(1000);
    expect(pollDelayMs(0.001)).toBe(1000);
    expect(pollDelayMs(90)).toBe(90_000);
    // Past the bounded wait it only ends the wait: never shortened to fit.
    expect(pollDelayMs(1e9)).toBe(1e12);
    expect(pollDelayMs(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});
