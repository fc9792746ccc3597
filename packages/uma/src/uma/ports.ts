/**
 * Ports: what the UMA engine asks of the outside world when a token request answers `need_info`.
 * The engine (packages/uma/src/uma/agent) calls them; packages/uma/src/identity and packages/uma/src/uma/interaction implement them, and the
 * CLI / app choose which implementations to plug in. Keeping them here lets each side be built and
 * tested on its own.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6 (need_info)
 */

/**
 * ID-token claim-token format. Note: `http`, not `https` — Keycloak rejects the https spelling.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export const ID_TOKEN_FORMAT = 'http://openid.net/specs/openid-connect-core-1_0.html#IDToken';

/**
 * One entry of `required_claims` in a `need_info` error (UMA Grant §3.3.6). Every member is
 * optional on the wire; unknown members are kept.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface RequiredClaim {
  claim_token_format?: string[];
  claim_type?: string;
  friendly_name?: string;
  issuer?: string[];
  name?: string;
  [extension: string]: unknown;
}

/**
 * A claim token ready to push (UMA Grant §3.3.1 `claim_token` + `claim_token_format`).
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export interface ClaimToken {
  claim_token: string;
  claim_token_format: string;
  /**
   * The requesting party the token speaks for (`issuer#sub`). The engine pushes a token only while
   * acting for that party; a token without it is pushed for whoever the flow acts for.
   */
  identity?: string;
}

/**
 * What a claims source is asked: the AS, the required claims, the party, the flow.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.6
 */
export interface ClaimsRequest {
  /** The (trusted) AS that will receive the claims. */
  asIssuer: string;
  /** `required_claims` from the latest `need_info`, or undefined on a first request. */
  requiredClaims?: RequiredClaim[];
  /** The requesting party the flow acts for (`issuer#sub`, `token:…` or `nobody`). */
  party: string;
  /** The fetch's transcript flow: exchanges the source makes for it (a refresh at the provider) land there. */
  flowId?: string;
  signal?: AbortSignal;
}

/**
 * Supplies claim tokens to push for the party a flow acts for. Implemented by packages/uma/src/identity (the
 * party's own ID token, refreshed when expired) and by the CLI's `--claim-token FILE`. Returns
 * undefined when it holds nothing for that party. The engine only calls it for ASes the user trusts.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.1
 */
export interface ClaimsSource {
  /** A claim token to push for `request.party` at `request.asIssuer`, or undefined when none is held. */
  claimTokenFor(request: ClaimsRequest): Promise<ClaimToken | undefined>;
}

/**
 * What a claims interaction is asked: the AS, the page to open, the client id and the newest ticket.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export interface InteractionRequest {
  asIssuer: string;
  /** `redirect_user` from need_info (wins) or the discovered `claims_interaction_endpoint`. */
  endpoint: string;
  clientId: string;
  /** The newest ticket (from the need_info that triggered this interaction). */
  ticket: string;
  signal?: AbortSignal;
}

/**
 * What a claims interaction returns: the new ticket from the claims redirect.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.3
 */
export interface InteractionResult {
  /** The new ticket the AS returned on the claims redirect; must differ from the one sent. */
  ticket: string;
}

/**
 * Runs the claims-interaction leg (UMA Grant §3.3.2–3.3.3): sends the requesting party's browser to
 * the AS with `client_id`, `ticket`, `claims_redirect_uri`, `state`, and catches the return on a
 * loopback `claims_redirect_uri` (RFC 8252 §7.3). Implemented in packages/uma/src/uma/interaction (issue #4).
 * Rejects with a typed error on a state mismatch, an error redirect, a timeout or cancellation.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.3.3.2
 */
export interface ClaimsInteraction {
  /** Sends the person to the AS's claims page and resolves with the new ticket of the claims redirect. */
  gather(request: InteractionRequest): Promise<InteractionResult>;
}
