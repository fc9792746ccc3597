/**
 * Which client Tessera is at a trusted AS: a stored registration (static or dynamic), the caller's
 * default client (the CLI's client flags, the demo's client), or — when the AS offers it and the
 * configuration allows — a new dynamic registration, stored for next time.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591
 */
import type { JWK } from 'jose';
import { SPEC, TesseraError } from '../kernel/errors';
import { storeKeys, type TokenStore } from '../kernel/store';
import type { AsConfig, TokenAuthMethod } from '../kernel/trust';
import type { DiscoveredAs } from './discovery';
import type { ClientCredentials, RequestContext } from './grant';
import { processRegistrationResponse, registrationRequest } from './registration';

/**
 * Client used when no per-AS client is stored (the CLI's client flags).
 * @see https://www.rfc-editor.org/rfc/rfc7591
 */
export interface DefaultClient {
  clientId: string;
  clientSecret?: string;
  privateJwk?: JWK;
  authMethod?: TokenAuthMethod;
}

/**
 * Where {@link ClientResolver} finds and keeps client registrations.
 * @see https://www.rfc-editor.org/rfc/rfc7591
 */
export interface ClientResolverOptions {
  store: TokenStore;
  defaultClient?: DefaultClient;
  claimsRedirectUris?: string[];
}

/**
 * Which client Tessera is at a trusted AS: a stored registration, the default client, or a new dynamic registration.
 * @see https://www.rfc-editor.org/rfc/rfc7591
 */
export class ClientResolver {
  constructor(private readonly o: ClientResolverOptions) {}

  /**
   * The client Tessera already is at `asIssuer`, without registering one: a stored registration,
   * the default client, or the configured client id. The probe uses this (it never registers a
   * client for its own use; its registration check registers and deletes one).
   */
  async known(asIssuer: string, config: AsConfig): Promise<ClientCredentials | undefined> {
    const stored = await this.o.store.get<ClientCredentials>('client', storeKeys.client(asIssuer));
    const override = config.client?.authMethod;
    if (stored) return override ? { ...stored.value, auth_method: override } : stored.value;
    const d = this.o.defaultClient;
    if (d && (!config.client?.clientId || config.client.clientId === d.clientId)) return defaultClientCredentials(d, override);
    if (config.client?.clientId && config.client.registration !== 'dynamic') {
      return { client_id: config.client.clientId, auth_method: override ?? 'none', registration: 'static' };
    }
    return undefined;
  }

  /** The credentials to use at `asIssuer` (a trusted AS): {@link known}, or a new dynamic registration. */
  async resolve(asIssuer: string, config: AsConfig, discovered: DiscoveredAs, ctx: RequestContext): Promise<ClientCredentials> {
    const known = await this.known(asIssuer, config);
    if (known) return known;
    if ((config.client?.registration === 'dynamic' || !config.client) && discovered.metadata.registration_endpoint) {
      const response = await registrationRequest(discovered.metadata, { ...(this.o.claimsRedirectUris ? { claimsRedirectUris: this.o.claimsRedirectUris } : {}) }, ctx);
      const client = await processRegistrationResponse(asIssuer, response);
      await this.o.store.put<ClientCredentials>('client', storeKeys.client(asIssuer), client, { issuer: asIssuer, clientId: client.client_id, label: 'dynamic registration' });
      return client;
    }
    throw new TesseraError('client_not_configured', `Tessera has no client registration at ${asIssuer}.`, 'Give Tessera the client id (and secret or private key) registered for it at this AS, or allow dynamic registration.', { spec: SPEC.registration, facts: { asIssuer } });
  }
}

/**
 * A default client (the CLI's client flags) as credentials; `override` is a configured auth method.
 * @see https://www.rfc-editor.org/rfc/rfc7591
 */
export function defaultClientCredentials(d: DefaultClient, override?: TokenAuthMethod): ClientCredentials {
  return {
    client_id: d.clientId,
    ...(d.clientSecret ? { client_secret: d.clientSecret } : {}),
    ...(d.privateJwk ? { private_jwk: d.privateJwk } : {}),
    auth_method: override ?? d.authMethod ?? (d.privateJwk ? 'private_key_jwt' : d.clientSecret ? 'client_secret_basic' : 'none'),
    registration: 'static',
  };
}
