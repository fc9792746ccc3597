/**
 * `@tessera/uma`: the requesting-party side of UMA 2.0 for Node 22+.
 *
 * - {@link createUmaClient}: a fetch that runs the whole grant and answers with a typed outcome.
 * - The step functions beneath it, in oauth4webapi's request/process style: discovery, dynamic
 *   registration, the UMA token request and its processing, refresh, revocation, challenge parsing.
 * - The ports it asks of its host: a store ({@link MemoryStore} built in), a claims source, a
 *   claims interaction (the system-browser one is in `@tessera/uma/node`), a clock, a transcript hook.
 * - Stable error codes ({@link UmaErrorCode}) and outcome types ({@link UmaOutcomeType}).
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html
 * @packageDocumentation
 */

// ---- the headline API ----
export { createUmaClient, type UmaClient, type UmaClientOptions, type UmaClock, type UmaRequestInit, type UmaCallOptions, type UmaOutcome, type UmaResult } from './client';
export { UmaErrorCode, UmaOutcomeType, isUmaError } from './codes';

// ---- errors and vocabulary ----
export { SPEC, TesseraError, toErrorInfo, type ErrorCode, type ErrorFacts, type ErrorInfo } from './kernel/errors';
export type { Outcome, Lane, Lifeline } from './kernel/outcome';
export { NOBODY, UNKNOWN_PARTY, partyId, partyOfClaimToken, splitParty } from './kernel/party';

// ---- trust ----
export { asConfig, trustPolicy, tokenAuthMethod, manualMetadata, findTrustedAs, issuersEqual, normalizeIssuer, type AsConfig, type TrustPolicy, type TokenAuthMethod } from './kernel/trust';
export { isLoopbackHost, isLoopbackUrl, isSecureOrLoopback, parseHttpUrl, INSECURE_TRANSPORT, allowsInsecureRequests, requireSecureTransport, transportRefusal } from './kernel/urls';
export { MAX_JSON_DEPTH, jsonDepth, parseJsonBounded, type BoundedJson } from './kernel/json';

// ---- ports ----
export { MemoryStore, RECORD_KINDS, storeKeys, type TokenStore, type RecordKind, type RecordMeta, type StoredRecord, type MetaInput } from './kernel/store';
export { ID_TOKEN_FORMAT, type ClaimsSource, type ClaimsRequest, type ClaimToken, type ClaimsInteraction, type InteractionRequest, type InteractionResult, type RequiredClaim } from './uma/ports';
export type { TranscriptStep, StepListener, StepKind, StepOutcome, RecordedMessage, ParsedChallengeInfo } from './kernel/transcript';
export { fingerprint, withFingerprintKey, type TokenDescription } from './kernel/redact';

// ---- the step functions (request → process) ----
export { HttpClient, isTextual, DEFAULT_BOUNDS, type HttpBounds, type HttpClientOptions, type HttpRequest, type HttpResult, type FetchLike } from './http/fetch';
export { parseWwwAuthenticate, readRsResponse, type AuthChallenge, type RsReading } from './uma/challenge';
export { ResourceMetadataCache, checkAsListed, resourceCovers, sameResourceIdentifier, wellKnownResourceMetadataUrl, resourceMetadataSchema, RFC9728, type ResourceMetadata } from './uma/resource-metadata';
export { askKeycloak, isKeycloakIssuer, readKeycloakAnswer, type KeycloakAnswer, type KeycloakPermission } from './uma/keycloak-request';
export { discover, discoveryUrls, openidConfigurationUrl, asMetadata, DiscoveryCache, type AsMetadata, type DiscoveredAs, type DiscoveryOptions } from './uma/discovery';
export { registrationRequest, processRegistrationResponse, type RegistrationParams } from './uma/registration';
export {
  UMA_GRANT_TYPE,
  umaTokenParameters,
  umaTokenRequest,
  processUmaTokenResponse,
  refreshRequest,
  revocationRequest,
  revokeToken,
  keycloakUmaParameters,
  keycloakUmaRequest,
  type KeycloakUmaOptions,
  clientAuthFor,
  type ClientCredentials,
  type UmaTokenParams,
  type RequestContext,
  type GrantedToken,
  type GrantResult,
} from './uma/grant';
export { matchesRequiredClaims, satisfies } from './uma/claims';
export { DpopKeys, DPOP_ALGS, decideDpop, demandsDpopNonce, dpopHandle, dpopResourceRequest, generateDpopKeyPair, isDpopTokenType, type DpopDecision, type DpopKey, type DpopKeyPair, type DpopSetting } from './uma/dpop';
export { describeDpopProof, type DpopProofInfo } from './kernel/dpop-proof';
export { nextPoll, normalizeInterval, timerMs, PollBudget, POLL_FLOOR_S, POLL_CEILING_S, POLL_DEFAULT_S, POLL_BACKOFF, POLL_BACKOFF_CAP_MS, MAX_TIMER_MS, MAX_POLLS_PER_MINUTE, type PollStep } from './uma/poll-policy';
export { buildInteractionUrl, newBoundState, stateMatches, type InteractionUrlParams } from './uma/interaction-url';
export { defaultClientCredentials, type DefaultClient } from './uma/clients';

// ---- the claims interaction with a loopback return (bring your own opener; the system-browser one is in ./node) ----
export { loopbackInteraction, CLAIMS_CALLBACK_PATH, CLAIMS_REDIRECT_URI, type LoopbackInteractionOptions } from './uma/interaction';
export { startLoopback, type Loopback, type LoopbackOptions } from './uma/loopback';
export type { Opener } from './identity/opener';

// ---- the requesting party's identity: sign-in (PKCE, loopback), ID-token checks, a claims source from held identities ----
export { verifyIdToken, signIn, refresh as refreshSignIn, revokeAtProvider, endSessionAtProvider, DEFAULT_SCOPE, SIGNIN_PATH, type ProviderClient, type SignedIn, type IdpContext, type SignInOptions, type EndSessionOptions } from './identity/oidc';
export { Identities, type IdentityRecord, type IdentitySummary } from './identity/identities';
export { IdentityClaimsSource, type IdentityClaimsSourceOptions } from './identity/claims-source';
