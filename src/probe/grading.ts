/**
 * The probe's grading rules, written down once: what each grade means, which grades make
 * `tessera probe` exit 1, and the grade of the findings several checks share (so two checks never
 * grade the same answer differently). The checks say what they saw; this module says what it is worth.
 * README "Check your AS" states the same rules for people.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html
 */

/** The grade of one check. */
export type CheckStatus = 'pass' | 'info' | 'deviation' | 'fail' | 'unsafe' | 'skip';

/** Every grade, in the order reports list their counts. */
export const STATUSES: readonly CheckStatus[] = ['pass', 'info', 'deviation', 'fail', 'unsafe', 'skip'];

export interface Grade {
  label: string;
  symbol: string;
  /** The rule, in one sentence (README "Check your AS" says the same). */
  meaning: string;
  /** Whether a check with this grade makes the run exit 1 (JUnit: a failure). */
  blocking: boolean;
}

/** The grading rules. */
export const GRADES: Record<CheckStatus, Grade> = {
  pass: { label: 'Pass', symbol: '✓', blocking: false, meaning: 'The AS does what UMA 2.0 or the RFC says here.' },
  info: { label: 'Info', symbol: 'i', blocking: false, meaning: 'An observation the person should see, with no judgement (an OPTIONAL feature not offered, endpoints on another origin, what the probe left at the AS).' },
  deviation: { label: 'Deviation', symbol: '≈', blocking: false, meaning: 'The AS differs from the spec, but a client that does what the report says still works (Tessera does).' },
  fail: { label: 'Fail', symbol: '✗', blocking: true, meaning: 'Unusable here: a client cannot complete the flow through this point, or the AS says something false a client cannot detect; or the probe could not run against the AS.' },
  unsafe: { label: 'Unsafe', symbol: '!', blocking: true, meaning: 'Following the AS here could expose tokens, tickets, claims or credentials, or grant access that should be refused.' },
  skip: { label: 'Skipped', symbol: '–', blocking: false, meaning: 'Not measured: the check does not apply or needs something not given (a claim token, a resource the AS puts on hold).' },
};

/**
 * One sentence on what the counts mean for a client (the HTML report, the CLI's last line, the app
 * words it the same way).
 */
export function verdictSentence(s: Record<CheckStatus, number>): string {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  if (s.unsafe > 0) return `${n(s.unsafe, 'check is', 'checks are')} unsafe: following this server there could expose tokens, claims or credentials. Do not use it until each one below is fixed.`;
  if (s.fail > 0) return `${n(s.fail, 'check', 'checks')} failed: this server does not do what UMA 2.0 requires there. A client can use it only if it copes with each failure below.`;
  return `Nothing unsafe, no check failed: a UMA client can work with this authorization server${s.deviation ? ', provided it handles the deviations below.' : '.'}`;
}

/** A zeroed count per grade. */
export function emptySummary(): Record<CheckStatus, number> {
  return { pass: 0, info: 0, deviation: 0, fail: 0, unsafe: 0, skip: 0 };
}

/** Counts per grade. */
export function summarize(checks: readonly { status: CheckStatus }[]): Record<CheckStatus, number> {
  const summary = emptySummary();
  for (const c of checks) summary[c.status]++;
  return summary;
}

/** Exit code of `tessera probe`: 1 when a check is `fail` or `unsafe`, else 0 (deviations, info and skips do not count). */
export function exitCodeOf(summary: Record<CheckStatus, number>): 0 | 1 {
  return STATUSES.some((s) => GRADES[s].blocking && summary[s] > 0) ? 1 : 0;
}

/**
 * Findings that more than one check can meet, each with its one grade and what a client does about it.
 * A check that meets one of these reports it through {@link finding}, never with its own grade.
 */
export const FINDINGS = {
  /**
   * A UMA grant without a requesting party (no claims, no PCT) refused with 401 unauthorized_client
   * (Keycloak falls back to the client's service account). The client authenticated; the party is
   * missing. Tessera copes by pushing claims.
   */
  claimless_unauthorized_client: {
    grade: 'deviation',
    advice: 'Treat 401 unauthorized_client on a claim-less UMA grant as "claims needed", not as bad client credentials: push a claim token.',
  },
  /** The AS issued an RPT for a ticket it must refuse (unknown, expired). */
  rpt_for_bad_ticket: {
    grade: 'unsafe',
    advice: 'This AS does not check tickets: it may grant access that should be refused. Do not use it.',
  },
  /** An error answer that is not an OAuth error body (RFC 6749 §5.2): a client can only restart at the RS. */
  error_not_oauth: {
    grade: 'deviation',
    advice: 'A client cannot tell what went wrong: treat any such 4xx as "restart at the RS with a fresh ticket".',
  },
  /**
   * Keycloak's evaluator (`response_mode=decision` / `permissions`) answers otherwise than the real
   * grant for the same permission: a client or enforcer that trusts the decision alone is wrong.
   */
  keycloak_evaluation_disagrees: {
    grade: 'deviation',
    advice: "Do not rely on Keycloak's decision or permission list alone: ask for the RPT (a real grant) and read the permissions it carries.",
  },
} as const satisfies Record<string, { grade: CheckStatus; advice: string }>;

export type FindingId = keyof typeof FINDINGS;

/** The verdict for a shared finding: its one grade and advice, with what this check saw. */
export function finding(id: FindingId, detail: string): { status: CheckStatus; detail: string; advice: string } {
  const f = FINDINGS[id];
  return { status: f.grade, detail, advice: f.advice };
}
