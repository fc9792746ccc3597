/**
 * Keycloak's own side of each exchange, for the "End to end" diagram (issue #23): where the AS is a
 * real Keycloak and the person gave Tessera a credential that may read the realm's events, Tessera
 * polls Keycloak's Admin REST API (`GET /admin/realms/{realm}/events`) and shows what Keycloak says it
 * did, in the same lanes as the demo's event stream (src/demo/events.ts).
 *
 * What Keycloak 26.7.3 records (observed; see README "Keycloak's side"): `PERMISSION_TOKEN` for an RPT
 * issued (client, user, the RPT's `jti` as `details.token_id`), `PERMISSION_TOKEN_ERROR` for a refused
 * UMA grant (`error: access_denied`, `details.reason`: `request_submitted` or `not_authorized`),
 * `INTROSPECT_TOKEN` / `INTROSPECT_TOKEN_ERROR` when the RS introspects (the RS's client, the token's
 * `jti`). Not recorded: the RS's permission requests (protection API), the policy that decided, the
 * owner's approval (neither the protection API's ticket update nor the Account REST API's sharing makes
 * a user or admin event). Token ids are fingerprinted here (the same salted formula as every token) and
 * every other detail is dropped, so nothing token-like leaves this module.
 *
 * The credential (a client of the realm with `realm-management` `view-events`, nothing more) is kept in
 * the vault; its access token lives only in this object's memory, never in a transcript or a log: the
 * requests go through the engine's HTTP client (bounds, https-or-loopback for credentials) without a
 * transcript.
 *
 * @see https://www.keycloak.org/docs-api/latest/rest-api/index.html#_realms_admin
 * @see https://www.keycloak.org/docs/latest/server_admin/index.html#configuring-auditing-to-track-events
 */
import { z } from 'zod';
import { fingerprint, HttpClient, type TokenStore } from '@tessera/uma';
import type { ServerEventView } from './api';
import type { ServerEventStream } from './server-events';

/** Events kept in the core. */
export const KEEP = 2000;
/** Events asked for per page, and pages per poll (newest first: a burst larger than this is cut). */
export const PAGE = 100;
export const MAX_PAGES = 5;
/** Poll interval bounds (ms): the default, the floor and the ceiling of the backoff. */
export const POLL = { defaultMs: 2000, minMs: 500, maxMs: 60_000 } as const;
/** How far back the first poll looks (ms): flows of the last minutes get their server side. */
export const LOOK_BACK_MS = 10 * 60_000;
/** The event types Tessera asks for (the realm must record them: kate-realm.json `enabledEventTypes`). */
export const KEYCLOAK_EVENT_TYPES = ['PERMISSION_TOKEN', 'PERMISSION_TOKEN_ERROR', 'INTROSPECT_TOKEN', 'INTROSPECT_TOKEN_ERROR'] as const;

const short = (max: number) => z.string().max(max);
/** One event of `GET /admin/realms/{realm}/events` (EventRepresentation), the fields Tessera reads. */
export const keycloakEventSchema = z.looseObject({
  id: short(100).optional(),
  time: z.number().int().min(0).max(8.64e15),
  type: short(60),
  clientId: short(255).nullish(),
  userId: short(100).nullish(),
  error: short(200).nullish(),
  details: z.record(short(100), short(4000)).nullish(),
});
export type KeycloakEvent = z.infer<typeof keycloakEventSchema>;
const pageSchema = z.array(z.unknown()).max(PAGE * 2);
const tokenSchema = z.looseObject({ access_token: z.string().min(1).max(16_384), expires_in: z.number().int().min(1).max(86_400 * 365).optional() });

/**
 * Which clients of the realm are Tessera (their grants are the AS's decisions) and which are the RS
 * (its introspections). `rs` absent: every client that is not Tessera's (a realm trusted by hand names
 * no RS; whoever else introspects Tessera's RPT is the resource server it was presented to).
 */
export interface KeycloakClients { tessera: readonly string[]; rs?: readonly string[] | undefined }

/**
 * Keycloak's base URL and realm name from an issuer of Keycloak's shape (`…/realms/NAME`, behind any
 * base path such as the old `/auth`), or undefined for another issuer.
 * @see https://www.keycloak.org/docs/latest/server_admin/index.html#_oidc-endpoints
 */
export function keycloakRealmOf(issuer: string): { url: string; realm: string } | undefined {
  let u: URL;
  try { u = new URL(issuer); } catch { return undefined; }
  const m = /^(.*)\/realms\/([^/]+)\/?$/.exec(u.pathname);
  if (!m) return undefined;
  let realm: string;
  try { realm = decodeURIComponent(m[2] ?? ''); } catch { return undefined; }
  return realm ? { url: `${u.origin}${m[1] ?? ''}`, realm } : undefined;
}

/** A reason is shown only when it is plain words (Keycloak's reasons are codes or short sentences), never something token-like. */
function plainReason(reason: string | undefined): string | undefined {
  if (!reason || reason.length > 200 || !/^[\w .,:'()/-]+$/.test(reason) || /[A-Za-z0-9_-]{32,}/.test(reason)) return undefined;
  return reason;
}

function outcomeOf(error: string | undefined, reason: string | undefined): NonNullable<ServerEventView['outcome']> {
  if (reason === 'request_submitted') return 'request_submitted';
  if (reason === 'need_info') return 'need_info';
  if (error === 'invalid_grant' || error === 'invalid_ticket' || error === 'invalid_rpt') return 'invalid_grant';
  return 'denied';
}

/**
 * One Keycloak event as a server event of the diagram, or undefined when it is none of Tessera's
 * business (another client's, a sign-in, the RS fetching its PAT). Token ids become fingerprints; the
 * other details (refresh-token ids, codes, redirect URIs, IP address) are dropped.
 * @see https://www.keycloak.org/docs/latest/server_admin/index.html#event-types
 */
export function mapKeycloakEvent(event: KeycloakEvent, clients: KeycloakClients): ServerEventView | undefined {
  const client = event.clientId ?? undefined;
  if (!client) return undefined;
  const details = event.details ?? {};
  const tokenId = details.token_id ? fingerprint(details.token_id) : undefined;
  const error = event.error ?? undefined;
  const reason = plainReason(details.reason);
  const native: NonNullable<ServerEventView['native']> = {
    server: 'keycloak', type: event.type, client,
    ...(event.userId ? { user: event.userId } : {}), ...(tokenId ? { tokenId } : {}), ...(error ? { error } : {}), ...(reason ? { reason } : {}),
  };
  const base = { id: `kc:${event.time.toString().padStart(14, '0')}:${(event.id ?? '').slice(0, 40)}`, at: new Date(event.time).toISOString(), tokens: [], native };
  switch (event.type) {
    case 'PERMISSION_TOKEN':
      if (!clients.tessera.includes(client)) return undefined;
      return { ...base, side: 'as', kind: 'decision', outcome: 'granted', status: 200 };
    case 'PERMISSION_TOKEN_ERROR': {
      if (!clients.tessera.includes(client)) return undefined;
      const outcome = outcomeOf(error, details.reason);
      return { ...base, side: 'as', kind: 'decision', outcome, status: outcome === 'invalid_grant' ? 400 : 403 };
    }
    case 'INTROSPECT_TOKEN':
    case 'INTROSPECT_TOKEN_ERROR':
      if (clients.rs ? !clients.rs.includes(client) : clients.tessera.includes(client)) return undefined;
      return { ...base, side: 'rs', kind: 'introspection', active: event.type === 'INTROSPECT_TOKEN', status: 200 };
    default:
      return undefined;
  }
}

/** The admin credential the person gave: a confidential client of the realm allowed to view its events. */
export interface KeycloakEventsCredential { clientId: string; clientSecret: string }

export interface KeycloakEventsOptions {
  /** Keycloak's base URL (`http://127.0.0.1:4404`), the realm's name. */
  url: string;
  realm: string;
  credential: KeycloakEventsCredential;
  clients: KeycloakClients;
  /** The engine's HTTP client to use (default: one without a transcript: these requests are no flow's). */
  http?: HttpClient;
  /** Poll interval (ms), clamped to {@link POLL}; failures back off ×2 up to its ceiling. */
  intervalMs?: number;
  log?: (line: string) => void;
  now?: () => number;
  /** Told after each poll, read or failed (the status the person sees may have changed). */
  onPoll?: () => void;
}

/**
 * Polls Keycloak's events of the realm (bounded: `dateFrom`, `first`/`max`, {@link MAX_PAGES} pages a
 * poll, an interval with backoff) and keeps the last {@link KEEP} mapped events. Same surface as the
 * demo's stream feed, so the service and the diagram do not care which AS they follow.
 */
export class KeycloakEventsFeed implements ServerEventStream {
  readonly kind = 'keycloak' as const;
  readonly #events: ServerEventView[] = [];
  readonly #seen = new Set<string>();
  readonly #listeners = new Set<() => void>();
  readonly #abort = new AbortController();
  readonly #http: HttpClient;
  readonly #interval: number;
  readonly #now: () => number;
  #since: number;
  #token: { value: string; until: number } | undefined;
  #failing = false;
  /** Resolves after each poll (tests wait for it). */
  #polled: (() => void)[] = [];

  constructor(readonly options: KeycloakEventsOptions) {
    this.#http = options.http ?? new HttpClient({ bounds: { timeoutMs: 10_000, maxBodyBytes: 1024 * 1024, maxRedirects: 0 } });
    const asked = options.intervalMs ?? POLL.defaultMs;
    this.#interval = Number.isFinite(asked) ? Math.min(POLL.maxMs, Math.max(POLL.minMs, asked)) : POLL.defaultMs;
    this.#now = options.now ?? Date.now;
    this.#since = this.#now() - LOOK_BACK_MS;
    void this.#loop();
  }

  get events(): readonly ServerEventView[] { return this.#events; }

  /** Whether the last poll read Keycloak's events (undefined before the first one ends). */
  get readable(): boolean | undefined { return this.#readable; }
  #readable: boolean | undefined;

  /** Why the last poll failed (undefined while reading, or before the first poll). */
  get problem(): KeycloakEventsRefusal | undefined { return this.#problem; }
  #problem: KeycloakEventsRefusal | undefined;

  /** The time of the newest event of the asked types Keycloak returned (any client's), epoch ms. */
  get lastEventAt(): number | undefined { return this.#lastEventAt; }
  #lastEventAt: number | undefined;

  /** The poll interval in use (ms), after clamping. */
  get intervalMs(): number { return this.#interval; }

  onEvent(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void { this.#abort.abort(); this.#listeners.clear(); for (const r of this.#polled.splice(0)) r(); }

  /** Resolves once the next poll has finished (or the feed is closed). */
  nextPoll(): Promise<void> {
    return new Promise((resolve) => { if (this.#abort.signal.aborted) resolve(); else this.#polled.push(resolve); });
  }

  async #accessToken(): Promise<string> {
    if (this.#token && this.#token.until > this.#now()) return this.#token.value;
    const token = await eventsToken(this.#http, this.options, this.#abort.signal);
    this.#token = { value: token.value, until: this.#now() + Math.max(5, token.expiresIn - 10) * 1000 };
    return token.value;
  }

  /** One poll: the pages of events since the last one, newest first, until a page is short. */
  async poll(): Promise<number> {
    const token = await this.#accessToken();
    const from = this.#since;
    const found: KeycloakEvent[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      let items: unknown[];
      try {
        items = await eventsPage(this.#http, this.options, token, { dateFrom: from, first: page * PAGE, max: PAGE }, this.#abort.signal);
      } catch (error) {
        if (error instanceof KeycloakEventsRefusal && error.status === 401) this.#token = undefined;
        throw error;
      }
      for (const item of items) {
        const parsed = keycloakEventSchema.safeParse(item);
        if (parsed.success) found.push(parsed.data);
      }
      if (items.length < PAGE) break;
    }
    let added = 0;
    for (const e of found.sort((a, b) => a.time - b.time)) {
      const key = e.id ?? `${e.time}:${e.type}:${e.clientId ?? ''}`;
      if (this.#seen.has(key)) continue;
      this.#seen.add(key);
      // dateFrom is inclusive and several events share a millisecond: ask again from the newest one's time.
      this.#since = Math.max(this.#since, e.time);
      this.#lastEventAt = Math.max(this.#lastEventAt ?? 0, e.time);
      const view = mapKeycloakEvent(e, this.options.clients);
      if (!view) continue;
      this.#events.push(view);
      added++;
    }
    if (this.#seen.size > KEEP * 4) for (const k of [...this.#seen].slice(0, this.#seen.size - KEEP * 2)) this.#seen.delete(k);
    if (this.#events.length > KEEP) this.#events.splice(0, this.#events.length - KEEP);
    if (added > 0) for (const l of this.#listeners) { try { l(); } catch { /* a listener must not stop the feed */ } }
    return added;
  }

  async #loop(): Promise<void> {
    let delay = this.#interval;
    while (!this.#abort.signal.aborted) {
      try {
        await this.poll();
        this.#readable = true;
        this.#problem = undefined;
        if (this.#failing) this.options.log?.('keycloak events: reading again');
        this.#failing = false;
        delay = this.#interval;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        this.#readable = false;
        this.#problem = error instanceof KeycloakEventsRefusal ? error : new KeycloakEventsRefusal('events', 0, undefined, error instanceof Error ? error.message.slice(0, 200) : 'unreadable');
        // The message names a status or a cause, never the credential (the client keeps secrets out of its errors).
        if (!this.#failing) this.options.log?.(`keycloak events: ${error instanceof Error ? error.message : String(error)}; trying again with backoff`);
        this.#failing = true;
        delay = Math.min(POLL.maxMs, delay * 2);
      }
      for (const r of this.#polled.splice(0)) r();
      try { this.options.onPoll?.(); } catch { /* a listener must not stop the feed */ }
      await new Promise((r) => { const t = setTimeout(r, delay); t.unref?.(); this.#abort.signal.addEventListener('abort', () => { clearTimeout(t); r(undefined); }, { once: true }); });
    }
  }
}

/** Where Keycloak refused or failed: `token` (the client credentials grant), `events` or `config` (the Admin REST API); `status` 0 when no answer. */
export class KeycloakEventsRefusal extends Error {
  constructor(readonly step: 'token' | 'events' | 'config', readonly status: number, readonly error: string | undefined, message: string) {
    super(message);
    this.name = 'KeycloakEventsRefusal';
  }
}

type Realm = Pick<KeycloakEventsOptions, 'url' | 'realm'>;
const baseOf = (r: Realm) => r.url.replace(/\/+$/, '');
/** An OAuth error code from a refusal's body, when it is a plain one. */
function oauthError(text: string): string | undefined {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    return typeof e === 'string' && /^[\w.-]{1,60}$/.test(e) ? e : undefined;
  } catch { return undefined; }
}

/**
 * An access token for the events credential: the client credentials grant at the realm's token
 * endpoint (HTTP Basic; the secret is a secret of the request, never in an error or a transcript).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export async function eventsToken(http: HttpClient, o: Realm & { credential: KeycloakEventsCredential }, signal?: AbortSignal): Promise<{ value: string; expiresIn: number }> {
  const { clientId, clientSecret } = o.credential;
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  const result = await http.request(`${baseOf(o)}/realms/${encodeURIComponent(o.realm)}/protocol/openid-connect/token`, {
    method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: 'grant_type=client_credentials', lane: 'as', kind: 'token', flowId: 'keycloak-events', ...(signal ? { signal } : {}), secrets: [clientSecret],
  });
  if (result.status !== 200) {
    const error = oauthError(result.text);
    throw new KeycloakEventsRefusal('token', result.status, error, `Keycloak refused the events credential (${result.status})${error ? ` ${error}` : ''}: check the client id and secret given for its events`);
  }
  const body = tokenSchema.parse(JSON.parse(result.text));
  return { value: body.access_token, expiresIn: body.expires_in ?? 60 };
}

/** One page of the realm's events of {@link KEYCLOAK_EVENT_TYPES} (unvalidated items; the caller validates each). */
export async function eventsPage(http: HttpClient, o: Realm, token: string, page: { dateFrom?: number; first: number; max: number }, signal?: AbortSignal): Promise<unknown[]> {
  const query = new URLSearchParams({ ...(page.dateFrom !== undefined ? { dateFrom: String(page.dateFrom) } : {}), first: String(page.first), max: String(page.max) });
  for (const t of KEYCLOAK_EVENT_TYPES) query.append('type', t);
  const result = await http.request(`${baseOf(o)}/admin/realms/${encodeURIComponent(o.realm)}/events?${query}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, lane: 'as', kind: 'discovery', flowId: 'keycloak-events', ...(signal ? { signal } : {}), secrets: [token],
  });
  if (result.status !== 200) throw new KeycloakEventsRefusal('events', result.status, undefined, `Keycloak's events answered ${result.status}${result.status === 403 ? ' (the credential needs realm-management view-events)' : ''}`);
  return pageSchema.parse(JSON.parse(result.text));
}

const eventsConfigSchema = z.looseObject({ eventsEnabled: z.boolean().optional(), enabledEventTypes: z.array(short(100)).max(500).optional() });
/** What a credential check found: whether the realm records events, and which of Tessera's types it does not record (when it lists them). */
export interface EventsCheck { eventsEnabled?: boolean; missingTypes?: string[] }

/**
 * Checks a credential before it is kept: a token (client credentials), one page of events, and the
 * realm's events settings (`GET …/events/config`, which `view-events` may read; not fatal when it
 * cannot be read). Throws a {@link KeycloakEventsRefusal} when Keycloak refuses.
 * @see https://www.keycloak.org/docs-api/latest/rest-api/index.html#_realms_admin
 */
export async function checkEventsCredential(http: HttpClient, o: Realm & { credential: KeycloakEventsCredential }, signal?: AbortSignal): Promise<EventsCheck> {
  const token = await eventsToken(http, o, signal);
  await eventsPage(http, o, token.value, { first: 0, max: 1 }, signal);
  try {
    const result = await http.request(`${baseOf(o)}/admin/realms/${encodeURIComponent(o.realm)}/events/config`, {
      headers: { authorization: `Bearer ${token.value}`, accept: 'application/json' }, lane: 'as', kind: 'discovery', flowId: 'keycloak-events', ...(signal ? { signal } : {}), secrets: [token.value],
    });
    if (result.status !== 200) return {};
    const parsed = eventsConfigSchema.safeParse(JSON.parse(result.text));
    if (!parsed.success) return {};
    const types = parsed.data.enabledEventTypes;
    // An empty list means every type (Keycloak's default).
    const missing = types && types.length > 0 ? KEYCLOAK_EVENT_TYPES.filter((t) => !types.includes(t)) : [];
    return { ...(parsed.data.eventsEnabled !== undefined ? { eventsEnabled: parsed.data.eventsEnabled } : {}), ...(missing.length ? { missingTypes: missing } : {}) };
  } catch {
    return {};
  }
}

/** The vault record (kind `settings`, encrypted like every credential) of the events credential for one realm. */
export const eventsCredentialKey = (issuer: string) => `keycloak-events ${issuer}`;
const credentialSchema = z.object({ clientId: z.string().min(1).max(255), clientSecret: z.string().min(1).max(4096) });

/** Keeps the credential the person gave for `issuer`'s events in the vault. */
export async function saveEventsCredential(store: TokenStore, issuer: string, credential: KeycloakEventsCredential): Promise<void> {
  await store.put('settings', eventsCredentialKey(issuer), credentialSchema.parse(credential), { label: `Keycloak events credential (${credential.clientId})` });
}

/** Forgets the credential kept for `issuer`'s events. */
export async function removeEventsCredential(store: TokenStore, issuer: string): Promise<void> {
  await store.delete('settings', eventsCredentialKey(issuer));
}

/** The credential kept for `issuer`'s events, or undefined (none given, or the record is not one). */
export async function loadEventsCredential(store: TokenStore, issuer: string): Promise<KeycloakEventsCredential | undefined> {
  const parsed = credentialSchema.safeParse((await store.get('settings', eventsCredentialKey(issuer)))?.value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The credential from the environment (`TESSERA_KEYCLOAK_EVENTS_CLIENT_ID` and
 * `TESSERA_KEYCLOAK_EVENTS_CLIENT_SECRET`), `'off'` when `TESSERA_KEYCLOAK_EVENTS=off`, else undefined.
 */
export function eventsCredentialFromEnv(env: Record<string, string | undefined>): KeycloakEventsCredential | 'off' | undefined {
  if (env.TESSERA_KEYCLOAK_EVENTS?.trim().toLowerCase() === 'off') return 'off';
  const clientId = env.TESSERA_KEYCLOAK_EVENTS_CLIENT_ID?.trim();
  const clientSecret = env.TESSERA_KEYCLOAK_EVENTS_CLIENT_SECRET;
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}
