/**
 * Safety checks: the AS is trusted before anything is sent to it, nothing went to another origin,
 * and everything the probe created at the AS is listed.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
import { decodeJwt } from 'jose';
import { fingerprint, ID_TOKEN_FORMAT, issuersEqual, revocationRequest } from '@tessera/uma';
import { grantSection, info, pass, unsafe, type CheckDefinition } from '../types';
import type { CheckContext } from '../context';

/**
 * Whether a claim token the probe pushes is an ID token this AS issued itself (the AS is also the
 * person's OpenID provider, as Keycloak is for its realm's users). Its refresh tokens then belong to
 * the person's sign-in session: Keycloak 26.7.3 ends that session when one is revoked, and the ID
 * token is refused afterwards ("Invalid identity"; test/keycloak/revocation-session.test.ts), so the
 * probe would sign the person out of what they are testing with.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export function claimsFromThisAs(ctx: CheckContext): boolean {
  const issuer = ctx.shared.discovery.metadata?.issuer ?? ctx.shared.asUri;
  return ctx.shared.claimTokens.some((c) => {
    if (c.claim_token_format !== ID_TOKEN_FORMAT) return false;
    try {
      const iss = decodeJwt(c.claim_token).iss;
      return typeof iss === 'string' && issuersEqual(iss, issuer);
    } catch {
      return false;
    }
  });
}

/**
 * Revokes the RPTs and PCTs the probe obtained and has not revoked yet (RFC 7009), where it can.
 * Refresh tokens are left (and listed) where revoking them would end the person's session at the AS.
 */
async function cleanUp(ctx: CheckContext): Promise<void> {
  const m = ctx.shared.discovery.metadata;
  const client = ctx.shared.client;
  if (!m?.revocation_endpoint || !client) return;
  const keepRefresh = claimsFromThisAs(ctx);
  for (const { token, hint } of ctx.shared.revocable) {
    const fp = fingerprint(token);
    const item = ctx.shared.created.find((c) => c.description.includes(fp));
    if (!item || item.cleanedUp) continue;
    if (hint === 'refresh_token' && keepRefresh) continue;
    try {
      const res = await revocationRequest(m, client, token, hint, ctx.requestContext);
      await res.text().catch(() => '');
      if (res.status === 200) ctx.markCleaned(fp);
    } catch {
      // left at the AS; listed as such
    }
  }
}

export const safetyChecks: CheckDefinition[] = [
  {
    id: 'safety.origins',
    title: 'Nothing sent beyond the RS, the AS and its endpoints',
    spec: grantSection('5.7'),
    rule: 'Credentials, tickets, claims and tokens go only to the RS, the trusted AS and the endpoints it advertises.',
    async run(ctx) {
      const v = ctx.shared.violations;
      const contacted = [...ctx.shared.contacted].sort();
      if (v.length) return unsafe(`Refused ${v.length} request(s) to other origins: ${[...new Set(v.map((x) => `${x.origin}${x.path} (during ${x.check})`))].join(', ')}.`, 'The RS or AS leads clients to third parties (a redirect or an endpoint elsewhere); find out why before trusting it.');
      return pass(`Only ${contacted.join(', ')} were contacted.`);
    },
  },
  {
    id: 'safety.created',
    title: 'What the probe left at the AS',
    spec: grantSection('3.3.6'),
    rule: 'A probe must say what it created: pending access requests (request_submitted), registered clients, tokens.',
    async run(ctx) {
      await cleanUp(ctx);
      const c = ctx.shared.created;
      if (!c.length) return pass('Nothing was created at the AS.');
      const left = c.filter((x) => !x.cleanedUp);
      const pendingItems = left.filter((x) => x.kind === 'pending_request');
      const asked = pendingItems.reduce((n, x) => n + (x.count ?? 1), 0);
      const pending = pendingItems.length;
      const clients = left.filter((x) => x.kind === 'registered_client').length;
      const tokens = left.filter((x) => x.kind === 'rpt' || x.kind === 'refresh_token' || x.kind === 'pct').length;
      const parts = [pending ? `pending access request(s) for ${pending} resource(s), from ${asked} request_submitted answer(s) (the AS may have merged them)` : '', clients ? `${clients} registered client(s)` : '', tokens ? `${tokens} token(s) that expire on their own` : ''].filter(Boolean);
      // Everything cleaned up is what the rule asks; what is left is listed for the person to see.
      const grade = left.length ? info : pass;
      const keptRefresh = left.some((x) => x.kind === 'refresh_token') && claimsFromThisAs(ctx);
      const why = keptRefresh ? ' Refresh tokens were not revoked: the pushed ID token comes from this AS, and revoking a refresh token there can end the person\'s sign-in (Keycloak does).' : '';
      return grade(`Created ${c.length} item(s), ${c.length - left.length} cleaned up.${parts.length ? ` Left: ${parts.join(', ')}.` : ''}${why} See the list in the report.`, pending || clients ? 'Ask the resource owner to deny the pending requests; delete the registered clients in the AS console.' : undefined);
    },
  },
];
