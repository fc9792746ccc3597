/**
 * Types of `tessera probe`: a UMA behaviour report for an authorization server. Each check has a
 * stable id, a spec reference, a verdict, what a client must do about a deviation, and the ids of the
 * redacted exchanges it made.
 */
import type { TranscriptStep } from '@tessera/uma';
import type { CheckStatus } from './grading';

export type { CheckStatus } from './grading';

export interface CheckResult {
  id: string;
  title: string;
  /** Spec section URL the check is measured against. */
  spec: string;
  /** The spec sentence (paraphrased) the check measures. */
  rule?: string;
  status: CheckStatus;
  detail: string;
  /** What a client must do about a deviation, failure or unsafe answer. */
  advice?: string;
  /** Ids of the redacted transcript steps this check made. */
  steps: string[];
}

/** Something the probe left at the AS, so the report can say so. */
export interface CreatedItem {
  kind: 'pending_request' | 'registered_client' | 'rpt' | 'refresh_token' | 'pct';
  /** Non-secret description (fingerprints only). */
  description: string;
  /** How many requests produced it (pending requests: the AS may merge repeated ones). */
  count?: number;
  /** Whether the probe cleaned it up (revoked / deleted). */
  cleanedUp: boolean;
  check: string;
}

export interface ProbeReport {
  tool: { name: 'tessera probe'; version: 1 };
  startedAt: string;
  durationMs: number;
  resource: string;
  rs: { origin: string };
  as: { issuer: string | null; trusted: boolean; discovery?: { url: string; source: string } };
  summary: Record<CheckStatus, number>;
  /** The run was cancelled: the checks not finished are skipped. */
  cancelled?: boolean;
  checks: CheckResult[];
  created: CreatedItem[];
  /** Origins the probe sent requests to (the safety check's evidence). */
  origins: string[];
  /** Every redacted exchange, referenced by id from the checks. */
  exchanges: TranscriptStep[];
}

/** One check group member. `run` returns the verdict; exchanges are collected by the runner. */
export interface CheckDefinition {
  id: string;
  title: string;
  spec: string;
  rule: string;
  run(ctx: import('./context').CheckContext): Promise<Verdict>;
}

export interface Verdict {
  status: CheckStatus;
  detail: string;
  advice?: string;
}

export const UMA_GRANT_SPEC = 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html';
export const grantSection = (section: string): string => `${UMA_GRANT_SPEC}#rfc.section.${section}`;
export const rfc = (n: number, section?: string): string => `https://www.rfc-editor.org/rfc/rfc${n}${section ? `#section-${section}` : ''}`;

export const pass = (detail: string, advice?: string): Verdict => ({ status: 'pass', detail, ...(advice ? { advice } : {}) });
export const deviation = (detail: string, advice: string): Verdict => ({ status: 'deviation', detail, advice });
export const fail = (detail: string, advice?: string): Verdict => ({ status: 'fail', detail, ...(advice ? { advice } : {}) });
export const skip = (detail: string): Verdict => ({ status: 'skip', detail });
/** Grades: see ./grading.ts (the one place the rules are written down). */
export const unsafe = (detail: string, advice: string): Verdict => ({ status: 'unsafe', detail, advice });
export const info = (detail: string, advice?: string): Verdict => ({ status: 'info', detail, ...(advice ? { advice } : {}) });
