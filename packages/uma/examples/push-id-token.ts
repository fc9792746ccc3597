// Example 1: push the requesting party's ID token. The AS decides on its claims at the first token
// request, so a permitted party gets the resource in one round trip (401 → token → 200).
import { createUmaClient, ID_TOKEN_FORMAT, type DefaultClient } from '@tessera/uma';

export async function pushIdToken(o: { resource: string; asIssuer: string; client: DefaultClient; idToken: string; party: string; fingerprintKey: Uint8Array }) {
  const umaFetch = createUmaClient({
    trust: { authorizationServers: [{ issuer: o.asIssuer }] }, // claims go only to this AS
    client: o.client,
    claims: {
      // `identity`: the token is pushed only while acting for this party
      claimTokenFor: async () => ({ claim_token: o.idToken, claim_token_format: ID_TOKEN_FORMAT, identity: o.party }),
    },
    fingerprintKey: o.fingerprintKey, // 32 random bytes, kept with your store
  });
  const { outcome, response } = await umaFetch(o.resource, { headers: { accept: 'application/json' } }, { party: o.party });
  if (outcome.type !== 'granted') throw new Error(`${outcome.type}: ${outcome.error.message} (${outcome.error.code})`);
  return response!.json();
}
