/**
 * Adds (or, given again, replaces) a trusted AS from the Connections form. The non-secret part goes
 * to config.json exactly as the CLI's `tessera trust add` writes it; the client secret or private key
 * goes to the vault as a `client` record (as the demo's client does), never to config.json and never
 * back to a face.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 (private_key_jwt)
 * @see https://www.rfc-editor.org/rfc/rfc7591 (dynamic registration)
 */
import { createPrivateKey } from 'node:crypto';
import type { JWK } from 'jose';
import { TesseraError, storeKeys, type TokenStore, findTrustedAs, normalizeIssuer, type AsConfig, type TrustPolicy } from '@tessera/uma';
import type { ClientCredentials } from '@tessera/uma';
import type { AsSetupView } from './api';
import type { AddAsInput } from './as-input';

/** Reads a private key given as a JWK (JSON) or a PKCS#8 PEM block; the public part alone is refused. */
export function parsePrivateKey(text: string): JWK {
  const trimmed = text.trim();
  let jwk: JWK;
  if (trimmed.startsWith('{')) {
    try {
      jwk = JSON.parse(trimmed) as JWK;
    } catch {
      throw new TesseraError('usage', 'The private key is not valid JSON.', 'Paste the private JWK, or a PEM block starting with -----BEGIN PRIVATE KEY-----.');
    }
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') throw new TesseraError('usage', 'The private key is not a JWK (no "kty").', 'Paste the private JWK.');
  } else if (trimmed.startsWith('-----BEGIN PRIVATE KEY-----')) {
    try {
      jwk = createPrivateKey({ key: trimmed, format: 'pem' }).export({ format: 'jwk' }) as JWK;
    } catch {
      throw new TesseraError('usage', 'The PEM private key could not be read.', 'Paste a PKCS#8 key (-----BEGIN PRIVATE KEY-----), RSA, EC or Ed25519.');
    }
  } else {
    throw new TesseraError('usage', 'The private key must be a JWK or a PKCS#8 PEM block.', 'Paste the private JWK, or a PEM block starting with -----BEGIN PRIVATE KEY-----.');
  }
  if (jwk.kty === 'oct' || !jwk.d) throw new TesseraError('usage', 'This is not a private key (the private part is missing).', 'Paste the private key, not the public one.');
  return jwk;
}

/** What the form may show of an AS's configuration (nothing secret: the vault is not read). */
export function asSetupView(a: AsConfig): AsSetupView | undefined {
  const method = a.client?.registration === 'dynamic' ? 'dynamic' : a.client?.authMethod === 'keycloak_bearer' ? undefined : a.client?.authMethod;
  const view: AsSetupView = {
    ...(a.discoveryUrl ? { discoveryUrl: a.discoveryUrl } : {}),
    ...(a.metadata?.token_endpoint ? { tokenEndpoint: a.metadata.token_endpoint } : {}),
    ...(a.metadata?.claims_interaction_endpoint ? { claimsInteractionEndpoint: a.metadata.claims_interaction_endpoint } : {}),
    ...(a.metadata?.registration_endpoint ? { registrationEndpoint: a.metadata.registration_endpoint } : {}),
    ...(a.metadata?.revocation_endpoint ? { revocationEndpoint: a.metadata.revocation_endpoint } : {}),
    ...(method ? { authMethod: method } : {}),
  };
  return Object.keys(view).length > 0 ? view : undefined;
}

export interface AddAsResult { config: AsConfig; replaced: boolean }

/**
 * Builds the config entry and writes the client record. `trust` is changed in place; the caller
 * saves config.json (after the vault write, so a failed vault write leaves config untouched).
 */
export async function applyAddAs(input: AddAsInput, trust: TrustPolicy, store: TokenStore): Promise<AddAsResult> {
  const issuer = normalizeIssuer(input.issuer);
  const existing = findTrustedAs(trust, input.issuer);
  const method = input.authMethod === 'dynamic' ? undefined : input.authMethod;
  const entry: AsConfig = {
    ...(existing ?? {}),
    issuer: existing?.issuer ?? issuer,
    ...(input.label ? { label: input.label } : {}),
    client: method ? { registration: 'static', clientId: input.clientId ?? '', authMethod: method } : { registration: 'dynamic' },
  };
  // The endpoints given now replace the earlier ones ("edit = add again").
  delete entry.discoveryUrl;
  delete entry.metadata;
  if (input.discoveryUrl) entry.discoveryUrl = input.discoveryUrl;
  if (input.tokenEndpoint) {
    entry.metadata = {
      token_endpoint: input.tokenEndpoint,
      ...(input.claimsInteractionEndpoint ? { claims_interaction_endpoint: input.claimsInteractionEndpoint } : {}),
      ...(input.registrationEndpoint ? { registration_endpoint: input.registrationEndpoint } : {}),
      ...(input.revocationEndpoint ? { revocation_endpoint: input.revocationEndpoint } : {}),
    };
  }
  const key = storeKeys.client(entry.issuer);
  if (!method) {
    // A static client of before would win over registration (packages/uma/src/uma/clients.ts): drop it; keep a dynamic one.
    const stored = await store.get<ClientCredentials>('client', key);
    if (stored && stored.value.registration !== 'dynamic') await store.delete('client', key);
  } else {
    const clientId = input.clientId ?? '';
    const credentials: ClientCredentials = {
      client_id: clientId,
      auth_method: method,
      registration: 'static',
      ...(input.clientSecret ? { client_secret: input.clientSecret } : {}),
      ...(input.privateKey ? { private_jwk: parsePrivateKey(input.privateKey) } : {}),
    };
    await store.put<ClientCredentials>('client', key, credentials, { issuer: entry.issuer, clientId, label: 'added in Connections' });
  }
  trust.authorizationServers = existing ? trust.authorizationServers.map((a) => (a === existing ? entry : a)) : [...trust.authorizationServers, entry];
  return { config: entry, replaced: Boolean(existing) };
}
