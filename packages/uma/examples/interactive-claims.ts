// Example 2: interactive claims gathering. When the AS answers need_info with a claims-interaction
// page, the person continues in their browser; the AS sends them back to a one-shot loopback
// redirect with a new ticket, and the grant goes on (UMA Grant §3.3.2–3.3.3).
import { createUmaClient, CLAIMS_REDIRECT_URI, loopbackInteraction, type DefaultClient } from '@tessera/uma';
import { systemOpener } from '@tessera/uma/node';

export async function interactiveClaims(o: {
  resource: string;
  asIssuer: string;
  client: DefaultClient;
  fingerprintKey: Uint8Array;
  /** Opens the page for the person; by default their system browser (`BROWSER` honoured). */
  open?: (url: string) => Promise<void>;
}) {
  const open = o.open ?? systemOpener({ env: process.env, print: (line) => console.error(line) });
  const umaFetch = createUmaClient({
    trust: { authorizationServers: [{ issuer: o.asIssuer }] },
    client: o.client,
    interaction: loopbackInteraction({ open, timeoutMs: 5 * 60_000 }),
    claimsRedirectUris: [CLAIMS_REDIRECT_URI], // for a dynamically registered client
    fingerprintKey: o.fingerprintKey,
  });
  const { outcome, response } = await umaFetch(o.resource);
  if (outcome.type !== 'granted') throw new Error(`${outcome.type}: ${outcome.error.message} (${outcome.error.code})`);
  return response!.json();
}
