/**
 * The one typed contract between the UI and the core (DESIGN.md): every method the renderer may
 * call, with a zod schema for its input (checked in the privileged process — IPC handlers and the
 * browser-mode host), and the views the core sends back. Views carry metadata only: fingerprints,
 * decoded JWT claims, redacted bodies — never a token, a ticket or a secret.
 *
 * This module imports only zod and pure types of the kernel, so the renderer can import its types (type-only) without
 * pulling Node code into the bundle.
 */
import { z } from 'zod';
import { addAsInput, dpopSetting, ONLY_HTTP, secureHttpUrl } from './as-input';
import { HTTP_METHODS } from './api-methods';

/** http(s) only: zod's url() alone would let `javascript:` or `file:` through. */
const httpUrl = z.string().max(2048).refine((u) => /^https?:\/\/[^\s]+$/i.test(u) && URL.canParse(u), ONLY_HTTP);
const url = httpUrl;
const issuer = httpUrl;
const runId = z.string().regex(/^[\w-]{1,100}$/, 'not a run id');
/** Headers the request builder may not set: the transport's own. */
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer']);

/** A passphrase as typed (no trimming: spaces are part of it); bounded. */
function passphrase(min: number) {
  return z.string().min(min, min > 1 ? `Use at least ${min} characters` : 'Type your passphrase').max(1024, 'At most 1024 characters');
}

/**
 * Keycloak's ticketless request in the request builder (only to a trusted Keycloak AS; none of it is
 * secret): the RS's client id, permissions `RESOURCE[#SCOPE[,SCOPE]]` or `#SCOPE`, what to answer
 * with (an RPT then the request, the decision, or the permission list), and `submit_request`.
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
const keycloakClientId = z.string().trim().regex(/^[\x21-\x7E]{1,255}$/, 'a client id: no spaces or control characters, at most 255');
const keycloakPermission = z.string().trim().max(512, 'at most 512 characters').regex(/^[^\p{Cc}#]*(#[^\p{Cc}#]*)?$/u, 'RESOURCE, RESOURCE#SCOPE or #SCOPE (one #, no control characters)').refine((p) => p.replace('#', '').trim() !== '', 'name a resource or a scope');
export const keycloakRequestInput = z.object({
  asIssuer: issuer,
  audience: keycloakClientId.optional(),
  permissions: z.array(keycloakPermission).max(50, 'at most 50 permissions').default([]),
  responseMode: z.enum(['token', 'decision', 'permissions']).default('token'),
  submitRequest: z.boolean().default(true),
}).strict().refine((k) => k.audience !== undefined || k.permissions.length > 0, { message: 'Give the client id (audience) or at least one permission', path: ['audience'] });

/** Inputs of each method. */
export const apiInputs = {
  getState: z.object({}).strict(),
  /** The request builder: method, headers, body and the scopes to ask the AS for (UMA Grant §3.3.1 `scope`). */
  openResource: z.object({
    url,
    method: z.enum(HTTP_METHODS).default('GET'),
    headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'not a header name').refine((n) => !FORBIDDEN_HEADERS.has(n.toLowerCase()), 'this header is set by Tessera'), z.string().max(8192).regex(/^[^\r\n]*$/, 'no line breaks in header values'))
      .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers').optional(),
    body: z.string().max(64 * 1024).optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/, 'not a scope (RFC 6749 §3.3)')).max(20).optional(),
    waitSeconds: z.number().int().min(0).max(600).default(0),
    /** Keycloak options: ask the AS first without a ticket (then, for an RPT, send the request presenting it). */
    keycloak: keycloakRequestInput.optional(),
  }).strict(),
  addResource: z.object({ url, title: z.string().trim().min(1, 'Give it a name').max(200) }).strict(),
  removeResource: z.object({ url }).strict(),
  renameResource: z.object({ url, title: z.string().trim().min(1, 'Give it a name').max(200) }).strict(),
  /** Trust an AS set up by hand (issuer, discovery URL or endpoints, client); the secret goes to the vault. */
  addAs: addAsInput,
  /** Opens again the page a flow is waiting on in the system browser (its address stays in the core). */
  reopenBrowser: z.object({ flowId: z.string().min(1).max(100) }).strict(),
  /** The rule of adding an AS (https, plain http only on this machine, no userinfo): the issuer came from an RS's challenge. */
  trustAs: z.object({ issuer: secureHttpUrl }).strict(),
  /** The per-AS DPoP switch (RFC 9449): "Sender-constrained tokens (DPoP)" on a trusted AS; saved in config.json. */
  setAsDpop: z.object({ issuer, dpop: dpopSetting }).strict(),
  untrustAs: z.object({ issuer }).strict(),
  /**
   * "Keycloak's events" on a trusted Keycloak realm: a client of the realm whose service account has
   * only `realm-management` `view-events`. Checked at Keycloak first; the secret goes to the vault only.
   * @see https://www.keycloak.org/docs/latest/server_admin/index.html#configuring-auditing-to-track-events
   */
  saveKeycloakEvents: z.object({ issuer, clientId: keycloakClientId, clientSecret: z.string().min(1, 'Give the client secret').max(4096, 'at most 4096 characters').regex(/^[^\p{Cc}]*$/u, 'no control characters') }).strict(),
  /** Forgets the realm's events credential (the vault record) and stops reading its events. */
  removeKeycloakEvents: z.object({ issuer }).strict(),
  discovery: z.object({ issuer }).strict(),
  signIn: z.object({ issuer, clientId: z.string().min(1).max(200), scope: z.string().max(500).optional(), switchUser: z.boolean().optional() }).strict(),
  signOut: z.object({ key: z.string().min(1).max(2048) }).strict(),
  /** Who Tessera acts for: a held identity's `issuer#sub`, or `nobody`. */
  actAs: z.object({ party: z.string().min(1).max(2048) }).strict(),
  forgetToken: z.object({ kind: z.enum(['rpt', 'pct']), key: z.string().min(1).max(4096) }).strict(),
  /** The one deliberate way a raw token leaves the core: the person asked to see it (e.g. to try it with curl). */
  revealToken: z.object({ kind: z.enum(['rpt']), key: z.string().min(1).max(4096), confirm: z.literal(true) }).strict(),
  cancelFlow: z.object({ flowId: z.string().min(1).max(100) }).strict(),
  exportTranscript: z.object({ flowId: z.string().max(100).optional(), format: z.enum(['json', 'har']) }).strict(),
  /** "Check this AS": the probe's checks against a trusted AS, with tickets from one of its protected resources. */
  checkAs: z.object({
    issuer, resource: url, only: z.array(z.string().regex(/^[a-z]+(\.[a-z-]+)?$/, 'not a check id')).max(40).optional(),
    /** Keycloak's decision checks: a permission the acting person is granted, one refused, the RS's client id (default the ticket's azp). */
    keycloak: z.object({ permitted: keycloakPermission.optional(), denied: keycloakPermission.optional(), audience: keycloakClientId.optional() }).strict().optional(),
  }).strict(),
  cancelCheck: z.object({ runId }).strict(),
  getCheckRun: z.object({ runId }).strict(),
  exportCheckReport: z.object({ runId, format: z.enum(['html', 'json']) }).strict(),
  /** Forgets every flow on the timeline (kept encrypted in the vault) except those still running or waiting. */
  clearHistory: z.object({ confirm: z.literal(true) }).strict(),
  /** The UI theme, kept by the core (in browser mode the page's origin, and so its localStorage, can change between launches). */
  setTheme: z.object({ theme: z.enum(['system', 'light', 'dark']) }).strict(),
  /** Preferences that are not secret (kept in preferences.json, without the vault): the last screen, the window size. */
  setPreferences: z.object({
    screen: z.enum(['resources', 'flow', 'presenter', 'requests', 'tokens', 'connections', 'export']).optional(),
    window: z.object({ width: z.number().int().min(400).max(10_000), height: z.number().int().min(300).max(10_000) }).strict().optional(),
  }).strict(),
  /**
   * Unlocks a passphrase-protected vault. The passphrase crosses the contract once, is used to derive
   * the key and is never stored, logged or sent back; a wrong one is answered in `lock.error`.
   */
  unlock: z.object({ passphrase: passphrase(1) }).strict(),
  /** First run without an OS keyring: creates the vault protected by this passphrase. */
  createVault: z.object({ passphrase: passphrase(8) }).strict(),
  /** The vault's key store (OS keyring, safeStorage) could not give the key at start: try again. */
  retryVault: z.object({}).strict(),
  /** "Don't keep anything": tokens, history and waiting requests live in memory for this run only. */
  keepNothing: z.object({}).strict(),
  /** A forgotten passphrase: the old vault (and what it encrypts) is renamed aside, never deleted, and a new one can be created. */
  startNewVault: z.object({ confirm: z.literal(true) }).strict(),
  /**
   * Changes how the open vault is protected: a new passphrase, or a move between passphrase and the
   * OS keyring (as `tessera vault rekey`). A passphrase vault asks for its current passphrase first.
   */
  protectVault: z.object({ to: z.enum(['passphrase', 'keyring']), current: z.string().max(1024).optional(), newPassphrase: passphrase(8).optional() }).strict()
    .refine((i) => i.to !== 'passphrase' || i.newPassphrase !== undefined, { message: 'Choose the new passphrase', path: ['newPassphrase'] }),
  /** The person read a notice (a damaged file kept aside): it is not shown again. */
  dismissNotice: z.object({ id: z.string().regex(/^n\d{1,9}$/, 'not a notice id') }).strict(),
} as const;

export type ApiMethod = keyof typeof apiInputs;
/** What a face sends (defaults optional). */
export type ApiInput<M extends ApiMethod> = z.input<(typeof apiInputs)[M]>;
/** What the service receives after validation (defaults filled in). */
export type ApiOutput<M extends ApiMethod> = z.output<(typeof apiInputs)[M]>;

import type { Lane as StepLane, Lifeline, Outcome } from '@tessera/uma/portable';
import type { ServerEvent } from '../demo/event-schema';
export type { Outcome };
/** Sequence-diagram lifelines (the step lanes plus Tessera). */
export type Lane = Lifeline;

/** An error as a face sees it: the stable code and its facts (the face words its own advice). */
export interface ErrorView {
  code: string;
  message: string;
  hint: string;
  spec?: string;
  facts?: { asIssuer?: string; idpIssuer?: string; clientId?: string; party?: string; requiredClaims?: string[]; interactionOrigin?: string; interactionAllowed?: boolean; interval?: number; reason?: string; status?: number; url?: string; resource?: string; listedAs?: string[]; scheme?: string };
}

/** One HTTP exchange of a flow, redacted (see packages/uma/src/kernel/transcript.ts). */
export interface StepView {
  id: string;
  flowId: string;
  time: string;
  duration: number;
  lane: StepLane;
  kind: string;
  method: string;
  url: string;
  status: number | null;
  request: { headers: Record<string, string>; body?: string };
  response?: { headers: Record<string, string>; body?: string; bodySize?: number };
  tokens?: { fingerprint: string; length: number; jwt?: { header: Record<string, unknown>; claims: Record<string, unknown> } }[];
  challenge?: { scheme: string; asUri?: string; realm?: string; ticket?: string };
  /** The DPoP proof this request carried, decoded by the engine (never the proof itself): see {@link DpopProofView}. */
  dpop?: DpopProofView;
  outcome?: string;
  note?: string;
  error?: ErrorView;
}

/**
 * A DPoP proof as a face sees it (packages/uma/src/kernel/dpop-proof.ts, bounded by the service):
 * the JOSE header with the public JWK, the claims (`ath` is a fingerprint of the access-token hash,
 * as the engine records it), and the key's thumbprint `jkt` (RFC 7638). Written out here, not
 * imported: the renderer type-checks this file without Node.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export interface DpopProofView {
  header: { typ?: string; alg?: string; jwk?: Record<string, string> };
  claims: { htm?: string; htu?: string; iat?: number; jti?: string; nonce?: string; ath?: string };
  jkt?: string;
}

/**
 * One event of a server's side of an exchange as the diagram shows it: the demo's event (one
 * definition with its zod schema, src/demo/event-schema.ts, validated by the core in
 * src/app/server-events.ts) with its id made `as:…` / `rs:…` (increasing per server). Tokens as fingerprints only.
 */
export type ServerEventView = Omit<ServerEvent, 'id'> & {
  id: string;
  /**
   * An event a real AS published in its own terms (Keycloak's admin events API, src/app/keycloak-events.ts):
   * its type, the client and user it names, its error and reason; a token id only as a fingerprint.
   */
  native?: { server: 'keycloak'; type: string; client?: string | undefined; user?: string | undefined; tokenId?: string | undefined; error?: string | undefined; reason?: string | undefined };
};

/**
 * An RS's own description (RFC 9728 §2), bounded, for the person deciding whether to trust its AS.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export interface RsMetadataView {
  resource: string;
  name?: string;
  documentation?: string;
  /** Only an https documentation URL is offered as a link; anything else is shown as text. */
  documentationIsLink: boolean;
  authorizationServers: string[];
}

export interface FlowView {
  flowId: string;
  url: string;
  title?: string;
  startedAt: string;
  running: boolean;
  outcome?: Outcome;
  status?: number | null;
  /** The resource body (the record) when granted: JSON text. */
  body?: string;
  error?: ErrorView;
  needInfo?: { requiredClaims?: { name?: string; friendly_name?: string; issuer?: string[] }[]; redirectUser?: string };
  /**
   * Waiting for the owner (UMA Grant §3.3.6 request_submitted). `watching`: the core keeps asking
   * the AS by itself (next at `nextPollAt`, epoch ms) until the owner decides or the person stops it.
   */
  pending?: { reason: string; interval?: number; nextPollAt?: number; watching?: boolean };
  /** Set when the owner decided while the core was watching the request. */
  decidedAt?: string;
  asIssuer?: string;
  /** Who the flow acted for (`issuer#sub` or `nobody`). */
  party?: string;
  /**
   * The servers' side (issue #23): `visible` when the AS and RS publish events Tessera follows (the
   * configured demo, or Keycloak's events read with a credential the person gave: `source`), with the
   * events that belong to this flow; otherwise the diagram says it cannot see it.
   */
  server?: { visible: boolean; events: ServerEventView[]; source?: 'demo' | 'keycloak' | undefined };
  /**
   * What the RS's protected-resource metadata (RFC 9728) says about itself, shown beside "Trust this
   * AS": its name, documentation (`documentationIsLink` only for https), the ASes it lists.
   */
  rsMetadata?: RsMetadataView;
  /** How access was obtained: no UMA at all, an RPT already held, or a new RPT. */
  access?: 'open' | 'held' | 'issued';
  /** The flow began with Keycloak options (request builder): what Keycloak answered. */
  keycloak?: KeycloakAnswerView;
  /** When the held RPT was stored (epoch ms). */
  rptStoredAt?: number;
  /** The flow waits for the person in the system browser (the page's address never leaves the core: `reopenBrowser`). */
  waitingInBrowser?: { what: 'sign-in' | 'claims'; origin: string };
  contentType?: string;
  /** A binary record (PDF, image), base64. */
  bodyBase64?: string;
  steps: StepView[];
}

/**
 * Keycloak's answer to the request builder's Keycloak options: the decision (`granted`), the
 * permissions it lists or the RPT carries (never the token), or its refusal (`refused`: error and description).
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
export interface KeycloakAnswerView {
  mode: 'token' | 'decision' | 'permissions';
  granted?: boolean;
  permissions?: { resource: string; scopes: string[] }[];
  refused?: string;
}

export interface ResourceView { url: string; title: string; origin: string; fromDemo: boolean }
export interface TrustedAsView {
  issuer: string; label?: string; clientId?: string; registration: 'static' | 'dynamic' | 'none';
  /** The issuer has Keycloak's shape (`…/realms/NAME`): the request builder offers Keycloak options for it. */
  keycloak?: boolean;
  /** How it was set up (no secret): to show it, and to prefill the form when it is changed. */
  setup?: AsSetupView;
  /** The DPoP switch (RFC 9449): absent or `auto` (when the AS advertises it, the default), `on` (always), `off` (never). */
  dpop?: 'auto' | 'on' | 'off';
  /**
   * The AS's `dpop_signing_alg_values_supported` as last read from its metadata (the check when it
   * was added, "Discovery document", a flow's discovery): `[]` it does not advertise DPoP; absent, not read yet this run.
   */
  dpopAlgs?: string[];
  /** Tessera signs proofs with one of `dpopAlgs` (so Automatic sends them). */
  dpopUsable?: boolean;
  /** A Keycloak realm's own events as the server side of the diagram (only on `keycloak` ones). */
  events?: KeycloakEventsView;
}
/**
 * Reading a Keycloak realm's events (src/app/keycloak-feeds.ts): whether a credential is kept and its
 * client id (never its secret), and how reading goes. `state`: `none` no credential; `off` turned off
 * (TESSERA_KEYCLOAK_EVENTS=off); `starting` before the first read; `reading`; `refused` the token
 * endpoint refused the credential (`status`, `error`); `forbidden` the events API answered 403 (no
 * `view-events`); `failing` another failure (`status` 0: no answer).
 */
export interface KeycloakEventsView {
  credential: boolean;
  clientId?: string;
  state: 'none' | 'off' | 'starting' | 'reading' | 'refused' | 'forbidden' | 'failing';
  status?: number;
  error?: string;
  /** From the realm's events settings, when the credential could read them at the last check. */
  eventsEnabled?: boolean;
  missingTypes?: string[];
  /** The newest event Keycloak returned (ISO time). */
  lastEventAt?: string;
}
export interface AsSetupView { discoveryUrl?: string; tokenEndpoint?: string; claimsInteractionEndpoint?: string; registrationEndpoint?: string; revocationEndpoint?: string; authMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none' | 'dynamic'; dpop?: 'auto' | 'on' | 'off' }
/** What was checked when an AS was added by hand (src/app/as-check.ts): where its endpoints came from, its token endpoint, and how it shows the UMA grant. */
export interface AsCheckView {
  source: 'discovery' | 'manual'; issuer?: string; tokenEndpoint: string; umaGrant: 'listed' | 'uma_document' | 'not_checked';
  /** Its metadata's `dpop_signing_alg_values_supported` (`[]`: not advertised); absent when endpoints were entered by hand (RFC 9449 §5.1). */
  dpopAlgs?: string[];
}
export interface ProviderView { issuer: string; clientId: string; label: string; scope: string }
export interface IdentityView { key: string; issuer: string; sub: string; email?: string; name?: string; role?: string; expiresAt: number; refreshable: boolean }
export interface TokenView {
  kind: 'rpt' | 'pct'; key: string; issuer?: string; rsOrigin?: string; identity?: string; expiresAt?: number; fingerprint?: string; permissions?: { resource_id: string; resource_scopes: string[] }[];
  /**
   * An RPT (RFC 9449 §7): `DPoP` when it is bound to the party's DPoP key (presented only with a proof
   * of it), else `Bearer`.
   */
  scheme?: 'DPoP' | 'Bearer';
  /** The thumbprint (RFC 7638) of the DPoP key a bound RPT is bound to: public, never the key or the token. */
  dpopJkt?: string;
}
/**
 * A DPoP key Tessera holds for one (AS, requesting party) (RFC 9449 §2): its public thumbprint only.
 * It goes when that person signs out; forgetting one RPT keeps it (others may be bound to it).
 */
export interface DpopKeyView { issuer: string; party: string; jkt: string }

/**
 * A notice the person sees once (until dismissed): a damaged file Tessera kept aside and where, or an
 * old vault moved aside for a new one. Codes, not sentences: the face words them.
 */
export interface NoticeView {
  id: string;
  code: 'history_damaged' | 'vault_damaged' | 'preferences_damaged' | 'vault_moved' | 'watches_damaged';
  /** How many (waiting requests that could not be read). */
  count?: number;
  /** Where the file now is. */
  path?: string;
  /** What was wrong with it (face-neutral). */
  reason?: string;
}

/**
 * The vault is not open yet: `create` (first run, no OS keyring or safeStorage: choose a passphrase,
 * or keep nothing), `unlock` (a passphrase vault exists), or `unavailable` (the keyring or secret store
 * holding its key cannot give it now: `error.code` says why; retry, or start a new vault). Nothing else of the app is in the state.
 */
export interface LockView {
  state: 'create' | 'unlock' | 'unavailable';
  /** The last attempt failed: `wrong_passphrase`, `too_soon` (wait until `retryAt`), or a vault error code. */
  error?: { code: string; message: string };
  /** Epoch ms before which another attempt is refused (wrong passphrases slow down, they never lock the data away). */
  retryAt?: number;
  /** Where the vault file is (shown with "Start a new vault"). */
  file: string;
}

export interface AppState {
  mode: 'electron' | 'browser';
  /** `memoryChosen`: the person chose "Don't keep anything" this run. */
  vault: { backend: string; warning?: string; memoryChosen?: boolean };
  /** Set while the vault is locked: the face shows only the unlock (or create) screen. */
  lock?: LockView;
  /** Things to say once (damaged files kept aside). */
  notices?: NoticeView[];
  /** The screen the person was on last time (preferences.json). */
  screen?: 'resources' | 'flow' | 'presenter' | 'requests' | 'tokens' | 'connections' | 'export';
  resources: ResourceView[];
  trusted: TrustedAsView[];
  providers: ProviderView[];
  identities: IdentityView[];
  /** Who Tessera acts for now. */
  actingAs: { party: string; label: string; issuer?: string };
  tokens: TokenView[];
  /** The DPoP keys held, one per (AS, party): thumbprints only. */
  dpopKeys: DpopKeyView[];
  flows: FlowView[];
  /** Authorization servers that an RS named but the user does not trust yet. */
  untrustedSeen: { issuer: string; rs: string }[];
  /** The UI theme the person chose (kept by the core). */
  theme?: Theme;
  /**
   * The demo setup: where the owner approves (`dashboardLabel`: "owner dashboard", "Keycloak account
   * console"), where the other people sign in (`idpLabel`: "Hospital ID", "Keycloak"), and who they are.
   */
  demo?: { dashboardUrl: string; dashboardLabel: string; idpLabel: string; people: { username: string; password: string; name: string; role: string; at: 'idp' | 'as' }[] };
}

/** The probe's grades (src/probe/grading.ts, where their meaning is written down; check-as.ts asserts the two lists match). */
export type CheckStatus = 'pass' | 'info' | 'deviation' | 'fail' | 'unsafe' | 'skip';

/**
 * One check of "Check this AS": the probe's CheckResult (src/probe/types.ts) with its exchanges as
 * redacted step views. Written out here, not imported: the renderer type-checks this file without Node.
 */
export interface CheckView {
  id: string;
  title: string;
  /** Spec section URL the check is measured against. */
  spec: string;
  rule?: string;
  status: CheckStatus;
  detail: string;
  /** What a client must do about a deviation, failure or unsafe answer. */
  advice?: string;
  steps: StepView[];
}

/** A run of "Check this AS": live while `running`, the full report once finished. */
export interface CheckRunView {
  runId: string;
  /** The AS the person chose to check. */
  issuer: string;
  resource: string;
  /** Who the checks acted for (`issuer#sub` or `nobody`): that person's ID token is the claim token. */
  party: string;
  startedAt: string;
  running: boolean;
  cancelled: boolean;
  /** Checks finished so far, and how many there are (known after the first). */
  done: number;
  total?: number;
  checks: CheckView[];
  summary: Record<CheckStatus, number>;
  /** Where the AS publishes its metadata (once found). */
  discoveryUrl?: string;
  /** What the checks left at the AS (pending requests, registered clients, tokens), fingerprints only. */
  created: { kind: 'pending_request' | 'registered_client' | 'rpt' | 'refresh_token' | 'pct'; description: string; count?: number; cleanedUp: boolean; check: string }[];
  /** Origins the checks sent requests to. */
  origins: string[];
  durationMs?: number;
  /** The resource's RS named another AS than the one chosen: nothing was sent to it. */
  otherAs?: string;
  error?: ErrorView;
}

/** Results of each method. */
export interface ApiResults {
  getState: AppState;
  openResource: { flowId: string };
  addResource: AppState;
  removeResource: AppState;
  renameResource: AppState;
  /** The state, and what the core checked before trusting the AS. */
  addAs: AppState & { check?: AsCheckView };
  reopenBrowser: { reopened: true };
  trustAs: AppState;
  setAsDpop: AppState;
  untrustAs: AppState;
  saveKeycloakEvents: AppState;
  removeKeycloakEvents: AppState;
  discovery: { issuer: string; document: Record<string, unknown> };
  /**
   * The person signed in. `confirm`: the provider reused an earlier session of someone other than the
   * person acting before (no form was shown), so they are held but not acting until the person says so.
   */
  signIn: IdentityView & { confirm?: { previous?: string } };
  signOut: AppState;
  actAs: AppState;
  forgetToken: AppState;
  revealToken: { token: string; fingerprint?: string };
  cancelFlow: AppState;
  exportTranscript: { filename: string; mime: string; text: string };
  checkAs: { runId: string };
  cancelCheck: CheckRunView;
  getCheckRun: CheckRunView;
  exportCheckReport: { filename: string; mime: string; text: string };
  clearHistory: AppState;
  setTheme: AppState;
  setPreferences: AppState;
  unlock: AppState;
  createVault: AppState;
  keepNothing: AppState;
  startNewVault: AppState;
  dismissNotice: AppState;
  protectVault: AppState;
  retryVault: AppState;
}

export type Theme = 'system' | 'light' | 'dark';

/** Events pushed to the UI. */
export type ApiEvent =
  | { type: 'state'; state: AppState }
  | { type: 'flow'; flow: FlowView }
  /** "Check this AS": one check finished (live progress, in the order the checks run). */
  | { type: 'check'; runId: string; check: CheckView; index: number; total: number }
  /** "Check this AS": a run started, was cancelled or finished (the full report). */
  | { type: 'checkRun'; run: CheckRunView }
  /** A request the core was watching was decided by the owner: `flowId` now holds the outcome (and the record when granted). */
  | { type: 'decided'; flowId: string; url: string; title?: string; outcome: 'granted' | 'denied' };

/** The API as the renderer sees it (preload in Electron, the host client in browser mode). */
export type TesseraApi = { [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiResults[M]> } & {
  subscribe(listener: (event: ApiEvent) => void): () => void;
};

export const API_METHODS = Object.keys(apiInputs) as ApiMethod[];

/** Validates a method name and its input at a trust boundary; throws a readable error. */
export function parseCall(method: unknown, input: unknown): { method: ApiMethod; input: unknown } {
  if (typeof method !== 'string' || !(API_METHODS as string[]).includes(method)) throw new ApiInputError(`unknown method ${String(method).slice(0, 60)}`);
  const parsed = apiInputs[method as ApiMethod].safeParse(input ?? {});
  if (!parsed.success) throw new ApiInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  return { method: method as ApiMethod, input: parsed.data };
}

export class ApiInputError extends Error {
  readonly code = 'invalid_input';
}

// The preload's method list must be exactly the contract's.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _methodsMatch: Same<import('./api-methods').ApiMethodName, ApiMethod> = true;
void _methodsMatch;
