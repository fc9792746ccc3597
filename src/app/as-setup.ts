/**
 * Adds (or, given again, replaces) a trusted AS from the Connections form. The non-secret part goes
 * to config.json exactly as the CLI's `tessera trust add` writes it; the client secret or private key
 * goes to the vault as a `client` record (as the demo's client does), never to config.json and never
 * back to a face.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2 (private_key_jwt)
 * @see https://www.rfc-editor.org/rfc/rfc7591 (dynamic registration)
 */
import { createPrivateKey } from 'node:crypto';
import { exportJWK, importJWK, importPKCS8, type JWK } from 'jose';
import { TesseraError, storeKeys, type TokenStore, findTrustedAs, normalizeIssuer, type AsConfig, type TrustPolicy } from '@tessera/uma';
import type { ClientCredentials } from '@tessera/uma';
import type { AsSetupView } from './api';
import type { AddAsInput } from './as-input';

/** The signing algorithm a private JWK is used with: its own `alg`, else the usual one for its type and curve. */
export function keyAlgorithm(jwk: JWK): string {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return 'RS256';
}

const KEY_HINT = 'Paste the private JWK, or a PEM block starting with -----BEGIN PRIVATE KEY-----.';

/**
 * Reads a private key given as a JWK (JSON) or a PKCS#8 PEM block, and imports it with jose, so only
 * a real key passes (`{"kty":"RSA","d":"…"}` without the other members is refused); the public part
 * alone and symmetric keys are refused.
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-4 (JWK)
 */
export async function parsePrivateKey(text: string): Promise<JWK> {
  const trimmed = text.trim();
  let jwk: JWK;
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new TesseraError('usage', 'The private key is not valid JSON.', KEY_HINT);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as JWK).kty !== 'string') throw new TesseraError('usage', 'The private key is not a JWK (no "kty").', 'Paste the private JWK.');
    jwk = parsed as JWK;
  } else if (trimmed.startsWith('-----BEGIN PRIVATE KEY-----')) {
    try {
      jwk = await exportJWK(await importPKCS8(trimmed, pemAlgorithm(trimmed), { extractable: true }));
    } catch {
      throw new TesseraError('usage', 'The PEM private key could not be read.', 'Paste a PKCS#8 key (-----BEGIN PRIVATE KEY-----), RSA, EC or Ed25519.');
    }
  } else {
    throw new TesseraError('usage', 'The private key must be a JWK or a PKCS#8 PEM block.', KEY_HINT);
  }
  if (jwk.kty === 'oct' || !jwk.d) throw new TesseraError('usage', 'This is not a private key (the private part is missing).', 'Paste the private key, not the public one.');
  try {
    await importJWK(jwk, keyAlgorithm(jwk));
  } catch {
    throw new TesseraError('usage', `This is not a usable ${jwk.kty} private key: some of its members are missing or wrong.`, KEY_HINT);
  }
  return jwk;
}

/** {@link parsePrivateKey} as a refusal of the form's `privateKey` field (the form shows it there). */
async function privateKeyField(text: string): Promise<JWK> {
  try {
    return await parsePrivateKey(text);
  } catch (error) {
    if (error instanceof TesseraError && error.code === 'usage') throw new TesseraError('invalid_input', `privateKey: ${error.message}`, error.hint, { cause: error });
    throw error;
  }
}

/** jose imports a PEM for one algorithm; the key's type picks it (node:crypto only reads the type). */
function pemAlgorithm(pem: string): string {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
  }
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  return 'RS256';
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
    ...(a.dpop ? { dpop: a.dpop } : {}),
  };
  return Object.keys(view).length > 0 ? view : undefined;
}

export interface AddAsResult { config: AsConfig; replaced: boolean }
/** The config entry and the client record an add would write, built (and the key imported) before anything is written. */
export interface PreparedAs { entry: AsConfig; credentials?: ClientCredentials }

/** Builds the config entry and the client record from the form's input; reads nothing but `trust`, writes nothing. */
export async function prepareAddAs(input: AddAsInput, trust: TrustPolicy): Promise<PreparedAs> {
  const issuer = normalizeIssuer(input.issuer);
  const existing = findTrustedAs(trust, input.issuer);
  const method = input.authMethod === 'dynamic' ? undefined : input.authMethod;
  const entry: AsConfig = {
    ...(existing ?? {}),
    issuer: existing?.issuer ?? issuer,
    ...(input.label ? { label: input.label } : {}),
    client: method ? { registration: 'static', clientId: input.clientId ?? '', authMethod: method } : { registration: 'dynamic' },
  };
  // DPoP: `auto` is the default and is not written, so config.json stays as it was for those who never chose.
  if (input.dpop !== undefined) {
    if (input.dpop === 'auto') delete entry.dpop;
    else entry.dpop = input.dpop;
  }
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
  if (!method) return { entry };
  const clientId = input.clientId ?? '';
  return {
    entry,
    credentials: {
      client_id: clientId,
      auth_method: method,
      registration: 'static',
      ...(input.clientSecret ? { client_secret: input.clientSecret } : {}),
      ...(input.privateKey ? { private_jwk: await privateKeyField(input.privateKey) } : {}),
    },
  };
}

/**
 * Writes the client record and puts the entry in `trust` (changed in place); the caller saves
 * config.json (after the vault write, so a failed vault write leaves config untouched).
 */
export async function applyAddAs(prepared: PreparedAs, trust: TrustPolicy, store: TokenStore): Promise<AddAsResult> {
  const { entry, credentials } = prepared;
  const existing = findTrustedAs(trust, entry.issuer);
  const key = storeKeys.client(entry.issuer);
  if (!credentials) {
    // A static client of before would win over registration (packages/uma/src/uma/clients.ts): drop it; keep a dynamic one.
    const stored = await store.get<ClientCredentials>('client', key);
    if (stored && stored.value.registration !== 'dynamic') await store.delete('client', key);
  } else {
    await store.put<ClientCredentials>('client', key, credentials, { issuer: entry.issuer, clientId: credentials.client_id, label: 'added in Connections' });
  }
  trust.authorizationServers = existing ? trust.authorizationServers.map((a) => (a === existing ? entry : a)) : [...trust.authorizationServers, entry];
  return { config: entry, replaced: Boolean(existing) };
}
