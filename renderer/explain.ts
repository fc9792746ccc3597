/** Plain-language explanations of outcomes and errors, each with the spec section behind it. */
import type { ErrorView, Outcome } from '../src/app/api';

const G = 'https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html';

export const OUTCOME_TEXT: Record<Outcome, { label: string; text: string; spec: string }> = {
  granted: { label: 'Granted', text: 'The authorization server issued a token and the resource server answered.', spec: `${G}#rfc.section.3.3.5` },
  denied: { label: 'Refused', text: "The owner's policy does not allow you this access. Nothing more can be done from here; ask the owner.", spec: `${G}#rfc.section.3.3.6` },
  need_info: { label: 'More information needed', text: 'The authorization server needs to know more about you: sign in with the identity provider it names, or open its page to provide the information.', spec: `${G}#rfc.section.3.3.6` },
  pending: { label: 'Waiting for the owner', text: 'Your request was passed to the owner, who must approve it. Tessera can keep asking until they do.', spec: `${G}#rfc.section.3.3.6` },
  untrusted_as: { label: 'Untrusted server', text: 'The resource server sent you to an authorization server you have not trusted. Nothing was sent to it. Trust it only if you know it.', spec: `${G}#rfc.section.5.7` },
  as_unreachable: { label: 'Authorization server unreachable', text: 'The resource server could not reach its authorization server. Try again later.', spec: `${G}#rfc.section.3.2.2` },
  error: { label: 'Error', text: 'Something went wrong; the failing step is marked in the timeline.', spec: G },
};

export function explainError(error: ErrorView): string {
  return `${error.message}${error.hint ? ` ${error.hint}` : ''}`;
}
