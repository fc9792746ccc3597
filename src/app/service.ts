/**
 * The app's service: what every face (Electron IPC, the browser-mode host) calls through the
 * TesseraApi contract. It composes the engine (packages/uma/src/uma), identities (packages/uma/src/identity) and the vault,
 * keeps bookmarks, trust and flows, and pushes views to the UI. Views are built here, redacted:
 * no token, ticket or secret ever leaves this module for a face.
 */
import { randomUUID } from 'node:crypto';
import { correlate, type ServerEventStream } from './server-events';
import type { ApiOutput, AppState, AsCheckView, ApiEvent, ApiMethod, ApiResults, DpopKeyView, DpopProofView, FlowView, ServerEventView, IdentityView, ProviderView, ResourceView, RsMetadataView, StepView, TokenView } from './api';
import { apiInputs } from './api';
import { composeEngine, type Engine } from './engine';
import { loadConfig, updateConfig, type TesseraConfig } from './config';
import { TesseraError, toErrorInfo, storeKeys, isKeycloakIssuer, type TokenStore, NOBODY, splitParty, findTrustedAs, type TrustPolicy, DPOP_ALGS, endSessionAtProvider, revokeAtProvider, signIn } from '@tessera/uma';
import type { TranscriptStep, Opener, RecordMeta } from '@tessera/uma';
import { isSecureOrLoopback } from '@tessera/uma/portable';
import type { FetchResult } from '@tessera/uma/engine';
import type { ResourceMetadata } from '@tessera/uma';
import { toHar } from './har';
import { applyDemoSetup, type DemoSetup } from './demo-setup';
import { providerClient } from './provider-client';
import { CheckRuns, httpBounds } from './check-as';
import { ApprovalWatcher, type WatchedRequest, type WatchEnd } from './approvals';
import { History } from './history';
import { loadPreferences, loadTheme, PreferencesFile } from './preferences';
import { Notices } from './notices';
import { HTTPS_RULE } from './as-input';
import { applyAddAs, asSetupView, prepareAddAs } from './as-setup';
import { advertisedDpopAlgs, checkNewAs } from './as-check';
import { BrowserWaits, joinKey } from './browser-wait';
import { keycloakAnswerView, keycloakUmaOptions, type KeycloakRequest } from './keycloak-options';
import { KeycloakFeeds, type FeedSource, type KeycloakRealmHint } from './keycloak-feeds';

export interface ServiceOptions {
  home: string;
  store: TokenStore & { backend?: string; warning?: string };
  mode: 'electron' | 'browser';
  /** Opens the system browser (sign-in, claims interaction). */
  opener: Opener;
  /** A demo setup (built-in or Keycloak): its resources are bookmarked, its AS trusted with Tessera's client, its IdP offered. */
  demo?: DemoSetup;
  /** Tells the person outside the page (Electron: an OS notification) that the owner decided. */
  notify?: (event: Extract<ApiEvent, { type: 'decided' }>) => void;
  /** Seconds between checks of a waiting request when the AS names no interval (default 5). */
  approvalPollSeconds?: number;
  /** Preferences that are not secret (preferences.json); default: kept in memory for this service. */
  preferences?: PreferencesFile;
  /** What to say once (damaged files kept aside); shared with the gate that opened the vault. */
  notices?: Notices;
  /** The person chose "Don't keep anything" (a memory-only vault on purpose). */
  memoryChosen?: boolean;
  /** The demo servers' side of each exchange (src/app/server-events.ts), for flows at that AS. */
  serverEvents?: { issuer: string; rsOrigin: string; feed: ServerEventStream };
  /**
   * Keycloak realms' own events (src/app/keycloak-feeds.ts), read for each trusted realm with a
   * credential in the vault: `off` realms are not read; `hints` add what the composition knows of a
   * realm it set up (the Keycloak demo's other client, its RS); `intervalMs` the poll interval.
   */
  keycloakEvents?: { off?: string[]; hints?: Record<string, KeycloakRealmHint>; intervalMs?: number };
  /** Where the Keycloak feeds say why they stop reading (never a secret). */
  log?: (line: string) => void;
}

/** `removedDemo`: demo resources the person removed (not bookmarked again at start). */
interface Settings { resources: ResourceView[]; providers: ProviderView[]; removedDemo?: string[] }
const MAX_FLOWS = 200;

/** One handler per contract method, typed from the method's schema output: no casts. */
type Handlers = { [M in ApiMethod]: (input: ApiOutput<M>) => Promise<ApiResults[M]> };

export class TesseraService {
  readonly #o: ServiceOptions;
  #config!: TesseraConfig;
  #settings: Settings = { resources: [], providers: [] };
  readonly #flows = new Map<string, FlowView>();
  readonly #controllers = new Map<string, AbortController>();
  readonly #listeners = new Set<(e: ApiEvent) => void>();
  readonly #untrusted = new Map<string, { issuer: string; rs: string }>();
  /** Each trusted AS's `dpop_signing_alg_values_supported` as last read this run (RFC 9449 §5.1), by issuer. */
  readonly #dpopAlgs = new Map<string, string[]>();
  #engine!: Engine;
  #checks!: CheckRuns;
  #feeds!: KeycloakFeeds;
  #approvals!: ApprovalWatcher;
  #history!: History;
  #prefs!: PreferencesFile;
  readonly #notices: Notices;
  readonly #handlers: Handlers;
  readonly #browser: BrowserWaits;
  /** Running plain GETs by {@link joinKey}: a second Open joins the flow instead of starting another. */
  readonly #joinable = new Map<string, string>();

  private constructor(options: ServiceOptions) {
    this.#o = options;
    this.#notices = options.notices ?? new Notices();
    this.#handlers = {
      getState: () => this.getState(),
      openResource: (i) => this.openResource(i),
      addResource: (i) => this.addResource(i),
      removeResource: (i) => this.removeResource(i.url),
      renameResource: (i) => this.renameResource(i.url, i.title),
      addAs: (i) => this.addAs(i),
      reopenBrowser: (i) => this.reopenBrowser(i.flowId),
      trustAs: (i) => this.trustAs(i.issuer),
      setAsDpop: (i) => this.setAsDpop(i.issuer, i.dpop),
      untrustAs: (i) => this.untrustAs(i.issuer),
      saveKeycloakEvents: (i) => this.saveKeycloakEvents(i),
      removeKeycloakEvents: (i) => this.removeKeycloakEvents(i.issuer),
      discovery: (i) => this.discovery(i.issuer),
      signIn: (i) => this.signIn(i),
      signOut: (i) => this.signOut(i.key),
      actAs: (i) => this.actAs(i.party),
      forgetToken: (i) => this.forgetToken(i.kind, i.key),
      revealToken: (i) => this.revealToken(i.key),
      cancelFlow: (i) => this.cancelFlow(i.flowId),
      exportTranscript: (i) => this.exportTranscript(i),
      checkAs: (i) => this.#checks.start(i),
      cancelCheck: async (i) => this.#checks.cancel(i.runId),
      getCheckRun: async (i) => this.#checks.get(i.runId),
      exportCheckReport: async (i) => this.#checks.export(i.runId, i.format),
      clearHistory: () => this.clearHistory(),
      setTheme: async (i) => { await this.#prefs.set({ theme: i.theme }); return this.#changed(); },
      setPreferences: async (i) => { await this.#prefs.set({ ...(i.screen ? { screen: i.screen } : {}), ...(i.window ? { window: i.window } : {}) }); return this.getState(); },
      // The vault is open: the gate's methods have nothing left to do.
      unlock: () => this.getState(),
      createVault: () => this.getState(),
      keepNothing: () => this.getState(),
      retryVault: () => this.getState(),
      startNewVault: () => { throw new TesseraError('usage', 'The vault is open.', 'A new vault can be started only from the unlock screen.'); },
      // Handled by the gate (src/app/gate.ts), which owns the vault; a bare service cannot re-key it.
      protectVault: () => { throw new TesseraError('usage', 'The vault cannot be re-protected from here.', 'Use the app or the command line.'); },
      dismissNotice: async (i) => { this.#notices.dismiss(i.id); return this.#changed(); },
    };
    this.#browser = new BrowserWaits(options.opener, (flowId, wait) => {
      const flow = this.#flows.get(flowId);
      if (!flow) return;
      if (wait) flow.waitingInBrowser = wait;
      else delete flow.waitingInBrowser;
      this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
    });
  }

  get #agent() { return this.#engine.agent; }
  get #identities() { return this.#engine.identities; }

  static async create(options: ServiceOptions): Promise<TesseraService> {
    const service = new TesseraService(options);
    await service.#init();
    return service;
  }

  async #init(): Promise<void> {
    const { store, demo } = this.#o;
    this.#prefs = this.#o.preferences ?? new PreferencesFile(this.#o.home, (await loadPreferences(this.#o.home)).preferences);
    this.#config = await loadConfig(this.#o.home);
    const saved = await store.get<Settings>('settings', 'app');
    this.#settings = saved?.value ?? { resources: [], providers: [] };
    if (demo) {
      this.#config = await updateConfig(this.#o.home, (config) => applyDemoSetup(demo, { settings: this.#settings, trust: config.trust, store }));
      await this.#saveSettings();
    }
    this.#engine = composeEngine({
      store,
      trust: (): TrustPolicy => this.#config.trust,
      opener: this.#browser.opener,
      onStep: (step) => this.#onStep(step),
    });
    this.#o.serverEvents?.feed.onEvent(() => this.#serverEventsArrived());
    const ke = this.#o.keycloakEvents;
    this.#feeds = new KeycloakFeeds({
      store, tesseraClients: (issuer) => this.#tesseraClients(issuer),
      ...(ke?.off ? { off: ke.off } : {}), ...(ke?.hints ? { hints: ke.hints } : {}), ...(ke?.intervalMs !== undefined ? { intervalMs: ke.intervalMs } : {}), ...(this.#o.log ? { log: this.#o.log } : {}),
      onStatus: () => { if (!this.#closing) this.#background(this.#changed()); },
    });
    this.#feeds.onEvent(() => this.#serverEventsArrived());
    await this.#feeds.resume(this.#config.trust.authorizationServers.map((a) => a.issuer));
    this.#checks = new CheckRuns({ store, clients: () => this.#engine.clients, trust: () => this.#config.trust, actingAs: () => this.#identities.actingAs(), emit: (e) => this.#emit(e), stepView, http: () => httpBounds(this.#config) });
    await this.#restore();
  }

  /** History, theme and the requests still waiting for an owner, from earlier runs (src/app/history.ts, approvals.ts). */
  async #restore(): Promise<void> {
    this.#history = new History(this.#o.store, this.#o.home);
    // The theme an older Tessera kept in the vault moves to preferences.json (which needs no vault).
    if (!this.#prefs.current.theme) {
      const old = await loadTheme(this.#o.store);
      if (old) await this.#prefs.set({ theme: old });
    }
    const history = await this.#history.load();
    if (history.keptAside) this.#notices.add({ code: 'history_damaged', path: history.keptAside.path, reason: history.keptAside.reason });
    for (const flow of history.flows) this.#flows.set(flow.flowId, flow);
    this.#approvals = new ApprovalWatcher({
      store: this.#o.store,
      poll: (r, signal) => this.#agent.fetch(r.url, { flowId: r.flowId, party: r.party, method: r.method, ...requestParts(r), ...(r.scopes?.length ? { scopes: r.scopes } : {}), ...(r.ticket && r.asUri ? { resume: { asUri: r.asUri, ticket: r.ticket } } : {}), signal }),
      onResult: (r, result) => this.#finish(this.#watchedFlow(r), result),
      onScheduled: (r) => { this.#watchedFlow(r); this.#watchState(r, true); },
      onEnd: (r, end) => this.#watchEnded(r, end),
      ...(this.#o.approvalPollSeconds !== undefined ? { defaultIntervalS: this.#o.approvalPollSeconds } : {}),
    });
    await this.#approvals.resume();
    if (this.#approvals.unreadable) this.#notices.add({ code: 'watches_damaged', count: this.#approvals.unreadable });
    // A flow saved while watched whose watch is gone (stopped in another run, or lost): not watched now.
    for (const flow of this.#flows.values()) if (flow.pending?.watching && !this.#approvals.watching.has(flow.flowId)) flow.pending = { reason: flow.pending.reason };
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tessera's client ids at a trusted AS: its configured client and the client record the vault holds for it (static or registered). */
  async #tesseraClients(issuer: string): Promise<string[]> {
    const configured = findTrustedAs(this.#config.trust, issuer)?.client?.clientId;
    const held = (await this.#o.store.list('client')).filter((c) => c.issuer === issuer).map((c) => c.clientId);
    return [...new Set([configured, ...held].filter((c): c is string => typeof c === 'string' && c !== ''))];
  }

  /** The source of server events that covers `flow`: its AS's (by issuer) or its RS's (by origin, when known). */
  #sourceFor(flow: FlowView): FeedSource | undefined {
    const sources: FeedSource[] = [...(this.#o.serverEvents ? [this.#o.serverEvents] : []), ...(this.#feeds?.sources() ?? [])];
    // The AS as trusted (an RS may name it with a trailing slash or an alias).
    const as = flow.asIssuer ? findTrustedAs(this.#config.trust, flow.asIssuer)?.issuer ?? flow.asIssuer : undefined;
    return sources.find((s) => as === s.issuer) ?? sources.find((s) => s.rsOrigin !== undefined && flow.url.startsWith(`${s.rsOrigin}/`));
  }

  /** The flow with its servers' side, when the core follows that AS's events. */
  #withServer(flow: FlowView): FlowView {
    const se = this.#sourceFor(flow);
    const visible = se !== undefined && se.feed.readable !== false;
    if (!visible) return { ...flow, server: { visible, events: [] } };
    const source = se.feed.kind;
    // Joined again only when the flow or the events changed: getState sends every flow of the history.
    const last = flow.steps.at(-1);
    const stamp = `${se.issuer}|${flow.steps.length}|${last?.status}|${last?.duration}|${flow.running}|${flow.pending ? 1 : 0}|${se.feed.events.length}|${se.feed.events.at(-1)?.id ?? ''}`;
    let cached = this.#joined.get(flow.flowId);
    if (cached?.stamp !== stamp) {
      cached = { stamp, events: correlate(flow, se.feed.events) };
      this.#joined.set(flow.flowId, cached);
      if (this.#joined.size > 400) this.#joined.delete(this.#joined.keys().next().value as string);
    }
    return { ...flow, server: { visible, events: cached.events, source } };
  }

  readonly #joined = new Map<string, { stamp: string; events: ServerEventView[] }>();

  #serverTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #serverCounts = new Map<string, number>();
  /** New server events: the recent flows they join are sent again (a burst is one re-send). */
  #serverEventsArrived(): void {
    if (this.#serverTimer) return;
    this.#serverTimer = setTimeout(() => {
      this.#serverTimer = undefined;
      for (const flow of [...this.#flows.values()].slice(-20)) {
        const count = this.#withServer(flow).server?.events.length ?? 0;
        if (count === (this.#serverCounts.get(flow.flowId) ?? 0)) continue;
        this.#serverCounts.set(flow.flowId, count);
        this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
      }
    }, 50);
    this.#serverTimer.unref?.();
  }

  #emit(event: ApiEvent): void {
    if (event.type === 'flow') event = { ...event, flow: this.#withServer(event.flow) };
    for (const l of this.#listeners) {
      try { l(event); } catch { /* a broken listener must not break the flow */ }
    }
  }

  async #changed(): Promise<AppState> {
    const state = await this.getState();
    this.#emit({ type: 'state', state });
    return state;
  }

  async #saveSettings(): Promise<void> { await this.#o.store.put('settings', 'app', this.#settings, { label: 'bookmarks and providers' }); }

  /** Dispatches a call after validating its input against the contract's schema. */
  async call<M extends ApiMethod>(method: M, input: unknown): Promise<ApiResults[M]> {
    const parsed = apiInputs[method].parse(input ?? {}) as ApiOutput<M>;
    const handler: (i: ApiOutput<M>) => Promise<ApiResults[M]> = this.#handlers[method];
    return handler(parsed);
  }

  async getState(): Promise<AppState> {
    const { store, demo } = this.#o;
    const tokens: TokenView[] = [];
    for (const kind of ['rpt', 'pct'] as const) {
      for (const m of await store.list(kind)) {
        tokens.push({ kind, key: m.key, ...(m.issuer ? { issuer: m.issuer } : {}), ...(m.rsOrigin ? { rsOrigin: m.rsOrigin } : {}), ...(m.identity ? { identity: m.identity } : {}), ...(m.expiresAt ? { expiresAt: m.expiresAt } : {}), ...(m.fingerprint ? { fingerprint: m.fingerprint } : {}), ...(m.permissions ? { permissions: m.permissions } : {}), ...(kind === 'rpt' ? await this.#rptBinding(m) : {}) });
      }
    }
    const dpopKeys: DpopKeyView[] = [];
    for (const m of await store.list('dpop')) {
      const jkt = m.dpopJkt ?? /^DPoP key (\S+)$/.exec(m.label ?? '')?.[1];
      if (m.issuer && m.identity && jkt) dpopKeys.push({ issuer: m.issuer, party: m.identity, jkt });
    }
    const identities: IdentityView[] = await this.#identities.summaries();
    const clients = await store.list('client');
    const party = await this.#identities.actingAs();
    const actingAs = identities.find((i) => i.key === party);
    return {
      mode: this.#o.mode,
      vault: { backend: store.backend ?? (store.persistent ? 'file' : 'memory'), ...(store.warning ? { warning: store.warning } : {}), ...(this.#o.memoryChosen ? { memoryChosen: true } : {}) },
      notices: this.#notices.list(),
      ...(this.#prefs.current.screen ? { screen: this.#prefs.current.screen } : {}),
      resources: [...this.#settings.resources],
      trusted: this.#config.trust.authorizationServers.map((a) => {
        const client = clients.find((c) => c.issuer === a.issuer);
        const setup = asSetupView(a);
        const dpopAlgs = this.#dpopAlgs.get(a.issuer);
        return { issuer: a.issuer, ...(isKeycloakIssuer(a.issuer) ? { keycloak: true } : {}), ...(a.label ? { label: a.label } : {}), ...(client?.clientId ? { clientId: client.clientId } : {}), registration: client ? (client.clientId && a.client?.registration === 'dynamic' ? 'dynamic' : 'static') : 'none', ...(setup ? { setup } : {}), dpop: a.dpop ?? 'auto', ...(dpopAlgs ? { dpopAlgs: [...dpopAlgs], dpopUsable: dpopAlgs.some((alg) => DPOP_ALGS.includes(alg)) } : {}), ...(isKeycloakIssuer(a.issuer) ? { events: this.#feeds.view(a.issuer) } : {}) };
      }),
      providers: [...this.#settings.providers],
      identities,
      actingAs: actingAs ? { party, label: actingAs.name ?? actingAs.email ?? actingAs.sub, issuer: actingAs.issuer } : { party: NOBODY, label: 'Nobody (no claims)' },
      tokens,
      dpopKeys,
      flows: [...this.#flows.values()].reverse().map((f) => this.#withServer(f)),
      theme: this.#prefs.current.theme ?? 'system',
      untrustedSeen: [...this.#untrusted.values()].filter((u) => !this.#trusted(u.issuer)),
      ...(demo ? { demo: { dashboardUrl: demo.as.dashboardUrl, dashboardLabel: demo.as.dashboardLabel, idpLabel: demo.idp.name, people: demo.users.map((u) => ({ ...u })) } } : {}),
    };
  }

  #trusted(issuer: string): boolean {
    return this.#engine.trusted(issuer);
  }

  #onStep(step: TranscriptStep): void {
    const flow = this.#flows.get(step.flowId);
    if (!flow) return;
    const view = stepView(step);
    if (view.kind === 'discovery') this.#learnDpop(view);
    const i = flow.steps.findIndex((s) => s.id === view.id);
    if (i >= 0) flow.steps[i] = view;
    else flow.steps.push(view);
    // Back from the browser: the flow talks to a server again.
    if (view.lane !== 'browser') this.#browser.end(flow.flowId);
    this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
  }

  async openResource(input: ApiOutput<'openResource'>): Promise<{ flowId: string }> {
    const party = await this.#identities.actingAs();
    // Keycloak options make a different request: never joined to a plain open of the same URL.
    const join = input.keycloak ? undefined : joinKey(input, party);
    const running = join ? this.#joinable.get(join) : undefined;
    if (running && this.#flows.get(running)?.running) return { flowId: running };
    const flowId = randomUUID();
    if (join) this.#joinable.set(join, flowId);
    const title = this.#settings.resources.find((r) => r.url === input.url)?.title;
    const flow: FlowView = { flowId, url: input.url, ...(title ? { title } : {}), startedAt: new Date().toISOString(), running: true, party, steps: [] };
    this.#flows.set(flowId, flow);
    while (this.#flows.size > MAX_FLOWS) this.#flows.delete(this.#flows.keys().next().value as string);
    const controller = new AbortController();
    this.#controllers.set(flowId, controller);
    this.#emit({ type: 'flow', flow: { ...flow } });
    const open = () => this.#agent.fetch(input.url, { flowId, party, method: input.method, ...requestParts(input), ...(input.scopes?.length ? { scopes: input.scopes } : {}), waitSeconds: input.waitSeconds, signal: controller.signal });
    void this.#browser.run(flowId, 'claims', async () => (input.keycloak ? this.#askKeycloak(flow, input.keycloak, party, controller.signal, open) : open()))
      .then(async (result) => {
        if (!result) return; // Keycloak's decision or permission list ended the flow
        await this.#finish(flow, result);
        const key = { party, method: input.method, url: input.url };
        if (result.outcome === 'pending') await this.#approvals.watch({ ...key, flowId, ...(title ? { title } : {}), ...requestParts(input), ...(input.scopes?.length ? { scopes: input.scopes } : {}), ...(result.asIssuer ? { asUri: result.asIssuer } : {}), ...(result.pending?.ticket ? { ticket: result.pending.ticket } : {}), ...(result.pending?.interval !== undefined ? { interval: result.pending.interval } : {}), startedAt: flow.startedAt });
        else await this.#approvals.settled(key, result.outcome === 'granted' || result.outcome === 'denied' ? result.outcome : undefined, flowId);
      })
      .catch((error: unknown) => {
        Object.assign(flow, { running: false, outcome: 'error', error: toErrorInfo(error) });
        this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
      })
      .finally(() => { this.#controllers.delete(flowId); this.#browser.end(flowId); if (join && this.#joinable.get(join) === flowId) this.#joinable.delete(join); });
    return { flowId };
  }

  /**
   * The request builder's Keycloak options: Keycloak's ticketless request first. A decision, a
   * permission list or a refusal ends the flow here (nothing goes to the RS); an RPT is held for the
   * RS's origin and the request follows, presenting it.
   * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
   */
  async #askKeycloak(flow: FlowView, k: KeycloakRequest, party: string, signal: AbortSignal, thenOpen: () => Promise<FetchResult>): Promise<FetchResult | undefined> {
    const answer = await this.#agent.askKeycloak(k.asIssuer, keycloakUmaOptions(k), { flowId: flow.flowId, party, signal, rsOrigin: new URL(flow.url).origin });
    flow.keycloak = keycloakAnswerView(k.responseMode, answer);
    flow.asIssuer = k.asIssuer;
    if (answer.type === 'token') return thenOpen();
    const steps = new Map(flow.steps.map((s) => [s.id, s]));
    for (const s of answer.steps) steps.set(s.id, stepView(s));
    const refusedHard = answer.type === 'refused' && answer.result.type !== 'denied';
    Object.assign(flow, { running: false, steps: [...steps.values()], status: null, outcome: flow.keycloak.granted ? 'granted' : refusedHard ? 'error' : 'denied' });
    if (refusedHard) flow.error = toErrorInfo(new TesseraError('token_error', `Keycloak refused: ${flow.keycloak.refused ?? 'no answer'}.`, 'Check the client id and the permissions (resource names or ids, scopes) against the resource server in Keycloak.'));
    this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
    this.#saveHistory();
    await this.#changed();
    return undefined;
  }

  async #finish(flow: FlowView, result: FetchResult): Promise<void> {
    flow.running = false;
    delete flow.error;
    delete flow.needInfo;
    delete flow.waitingInBrowser;
    flow.outcome = result.outcome;
    flow.status = result.status;
    // Merged by id: a watched request's polls add to the steps restored from history.
    const steps = new Map(flow.steps.map((s) => [s.id, s]));
    for (const s of result.steps) steps.set(s.id, stepView(s));
    flow.steps = [...steps.values()];
    delete flow.pending;
    if (result.asIssuer) flow.asIssuer = result.asIssuer;
    if (result.access) flow.access = result.access;
    if (result.rptStoredAt) flow.rptStoredAt = result.rptStoredAt;
    if (result.outcome === 'granted') {
      if (result.contentType) flow.contentType = result.contentType;
      if (result.text) flow.body = result.body.slice(0, 256 * 1024);
      // Binary records (PDFs, images) reach the UI as base64 to show inline; bounded like the text.
      else if (result.bytes.byteLength <= 8 * 1024 * 1024) flow.bodyBase64 = Buffer.from(result.bytes).toString('base64');
    }
    if (result.error) flow.error = result.error;
    if (result.resourceMetadata) flow.rsMetadata = rsMetadataView(result.resourceMetadata);
    if (result.needInfo) flow.needInfo = { ...(result.needInfo.requiredClaims ? { requiredClaims: result.needInfo.requiredClaims.map((c) => ({ ...(c.name ? { name: c.name } : {}), ...(c.friendly_name ? { friendly_name: c.friendly_name } : {}), ...(c.issuer ? { issuer: c.issuer } : {}) })) } : {}), ...(result.needInfo.redirectUser ? { redirectUser: result.needInfo.redirectUser } : {}) };
    if (result.pending) flow.pending = { reason: result.pending.reason, ...(result.pending.interval !== undefined ? { interval: result.pending.interval, nextPollAt: Date.now() + result.pending.interval * 1000 } : {}) };
    if (result.outcome === 'untrusted_as') {
      const asUri = result.steps.find((s) => s.challenge?.asUri)?.challenge?.asUri;
      if (asUri) this.#untrusted.set(asUri, { issuer: asUri, rs: new URL(flow.url).origin });
    }
    this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
    this.#saveHistory();
    await this.#changed();
  }

  #saveHistory(): void { this.#history?.save(() => [...this.#flows.values()]); }

  /** The flow a watched request belongs to (recreated when history did not keep it). */
  #watchedFlow(r: WatchedRequest): FlowView {
    let flow = this.#flows.get(r.flowId);
    if (!flow) {
      flow = { flowId: r.flowId, url: r.url, ...(r.title ? { title: r.title } : {}), startedAt: r.startedAt, running: false, party: r.party, outcome: 'pending', steps: [] };
      this.#flows.set(r.flowId, flow);
    }
    return flow;
  }

  #watchState(r: WatchedRequest, watching: boolean): void {
    const flow = this.#flows.get(r.flowId);
    if (!flow || flow.outcome !== 'pending') return;
    flow.pending = { reason: flow.pending?.reason ?? 'owner_must_approve', ...(r.interval !== undefined ? { interval: r.interval } : {}), ...(watching ? { watching: true, nextPollAt: r.nextPollAt } : {}) };
    this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
  }

  #watchEnded(r: WatchedRequest, end: WatchEnd): void {
    this.#watchState(r, false);
    const flow = this.#flows.get(r.flowId);
    if (flow && (end === 'granted' || end === 'denied')) {
      flow.decidedAt = new Date().toISOString();
      const event = { type: 'decided' as const, flowId: r.flowId, url: r.url, ...(r.title ? { title: r.title } : {}), outcome: end };
      this.#emit(event);
      try { this.#o.notify?.(event); } catch { /* a notification that fails must not break the flow */ }
    }
    this.#saveHistory();
    // Not awaited by the watcher: kept so close() waits for it (else it would read a vault the caller is closing).
    if (!this.#closing) this.#background(this.#changed());
  }

  /** Work nobody awaits (a watch's end telling the face): close() waits for it; a failure is never an unhandled rejection (the face reads the state again on its next call). */
  readonly #pending = new Set<Promise<unknown>>();
  #closing = false;
  #background(work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** "Clear history": forgets every flow except those running or still watched. */
  async clearHistory(): Promise<AppState> {
    for (const [id, flow] of this.#flows) if (!flow.running && !this.#approvals.watching.has(id)) this.#flows.delete(id);
    await this.#history.clear();
    if (this.#flows.size) this.#saveHistory();
    return this.#changed();
  }

  async addResource(input: { url: string; title: string }): Promise<AppState> {
    const u = new URL(input.url);
    if (!isSecureOrLoopback(u)) throw new TesseraError('usage', `${HTTPS_RULE}.`, 'Tessera sends your tokens to this address; plain http would expose them on the network.');
    this.#settings.resources = [...this.#settings.resources.filter((r) => r.url !== input.url), { url: input.url, title: input.title, origin: u.origin, fromDemo: false }];
    if (this.#settings.removedDemo) this.#settings.removedDemo = this.#settings.removedDemo.filter((x) => x !== input.url);
    await this.#saveSettings();
    return this.#changed();
  }

  async removeResource(url: string): Promise<AppState> {
    const removed = this.#settings.resources.find((r) => r.url === url);
    this.#settings.resources = this.#settings.resources.filter((r) => r.url !== url);
    // A removed demo record stays removed after a restart (the demo bookmarks its records at start).
    if (removed?.fromDemo) this.#settings.removedDemo = [...new Set([...(this.#settings.removedDemo ?? []), url])];
    await this.#saveSettings();
    return this.#changed();
  }

  async renameResource(url: string, title: string): Promise<AppState> {
    const resource = this.#settings.resources.find((r) => r.url === url);
    if (!resource) throw new TesseraError('usage', 'No such resource.', 'Reload the Resources screen.');
    this.#settings.resources = this.#settings.resources.map((r) => (r === resource ? { ...r, title } : r));
    for (const f of this.#flows.values()) if (f.url === url) f.title = title;
    await this.#saveSettings();
    return this.#changed();
  }

  /** Remembers what a trusted AS's metadata (read in a flow) says of DPoP, for its card in Connections. */
  #learnDpop(step: StepView): void {
    if (step.status !== 200 || !step.response?.body) return;
    let doc: unknown;
    try { doc = JSON.parse(step.response.body); } catch { return; }
    if (!doc || typeof doc !== 'object' || typeof (doc as { issuer?: unknown }).issuer !== 'string') return;
    const config = findTrustedAs(this.#config.trust, (doc as { issuer: string }).issuer);
    if (!config) return;
    // One flow may read two documents (UMA, then OpenID for missing endpoints; Keycloak lists DPoP only in the latter).
    const algs = advertisedDpopAlgs(doc as Record<string, unknown>);
    if (algs.length > 0 || !this.#dpopAlgs.has(config.issuer)) this.#dpopAlgs.set(config.issuer, algs);
  }

  /** Trusts an AS set up by hand (src/app/as-setup.ts): config.json gets the endpoints and client id, the vault the secret. */
  async addAs(input: ApiOutput<'addAs'>): Promise<AppState & { check: AsCheckView }> {
    // Checked before anything is written: a key that is not a key, or a server that is not a UMA AS, changes nothing.
    const prepared = await prepareAddAs(input, this.#config.trust);
    const check = await checkNewAs(prepared.entry, this.#engine.http);
    this.#config = await updateConfig(this.#o.home, async (config) => void (await applyAddAs(prepared, config.trust, this.#o.store)));
    this.#agent.forgetDiscovery(); // endpoints may have changed
    this.#untrusted.delete(input.issuer);
    const added = findTrustedAs(this.#config.trust, input.issuer);
    if (added && check.dpopAlgs) this.#dpopAlgs.set(added.issuer, check.dpopAlgs);
    else if (added) this.#dpopAlgs.delete(added.issuer);
    // Its client may have changed (Tessera's grants are told apart by it): the realm's feed starts again.
    if (added) { this.#feeds.stop(added.issuer); await this.#feeds.resume([added.issuer]); }
    return { ...(await this.#changed()), check };
  }

  /** Opens again the page a flow waits on in the system browser; the page's address (ticket, state) never leaves the core. */
  async reopenBrowser(flowId: string): Promise<{ reopened: true }> {
    if (!(await this.#browser.reopen(flowId))) throw new TesseraError('usage', 'This is not waiting for your browser any more.', 'Open the resource again.');
    return { reopened: true };
  }

  async trustAs(issuer: string): Promise<AppState> {
    this.#config = await updateConfig(this.#o.home, (config) => {
      if (findTrustedAs(config.trust, issuer)) return false;
      config.trust.authorizationServers.push({ issuer });
    });
    this.#untrusted.delete(issuer);
    await this.#feeds.resume([issuer]);
    return this.#changed();
  }

  /** The trusted Keycloak realm named, or a refusal naming the field. */
  #keycloakRealm(issuer: string): string {
    const config = findTrustedAs(this.#config.trust, issuer);
    if (!config) throw new TesseraError('untrusted_as', `${issuer} is not trusted.`, 'Trust it first; Tessera contacts only authorization servers you trust.', { facts: { asIssuer: issuer } });
    if (!isKeycloakIssuer(config.issuer)) throw new TesseraError('invalid_input', 'issuer: not a Keycloak realm (its issuer does not end in /realms/NAME)', 'Keycloak\'s events can be read only from a Keycloak realm.');
    return config.issuer;
  }

  /**
   * "Keycloak's events": checks the credential at Keycloak (a token by client credentials, one page
   * of events), keeps it in the vault and reads the realm's events from now on. A refusal names the
   * field and changes nothing.
   * @see https://www.keycloak.org/docs/latest/server_admin/index.html#configuring-auditing-to-track-events
   */
  async saveKeycloakEvents(input: ApiOutput<'saveKeycloakEvents'>): Promise<AppState> {
    const issuer = this.#keycloakRealm(input.issuer);
    await this.#feeds.save(issuer, { clientId: input.clientId, clientSecret: input.clientSecret });
    return this.#changed();
  }

  /** Forgets the realm's events credential and stops reading its events. */
  async removeKeycloakEvents(issuer: string): Promise<AppState> {
    await this.#feeds.remove(this.#keycloakRealm(issuer));
    return this.#changed();
  }

  /**
   * The per-AS DPoP switch (RFC 9449), saved in config.json by a read-modify-write under the lock
   * (the CLI may write it meanwhile); `auto` is the default and is written as no entry. The agent
   * reads trust on every grant, so the next grant at this AS follows it.
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-5.1
   */
  async setAsDpop(issuer: string, dpop: 'auto' | 'on' | 'off'): Promise<AppState> {
    let found = false;
    this.#config = await updateConfig(this.#o.home, (config) => {
      const entry = findTrustedAs(config.trust, issuer);
      if (!entry) return false;
      found = true;
      if ((entry.dpop ?? 'auto') === dpop) return false;
      if (dpop === 'auto') delete entry.dpop;
      else entry.dpop = dpop;
    });
    if (!found) throw new TesseraError('untrusted_as', `${issuer} is not trusted.`, 'Trust it first; Tessera contacts only authorization servers you trust.', { facts: { asIssuer: issuer } });
    return this.#changed();
  }

  async untrustAs(issuer: string): Promise<AppState> {
    this.#config = await updateConfig(this.#o.home, (config) => {
      const found = findTrustedAs(config.trust, issuer);
      if (!found) return false;
      config.trust.authorizationServers = config.trust.authorizationServers.filter((a) => a !== found);
    });
    // No more reading of its events (the credential stays in the vault, as the client's does).
    if (!findTrustedAs(this.#config.trust, issuer)) this.#feeds.stop(issuer);
    return this.#changed();
  }

  async discovery(issuer: string): Promise<{ issuer: string; document: Record<string, unknown> }> {
    const config = findTrustedAs(this.#config.trust, issuer);
    if (!config) throw new TesseraError('untrusted_as', `${issuer} is not trusted.`, 'Trust it first; Tessera contacts only authorization servers you trust.', { facts: { asIssuer: issuer } });
    // The engine's discovery: the same size bound, issuer check and https rule as a real flow.
    const metadata = await this.#agent.discover(config);
    this.#dpopAlgs.set(config.issuer, advertisedDpopAlgs(metadata as Record<string, unknown>));
    return { issuer, document: { ...metadata } };
  }

  /** A flow on the timeline for an exchange with an OpenID provider (sign-in, sign-out); its steps stream in via the transcript. */
  #idpFlow(issuer: string, title: string): { flowId: string; signal: AbortSignal; done: (error?: unknown) => void } {
    const flowId = randomUUID();
    const flow: FlowView = { flowId, url: issuer, title, startedAt: new Date().toISOString(), running: true, steps: [] };
    this.#flows.set(flowId, flow);
    while (this.#flows.size > MAX_FLOWS) this.#flows.delete(this.#flows.keys().next().value as string);
    const controller = new AbortController();
    this.#controllers.set(flowId, controller);
    this.#emit({ type: 'flow', flow: { ...flow } });
    return {
      flowId,
      signal: controller.signal,
      done: (error?: unknown) => {
        this.#controllers.delete(flowId);
        this.#browser.end(flowId);
        delete flow.waitingInBrowser;
        Object.assign(flow, { running: false, outcome: error === undefined ? 'granted' : 'error', ...(error === undefined ? {} : { error: toErrorInfo(error) }) });
        this.#emit({ type: 'flow', flow: { ...flow, steps: [...flow.steps] } });
      },
    };
  }

  async signIn(input: { issuer: string; clientId: string; scope?: string | undefined; switchUser?: boolean | undefined }): Promise<ApiResults['signIn']> {
    const provider = await providerClient(this.#o.store, input);
    const flow = this.#idpFlow(provider.issuer, input.switchUser ? `Sign in as someone else at ${provider.issuer}` : `Sign in at ${provider.issuer}`);
    const before = await this.#identities.actingAs();
    const started = Date.now();
    let signed;
    try {
      signed = await this.#browser.run(flow.flowId, 'sign-in', () => signIn(provider, { opener: this.#browser.opener, http: this.#engine.http, flowId: flow.flowId, signal: flow.signal, ...(input.switchUser ? { switchUser: true } : { wantAuthTime: true }) }));
    } catch (error) {
      flow.done(error);
      throw error;
    }
    flow.done();
    const record = await this.#identities.save(provider, signed);
    const key = storeKeys.identity(record.issuer, record.sub);
    // The provider reused an earlier session (auth_time before this sign-in: no form was shown) and it
    // is not the person acting before — after a restart it may be someone else entirely. Hold the
    // identity, but let the person confirm before acting as them.
    const authTime = signed.claims.auth_time;
    const reused = !input.switchUser && typeof authTime === 'number' && authTime < Math.floor(started / 1000) - 2;
    const confirm = reused && before !== key;
    // Signing someone in means acting as them from now on (the header says so; switch any time).
    if (!confirm) await this.#identities.setActingAs(key);
    const previous = confirm && before !== NOBODY ? (await this.#identities.summaries()).find((i) => i.key === before) : undefined;
    await this.#changed();
    return {
      key, issuer: record.issuer, sub: record.sub, ...record.claims, expiresAt: record.idTokenExpiresAt, refreshable: Boolean(record.refreshToken),
      ...(confirm ? { confirm: previous ? { previous: previous.name ?? previous.email ?? previous.sub } : {} } : {}),
    };
  }

  /**
   * How a held RPT is presented (RFC 9449 §7): bound to a DPoP key (its public thumbprint) or Bearer,
   * from the record's meta; a record written before the meta said so is read here (the token never leaves).
   */
  async #rptBinding(m: RecordMeta): Promise<Pick<TokenView, 'scheme' | 'dpopJkt'>> {
    let jkt = m.dpopJkt;
    if (m.tokenType === undefined && jkt === undefined) {
      // A record saved before the meta named its binding: read once per token (the fingerprint
      // changes with it), not decrypted again at every state the faces are sent.
      const id = `${m.key}|${m.fingerprint ?? ''}`;
      if (!this.#legacyJkt.has(id)) {
        const stored = (await this.#o.store.get<{ dpop_jkt?: unknown }>('rpt', m.key))?.value.dpop_jkt;
        if (this.#legacyJkt.size >= 256) this.#legacyJkt.clear();
        this.#legacyJkt.set(id, typeof stored === 'string' ? stored : undefined);
      }
      jkt = this.#legacyJkt.get(id);
    }
    return typeof jkt === 'string' && jkt ? { scheme: 'DPoP', dpopJkt: jkt } : { scheme: 'Bearer' };
  }

  readonly #legacyJkt = new Map<string, string | undefined>();

  /** Revokes the refresh token, ends the provider session (RP-initiated logout in the system browser), forgets the identity. */
  async signOut(key: string): Promise<AppState> {
    const [record] = (await this.#identities.all()).filter((r) => r.key === key);
    if (record) {
      const provider = { issuer: record.issuer, clientId: record.clientId, ...(record.clientSecret ? { clientSecret: record.clientSecret } : {}) };
      const flow = this.#idpFlow(record.issuer, `Sign out of ${record.issuer}`);
      const ctx = { http: this.#engine.http, flowId: flow.flowId, signal: flow.signal };
      if (record.refreshToken) await revokeAtProvider(provider, record.refreshToken, ctx);
      await endSessionAtProvider(provider, record.idToken, { ...ctx, opener: this.#o.opener });
      flow.done();
      await this.#agent.signOut(key).catch(() => 0);
      await this.#identities.remove(key);
    }
    return this.#changed();
  }

  /** Chooses who Tessera acts for: a held identity (`issuer#sub`) or `nobody`. */
  async actAs(party: string): Promise<AppState> {
    if (party !== NOBODY && !splitParty(party)) throw new TesseraError('usage', 'Choose a signed-in person or nobody.', 'Pick someone from the list.');
    await this.#identities.setActingAs(party);
    return this.#changed();
  }

  async forgetToken(kind: 'rpt' | 'pct', key: string): Promise<AppState> {
    const meta = (await this.#o.store.list(kind)).find((m) => m.key === key);
    await this.#agent.forget(kind, key, { revoke: Boolean(meta?.issuer && this.#trusted(meta.issuer)) });
    return this.#changed();
  }

  /** Hands one RPT to the person who explicitly asked for it; nothing else ever returns a raw token. */
  async revealToken(key: string): Promise<{ token: string; fingerprint?: string }> {
    const record = await this.#o.store.get<{ access_token?: string }>('rpt', key);
    const token = record?.value.access_token;
    if (!token) throw new TesseraError('usage', 'No such token (it may have expired or been forgotten).', 'Reload the Tokens screen.');
    return { token, ...(record.meta.fingerprint ? { fingerprint: record.meta.fingerprint } : {}) };
  }

  async cancelFlow(flowId: string): Promise<AppState> {
    this.#controllers.get(flowId)?.abort();
    await this.#approvals.stop(flowId);
    return this.#changed();
  }

  async exportTranscript(input: { flowId?: string | undefined; format: 'json' | 'har' }): Promise<{ filename: string; mime: string; text: string }> {
    const flows = input.flowId ? [this.#flows.get(input.flowId)].filter((f): f is FlowView => f !== undefined) : [...this.#flows.values()];
    if (input.flowId && flows.length === 0) throw new TesseraError('usage', 'No such flow.', 'Pick a flow from the timeline.');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    if (input.format === 'har') return { filename: `tessera-${stamp}.har`, mime: 'application/json', text: JSON.stringify(toHar(flows), null, 2) };
    const redacted = flows.map(({ body: _body, ...f }) => f);
    return { filename: `tessera-${stamp}.json`, mime: 'application/json', text: JSON.stringify({ exportedAt: new Date().toISOString(), note: 'Redacted: tokens appear as fingerprints and decoded JWT claims only.', flows: redacted }, null, 2) };
  }

  /** Stops the watches and checks, waits for the work they started (which reads the vault), saves history: the vault may be closed after. */
  async close(): Promise<void> {
    clearTimeout(this.#serverTimer);
    this.#feeds?.close();
    for (const c of this.#controllers.values()) c.abort();
    this.#checks?.close();
    await this.#approvals?.close();
    // A watch that ended just now may still be sending its state; none starts after this point.
    this.#closing = true;
    while (this.#pending.size) await Promise.all([...this.#pending]);
    this.#saveHistory();
    await this.#history?.flush();
  }
}

/** Headers and body of a built request; a body without a content type is sent as JSON (the demo's records are JSON). */
function requestParts(input: { headers?: Record<string, string> | undefined; body?: string | undefined }): { headers?: Record<string, string>; body?: string } {
  const headers = { ...(input.headers ?? {}) };
  if (input.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  return { ...(Object.keys(headers).length ? { headers } : {}), ...(input.body !== undefined ? { body: input.body } : {}) };
}

/** The transcript step as the UI may see it (already redacted by packages/uma/src/http). */
export function stepView(s: TranscriptStep): StepView {
  return {
    id: s.id, flowId: s.flowId, time: s.time, duration: s.duration, lane: s.lane, kind: s.kind, method: s.method, url: s.url, status: s.status,
    request: { headers: s.request.headers, ...(s.request.body !== undefined ? { body: s.request.body } : {}) },
    ...(s.response ? { response: { headers: s.response.headers, ...(s.response.body !== undefined ? { body: s.response.body } : {}), ...(s.response.bodySize !== undefined ? { bodySize: s.response.bodySize } : {}) } } : {}),
    ...(s.tokens ? { tokens: s.tokens } : {}),
    ...(s.challenge ? { challenge: { scheme: s.challenge.scheme, ...(s.challenge.asUri ? { asUri: s.challenge.asUri } : {}), ...(s.challenge.realm ? { realm: s.challenge.realm } : {}), ...(s.challenge.ticket ? { ticket: s.challenge.ticket } : {}) } } : {}),
    ...(s.dpop ? { dpop: dpopProofView(s.dpop) } : {}),
    ...(s.outcome ? { outcome: s.outcome } : {}),
    ...(s.note ? { note: s.note } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
}

/**
 * A decoded DPoP proof for the renderer: only the members RFC 9449 §4.2 names (and the public JWK's
 * members), as bounded strings and a number; the key thumbprint as the engine computed it.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function dpopProofView(p: NonNullable<TranscriptStep['dpop']>): DpopProofView {
  const str = (v: unknown, max = 512) => (typeof v === 'string' ? { ok: true as const, v: v.slice(0, max) } : { ok: false as const });
  const pick = <K extends string>(from: Record<string, unknown>, keys: readonly K[], max?: number) => {
    const out: Partial<Record<K, string>> = {};
    for (const k of keys) { const r = str(from[k], max); if (r.ok) out[k] = r.v; }
    return out;
  };
  const jwk = p.header.jwk && typeof p.header.jwk === 'object' ? pick(p.header.jwk, ['kty', 'crv', 'x', 'y', 'n', 'e', 'alg', 'kid', 'use'], 1024) : undefined;
  return {
    header: { ...pick(p.header, ['typ', 'alg'], 40), ...(jwk ? { jwk: jwk as Record<string, string> } : {}) },
    claims: { ...pick(p.claims, ['htm', 'htu', 'jti', 'nonce', 'ath'], 2048), ...(typeof p.claims.iat === 'number' && Number.isFinite(p.claims.iat) ? { iat: p.claims.iat } : {}) },
    ...(typeof p.jkt === 'string' ? { jkt: p.jkt.slice(0, 64) } : {}),
  };
}

/**
 * What an RS says about itself, for the renderer: bounded text; a link only for https documentation.
 * @see https://www.rfc-editor.org/rfc/rfc9728#section-2
 */
export function rsMetadataView(m: ResourceMetadata): RsMetadataView {
  const link = m.documentation !== undefined && URL.canParse(m.documentation) && new URL(m.documentation).protocol === 'https:';
  return {
    resource: m.resource.slice(0, 2048),
    ...(m.name ? { name: m.name.slice(0, 200) } : {}),
    ...(m.documentation ? { documentation: m.documentation.slice(0, 2048) } : {}),
    documentationIsLink: link,
    authorizationServers: (m.authorizationServers ?? []).slice(0, 32).map((a) => a.slice(0, 2048)),
  };
}
