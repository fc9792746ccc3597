/**
 * Kate's policies and the authorization assessment (UMA Grant §3.3.4): a pure function from the
 * requested permissions, the claims the AS holds about the requesting party, and the owner's
 * approvals to a decision per permission.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.4
 */
import { z } from 'zod';

export const RuleSchema = z.object({
  id: z.string().min(1).max(64),
  /** Who: one verified claim of the requesting party (email or role) must equal `value`. */
  match: z.object({ claim: z.enum(['email', 'role']), value: z.string().min(1).max(200) }),
  /** The claim must come from this OpenID provider (an ID token it signed). */
  issuer: z.string().url(),
  scopes: z.array(z.string().min(1)).min(1),
  /** The requesting party must also accept the lab's data-use terms (claims interaction only). */
  terms: z.boolean(),
  /** Kate approves each request herself (request_submitted until she does). */
  approval: z.boolean(),
});
export type Rule = z.infer<typeof RuleSchema>;
export const PolicySchema = z.object({ rules: z.array(RuleSchema).max(50) });
export type Policy = z.infer<typeof PolicySchema>;

/** What the AS knows about the requesting party, from verified ID tokens, claims interaction or a PCT. */
export interface RqpClaims {
  issuer: string;
  sub: string;
  email?: string;
  email_verified?: boolean;
  role?: string;
  name?: string;
  /** Set when the person accepted the lab's terms in the claims-interaction page. */
  terms_accepted_at?: number;
}

export interface Requested { resourceId: string; resourceName: string; scopes: string[] }

export type Decision =
  | { kind: 'grant'; resourceId: string; scopes: string[]; ruleId: string }
  | { kind: 'need_claims' }
  | { kind: 'need_terms' }
  | { kind: 'need_approval'; ruleId: string }
  | { kind: 'deny' };

function claimValue(claims: RqpClaims, name: 'email' | 'role'): string | undefined {
  if (name === 'email') return claims.email_verified === false ? undefined : claims.email;
  return claims.role;
}

/**
 * Decides one requested permission. `approved(ruleId)` says whether Kate approved this request.
 * A rule grants only the requested scopes it allows; a request whose scopes no matching rule covers
 * is denied.
 */
export function assess(policy: Policy | undefined, requested: Requested, claims: RqpClaims | undefined, approved: (ruleId: string) => 'approved' | 'denied' | 'none'): Decision {
  const rules = policy?.rules ?? [];
  if (rules.length === 0) return { kind: 'deny' };
  // An empty scope list (UMA FedAuthz §4.1 allows it) asks for whatever a rule allows.
  const covers = (rule: Rule) => requested.scopes.every((scope) => rule.scopes.includes(scope));
  const scopesOf = (rule: Rule) => (requested.scopes.length > 0 ? requested.scopes : rule.scopes);
  if (!rules.some(covers)) return { kind: 'deny' };
  if (!claims) return { kind: 'need_claims' };
  const matching = rules.filter((rule) => rule.issuer === claims.issuer && claimValue(claims, rule.match.claim) === rule.match.value && covers(rule));
  if (matching.length === 0) return { kind: 'deny' };
  // Prefer a rule that needs nothing more, then terms, then approval.
  const ready = matching.find((r) => !r.approval && (!r.terms || claims.terms_accepted_at !== undefined));
  if (ready) return { kind: 'grant', resourceId: requested.resourceId, scopes: scopesOf(ready), ruleId: ready.id };
  const needsTerms = matching.find((r) => r.terms && claims.terms_accepted_at === undefined);
  const approvalRule = matching.find((r) => r.approval && (!r.terms || claims.terms_accepted_at !== undefined));
  if (approvalRule) {
    const state = approved(approvalRule.id);
    if (state === 'approved') return { kind: 'grant', resourceId: requested.resourceId, scopes: scopesOf(approvalRule), ruleId: approvalRule.id };
    if (state === 'denied') return needsTerms ? { kind: 'need_terms' } : { kind: 'deny' };
    return { kind: 'need_approval', ruleId: approvalRule.id };
  }
  return needsTerms ? { kind: 'need_terms' } : { kind: 'deny' };
}

/**
 * Each of the rules that could cover `scopes`, with whether these claims met it and the party's own
 * value of its claim: what the AS's decision event shows (src/demo/events.ts), so a refusal can name
 * the rule that did not match.
 */
export function ruleFacts(policy: Policy | undefined, scopes: string[], claims: RqpClaims | undefined): { id: string; claim: 'email' | 'role'; value: string; issuer: string; scopes: string[]; terms: boolean; approval: boolean; matched: boolean; saw?: string }[] {
  return (policy?.rules ?? []).filter((rule) => scopes.every((s) => rule.scopes.includes(s))).map((rule) => {
    const saw = claims && claims.issuer === rule.issuer ? claimValue(claims, rule.match.claim) : undefined;
    return { id: rule.id, claim: rule.match.claim, value: rule.match.value, issuer: rule.issuer, scopes: rule.scopes, terms: rule.terms, approval: rule.approval, matched: saw === rule.match.value, ...(saw !== undefined ? { saw } : {}) };
  });
}
