/**
 * The servers' side of a flow (issue #23): Tessera's core subscribes to the demo AS's and RS's event
 * streams (src/demo/events.ts) when they are the configured demo, validates every event at this trust
 * boundary, keeps the last {@link KEEP}, and correlates them with a flow's exchanges by the fingerprints
 * both sides share (the ticket the RS got is the ticket in the client's challenge; the RPT the RS
 * introspected is the RPT the client sent) and, for Kate's approval, by the pending request the AS's
 * decision named. Events carry fingerprints only, never a token.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-federated-authz-2.0.html
 */
import type { FlowView, ServerEventView } from './api';
import { fingerprint } from '@tessera/uma';
import { isLoopbackUrl } from '@tessera/uma/portable';
import { serverEventSchema } from '../demo/event-schema';

/** Events kept in the core (both servers together). */
export const KEEP = 2000;
/** A longer SSE line is not an event of the demo's: the stream is dropped. */
const MAX_LINE = 64 * 1024;

/** An event as the stream sends it (one definition, the demo's: src/demo/event-schema.ts), validated here. */
export { serverEventSchema };

export interface ServerEventSource { as: string; rs: string; secret: string }

/**
 * What the service follows for an AS's side: the demo's two streams ({@link ServerEventsFeed}) or
 * Keycloak's admin events (src/app/keycloak-events.ts). Events are validated views, fingerprints only.
 */
export interface ServerEventStream {
  readonly kind: 'demo' | 'keycloak';
  readonly events: readonly ServerEventView[];
  onEvent(listener: () => void): () => void;
  close(): void;
  /** False while the source cannot be read (e.g. Keycloak refuses the credential): the diagram then says it cannot see the server side. */
  readonly readable?: boolean;
}

/** Every fingerprint a flow's steps mention (headers, bodies, tokens, challenge), as the transcript wrote them. */
function fingerprintsOf(flow: FlowView): Set<string> {
  const found = new Set<string>();
  for (const s of flow.steps) {
    for (const m of JSON.stringify([s.request, s.response, s.tokens, s.challenge]).matchAll(/fp:[A-Za-z0-9_-]{6,40}/g)) found.add(m[0]);
  }
  return found;
}

/**
 * Which token joins each kind of event to a flow: the one that names one exchange of it. An AS decision
 * consumed the ticket the client presented (UMA Grant §3.3.1), so it joins by that ticket alone, never by
 * the RPT it upgraded (`old_rpt`): that RPT was issued in an earlier flow, which the upgrade is not part of.
 * The RS's permission request made the ticket (Federated Authorization §4.2); its introspection names the
 * RPT the client presented (§5.1.1); the owner's approval joins through the request a decision named.
 */
const JOINS: Record<ServerEventView['kind'], ReadonlySet<string>> = {
  registration: new Set(),
  permission: new Set(['ticket']),
  decision: new Set(['ticket']),
  introspection: new Set(['rpt']),
  approval: new Set(),
};

/**
 * The server events that belong to `flow`, in time order: those that share a token fingerprint with its
 * exchanges, or (Kate's approval) name a pending request one of those named, within the flow's time;
 * and the RS's registration of the flow's resource, once, first.
 */
export function correlate(flow: FlowView, events: readonly ServerEventView[]): ServerEventView[] {
  if (events.some((e) => e.native)) return correlateNative(flow, events);
  const refs = fingerprintsOf(flow);
  if (refs.size === 0) return [];
  const url = flow.url.replace(/\/+$/, '');
  // Same machine, same clock: the servers act only after the flow's first request went out.
  const start = Date.parse(flow.startedAt);
  const last = flow.steps.at(-1);
  const end = flow.running || flow.pending ? Infinity : last ? Date.parse(last.time) + last.duration + 2000 : start;
  const picked: ServerEventView[] = [];
  const inWindow = events.filter((e) => { const t = Date.parse(e.at); return t >= start && t <= end; });
  // Two passes: a decision joins by its ticket and adds its pending request; an approval joins by that request.
  for (let pass = 0; pass < 2; pass++) {
    for (const e of inWindow) {
      if (picked.includes(e)) continue;
      // An RPT is presented to every record it may cover: an RS event is this flow's only for its resource.
      if (e.resource?.url !== undefined && e.resource.url.replace(/\/+$/, '') !== url) continue;
      // Tickets and RPTs name one exchange; a PAT or PCT is shared by every flow, so it joins nothing.
      const joins = e.tokens.some((t) => JOINS[e.kind].has(t.role) && refs.has(t.fingerprint)) || (e.kind === 'approval' && e.request !== undefined && refs.has(e.request));
      if (!joins) continue;
      picked.push(e);
      if (e.request) refs.add(e.request);
      // A new ticket the AS gave carries the chain on (e.g. the poll after Kate's approval).
      for (const t of e.tokens) if (t.role === 'new_ticket') refs.add(t.fingerprint);
    }
  }
  const registration = [...events].reverse().find((e) => e.kind === 'registration' && e.resource?.url?.replace(/\/+$/, '') === url);
  picked.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id.localeCompare(b.id));
  return registration ? [registration, ...picked] : picked;
}

/** A step's time span, with slack for the two clocks' rounding (same machine). */
const SLACK_MS = 500;
const within = (t: number, s: FlowView['steps'][number]) => { const from = Date.parse(s.time); return t >= from - SLACK_MS && t <= from + s.duration + SLACK_MS; };

/**
 * A real AS's own events (Keycloak's): they carry no ticket and no token value, so they join a flow by
 * time and by who: an AS decision happened during one of the flow's token requests to the AS and names
 * the flow's requesting party (Keycloak's `userId` is the party's `sub`); an RS introspection happened
 * during one of the flow's calls to the RS. Where the event names a token id (the RPT's `jti`, as a
 * fingerprint), it must be the `jti` of a token the flow saw, when the flow saw any.
 */
function correlateNative(flow: FlowView, events: readonly ServerEventView[]): ServerEventView[] {
  const sub = flow.party?.includes('#') ? flow.party.slice(flow.party.lastIndexOf('#') + 1) : undefined;
  const ids = new Set<string>();
  for (const s of flow.steps) for (const t of s.tokens ?? []) if (typeof t.jwt?.claims.jti === 'string') ids.add(fingerprint(t.jwt.claims.jti));
  const asSteps = flow.steps.filter((s) => s.lane === 'as' && s.kind === 'token');
  const rsSteps = flow.steps.filter((s) => s.lane === 'rs' && s.kind === 'resource');
  const picked = events.filter((e) => {
    if (!e.native) return false;
    const t = Date.parse(e.at);
    if (e.native.user && sub && e.native.user !== sub) return false;
    if (e.native.tokenId && ids.size > 0 && !ids.has(e.native.tokenId)) return false;
    return (e.side === 'rs' ? rsSteps : asSteps).some((s) => within(t, s));
  });
  return picked.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.id.localeCompare(b.id));
}

/**
 * Subscribes to the demo's two event streams (loopback only, with its secret) and keeps the last
 * {@link KEEP} events. `onEvent` is told of each new one (the service re-sends the flows it touches).
 * Reconnects with backoff (1 s, doubling to 30 s) until closed.
 */
export class ServerEventsFeed implements ServerEventStream {
  readonly kind = 'demo' as const;
  readonly #events: ServerEventView[] = [];
  readonly #abort = new AbortController();
  readonly #listeners = new Set<() => void>();

  constructor(readonly source: ServerEventSource, private readonly log: (line: string) => void = () => {}) {
    for (const [side, url] of [['as', source.as], ['rs', source.rs]] as const) {
      if (!isLoopbackUrl(url)) throw new Error(`the demo's ${side} event stream must be on this machine: ${url}`);
      void this.#follow(side, url);
    }
  }

  get events(): readonly ServerEventView[] { return this.#events; }

  onEvent(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void { this.#abort.abort(); this.#listeners.clear(); }

  #add(side: 'as' | 'rs', data: string): void {
    let parsed;
    try { parsed = serverEventSchema.safeParse(JSON.parse(data)); } catch { return; }
    if (!parsed.success) { this.log(`server events: an event of the ${side} did not validate (${parsed.error.issues[0]?.message ?? 'invalid'})`); return; }
    const { id, ...rest } = parsed.data;
    const view: ServerEventView = { ...rest, id: `${side}:${String(id).padStart(8, '0')}` };
    if (this.#events.some((e) => e.id === view.id)) return;
    this.#events.push(view);
    if (this.#events.length > KEEP) this.#events.splice(0, this.#events.length - KEEP);
    for (const l of this.#listeners) { try { l(); } catch { /* a listener must not stop the feed */ } }
  }

  async #follow(side: 'as' | 'rs', url: string): Promise<void> {
    let delay = 1000;
    let lastId = 0;
    while (!this.#abort.signal.aborted) {
      try {
        // Global fetch, not packages/uma/src/http: a long-lived loopback stream has no body bound or timeout to apply,
        // and its bytes are not a transcript (they hold no token).
        const response = await fetch(url, { headers: { authorization: `Bearer ${this.source.secret}`, accept: 'text/event-stream', ...(lastId ? { 'last-event-id': String(lastId) } : {}) }, signal: this.#abort.signal });
        if (!response.ok || !response.body) throw new Error(`answered ${response.status}`);
        delay = 1000;
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            const idLine = block.split('\n').find((l) => l.startsWith('id: '));
            if (idLine) lastId = Number(idLine.slice(4)) || lastId;
            if (data) this.#add(side, data);
          }
          if (buffer.length > MAX_LINE) throw new Error('an event longer than 64 KB');
        }
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        this.log(`server events: the ${side} stream stopped (${error instanceof Error ? error.message : String(error)}); again in ${delay / 1000} s`);
      }
      await new Promise((r) => { const t = setTimeout(r, delay); this.#abort.signal.addEventListener('abort', () => { clearTimeout(t); r(undefined); }, { once: true }); });
      delay = Math.min(30_000, delay * 2);
    }
  }
}
