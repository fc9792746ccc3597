/**
 * The claims-interaction leg (UMA Grant §3.3.2–3.3.3) for a native client: build the interaction URL
 * (keeping any query the AS put on `redirect_user`), send the person's system browser there, and catch
 * the redirect back on a one-shot loopback `claims_redirect_uri` (RFC 8252 §7.3). `state` is
 * unguessable and bound to (AS, ticket); the return must carry it and a ticket different from the
 * one sent.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
import { TesseraError } from '../kernel/errors';
import { buildInteractionUrl, newBoundState, stateMatches } from './interaction-url';
import { startLoopback } from './loopback';
import type { ClaimsInteraction, InteractionRequest, InteractionResult } from './ports';

/**
 * Path of the claims redirect URI; registered as `http://127.0.0.1/uma/claims-callback` (any port).
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export const CLAIMS_CALLBACK_PATH = '/uma/claims-callback';
/**
 * What to register (statically or dynamically) as `claims_redirect_uris` at an AS.
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export const CLAIMS_REDIRECT_URI = `http://127.0.0.1${CLAIMS_CALLBACK_PATH}`;

/**
 * How {@link loopbackInteraction} opens the page (the opener) and how long it waits.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export interface LoopbackInteractionOptions {
  /** Opens the URL in the system browser (packages/uma/src/identity/opener), or a test browser. */
  open: (url: string) => Promise<void>;
  timeoutMs?: number;
}

/**
 * A claims interaction that opens the AS's page with the given opener and catches the return on a one-shot loopback redirect.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export function loopbackInteraction(options: LoopbackInteractionOptions): ClaimsInteraction {
  return {
    async gather(request: InteractionRequest): Promise<InteractionResult> {
      const { state, binding } = newBoundState(request.asIssuer, request.ticket);
      const loopback = await startLoopback({
        path: CLAIMS_CALLBACK_PATH,
        stateOk: (returned) => stateMatches(binding, returned, request.asIssuer, request.ticket),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        doneMessage: 'Thank you. You can close this tab and return to Tessera, which continues the request.',
      });
      try {
        let url: URL;
        try {
          url = buildInteractionUrl({ endpoint: request.endpoint, clientId: request.clientId, ticket: request.ticket, claimsRedirectUri: loopback.redirectUri, state });
        } catch (error) {
          const e = error as Error & { hint?: string };
          throw new TesseraError('interaction_failed', e.message, e.hint ?? 'The AS sent an unusable claims-interaction URL.');
        }
        await options.open(url.href);
        const query = await loopback.result;
        const ticket = query.get('ticket');
        if (!ticket) throw new TesseraError('interaction_failed', `${request.asIssuer} sent the browser back without a ticket.`, 'Try again; the AS must return a new ticket on the claims redirect (UMA Grant §3.3.3).');
        if (ticket === request.ticket) throw new TesseraError('ticket_not_rotated', `${request.asIssuer} sent back the same ticket it was given.`, 'The AS must issue a new ticket after claims interaction (UMA Grant §3.3.3); report it to the AS operator.');
        return { ticket };
      } finally {
        loopback.close();
      }
    },
  };
}
