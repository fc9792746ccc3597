/**
 * PCT checks: issued with an RPT, accepted on reuse in place of claims, refused (or ignored) after
 * revocation with token_type_hint=pct.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5
 */
import { fingerprint, revocationRequest } from '@tessera/uma';
import { deviation, grantSection, pass, skip, unsafe, type CheckDefinition } from '../types';
import { SkipCheck, describeResult, type CheckContext } from '../context';

async function pctOf(ctx: CheckContext): Promise<string> {
  const { token } = await ctx.grant();
  if (!token.pct) throw new SkipCheck('The AS issued no PCT.');
  return token.pct;
}

export const pctChecks: CheckDefinition[] = [
  {
    id: 'pct.issued',
    title: 'A PCT is issued with the RPT',
    spec: grantSection('3.3.5'),
    rule: 'The AS MAY return a persisted claims token (pct) with the RPT, so the client can skip claims gathering next time.',
    async run(ctx) {
      const { token, claim } = await ctx.grant();
      if (token.pct) return pass(`PCT ${fingerprint(token.pct)} issued${claim ? ' after pushed claims' : ''}.`);
      return deviation(`No pct in the token response${claim ? ' even after pushed claims' : ''} (Keycloak, for one, never issues PCTs).`, 'Push the claim token (or gather claims) on every grant; there is nothing to persist.');
    },
  },
  {
    id: 'pct.reuse',
    title: 'The PCT stands in for the claims',
    spec: grantSection('3.3.1'),
    rule: 'A pct from an earlier grant lets the AS use the persisted claims for a new ticket of the same requesting party.',
    async run(ctx) {
      const pct = await pctOf(ctx);
      const o = await ctx.token({ ticket: await ctx.freshTicket(), pct });
      if (o.result.type === 'token') return pass(`${describeResult(o)} with the PCT alone.`);
      if (o.result.type === 'need_info') return deviation(`${describeResult(o)}: the PCT did not stand in for the claims.`, 'Push claims again; keep the PCT only as a hint.');
      if (o.result.type === 'invalid_pct') return deviation(`${describeResult(o)}: a fresh PCT was refused.`, 'Drop PCTs for this AS; push claims on every grant.');
      return pass(`${describeResult(o)} (a decision).`);
    },
  },
  {
    id: 'pct.revoked',
    title: 'A revoked PCT no longer works',
    spec: grantSection('3.7'),
    rule: 'The client may revoke a PCT (RFC 7009, token_type_hint=pct); afterwards it must not bring back the persisted claims.',
    async run(ctx) {
      const endpoint = ctx.metadata.revocation_endpoint;
      if (!endpoint) return skip('No revocation_endpoint.');
      const pct = await pctOf(ctx);
      const response = await revocationRequest(ctx.metadata, ctx.client, pct, 'pct', ctx.requestContext);
      await response.text().catch(() => '');
      if (response.status !== 200) {
        return deviation(`Revocation with token_type_hint=pct answered ${response.status}.`, 'Forget the PCT locally; it expires at the AS on its own.');
      }
      ctx.markCleaned(fingerprint(pct));
      const o = await ctx.token({ ticket: await ctx.freshTicket(), pct });
      const seen = describeResult(o);
      if (o.result.type === 'token') return unsafe(`Revoked (200), yet the PCT still got an RPT: ${seen}.`, 'Revocation does not work for PCTs at this AS; do not rely on it.');
      if (o.result.type === 'invalid_pct') return pass(`Revoked (200); then ${seen}${o.status === 401 ? ' (401 as Janssen does; UMA defines no error for this)' : ''}.`, 'On invalid_pct, drop the PCT and retry with claims and a fresh ticket.');
      return pass(`Revoked (200); then ${seen}: the PCT is ignored (UMA defines no error for this).`);
    },
  },
];
