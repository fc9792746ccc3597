/**
 * Safety checks: the AS is trusted before anything is sent to it, nothing went to another origin,
 * and everything the probe created at the AS is listed.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
import { fingerprint, revocationRequest } from '@tessera/uma';
import { grantSection, info, pass, unsafe, type CheckDefinition } from '../types';
import type { CheckContext } from '../context';

/** Revokes the RPTs and PCTs the probe obtained and has not revoked yet (RFC 7009), where it can. */
async function cleanUp(ctx: CheckContext): Promise<void> {
  const m = ctx.shared.discovery.metadata;
  const client = ctx.shared.client;
  if (!m?.revocation_endpoint || !client) return;
  for (const { token, hint } of ctx.shared.revocable) {
    const fp = fingerprint(token);
    const item = ctx.shared.created.find((c) => c.description.includes(fp));
    if (!item || item.cleanedUp) continue;
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
      return grade(`Created ${c.length} item(s), ${c.length - left.length} cleaned up.${parts.length ? ` Left: ${parts.join(', ')}.` : ''} See the list in the report.`, pending || clients ? 'Ask the resource owner to deny the pending requests; delete the registered clients in the AS console.' : undefined);
    },
  },
];
