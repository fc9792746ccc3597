/**
 * `tessera probe`: runs every check against the AS that protects one resource. The RS gives each
 * check a fresh permission ticket; the AS it names must be trusted before anything is sent to it
 * (otherwise the probe reports that and stops); every request goes through an origin guard.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html
 */
import { toErrorInfo, fingerprint, type TranscriptStep, findTrustedAs, normalizeIssuer, type AsConfig, type TrustPolicy, readRsResponse, asMetadata, discoveryUrls, CLAIMS_REDIRECT_URI } from '@tessera/uma';
import { Transcript } from '@tessera/uma/engine';
import { isSecureOrLoopback } from '@tessera/uma/portable';
import type { FetchLike, HttpBounds, ClientCredentials, ClaimToken } from '@tessera/uma';
import { CheckContext, SkipCheck, guardedHttp, type DiscoveryFinding, type ProbeShared } from './context';
import { discoveryChecks } from './checks/discovery';
import { answerChecks, tokenChecks } from './checks/token';
import { claimsChecks } from './checks/claims';
import { pctChecks } from './checks/pct';
import { rptChecks } from './checks/rpt';
import { registrationChecks } from './checks/registration';
import { interactionChecks } from './checks/interaction';
import { safetyChecks } from './checks/safety';
import { resourceMetadataChecks } from './checks/resource-metadata';
import { keycloakDecisionChecks, type KeycloakProbeOptions } from './checks/keycloak-decision';
import { dpopChecks } from './checks/dpop';
import { exitCodeOf, summarize } from './grading';
import { grantSection, type CheckDefinition, type CheckResult, type ProbeReport, type Verdict } from './types';

/** Every check, in the order they run (answer and safety checks read what the others saw). */
export const ALL_CHECKS: CheckDefinition[] = [
  ...discoveryChecks,
  ...resourceMetadataChecks,
  ...tokenChecks,
  ...claimsChecks,
  ...pctChecks,
  ...rptChecks,
  ...dpopChecks,
  ...registrationChecks,
  ...interactionChecks,
  ...keycloakDecisionChecks,
  ...answerChecks,
  ...safetyChecks,
];

const CANCELLED = 'Cancelled before this check finished.';
/** The longest the probe waits for a resource owner (10 minutes). */
export const MAX_PENDING_WAIT_MS = 600_000;

const TRUST_CHECK = {
  id: 'safety.trusted-as',
  title: 'The AS is trusted before anything is sent to it',
  spec: grantSection('5.7'),
  rule: 'The as_uri comes from an unauthenticated 401: nothing (credentials, claims, tickets) is sent to an AS the user did not trust.',
} as const;

export interface ProbeOptions {
  /** The UMA-protected resource URL that gives the probe its tickets. */
  resource: string;
  trust: TrustPolicy;
  /** Client registration at the AS; without it only discovery and safety checks run. */
  client?: ClientCredentials;
  /** Claim tokens to push, one check each. */
  claimTokens?: ClaimToken[];
  /** Keycloak bearer mode: the requesting party's access token. */
  bearerToken?: string;
  /**
   * A second protected resource of the same AS that it is expected to put on hold (request_submitted),
   * so grant.request-submitted is measured even when `resource` is granted at once.
   */
  pendingResource?: string;
  /** How long to wait for the resource owner to approve the held request (bounded: at most 10 minutes; default 0). */
  pendingWaitMs?: number;
  /** Extra headers for the resource requests (e.g. a Keycloak enforcer challenges only requests with a bearer token). */
  rsHeaders?: Record<string, string>;
  /**
   * Keycloak's decision checks (run only when the AS is Keycloak): the RS's client id (default: the
   * ticket's `azp`), a permission the requesting party is granted and one it is refused (RESOURCE#SCOPE).
   */
  keycloak?: KeycloakProbeOptions;
  /** Check ids or groups (`discovery`, `token.ticket-garbage`) to run; default all. */
  only?: string[];
  /** A claims_redirect_uri registered for the client (default Tessera's loopback URI). */
  claimsRedirectUri?: string;
  http?: Partial<HttpBounds>;
  fetch?: FetchLike;
  /** Finds the client for the AS once it is known and trusted (stored registration, config); `client` wins. */
  resolveClient?: (asIssuer: string, config: AsConfig) => Promise<ClientCredentials | undefined>;
  /** More claim tokens once the AS is known and trusted (e.g. a held identity's ID token for --identity). */
  resolveClaimTokens?: (asIssuer: string) => Promise<ClaimToken[]>;
  /** Live progress: called after each check, with the redacted exchanges it made. */
  onCheck?: (result: CheckResult, index: number, total: number, exchanges: TranscriptStep[]) => void;
  /**
   * Cancels the run: requests in flight are aborted and the remaining checks skip; the safety
   * checks still report (and revoke the tokens obtained) so nothing is left unsaid.
   */
  signal?: AbortSignal;
}

export function selected(id: string, only: string[] | undefined): boolean {
  if (!only || only.length === 0) return true;
  return only.some((o) => id === o || id.startsWith(`${o}.`));
}

/** Runs the probe. Never throws for server behaviour; every problem becomes a check verdict. */
export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const started = Date.now();
  const resource = new URL(options.resource).href;
  const rsOrigin = new URL(resource).origin;
  const transcript = new Transcript(undefined, { maxSteps: 100_000 });
  const shared = {
    resource,
    rsOrigin,
    asUri: '',
    claimTokens: options.claimTokens ?? [],
    claimsRedirectUri: options.claimsRedirectUri ?? CLAIMS_REDIRECT_URI,
    discovery: { attempts: [] } as DiscoveryFinding,
    transcript,
    // The RS origins the person named (the probed resource and the one expected to be held).
    allowed: new Set([rsOrigin, ...(options.pendingResource ? [new URL(options.pendingResource).origin] : [])]),
    contacted: new Set<string>(),
    violations: [],
    created: [],
    revocable: [],
    observations: [],
    current: 'rs.challenge',
    memo: new Map(),
    rsHeaders: options.rsHeaders ?? {},
    ...(options.keycloak ? { keycloak: options.keycloak } : {}),
    ...(options.client ? { client: options.client } : {}),
    ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pendingResource ? { pending: { resource: new URL(options.pendingResource).href, waitMs: Math.min(Math.max(0, options.pendingWaitMs ?? 0), MAX_PENDING_WAIT_MS) } } : {}),
  } as unknown as ProbeShared;
  const cancelled = () => options.signal?.aborted === true;
  shared.http = guardedHttp(shared, transcript, options.http, options.fetch);

  const results: CheckResult[] = [];
  // Always run: where the tickets come from, where the metadata is, and the clean-up with its list
  // of what the probe left at the AS (whatever --only selects, nothing obtained goes unrevoked or unsaid).
  const defs = ALL_CHECKS.filter((c) => selected(c.id, options.only) || c.id === 'rs.challenge' || c.id === 'discovery.location' || c.id === 'safety.created');
  const total = defs.length + 1;
  const emit = (def: Pick<CheckDefinition, 'id' | 'title' | 'spec' | 'rule'>, v: Verdict, extraSteps: string[] = []) => {
    const steps = [...new Set([...transcript.flow(def.id).map((s) => s.id), ...extraSteps])];
    const result: CheckResult = { id: def.id, title: def.title, spec: def.spec, rule: def.rule, status: v.status, detail: v.detail, ...(v.advice ? { advice: v.advice } : {}), steps };
    results.push(result);
    if (options.onCheck) {
      const ids = new Set(steps);
      options.onCheck(result, results.length - 1, total, transcript.steps.filter((x) => ids.has(x.id)));
    }
  };
  const finish = (issuer: string | null, trusted: boolean): ProbeReport => {
    const summary = summarize(results);
    const f = shared.discovery.found;
    return {
      tool: { name: 'tessera probe', version: 1 },
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      resource,
      rs: { origin: rsOrigin },
      as: { issuer, trusted, ...(f ? { discovery: { url: f.url, source: f.source } } : {}) },
      summary,
      ...(cancelled() ? { cancelled: true } : {}),
      checks: results,
      created: shared.created,
      origins: [...shared.contacted].sort(),
      exchanges: transcript.steps,
    };
  };
  /** Early stop: the safety checks still report (what was contacted, what was created); the rest skip. */
  const skipRest = async (why: string) => {
    for (const def of defs) {
      if (results.some((r) => r.id === def.id)) continue;
      if (def.id === 'safety.origins' || def.id === 'safety.created') {
        shared.current = def.id;
        emit(def, await def.run(new CheckContext(shared, def.id)));
      } else emit(def, { status: 'skip', detail: why });
    }
  };

  // 1. The RS challenge: where the tickets come from and which AS to ask.
  let asUri: string | undefined;
  const challengeDef = defs.find((d) => d.id === 'rs.challenge') as CheckDefinition;
  try {
    const rs = await shared.http.request(resource, { lane: 'rs', kind: 'resource', flowId: 'rs.challenge', followRedirects: true, headers: { ...shared.rsHeaders }, secrets: Object.values(shared.rsHeaders) });
    const reading = readRsResponse(rs.status, rs.headers, rs.text);
    if (reading.type === 'uma') {
      asUri = reading.asUri;
      transcript.annotate(rs.step, { outcome: 'challenge', challenge: { scheme: 'UMA', asUri: reading.asUri, ticket: fingerprint(reading.ticket), source: reading.source } });
    } else {
      emit(challengeDef, { status: 'fail', detail: reading.type === 'as_unreachable' ? 'The RS answered 403 with Warning 199: it cannot reach its AS.' : `The RS answered ${rs.status} without a UMA challenge.`, advice: 'Give the URL of a UMA-protected resource; the probe needs its tickets.' });
    }
  } catch (error) {
    const info = toErrorInfo(error);
    emit(challengeDef, cancelled() ? { status: 'skip', detail: CANCELLED } : { status: 'fail', detail: info.message, advice: info.hint });
  }
  if (!asUri) {
    emit(TRUST_CHECK, { status: 'skip', detail: 'No AS was named.' });
    await skipRest('The RS gave no UMA challenge.');
    return finish(null, false);
  }
  shared.asUri = asUri;
  emit(challengeDef, await challengeDef.run(new CheckContext(shared, 'rs.challenge')));

  // 2. Trust: nothing goes to an AS the user did not trust.
  const config = findTrustedAs(options.trust, asUri);
  if (!config) {
    emit(TRUST_CHECK, { status: 'fail', detail: `The RS names ${asUri}, which is not trusted. Nothing was sent to it.`, advice: `Trust ${asUri} only if you know who runs it, then probe again.` });
    await skipRest('The AS is not trusted: the probe stopped before contacting it.');
    return finish(asUri, false);
  }
  shared.asConfig = config;
  try {
    if (!shared.client && options.resolveClient) {
      const resolved = await options.resolveClient(normalizeIssuer(config.issuer), config);
      if (resolved) shared.client = resolved;
    }
    if (options.resolveClaimTokens) shared.claimTokens = [...shared.claimTokens, ...(await options.resolveClaimTokens(normalizeIssuer(config.issuer)))];
  } catch (error) {
    const info = toErrorInfo(error);
    emit(TRUST_CHECK, { status: 'fail', detail: `${asUri} is trusted, but the probe could not prepare its client or claims: ${info.message}`, advice: info.hint });
    await skipRest('The probe could not prepare its client or claims.');
    return finish(asUri, true);
  }
  emit(TRUST_CHECK, { status: 'pass', detail: `${asUri} is trusted${config.issuer !== asUri ? ` (as ${config.issuer})` : ''}.` });
  shared.allowed.add(new URL(asUri).origin);
  if (config.discoveryUrl) shared.allowed.add(new URL(config.discoveryUrl).origin);
  for (const v of Object.values(config.metadata ?? {})) if (typeof v === 'string' && /^https?:/.test(v)) shared.allowed.add(new URL(v).origin);

  // 3. Discovery, observed rather than enforced.
  shared.current = 'discovery.location';
  shared.discovery = await observeDiscovery(shared, config);
  const m = shared.discovery.metadata;
  if (m) for (const [k, v] of Object.entries(m)) if ((k.endsWith('_endpoint') || k === 'jwks_uri') && typeof v === 'string') { try { shared.allowed.add(new URL(v).origin); } catch { /* not a URL */ } }
  const insecure = m ? [m.token_endpoint, m.registration_endpoint, m.revocation_endpoint, m.claims_interaction_endpoint, asUri].some((u) => typeof u === 'string' && !isSecureOrLoopback(u)) : false;
  if (insecure) {
    delete shared.client;
    shared.insecure = true;
  }

  // 4. The checks.
  for (const def of defs) {
    if (results.some((r) => r.id === def.id)) continue;
    if (cancelled() && !def.id.startsWith('safety.')) {
      emit(def, { status: 'skip', detail: CANCELLED });
      continue;
    }
    shared.current = def.id;
    let verdict: Verdict;
    try {
      verdict = await def.run(new CheckContext(shared, def.id));
    } catch (error) {
      if (cancelled() && !def.id.startsWith('safety.')) verdict = { status: 'skip', detail: CANCELLED };
      else if (error instanceof SkipCheck) verdict = { status: 'skip', detail: insecure && /client credentials/.test(error.message) ? 'The AS endpoints are not HTTPS: the probe sends no credentials, claims or tickets to them.' : error.message };
      else {
        const info = toErrorInfo(error);
        verdict = { status: 'fail', detail: info.message, advice: info.hint };
      }
    }
    const docStep = def.id.startsWith('discovery.') ? shared.discovery.found?.step?.id : undefined;
    emit(def, verdict, docStep ? [docStep] : []);
  }
  // The trust check runs first but is reported with the safety group.
  const order = (r: CheckResult) => (r.id === TRUST_CHECK.id ? ALL_CHECKS.findIndex((c) => c.id.startsWith('safety.')) - 0.5 : ALL_CHECKS.findIndex((c) => c.id === r.id));
  results.sort((a, b) => order(a) - order(b));
  return finish(asUri, true);
}

/** Tries {issuer}/.well-known/uma2-configuration, the RFC 8414 forms, a configured URL, manual endpoints. */
async function observeDiscovery(shared: ProbeShared, config: NonNullable<ReturnType<typeof findTrustedAs>>): Promise<DiscoveryFinding> {
  const finding: DiscoveryFinding = { attempts: [] };
  const candidates: { url: string; source: 'uma2' | 'rfc8414' | 'configured_url' }[] = [...discoveryUrls(shared.asUri)];
  if (config.discoveryUrl && !candidates.some((c) => c.url === config.discoveryUrl)) candidates.push({ url: config.discoveryUrl, source: 'configured_url' });
  for (const candidate of candidates) {
    let res;
    try {
      res = await shared.http.request(candidate.url, { lane: 'as', kind: 'discovery', flowId: 'discovery.location', headers: { accept: 'application/json' } });
    } catch (error) {
      finding.attempts.push({ url: candidate.url, status: null, source: candidate.source });
      finding.problem = toErrorInfo(error).message;
      continue;
    }
    finding.attempts.push({ url: candidate.url, status: res.status, source: candidate.source });
    if (res.status !== 200) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(res.text);
    } catch {
      finding.problem = `${candidate.url} is not JSON.`;
      continue;
    }
    const parsed = asMetadata.safeParse(raw);
    if (!parsed.success) {
      finding.problem = `${candidate.url}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`;
      continue;
    }
    finding.found = { url: candidate.url, source: candidate.source, headers: res.headers, raw: raw as Record<string, unknown>, step: res.step };
    finding.metadata = { ...parsed.data, ...(config.metadata ?? {}) } as typeof parsed.data;
    if (config.discoveryUrl && config.discoveryUrl !== candidate.url) await supplement(shared, finding, config.discoveryUrl, 'configured_url');
    // Keycloak's UMA document has no revocation_endpoint; its OpenID document, at the same issuer, has
    // one. Without it the probe could not revoke the RPTs it obtained (issue #20).
    else if (!config.discoveryUrl && !finding.metadata.revocation_endpoint) await supplement(shared, finding, `${normalizeIssuer(shared.asUri)}/.well-known/openid-configuration`, 'openid');
    return finding;
  }
  if (config.metadata) {
    finding.found = { url: '(configured endpoints)', source: 'manual' };
    finding.metadata = asMetadata.parse({ issuer: shared.asUri, ...config.metadata });
  }
  return finding;
}

/**
 * The standard document was found, but the client is configured with another one (Keycloak: its
 * uma2-configuration has no revocation_endpoint, its openid-configuration does). Endpoints the
 * standard document lacks are taken from the configured one, so later checks (revocation, clean-up)
 * use what a configured client would; the standard document's own fields are never overridden.
 */
async function supplement(shared: ProbeShared, finding: DiscoveryFinding, url: string, source: 'configured_url' | 'openid'): Promise<void> {
  let res;
  try {
    res = await shared.http.request(url, { lane: 'as', kind: 'discovery', flowId: 'discovery.location', headers: { accept: 'application/json' } });
  } catch {
    return;
  }
  finding.attempts.push({ url, status: res.status, source });
  if (res.status !== 200 || !finding.metadata) return;
  let raw: unknown;
  try { raw = JSON.parse(res.text); } catch { return; }
  const parsed = asMetadata.safeParse(raw);
  if (!parsed.success) return;
  // Only a document of the same AS (RFC 8414 §3.3: the issuer must match; a mix-up defence).
  if (normalizeIssuer(parsed.data.issuer) !== normalizeIssuer(finding.metadata.issuer)) return;
  const metadata = finding.metadata as Record<string, unknown>;
  const extra = parsed.data as Record<string, unknown>;
  const fields = SUPPLEMENTED_ENDPOINTS.filter((k) => metadata[k] === undefined && typeof extra[k] === 'string');
  for (const k of fields) metadata[k] = extra[k];
  if (fields.length) finding.supplemented = { url, fields: [...fields], source };
}
const SUPPLEMENTED_ENDPOINTS = ['revocation_endpoint', 'introspection_endpoint', 'registration_endpoint', 'jwks_uri'] as const;

/** Exit code of `tessera probe` (the rule: {@link exitCodeOf}): 0 unless a check is `fail` or `unsafe`. */
export function probeExitCode(report: ProbeReport): number {
  return exitCodeOf(report.summary);
}

/** The `--json` shape of the issue: as, summary, checks with step ids. */
export function probeJson(report: ProbeReport): Record<string, unknown> {
  return {
    as: { issuer: report.as.issuer, trusted: report.as.trusted, ...(report.as.discovery ? { discovery: report.as.discovery } : {}) },
    resource: report.resource,
    summary: report.summary,
    checks: report.checks.map((c) => ({ id: c.id, title: c.title, spec: c.spec, status: c.status, detail: c.detail, ...(c.advice ? { advice: c.advice } : {}), steps: c.steps })),
    created: report.created,
    origins: report.origins,
    exchanges: report.exchanges,
  };
}
