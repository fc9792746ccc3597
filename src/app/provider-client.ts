/**
 * The client Tessera signs in with at an OpenID provider. The face names only the issuer and client
 * id (a secret never goes to the renderer); when that provider is also a trusted AS at which Tessera
 * holds a confidential client with the same id — Keycloak, whose realm is both — the client secret
 * stored for the AS authenticates the sign-in too. Keycloak needs exactly that: it accepts a pushed ID
 * token only from the client it was issued to, so sign-in and UMA grant share one client.
 */
import { storeKeys, type TokenStore, normalizeIssuer } from '@tessera/uma';
import type { ProviderClient, ClientCredentials } from '@tessera/uma';

export async function providerClient(store: TokenStore, input: { issuer: string; clientId: string; scope?: string | undefined }): Promise<ProviderClient> {
  // The provider's issuer stays exactly as given (OIDC Discovery §4.3: compared exactly); the AS
  // client record is keyed by the trusted AS's key form.
  const issuer = input.issuer;
  const stored = (await store.get<ClientCredentials>('client', storeKeys.client(normalizeIssuer(issuer))))?.value;
  const secret = stored?.client_id === input.clientId && (stored.auth_method === 'client_secret_basic' || stored.auth_method === 'client_secret_post') ? stored.client_secret : undefined;
  return { issuer, clientId: input.clientId, ...(secret ? { clientSecret: secret } : {}), ...(input.scope ? { scope: input.scope } : {}) };
}
