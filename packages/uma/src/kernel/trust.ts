/**
 * Trust policy: which authorization servers may receive client credentials, pushed claims and PCTs,
 * and how to talk to each (alias, manual endpoints, discovery URL, client registration, auth mode).
 * An RS names its AS in an unauthenticated 401, so an AS not listed here is never contacted.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
import { z } from 'zod';

/**
 * How the client authenticates at the token endpoint.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 */
export const tokenAuthMethod = z.enum([
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
  /** Keycloak: the requesting party's own access token is the Bearer credential. */
  'keycloak_bearer',
]);
/**
 * A client authentication method at the token endpoint.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 */
export type TokenAuthMethod = z.infer<typeof tokenAuthMethod>;

/**
 * Manually configured endpoints for servers without (UMA) discovery, e.g. WSO2 IS.
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export const manualMetadata = z
  .object({
    token_endpoint: z.url(),
    claims_interaction_endpoint: z.url().optional(),
    registration_endpoint: z.url().optional(),
    revocation_endpoint: z.url().optional(),
    token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  })
  .loose();

/**
 * Schema of {@link AsConfig} (zod), for trust lists read from files or input.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
export const asConfig = z.object({
  /** The AS issuer as it appears in `as_uri`. */
  issuer: z.string().min(1),
  /**
   * Other names of this AS: an `as_uri` equal to an alias is treated as this AS, and a discovery
   * document whose `issuer` differs from `as_uri` is accepted when either is listed here.
   */
  aliases: z.array(z.string()).optional(),
  /** Short label for display. */
  label: z.string().optional(),
  /** Discovery document URL when it is not `{issuer}/.well-known/uma2-configuration` (ForgeRock AM). */
  discoveryUrl: z.url().optional(),
  /** Endpoints for an AS with no discovery at all (WSO2 IS). Wins over discovery. */
  metadata: manualMetadata.optional(),
  /** Client registration: static (id here, secret/key in the token store) or dynamic (RFC 7591). */
  client: z
    .object({
      registration: z.enum(['static', 'dynamic']).default('static'),
      clientId: z.string().optional(),
      authMethod: tokenAuthMethod.optional(),
    })
    .optional(),
  /** Scopes to request at this AS (`scope` parameter), space-separated. */
  scope: z.string().optional(),
  /**
   * Keycloak's `submit_request` token parameter: Keycloak turns every denial with a ticket into a
   * pending request to the resource owner unless `false` is sent (then it answers `not_authorized`).
   * Unset: the parameter is not sent.
   */
  submitRequest: z.boolean().optional(),
  /** Whether claims may be pushed to this AS (default true for a trusted AS). */
  pushClaims: z.boolean().optional(),
  /**
   * DPoP-bound RPTs (RFC 9449): `auto` (unset) sends proofs where the AS advertises
   * `dpop_signing_alg_values_supported` with an algorithm Tessera signs with; `on` always, and a
   * Bearer answer is refused; `off` never.
   */
  dpop: z.enum(['auto', 'on', 'off']).optional(),
});
/**
 * One trusted authorization server: issuer, aliases, discovery or manual endpoints, client, scope, vendor switches.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
export type AsConfig = z.infer<typeof asConfig>;

/**
 * Schema of {@link TrustPolicy} (zod).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
export const trustPolicy = z.object({ authorizationServers: z.array(asConfig).default([]) });
/**
 * The authorization servers the requesting party trusts.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
export type TrustPolicy = z.infer<typeof trustPolicy>;

/**
 * The key form of a trusted AS's issuer (store keys, caches): a single trailing slash is dropped.
 * For matching, only {@link findTrustedAs} is lenient; a discovered or signed `iss` is compared with
 * {@link issuersEqual}.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
export function normalizeIssuer(issuer: string): string {
  return issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
}

/**
 * Whether two issuer identifiers are the same: exactly, character for character (a trailing slash
 * counts). The rule for an OpenID provider's or an AS's `issuer` in its discovery document and the
 * `iss` of its tokens.
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation (§4.3)
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
export function issuersEqual(a: string, b: string): boolean {
  return a === b;
}

/**
 * Finds the configuration of the AS named by `as_uri`, or undefined if it is not trusted. The one
 * lenient match: the person's trust list ignores a single trailing slash and honours aliases, since
 * people type issuers by hand and RSes spell `as_uri` their own way.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
export function findTrustedAs(policy: TrustPolicy, asUri: string): AsConfig | undefined {
  const wanted = normalizeIssuer(asUri);
  return policy.authorizationServers.find(
    (as) => normalizeIssuer(as.issuer) === wanted || (as.aliases ?? []).some((a) => normalizeIssuer(a) === wanted),
  );
}
