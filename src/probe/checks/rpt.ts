/**
 * RPT checks: upgrade (`upgraded` only when permissions were kept), refresh without re-assessment,
 * revocation of the RPT (RFC 7009) seen at the RS.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.5.1
 */
import { randomBytes } from 'node:crypto';
import { fingerprint, processUmaTokenResponse, refreshRequest, revocationRequest } from '@tessera/uma';
import { deviation, fail, grantSection, pass, skip, type CheckDefinition } from '../types';
import { describeResult } from '../context';

const opens = (status: number) => status >= 200 && status < 300;

export const rptChecks: CheckDefinition[] = [
  {
    id: 'rpt.upgrade',
    title: 'RPT upgrade says upgraded',
    spec: grantSection('3.3.5.1'),
    rule: 'When the client sends rpt, the response has upgraded: true only if the new RPT carries the old permissions too; absent or false means they were not kept.',
    async run(ctx) {
      const { token, claim } = await ctx.grant({ fresh: true });
      const o = await ctx.token({ ticket: await ctx.freshTicket(), rpt: token.accessToken, ...(claim ? { claimToken: claim } : {}) });
      if (o.result.type !== 'token') return skip(`The upgrade request was not granted: ${describeResult(o)}.`);
      const next = o.result.token;
      const up = next.upgraded;
      const rs = await ctx.resourceWith(next.accessToken);
      const same = next.accessToken === token.accessToken;
      if (up === undefined) return deviation(`No upgraded member (new RPT ${fingerprint(next.accessToken)}${same ? ', the same string' : ''}).`, 'Assume the old permissions were not kept: keep the old RPT for what it covered.');
      if (up && !opens(rs.status)) return fail(`upgraded: true, but the new RPT does not open the resource (RS ${rs.status}).`, 'Do not trust upgraded at this AS.');
      return pass(`upgraded: ${up}${same ? ' (the same RPT string, now carrying more)' : `, new RPT ${fingerprint(next.accessToken)}`}; it opens the resource (RS ${rs.status}).`);
    },
  },
  {
    id: 'rpt.upgrade-unknown',
    title: 'No upgrade claimed for an unknown RPT',
    spec: grantSection('3.3.5.1'),
    rule: 'An rpt the AS cannot use must not yield upgraded: true.',
    async run(ctx) {
      const claim = ctx.shared.claimTokens[0];
      const fake = `tessera-probe-rpt-${randomBytes(16).toString('base64url')}`;
      const o = await ctx.token({ ticket: await ctx.freshTicket(), rpt: fake, ...(claim ? { claimToken: claim } : {}) });
      if (o.result.type === 'token') {
        if (o.result.token.upgraded === true) return fail('upgraded: true for an RPT the AS never issued.', 'Do not trust upgraded at this AS.');
        return pass(`${describeResult(o)}, upgraded: ${o.result.token.upgraded ?? 'absent'}.`);
      }
      if (o.result.type === 'invalid_rpt') return deviation(`${describeResult(o)}: the whole request fails instead of a new RPT without the old permissions.`, 'On invalid_rpt, drop the held RPT and ask again with a fresh ticket and no rpt.');
      if (o.result.type === 'invalid_ticket') return pass(`${describeResult(o)}: the unknown RPT makes the grant invalid.`, 'After invalid_grant on a request that carried rpt, retry once with a fresh ticket and without the rpt.');
      return pass(`${describeResult(o)} (a decision; the unknown RPT did not matter).`);
    },
  },
  {
    id: 'rpt.refresh',
    title: 'Refresh keeps the permissions without re-assessment',
    spec: grantSection('3.6'),
    rule: 'A refresh_token grant returns a new RPT with the same permissions; the AS MUST NOT re-run the authorization assessment.',
    async run(ctx) {
      const { token } = await ctx.grant({ fresh: true });
      if (!token.refreshToken) return skip('No refresh_token was issued with the RPT (OPTIONAL).');
      const response = await refreshRequest(ctx.metadata, ctx.client, token.refreshToken, ctx.requestContext);
      const result = await processUmaTokenResponse(response);
      if (result.type !== 'token') {
        if (result.type === 'need_info' || result.type === 'request_submitted' || result.type === 'denied') return deviation(`The refresh answered ${response.status} ${result.type}: the AS re-assessed the policy.`, 'Do not rely on refresh; run the UMA grant again.');
        return deviation(`The refresh failed: HTTP ${response.status} ${'error' in result ? result.error : result.type}.`, 'Run the UMA grant again instead of refreshing.');
      }
      ctx.noteCreated({ kind: 'rpt', description: `RPT ${fingerprint(result.token.accessToken)}`, cleanedUp: false });
      ctx.shared.revocable.push({ token: result.token.accessToken, hint: 'access_token' });
      if (result.token.refreshToken && result.token.refreshToken !== token.refreshToken) {
        ctx.noteCreated({ kind: 'refresh_token', description: `refresh token ${fingerprint(result.token.refreshToken)}`, cleanedUp: false });
        ctx.shared.revocable.push({ token: result.token.refreshToken, hint: 'refresh_token' });
      }
      const rs = await ctx.resourceWith(result.token.accessToken);
      if (!opens(rs.status)) return deviation(`A new RPT ${fingerprint(result.token.accessToken)}, but the RS answers ${rs.status} with it.`, 'After a refresh, be ready to run the grant again.');
      return pass(`New RPT ${fingerprint(result.token.accessToken)}${result.token.refreshToken ? ', rotated refresh token' : ''}; it opens the resource (RS ${rs.status}).`);
    },
  },
  {
    id: 'rpt.revocation',
    title: 'A revoked RPT stops working',
    spec: 'https://www.rfc-editor.org/rfc/rfc7009#section-2.2',
    rule: 'The revocation endpoint answers 200 and the token is invalid from then on (UMA Grant §3.7).',
    async run(ctx) {
      if (!ctx.metadata.revocation_endpoint) return skip('No revocation_endpoint.');
      const { token } = await ctx.grant({ fresh: true });
      const before = await ctx.resourceWith(token.accessToken);
      if (!opens(before.status)) return skip(`The RPT does not open the resource (RS ${before.status}); nothing to compare.`);
      const response = await revocationRequest(ctx.metadata, ctx.client, token.accessToken, 'access_token', ctx.requestContext);
      await response.text().catch(() => '');
      if (response.status !== 200) return deviation(`Revocation answered ${response.status}.`, 'Forget the RPT locally; it expires on its own.');
      ctx.markCleaned(fingerprint(token.accessToken));
      const after = await ctx.resourceWith(token.accessToken);
      if (opens(after.status)) return deviation(`Revoked (200), but the RS still accepts the RPT (${after.status}): it caches introspection or validates the RPT locally.`, 'Revocation takes effect at the RS only after its cache or the RPT expires.');
      return pass(`Revoked (200); the RS now answers ${after.status}.`);
    },
  },
];
