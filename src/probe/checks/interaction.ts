/**
 * Claims-interaction endpoint checks, without a person in a browser: an unregistered
 * claims_redirect_uri is never redirected to, and an error redirect returns `state` unchanged.
 * Redirects are read, never followed.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
import { randomBytes } from 'node:crypto';
import { buildInteractionUrl } from '@tessera/uma';
import { deviation, grantSection, pass, skip, unsafe, type CheckDefinition } from '../types';
import { SkipCheck, type CheckContext } from '../context';

export const UNREGISTERED_REDIRECT = 'https://unregistered.tessera-probe.invalid/claims-callback';

function endpointOf(ctx: CheckContext): string {
  const fromMetadata = ctx.metadata.claims_interaction_endpoint;
  if (fromMetadata) return fromMetadata;
  for (const o of ctx.shared.observations) if (o.result.type === 'need_info' && o.result.redirectUser) return o.result.redirectUser.includes('?') ? o.result.redirectUser : o.result.redirectUser.replace('&', '?');
  throw new SkipCheck('No claims_interaction_endpoint and no need_info with redirect_user was seen.');
}

async function visit(ctx: CheckContext, claimsRedirectUri: string, ticket: string) {
  const state = randomBytes(16).toString('base64url');
  const url = buildInteractionUrl({ endpoint: endpointOf(ctx), clientId: ctx.client.client_id, ticket, claimsRedirectUri, state });
  const res = await ctx.shared.http.request(url.href, { lane: 'as', kind: 'interaction', flowId: ctx.flowId, headers: { accept: 'text/html' }, secrets: [ticket, state] });
  const location = res.headers.get('location');
  return { res, state, location: location ? new URL(location, url) : undefined };
}

export const interactionChecks: CheckDefinition[] = [
  {
    id: 'interaction.unregistered-redirect',
    title: 'An unregistered claims_redirect_uri is refused',
    spec: grantSection('3.3.2'),
    rule: 'The AS redirects back only to a claims_redirect_uri registered for the client (simple string comparison); otherwise it must not redirect.',
    async run(ctx) {
      const { res, location } = await visit(ctx, UNREGISTERED_REDIRECT, await ctx.freshTicket());
      if (location && location.origin === new URL(UNREGISTERED_REDIRECT).origin) return unsafe(`HTTP ${res.status} redirecting to the unregistered ${location.origin}: an open redirect that can leak tickets.`, 'Do not send requesting parties to this AS\'s claims-interaction endpoint.');
      return pass(`HTTP ${res.status}${location ? ` (redirect within ${location.origin})` : ''}; no redirect to the unregistered URI.`);
    },
  },
  {
    id: 'interaction.state',
    title: 'The redirect back returns state unchanged',
    spec: grantSection('3.3.3'),
    rule: 'The AS redirects to claims_redirect_uri with a new ticket (or an error) and state exactly as sent.',
    async run(ctx) {
      const registered = ctx.shared.claimsRedirectUri;
      const bogus = `tessera-probe-${randomBytes(12).toString('base64url')}`;
      const { res, state, location } = await visit(ctx, registered, bogus);
      const back = location && `${location.origin}${location.pathname}` === `${new URL(registered).origin}${new URL(registered).pathname}`;
      if (!back) return skip(`With an unknown ticket the AS answered ${res.status}${location ? ` (redirect to ${location.origin}${location.pathname})` : ''} instead of redirecting back; the redirect back needs a person in a browser, so state could not be observed.${res.status === 400 ? ' Is the claims_redirect_uri registered for this client?' : ''}`);
      const returned = location.searchParams.get('state');
      if (returned !== state) return unsafe(`Redirected back ${returned === null ? 'without state' : 'with a different state'}.`, 'The client cannot bind the redirect to its request (CSRF); do not use claims interaction with this AS.');
      if (location.searchParams.get('ticket') === bogus) return deviation('state unchanged, but the unknown ticket came back as if it were new.', 'Check that a returned ticket differs from the one sent.');
      return pass(`Error redirect back (${location.searchParams.get('error') ?? 'no error code'}) with state unchanged. The new-ticket path needs a person in a browser and is not run here.`);
    },
  },
];
