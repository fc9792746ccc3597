/**
 * One line per exchange in plain words, with the spec section behind it, for presenter mode.
 * Section numbers are those of the Kantara Recommendation (UMA 2.0 Grant, 7 January 2018).
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html
 */
import type { StepView } from '../../../src/app/api';
import { shortJkt, type Layout } from './layout';

const G = 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html';
export interface Narration { text: string; spec: string; href: string }

const chipsOf = (layout: Layout | undefined, stepId: string, kind: 'request' | 'return') =>
  layout?.messages.filter((m) => m.stepId === stepId && m.kind === kind).flatMap((m) => m.chips) ?? [];

/**
 * One line per exchange; a request with a DPoP proof (RFC 9449) says so, with the key it names.
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
export function narrate(step: StepView, layout?: Layout): Narration {
  const said = narrateUma(step, layout);
  const dpop = dpopSentence(step, layout);
  return dpop ? { ...said, text: `${said.text} ${dpop}` } : said;
}

/** What the DPoP proof and the RPT's binding add to the line, or undefined. */
function dpopSentence(step: StepView, layout: Layout | undefined): string | undefined {
  const key = step.dpop ? ` (key ${shortJkt(step.dpop.jkt)})` : '';
  if (step.kind === 'token' || step.kind === 'refresh') {
    const issued = chipsOf(layout, step.id, 'return').find((c) => c.role === 'rpt');
    if (!step.dpop) return undefined;
    if (issued?.scheme === 'DPoP') return `The request carries a DPoP proof${key}, and the AS binds the RPT to that key (token_type DPoP).`;
    if (issued?.scheme === 'Bearer') return `The request carries a DPoP proof${key}, but the AS issues a Bearer RPT, not bound to the key.`;
    return `The request carries a DPoP proof${key}.`;
  }
  if (step.lane === 'rs' && step.dpop) return `The RPT goes as DPoP, with a proof signed by Tessera's key${key} that covers this request and the token's hash (ath).`;
  return undefined;
}

function narrateUma(step: StepView, layout?: Layout): Narration {
  const ticketIn = chipsOf(layout, step.id, 'request').find((c) => c.role === 'ticket')?.name;
  const ticketOut = chipsOf(layout, step.id, 'return').find((c) => c.role === 'ticket')?.name;
  const rptIn = chipsOf(layout, step.id, 'request').find((c) => c.role === 'rpt')?.name;
  const rptOut = chipsOf(layout, step.id, 'return').find((c) => c.role === 'rpt')?.name;
  const t = (name: string | undefined) => (name ? ` ${name}` : '');
  const n = (text: string, section: string, anchor: string): Narration => ({ text, spec: `UMA Grant §${section}`, href: `${G}#rfc.section.${anchor}` });
  if (step.kind === 'interaction') {
    return n(`The person continues in the browser on the AS's page (here: accepting the lab's terms); the AS sends them back to Tessera with a new ticket${t(ticketOut)}.`, '3.3.2–3.3.3', '3.3.2');
  }
  if (step.lane === 'idp') {
    return { text: 'Tessera talks to the identity provider, Hospital ID, to sign the person in or refresh the ID token it will push to the AS as a claim.', spec: 'OpenID Connect Core §3.1; UMA Grant §3.3.1', href: 'https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth' };
  }
  if (step.kind === 'discovery') return n("Tessera reads the authorization server's discovery document to find its token endpoint.", '2', '2');
  if (step.kind === 'registration') return { text: 'Tessera registers itself as a client at the authorization server.', spec: 'RFC 7591 §3; UMA Grant §2', href: 'https://www.rfc-editor.org/rfc/rfc7591#section-3' };
  if (step.kind === 'refresh') return n('The RPT has expired; Tessera refreshes it at the token endpoint.', '3.6', '3.6');
  if (step.kind === 'revocation') return n('Tessera revokes a token it no longer needs.', '3.7', '3.7');
  if (step.kind === 'resource') {
    if (step.outcome === 'challenge') {
      const what = step.method === 'GET' || step.method === 'HEAD' ? '' : ` the ${step.method} (a change, not a read) with`;
      return rptIn
        ? n(`Tessera sends${what} the RPT it holds (${rptIn}), but it does not cover this request; the RS asks Kate's AS for a new permission ticket${t(ticketOut)} and sends it to Tessera.`, '3.5', '3.5')
        : n(`Tessera asks for the record without a token; the RS asks Kate's AS for a permission ticket${t(ticketOut)} and sends it to Tessera.`, '3.2', '3.2');
    }
    if (step.outcome === 'granted') return n(`Tessera presents the RPT${t(rptIn)}; the RS checks it with the AS and ${step.method === 'GET' || step.method === 'HEAD' ? 'hands over the record' : `accepts the ${step.method}`}.`, '3.4–3.5', '3.4');
    if (step.outcome === 'as_unreachable') return n('The RS could not reach its authorization server, so it cannot issue a ticket (403 with a Warning).', '3.2.2', '3.2.2');
    return n(`The resource server answers ${step.status ?? 'nothing'}.`, '3.5', '3.5');
  }
  if (step.kind === 'token') {
    // The grant's `rpt` parameter (§3.3.1): the AS may add the new permissions to the RPT held (§3.3.5.1).
    const upgrade = rptIn ? `, with the RPT it holds (${rptIn}) as the grant's rpt parameter so the AS can add to it` : '';
    // The claims are why access is granted: say which were pushed (UMA Grant §3.3.1).
    const claimIn = chipsOf(layout, step.id, 'request').find((c) => c.role === 'claim_token')?.name;
    const pctIn = chipsOf(layout, step.id, 'request').find((c) => c.role === 'pct')?.name;
    const pushed = claimIn ? `, pushing the person's ID token${t(claimIn)} as a claim` : '';
    const kept = pctIn ? `${pushed ? ' and' : ','} the PCT${t(pctIn)} (claims the AS kept from before)` : '';
    const sent = `Tessera brings the ticket${t(ticketIn)} to the AS's token endpoint${pushed}${kept}${upgrade}`;
    switch (step.outcome) {
      case 'rpt_issued': return rptIn ? n(`${sent}; Kate's policy allows it and the AS upgrades the RPT: ${rptIn} → ${rptOut ?? 'a new RPT'}, which carries the old permissions and the new ones.`, '3.3.1, §3.3.5.1', '3.3.5.1') : n(`${sent}; Kate's policy allows it and the AS issues an RPT${t(rptOut)}.`, '3.3.5', '3.3.5');
      case 'need_info': return n(`${sent}; the AS needs more about the requesting party and answers need_info with a new ticket${t(ticketOut)}.`, '3.3.6', '3.3.6');
      case 'request_submitted': return n(`${sent}; Kate must approve this herself, so the AS answers request_submitted and Tessera waits.`, '3.3.6', '3.3.6');
      case 'denied': return n(`${sent}; Kate's policy does not allow this requesting party: request_denied.${rptIn ? ` The RPT ${rptIn} is not upgraded.` : ''}`, '3.3.6', '3.3.6');
      case 'invalid_ticket': return n(`${sent}; the ticket is no longer valid (invalid_grant), so Tessera asks the RS for a fresh one.`, '3.3.6', '3.3.6');
      default: return n(`${sent}; the AS answers ${step.status ?? 'nothing'}.`, '3.3.1', '3.3.1');
    }
  }
  return n(`Tessera ${step.method} ${step.url} → ${step.status ?? 'no answer'}.`, '3', '3');
}
