/**
 * "Check this AS" (issue #14): the app runs the same checks as `tessera probe` against one trusted
 * AS, acting as the person Tessera acts for (their ID token is the claim token where a check pushes
 * one), with the client Tessera already is at that AS. Each finished check is pushed to the UI as it
 * comes (live progress); the finished report is kept in memory for export as the CLI's
 * self-contained HTML report or its JSON. Views only: steps are the redacted transcript, tokens
 * appear as fingerprints.
 *
 * Nothing is sent to an AS the person does not trust: the run is refused before any request, and
 * the probe is given only the chosen AS as trusted, so an RS that names another AS gets nothing
 * past its own 401.
 *
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
import { randomUUID } from 'node:crypto';
import { TesseraError, toErrorInfo, findTrustedAs, type TrustPolicy, IdentityClaimsSource } from '@tessera/uma';
import type { TokenStore, TranscriptStep, HttpBounds, ClaimToken } from '@tessera/uma';
import { isSecureOrLoopback } from '@tessera/uma/portable';
import type { ClientResolver } from '@tessera/uma/engine';
import { ALL_CHECKS, probeJson, runProbe } from '../probe/runner';
import { renderProbeHtml } from '../probe/report-html';
import { emptySummary, type CheckStatus as ProbeStatus } from '../probe/grading';
import type { CheckResult, ProbeReport } from '../probe/types';
import type { ApiEvent, CheckRunView, CheckStatus, CheckView, StepView } from './api';

// The contract spells the grades out for the renderer; both lists must stay the same.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const gradesMatch: Same<CheckStatus, ProbeStatus> = true;
void gradesMatch;

export interface CheckRunsOptions {
  store: TokenStore;
  /** The engine's client rule (src/app/engine.ts): the client Tessera already is at the AS. */
  clients: () => ClientResolver;
  trust: () => TrustPolicy;
  /** Who Tessera acts for now (`issuer#sub` or `nobody`). */
  actingAs: () => Promise<string>;
  emit: (event: ApiEvent) => void;
  /** The transcript step as the UI may see it (the service's one view function). */
  stepView: (step: TranscriptStep) => StepView;
  http?: () => Partial<HttpBounds>;
}

/** Finished runs kept for export. */
const MAX_RUNS = 10;

interface Run { view: CheckRunView; controller: AbortController; report?: ProbeReport }

export class CheckRuns {
  readonly #o: CheckRunsOptions;
  readonly #runs = new Map<string, Run>();

  constructor(options: CheckRunsOptions) {
    this.#o = options;
  }

  /** Starts a run and returns at once; progress arrives as `check` events, the report as a `checkRun` event. */
  async start(input: { issuer: string; resource: string; only?: string[] | undefined; keycloak?: { permitted?: string | undefined; denied?: string | undefined; audience?: string | undefined } | undefined }): Promise<{ runId: string }> {
    const config = findTrustedAs(this.#o.trust(), input.issuer);
    if (!config) throw new TesseraError('untrusted_as', `${input.issuer} is not trusted.`, 'Trust it first; Tessera contacts only authorization servers you trust.', { facts: { asIssuer: input.issuer } });
    if (!isSecureOrLoopback(new URL(input.resource))) throw new TesseraError('usage', 'The resource must use https (plain http only on this machine).', 'Use the https address.');
    const unknown = (input.only ?? []).filter((o) => o !== 'safety.trusted-as' && !ALL_CHECKS.some((c) => c.id === o || c.id.startsWith(`${o}.`)));
    if (unknown.length) throw new TesseraError('usage', `No check or group named ${unknown.join(', ')}.`, `Known checks: ${ALL_CHECKS.map((c) => c.id).join(', ')}.`);
    const party = await this.#o.actingAs();
    const runId = randomUUID();
    const view: CheckRunView = {
      runId, issuer: input.issuer, resource: input.resource, party, startedAt: new Date().toISOString(),
      running: true, cancelled: false, done: 0, checks: [], summary: emptySummary(), created: [], origins: [],
    };
    const run: Run = { view, controller: new AbortController() };
    this.#runs.set(runId, run);
    while (this.#runs.size > MAX_RUNS) {
      const oldest = [...this.#runs.values()].find((r) => !r.view.running);
      if (!oldest) break;
      this.#runs.delete(oldest.view.runId);
    }
    this.#o.emit({ type: 'checkRun', run: copy(view) });
    const { store } = this.#o;
    const k = input.keycloak;
    const keycloak = k && (k.permitted || k.denied || k.audience) ? { ...(k.permitted ? { permitted: k.permitted } : {}), ...(k.denied ? { denied: k.denied } : {}), ...(k.audience ? { audience: k.audience } : {}) } : undefined;
    void runProbe({
      resource: input.resource,
      // Only the chosen AS: the person asked to check this one.
      trust: { authorizationServers: [config] },
      // The client Tessera already is there (the engine's rule), never a new registration.
      resolveClient: (issuer, asConfig) => this.#o.clients().known(issuer, asConfig),
      // The acting party's own ID token, refreshed if needed (UMA Grant §1.3: claims speak for one party).
      resolveClaimTokens: async (asIssuer): Promise<ClaimToken[]> => {
        const token = await new IdentityClaimsSource(store).claimTokenFor({ asIssuer, party });
        return token ? [token] : [];
      },
      ...(input.only?.length ? { only: input.only } : {}),
      ...(keycloak ? { keycloak } : {}),
      ...(this.#o.http ? { http: this.#o.http() } : {}),
      signal: run.controller.signal,
      onCheck: (result, index, total, exchanges) => {
        const check = this.#checkView(result, exchanges);
        view.checks.push(check);
        view.summary[check.status]++;
        view.done = index + 1;
        view.total = total;
        this.#o.emit({ type: 'check', runId, check, index, total });
      },
    })
      .then((report) => this.#finish(run, report))
      .catch((error: unknown) => {
        // runProbe turns server behaviour into verdicts; this is a bug or a local failure.
        Object.assign(view, { running: false, error: toErrorInfo(error) });
        this.#o.emit({ type: 'checkRun', run: copy(view) });
      });
    return { runId };
  }

  #checkView(result: CheckResult, exchanges: TranscriptStep[]): CheckView {
    return {
      id: result.id, title: result.title, spec: result.spec, ...(result.rule ? { rule: result.rule } : {}), status: result.status, detail: result.detail,
      ...(result.advice ? { advice: result.advice } : {}),
      steps: exchanges.map(this.#o.stepView),
    };
  }

  #finish(run: Run, report: ProbeReport): void {
    const steps = new Map(report.exchanges.map((s) => [s.id, s]));
    const view = run.view;
    run.report = report;
    Object.assign(view, {
      running: false,
      cancelled: report.cancelled === true,
      // The report's order (the trust check is listed with the safety group).
      checks: report.checks.map((c) => this.#checkView(c, c.steps.map((id) => steps.get(id)).filter((s): s is TranscriptStep => s !== undefined))),
      summary: { ...report.summary },
      done: report.checks.length,
      total: report.checks.length,
      created: report.created.map((c) => ({ ...c })),
      origins: [...report.origins],
      durationMs: report.durationMs,
      ...(report.as.discovery ? { discoveryUrl: report.as.discovery.url } : {}),
      // The probe trusted only the chosen AS: an AS it did not trust is another one.
      ...(report.as.issuer && !report.as.trusted ? { otherAs: report.as.issuer } : {}),
    });
    this.#o.emit({ type: 'checkRun', run: copy(view) });
  }

  get(runId: string): CheckRunView {
    return copy(this.#run(runId).view);
  }

  /** Stops the run: requests in flight are aborted, the checks not finished are skipped, the tokens obtained revoked. */
  cancel(runId: string): CheckRunView {
    const run = this.#run(runId);
    run.controller.abort();
    return copy(run.view);
  }

  /** The CLI's report: one self-contained HTML file (no script, no external resource) or its JSON. */
  export(runId: string, format: 'html' | 'json'): { filename: string; mime: string; text: string } {
    const run = this.#run(runId);
    if (!run.report) throw new TesseraError('usage', 'The check is still running.', 'Export it when it has finished, or cancel it first.');
    const host = (() => {
      try { return new URL(run.report.as.issuer ?? run.view.issuer).host.replace(/[^\w.-]+/g, '-'); } catch { return 'as'; }
    })();
    const stamp = run.report.startedAt.replace(/[:.]/g, '-');
    if (format === 'html') return { filename: `tessera-check-${host}-${stamp}.html`, mime: 'text/html', text: renderProbeHtml(run.report) };
    return { filename: `tessera-check-${host}-${stamp}.json`, mime: 'application/json', text: JSON.stringify(probeJson(run.report), null, 2) };
  }

  close(): void {
    for (const r of this.#runs.values()) r.controller.abort();
  }

  #run(runId: string): Run {
    const run = this.#runs.get(runId);
    if (!run) throw new TesseraError('usage', 'No such check run.', 'Start the check again from Connections.');
    return run;
  }
}

/** The HTTP bounds of the configuration (what `tessera probe` uses too). */
export function httpBounds(config: { settings: { timeoutMs?: number | undefined; maxBodyBytes?: number | undefined; maxRedirects?: number | undefined } }): Partial<HttpBounds> {
  const { timeoutMs, maxBodyBytes, maxRedirects } = config.settings;
  return { ...(timeoutMs ? { timeoutMs } : {}), ...(maxBodyBytes ? { maxBodyBytes } : {}), ...(maxRedirects !== undefined ? { maxRedirects } : {}) };
}

const copy = (view: CheckRunView): CheckRunView => ({ ...view, checks: [...view.checks], summary: { ...view.summary }, created: [...view.created], origins: [...view.origins] });
