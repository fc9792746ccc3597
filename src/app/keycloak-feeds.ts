/**
 * One {@link KeycloakEventsFeed} per trusted Keycloak realm the person gave an events credential for
 * (issue #23, "Both sides of the wire"): the credential is checked at Keycloak before it is kept (a
 * token by client credentials, one page of events), kept in the vault only, and the realm's events
 * are read from then on, at every launch, until the person removes the credential, stops trusting
 * the realm, or Tessera closes. The view the renderer gets says whether a credential is kept, its
 * client id and how reading goes; never the secret.
 *
 * @see https://www.keycloak.org/docs/latest/server_admin/index.html#configuring-auditing-to-track-events
 * @see https://www.keycloak.org/docs-api/latest/rest-api/index.html#_realms_admin
 */
import { HttpClient, TesseraError, type TokenStore } from '@tessera/uma';
import { isSecureOrLoopback } from '@tessera/uma/portable';
import type { KeycloakEventsView } from './api';
import type { ServerEventStream } from './server-events';
import {
  checkEventsCredential, KeycloakEventsFeed, KeycloakEventsRefusal, keycloakRealmOf, loadEventsCredential, removeEventsCredential, saveEventsCredential,
  type EventsCheck, type KeycloakClients, type KeycloakEventsCredential,
} from './keycloak-events';

/** What the composition knows of a realm it set up (the Keycloak demo): more of Tessera's clients, the RS's client and origin. */
export interface KeycloakRealmHint { tessera?: readonly string[]; rs?: readonly string[]; rsOrigin?: string }

export interface KeycloakFeedsOptions {
  store: TokenStore;
  /** Tessera's client ids at a trusted AS (its configured client): their grants are the AS's decisions. */
  tesseraClients: (issuer: string) => Promise<string[]>;
  /** Realms whose events are not read (`TESSERA_KEYCLOAK_EVENTS=off` for the demo's). */
  off?: readonly string[];
  hints?: Readonly<Record<string, KeycloakRealmHint>>;
  /** The HTTP client for Keycloak (default: bounded, no transcript: these requests are no flow's). */
  http?: HttpClient;
  intervalMs?: number;
  log?: (line: string) => void;
  /** Told when what {@link KeycloakFeeds.view} says of a realm changed after a poll (reading, refused, a newer event). */
  onStatus?: () => void;
}

interface Realm { clientId?: string; feed?: KeycloakEventsFeed; check?: EventsCheck }

/** A source of server events for the service: the issuer it covers, the RS origin when known. */
export interface FeedSource { issuer: string; rsOrigin?: string; feed: ServerEventStream }

export class KeycloakFeeds {
  readonly #o: KeycloakFeedsOptions;
  readonly #realms = new Map<string, Realm>();
  readonly #listeners = new Set<() => void>();
  readonly #http: HttpClient;
  #closed = false;

  constructor(options: KeycloakFeedsOptions) {
    this.#o = options;
    this.#http = options.http ?? new HttpClient({ bounds: { timeoutMs: 10_000, maxBodyBytes: 1024 * 1024, maxRedirects: 0 } });
  }

  /** Told when any realm's feed has new events. */
  onEvent(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The feeds running now, as the service's sources of server events. */
  sources(): FeedSource[] {
    const out: FeedSource[] = [];
    for (const [issuer, r] of this.#realms) {
      const rsOrigin = this.#o.hints?.[issuer]?.rsOrigin;
      if (r.feed) out.push({ issuer, ...(rsOrigin ? { rsOrigin } : {}), feed: r.feed });
    }
    return out;
  }

  /** Starts reading the events of each Keycloak issuer given that has a credential in the vault (at launch, or trusted again). */
  async resume(issuers: readonly string[]): Promise<void> {
    for (const issuer of issuers) {
      // Already reading (trusted again while trusted): nothing to restart.
      if (this.#closed || !keycloakRealmOf(issuer) || this.#realms.get(issuer)?.feed) continue;
      const credential = await loadEventsCredential(this.#o.store, issuer);
      if (!credential) { this.#realms.set(issuer, {}); continue; }
      await this.#start(issuer, credential);
    }
  }

  /**
   * Checks the credential at Keycloak, then keeps it and (re)starts the realm's feed. A refusal is a
   * `TesseraError` (`invalid_input`) naming the form's field; the credential kept before stays.
   */
  async save(issuer: string, credential: KeycloakEventsCredential): Promise<void> {
    const where = keycloakRealmOf(issuer);
    if (!where) throw new TesseraError('invalid_input', 'issuer: not a Keycloak realm (its issuer does not end in /realms/NAME)', 'Keycloak\'s events can be read only from a Keycloak realm.');
    // The secret goes only over https (or to this machine).
    if (!isSecureOrLoopback(new URL(where.url))) throw new TesseraError('invalid_input', 'issuer: Use https — plain http only for this machine', 'The client secret would cross the network in the clear.');
    let check: EventsCheck;
    try {
      check = await checkEventsCredential(this.#http, { ...where, credential });
    } catch (error) {
      throw refusalOf(error);
    }
    await saveEventsCredential(this.#o.store, issuer, credential);
    await this.#start(issuer, credential, check);
  }

  /** Forgets the credential (the vault record) and stops reading the realm's events. */
  async remove(issuer: string): Promise<void> {
    this.stop(issuer);
    await removeEventsCredential(this.#o.store, issuer);
    this.#realms.set(issuer, {});
  }

  /** Stops reading the realm's events (it is no longer trusted); the credential stays in the vault. */
  stop(issuer: string): void {
    this.#realms.get(issuer)?.feed?.close();
    this.#realms.delete(issuer);
  }

  close(): void {
    this.#closed = true;
    for (const r of this.#realms.values()) r.feed?.close();
    this.#realms.clear();
    this.#listeners.clear();
  }

  /** What the renderer may know about reading `issuer`'s events (no secret). */
  view(issuer: string): KeycloakEventsView {
    const r = this.#realms.get(issuer);
    const base = { credential: Boolean(r?.clientId), ...(r?.clientId ? { clientId: r.clientId } : {}), ...(r?.check?.eventsEnabled !== undefined ? { eventsEnabled: r.check.eventsEnabled } : {}), ...(r?.check?.missingTypes ? { missingTypes: [...r.check.missingTypes] } : {}) };
    if (this.#o.off?.includes(issuer)) return { ...base, state: 'off' };
    const feed = r?.feed;
    if (!feed) return { ...base, state: 'none' };
    const last = feed.lastEventAt !== undefined ? { lastEventAt: new Date(feed.lastEventAt).toISOString() } : {};
    if (feed.readable === undefined) return { ...base, ...last, state: 'starting' };
    if (feed.readable) return { ...base, ...last, state: 'reading' };
    const p = feed.problem;
    const state = p?.step === 'token' ? 'refused' : p?.status === 403 ? 'forbidden' : 'failing';
    return { ...base, ...last, state, ...(p ? { status: p.status } : {}), ...(p?.error ? { error: p.error } : {}) };
  }

  async #start(issuer: string, credential: KeycloakEventsCredential, check?: EventsCheck): Promise<void> {
    const where = keycloakRealmOf(issuer);
    if (!where || this.#closed || !isSecureOrLoopback(new URL(where.url))) return;
    this.#realms.get(issuer)?.feed?.close();
    if (this.#o.off?.includes(issuer)) { this.#realms.set(issuer, { clientId: credential.clientId }); return; }
    const hint = this.#o.hints?.[issuer];
    const tessera = [...new Set([...(await this.#o.tesseraClients(issuer)), ...(hint?.tessera ?? [])])];
    const clients: KeycloakClients = { tessera, ...(hint?.rs ? { rs: hint.rs } : {}) };
    let said = '';
    const onPoll = () => {
      const now = JSON.stringify(this.view(issuer));
      if (now !== said) { said = now; this.#o.onStatus?.(); }
    };
    const feed = new KeycloakEventsFeed({ ...where, credential, clients, http: this.#http, onPoll, ...(this.#o.intervalMs !== undefined ? { intervalMs: this.#o.intervalMs } : {}), ...(this.#o.log ? { log: this.#o.log } : {}) });
    feed.onEvent(() => { for (const l of this.#listeners) { try { l(); } catch { /* a listener must not stop the feed */ } } });
    this.#realms.set(issuer, { clientId: credential.clientId, feed, ...(check ? { check } : {}) });
  }
}

/** Keycloak's refusal of a credential as the form's words, at the field it is about. */
function refusalOf(error: unknown): TesseraError {
  if (!(error instanceof KeycloakEventsRefusal)) {
    return new TesseraError('invalid_input', `issuer: Keycloak could not be reached to check the credential (${error instanceof Error ? error.message.slice(0, 200) : 'no answer'})`, 'Check that Keycloak is running; nothing was saved.', { cause: error });
  }
  const hint = 'Nothing was saved; the credential kept before (if any) is still used.';
  if (error.step === 'token' && error.status === 401) return new TesseraError('invalid_input', `clientSecret: Keycloak refused the credential: ${error.status}${error.error ? ` ${error.error}` : ''} (a wrong client secret, or no such client)`, hint);
  if (error.step === 'token') return new TesseraError('invalid_input', `clientId: Keycloak refused this client: ${error.status}${error.error ? ` ${error.error}` : ''} (it must be confidential, with service accounts enabled)`, hint);
  if (error.status === 403) return new TesseraError('invalid_input', 'clientId: The client lacks view-events (403): give its service account the realm-management role view-events', hint);
  return new TesseraError('invalid_input', `issuer: Keycloak's events API answered ${error.status}`, hint);
}
