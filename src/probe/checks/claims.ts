/**
 * Pushed-claims checks: each claim token given is accepted in its format; an unknown
 * claim_token_format is refused clearly.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
import { randomBytes } from 'node:crypto';
import { deviation, fail, grantSection, pass, skip, type CheckDefinition, type Verdict } from '../types';
import { describeResult } from '../context';

export const UNSUPPORTED_FORMAT = 'urn:tessera:probe:unsupported-claim-token-format';

export const claimsChecks: CheckDefinition[] = [
  {
    id: 'claims.push',
    title: 'Pushed claim tokens are accepted',
    spec: grantSection('3.3.1'),
    rule: 'The client may push claims with claim_token and claim_token_format; the AS uses them in the assessment.',
    async run(ctx) {
      const tokens = ctx.shared.claimTokens;
      if (!tokens.length) return skip('No claim token given (a token file, or a signed-in identity to act as).');
      const verdicts: { format: string; v: Verdict }[] = [];
      for (const claim of tokens) {
        const o = await ctx.token({ ticket: await ctx.freshTicket(), claimToken: claim });
        const seen = describeResult(o);
        const r = o.result;
        let v: Verdict;
        if (r.type === 'token' || r.type === 'request_submitted' || r.type === 'denied') v = pass(`${claim.claim_token_format}: ${seen}.`);
        else if (r.type === 'need_info') v = pass(`${claim.claim_token_format}: ${seen} (the claims did not satisfy the policy, or were not accepted).`, 'If more claims are asked for, push a token that carries them or use the claims-interaction endpoint.');
        else if (o.status === 400 && /format|claim/i.test(`${String(o.json?.error)} ${String(o.json?.error_description ?? '')}`)) v = fail(`${claim.claim_token_format}: refused (${seen}).`, 'Use a claim token format this AS supports (Keycloak wants the http:// spelling of the ID-token format URI).');
        else v = fail(`${claim.claim_token_format}: ${seen}.`);
        verdicts.push({ format: claim.claim_token_format, v });
      }
      const worst = verdicts.find((x) => x.v.status === 'fail') ?? verdicts.find((x) => x.v.status === 'deviation') ?? verdicts[0]!;
      return { ...worst.v, detail: verdicts.map((x) => x.v.detail).join(' ') };
    },
  },
  {
    id: 'claims.unsupported-format',
    title: 'An unsupported claim_token_format is refused clearly',
    spec: grantSection('3.3.6'),
    rule: 'A claim token in the wrong format gets need_info (claims in the wrong format) or an OAuth error that says so.',
    async run(ctx) {
      void ctx.client;
      const dummy = randomBytes(24).toString('base64url');
      const o = await ctx.token({ ticket: await ctx.freshTicket(), claimToken: { claim_token: dummy, claim_token_format: UNSUPPORTED_FORMAT } });
      const seen = describeResult(o);
      const text = `${String(o.json?.error ?? '')} ${String(o.json?.error_description ?? '')}`;
      const names = /format|claim/i.test(text);
      if (o.status === 400 && names) return pass(`${seen}.`);
      if (o.result.type === 'need_info') return pass(`${seen}${names ? '' : ' (need_info is the answer for claims in the wrong format, though it does not say so)'}.`, names ? undefined : 'On need_info after a push, compare the format with required_claims.claim_token_format before pushing again.');
      if (['token', 'request_submitted', 'denied'].includes(o.result.type)) return deviation(`${seen}: the unknown format was silently ignored and the request decided as if no claims had been pushed.`, 'Do not infer from an answer that the pushed claims were read; check the format against required_claims.');
      if (o.status >= 400 && o.status < 500 && o.json?.error) return deviation(`${seen}: refused without naming the format.`, 'Show the error description to the user.');
      return fail(`${seen}.`);
    },
  },
];
