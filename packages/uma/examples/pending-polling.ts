// Example 3: the resource owner must approve. The AS answers request_submitted: the outcome is
// `pending` with the AS's ticket and polling interval. Tell the person, then resume with that ticket
// and let the client poll (it never polls faster than the AS's interval, backs off ×1.5 up to 60 s).
import { createUmaClient, ID_TOKEN_FORMAT, type DefaultClient, type UmaOutcome } from '@tessera/uma';

export async function waitForOwner(o: {
  resource: string;
  asIssuer: string;
  client: DefaultClient;
  idToken: string;
  party: string;
  fingerprintKey: Uint8Array;
  onPending: (pending: Extract<UmaOutcome, { type: 'pending' }>) => void;
  maxWaitSeconds?: number;
}) {
  const umaFetch = createUmaClient({
    trust: { authorizationServers: [{ issuer: o.asIssuer }] },
    client: o.client,
    claims: { claimTokenFor: async () => ({ claim_token: o.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: o.party }) },
    fingerprintKey: o.fingerprintKey,
  });
  let { outcome, response } = await umaFetch(o.resource, {}, { party: o.party });
  if (outcome.type === 'pending') {
    o.onPending(outcome); // e.g. "Waiting for the owner to approve (asked again every 5 s)"
    const resume = outcome.ticket && outcome.asIssuer ? { asUri: outcome.asIssuer, ticket: outcome.ticket } : undefined;
    ({ outcome, response } = await umaFetch(o.resource, {}, { party: o.party, waitSeconds: o.maxWaitSeconds ?? 600, ...(resume ? { resume } : {}) }));
  }
  if (outcome.type !== 'granted') throw new Error(`${outcome.type}: ${outcome.error.message} (${outcome.error.code})`);
  return response!.json();
}
