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
export { SPEC, TesseraError, toErrorInfo, type ErrorCode, type ErrorFacts, type ErrorInfo } from '../../../src/kernel/errors';
export type { Outcome, Lane, Lifeline } from '../../../src/kernel/outcome';
export { NOBODY, UNKNOWN_PARTY, partyId, partyOfClaimToken, splitParty } from '../../../src/kernel/party';

// ---- trust ----
export { asConfig, trustPolicy, tokenAuthMethod, manualMetadata, findTrustedAs, issuersEqual, normalizeIssuer, type AsConfig, type TrustPolicy, type TokenAuthMethod } from '../../../src/kernel/trust';
export { isLoopbackHost, isLoopbackUrl, isSecureOrLoopback, parseHttpUrl, INSECURE_TRANSPORT, allowsInsecureRequests, requireSecureTransport, transportRefusal } from '../../../src/kernel/urls';
export { MAX_JSON_DEPTH, jsonDepth, parseJsonBounded, type BoundedJson } from '../../../src/kernel/json';

// ---- ports ----
export { MemoryStore, RECORD_KINDS, storeKeys, type TokenStore, type RecordKind, type RecordMeta, type StoredRecord, type MetaInput } from '../../../src/kernel/store';
export { ID_TOKEN_FORMAT, type ClaimsSource, type ClaimsRequest, type ClaimToken, type ClaimsInteraction, type InteractionRequest, type InteractionResult, type RequiredClaim } from '../../../src/uma/ports';
export type { TranscriptStep, StepListener, StepKind, StepOutcome, RecordedMessage, ParsedChallengeInfo } from '../../../src/kernel/transcript';
export { fingerprint, withFingerprintKey, type TokenDescription } from '../../../src/kernel/redact';

// ---- the step functions (request → process) ----
export { HttpClient, isTextual, DEFAULT_BOUNDS, type HttpBounds, type HttpClientOptions, type HttpRequest, type HttpResult, type FetchLike } from '../../../src/http/fetch';
export { parseWwwAuthenticate, readRsResponse, type AuthChallenge, type RsReading } from '../../../src/uma/challenge';
export { discover, discoveryUrls, openidConfigurationUrl, asMetadata, DiscoveryCache, type AsMetadata, type DiscoveredAs, type DiscoveryOptions } from '../../../src/uma/discovery';
export { registrationRequest, processRegistrationResponse, type RegistrationParams } from '../../../src/uma/registration';
export {
  UMA_GRANT_TYPE,
  umaTokenParameters,
  umaTokenRequest,
  processUmaTokenResponse,
  refreshRequest,
  revocationRequest,
  revokeToken,
  clientAuthFor,
  type ClientCredentials,
  type UmaTokenParams,
  type RequestContext,
  type GrantedToken,
  type GrantResult,
} from '../../../src/uma/grant';
export { matchesRequiredClaims, satisfies } from '../../../src/uma/claims';
export { nextPoll, normalizeInterval, timerMs, PollBudget, POLL_FLOOR_S, POLL_CEILING_S, POLL_DEFAULT_S, POLL_BACKOFF, POLL_BACKOFF_CAP_MS, MAX_TIMER_MS, MAX_POLLS_PER_MINUTE, type PollStep } from '../../../src/uma/poll-policy';
export { buildInteractionUrl, newBoundState, stateMatches, type InteractionUrlParams } from '../../../src/uma/interaction-url';
export { defaultClientCredentials, type DefaultClient } from '../../../src/uma/clients';

// ---- the claims interaction with a loopback return (bring your own opener; the system-browser one is in ./node) ----
export { loopbackInteraction, CLAIMS_CALLBACK_PATH, CLAIMS_REDIRECT_URI, type LoopbackInteractionOptions } from '../../../src/uma/interaction';
export { startLoopback, type Loopback, type LoopbackOptions } from '../../../src/uma/loopback';
export type { Opener } from '../../../src/identity/opener';

// ---- the requesting party's identity: sign-in (PKCE, loopback), ID-token checks, a claims source from held identities ----
export { verifyIdToken, signIn, refresh as refreshSignIn, revokeAtProvider, endSessionAtProvider, DEFAULT_SCOPE, SIGNIN_PATH, type ProviderClient, type SignedIn, type IdpContext, type SignInOptions, type EndSessionOptions } from '../../../src/identity/oidc';
export { Identities, type IdentityRecord, type IdentitySummary } from '../../../src/identity/identities';
export { IdentityClaimsSource, type IdentityClaimsSourceOptions } from '../../../src/identity/claims-source';
