/**
 * JUnit XML for CI systems: one testcase per check. The blocking grades (fail, unsafe; see
 * ./grading.ts) are failures of that type; a deviation or info passes with a system-out note (what a
 * client must do), a skip is skipped.
 * @see https://github.com/testmoapp/junitxml (the de-facto format)
 */
import { GRADES } from './grading';
import type { ProbeReport } from './types';

const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu;

/** Escapes text for XML content and attribute values. */
export function xml(text: string): string {
  return text.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function renderJunit(report: ProbeReport): string {
  const durations = new Map(report.exchanges.map((s) => [s.id, s.duration]));
  const seconds = (ids: string[]) => (ids.reduce((sum, id) => sum + (durations.get(id) ?? 0), 0) / 1000).toFixed(3);
  const suiteName = `tessera probe: ${report.as.issuer ?? report.resource}`;
  const cases = report.checks.map((c) => {
    const group = c.id.split('.')[0] ?? 'probe';
    const open = `    <testcase classname="tessera.probe.${xml(group)}" name="${xml(`${c.id}: ${c.title}`)}" time="${seconds(c.steps)}">`;
    const note = [c.detail, c.advice ? `What a client must do: ${c.advice}` : '', `Spec: ${c.spec}`].filter(Boolean).join('\n');
    if (c.status === 'skip') return `${open}\n      <skipped message="${xml(c.detail)}"/>\n    </testcase>`;
    if (GRADES[c.status].blocking) return `${open}\n      <failure message="${xml(c.detail)}" type="${c.status}">${xml(`${c.status}: ${note}`)}</failure>\n    </testcase>`;
    return `${open}\n      <system-out>${xml(`${c.status}: ${note}`)}</system-out>\n    </testcase>`;
  });
  const failures = report.checks.filter((c) => GRADES[c.status].blocking).length;
  const totalTime = (report.durationMs / 1000).toFixed(3);
  const attrs = `tests="${report.checks.length}" failures="${failures}" errors="0" skipped="${report.summary.skip}" time="${totalTime}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="tessera probe" ${attrs}>`,
    `  <testsuite name="${xml(suiteName)}" ${attrs} timestamp="${xml(report.startedAt)}">`,
    '    <properties>',
    `      <property name="resource" value="${xml(report.resource)}"/>`,
    `      <property name="as.issuer" value="${xml(report.as.issuer ?? '')}"/>`,
    `      <property name="deviations" value="${report.summary.deviation}"/>`,
    `      <property name="unsafe" value="${report.summary.unsafe}"/>`,
    `      <property name="info" value="${report.summary.info}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
