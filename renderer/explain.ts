/** Plain-language explanations of outcomes and errors, each with the spec section behind it. */
import type { ErrorView, Outcome } from '../src/app/api';

const G = 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html';

export const OUTCOME_TEXT: Record<Outcome, { label: string; text: string; spec: string }> = {
  granted: { label: 'Granted', text: 'The authorization server issued a token and the resource server answered.', spec: `${G}#rfc.section.3.3.5` },
  denied: { label: 'Refused', text: "The owner's policy does not allow you this access. Nothing more can be done from here; ask the owner.", spec: `${G}#rfc.section.3.3.6` },
  need_info: { label: 'More information needed', text: 'The authorization server needs to know more about you: sign in with the identity provider it names, or open its page to provide the information.', spec: `${G}#rfc.section.3.3.6` },
  pending: { label: 'Waiting for the owner', text: 'Your request was passed to the owner, who must approve it. Tessera asks again by itself and tells you when they decide, unless you stop it in Requests.', spec: `${G}#rfc.section.3.3.6` },
  untrusted_as: { label: 'Untrusted server', text: 'The resource server sent you to an authorization server you have not trusted. Nothing was sent to it. Trust it only if you know it.', spec: `${G}#rfc.section.5.7` },
  as_unreachable: { label: 'Authorization server unreachable', text: 'The resource server could not reach its authorization server. Try again later.', spec: `${G}#rfc.section.3.2.2` },
  error: { label: 'Error', text: 'Something went wrong; the failing step is marked in the timeline.', spec: G },
};

/** A flow the person stopped (Cancel, or Cancel on the provider's or AS's page): "Cancelled", not "Error". */
export function wasCancelled(f: { outcome?: Outcome | undefined; error?: ErrorView | undefined }): boolean {
  return f.outcome === 'error' && (f.error?.code === 'aborted' || f.error?.code === 'interaction_cancelled');
}
export const CANCELLED_TEXT = { label: 'Cancelled', text: 'You stopped this request; nothing more was sent. Open it again when you are ready.' };

export function explainError(error: ErrorView): string {
  return `${error.message}${error.hint ? ` ${error.hint}` : ''}`;
}

/**
 * The UI's words for the engine's codes (the CLI has its own table, src/cli/advice.ts): advice that
 * points at screens and buttons, never at command-line flags.
 */
export function uiAdvice(error: ErrorView): string {
  const f = error.facts ?? {};
  switch (error.code) {
    case 'untrusted_as': return 'Nothing was sent to it. If you know who runs it, trust it with the button below (or in Connections).';
    case 'need_info': return f.interactionOrigin ? `Open its page from Requests (${f.interactionOrigin}), or act as someone it accepts (Acting as, at the top).` : 'Act as someone it accepts (Acting as, at the top), or sign in with another identity in Connections.';
    case 'pending_approval': return f.reason === 'wait_limit' ? 'The owner has not decided yet. Tessera asks again by itself until they do, unless you stop it in Requests.' : 'The owner decides at their authorization server. Tessera asks again by itself until they do, unless you stop it in Requests.';
    case 'ticket_expired': return 'Open the resource again to ask with a fresh ticket.';
    case 'identity_expired': case 'identity_not_found': return 'Sign in again in Connections, or choose someone else under Acting as.';
    case 'invalid_client': case 'client_not_configured': return 'Check the client settings of this authorization server in Connections.';
    case 'other_scheme': return f.scheme === 'GNAP' ? `This resource uses GNAP${f.asIssuer ? ` (its server: ${f.asIssuer})` : ''}; Tessera speaks UMA only, so use a GNAP client for it.` : `This resource wants an OAuth access token${f.listedAs?.length ? ` from ${f.listedAs.join(' or ')}` : ''}, not a UMA token; Tessera cannot ask for one. If you have one, add it as an Authorization header in the request builder.`;
    case 'rs_metadata_as_mismatch': case 'rs_metadata_resource_mismatch': return 'Nothing was sent to the authorization server: what the resource server says about itself does not match its challenge. Trusting the server does not change this; tell the resource server\'s operator.';
    // The switch says Always (RFC 9449): the AS did not bind the RPT, or cannot check Tessera's proofs.
    case 'dpop_not_bound': return `${f.asIssuer ?? 'This authorization server'} did not bind the RPT to Tessera's key, and Sender-constrained tokens (DPoP) is set to Always for it. To accept a Bearer RPT from it, set that to Automatic or Never in Connections.`;
    case 'dpop_unsupported': return `${f.asIssuer ?? 'This authorization server'} checks DPoP proofs only with algorithms Tessera does not sign with. Set Sender-constrained tokens (DPoP) to Automatic or Never for it in Connections.`;
    case 'internal': return 'This is a bug in Tessera; please report it with the exported flow (Export).';
    default: return error.hint;
  }
}

/** What a granted flow means, in plain words: no UMA at all, a token already held, or a new one. */
export function grantedText(flow: { access?: 'open' | 'held' | 'issued' | undefined; rptStoredAt?: number | undefined }): { label: string; text: string } {
  if (flow.access === 'open') return { label: 'Open', text: 'Open (not protected by UMA): the resource server answered without asking for a token.' };
  if (flow.access === 'held') return { label: 'Granted', text: `Used the token you already hold${flow.rptStoredAt ? ` (issued at ${new Date(flow.rptStoredAt).toLocaleString()})` : ''}.` };
  return { label: 'Granted', text: OUTCOME_TEXT.granted.text };
}
