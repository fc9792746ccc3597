/**
 * The demo servers' side of each exchange, published for Tessera's "End to end" diagram (issue #23):
 * the RS registering resources, asking the AS for a permission ticket with its PAT and introspecting
 * RPTs (and its cache hits); the AS's policy decision (which of Kate's rules matched, on which claims);
 * Kate deciding a pending request in her dashboard.
 *
 * A real interface, not a back door: `GET /.tessera/events` on the AS and on the RS, a Server-Sent
 * Events stream of that server's own events, answered only to a loopback peer presenting the secret the
 * demo made at start (`Authorization: Bearer …`), at most {@link MAX_SUBSCRIBERS} streams, the last
 * {@link KEPT} events replayed to a new subscriber. No token value is ever in an event: tokens appear as
 * salted fingerprints made with the key Tessera hands over ({@link DemoEvents.useFingerprintKey}), the
 * same formula as Tessera's own (packages/uma/src/kernel/redact.ts), so a ticket or RPT chip is recognisably the same
 * object on both sides. Until a key is given, no event is published at all.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-federated-authz-2.0.html
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearer, HttpError, safeEqual } from './http/util';
import { isLoopbackHost } from '@tessera/uma/portable';
import type { ServerEvent } from './event-schema';

export type { RuleFact, ServerEvent } from './event-schema';

export const EVENTS_PATH = '/.tessera/events';
/** Events kept per server and replayed to a new subscriber. */
export const KEPT = 500;
export const MAX_SUBSCRIBERS = 4;

type Side = 'as' | 'rs';

/** One hub for the demo's AS and RS (one process); each server streams its own side. */
export class DemoEvents {
  /** The secret a subscriber presents; handed to Tessera in the demo's config. */
  readonly secret = randomBytes(32).toString('base64url');
  #key: Buffer | undefined;
  readonly #kept: Record<Side, ServerEvent[]> = { as: [], rs: [] };
  readonly #next: Record<Side, number> = { as: 1, rs: 1 };
  readonly #subscribers = new Set<{ side: Side; res: ServerResponse }>();

  /** Tessera's fingerprint key (src/app/fingerprint-key.ts); events are published only once it is known. */
  useFingerprintKey(key: Uint8Array): void {
    this.#key = Buffer.from(key);
    for (const [side, event] of this.#early.splice(0)) this.publish(side, event);
  }

  /** What happened before the key came (resource registration at start), published when it comes. */
  readonly #early: [Side, Parameters<DemoEvents['publish']>[1]][] = [];

  get enabled(): boolean {
    return this.#key !== undefined;
  }

  /** `fp:` + 10 base64url chars of HMAC-SHA-256 with the key: the formula of packages/uma/src/kernel/redact.ts. */
  fingerprint(secret: string): string {
    if (!this.#key) return 'fp:unknown';
    return `fp:${createHmac('sha256', this.#key).update(secret).digest('base64url').slice(0, 10)}`;
  }

  /** Publishes an event of `side` (`owner` events are the AS's). `tokens` are raw here and fingerprinted before anything leaves. */
  publish(side: Side, event: Omit<ServerEvent, 'id' | 'at' | 'tokens'> & { at?: string; tokens?: { role: ServerEvent['tokens'][number]['role']; token: string }[] }): void {
    if (!this.#key) {
      if (this.#early.length < 50) this.#early.push([side, { ...event, at: new Date().toISOString() }]);
      return;
    }
    const { tokens = [], at, ...rest } = event;
    const full: ServerEvent = { ...rest, ...(rest.request ? { request: this.fingerprint(rest.request) } : {}), id: this.#next[side]++, at: at ?? new Date().toISOString(), tokens: tokens.map((t) => ({ role: t.role, fingerprint: this.fingerprint(t.token) })) };
    const kept = this.#kept[side];
    kept.push(full);
    if (kept.length > KEPT) kept.splice(0, kept.length - KEPT);
    const line = `id: ${full.id}\ndata: ${JSON.stringify(full)}\n\n`;
    for (const s of this.#subscribers) if (s.side === side) s.res.write(line);
  }

  /** The `GET /.tessera/events` handler of one server. */
  handle(side: Side, req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') throw new HttpError(405, 'invalid_request', 'use GET');
    // Loopback peers only, whatever the server listens on.
    if (!isLoopbackHost(req.socket.remoteAddress ?? '') && !/^::ffff:127\./.test(req.socket.remoteAddress ?? '')) throw new HttpError(403, 'access_denied', 'events are for loopback clients only');
    const presented = bearer(req);
    if (!presented || !safeEqual(presented, this.secret)) throw new HttpError(401, 'invalid_token', 'present the demo\'s events secret as a bearer token');
    if (!this.#key) throw new HttpError(409, 'not_ready', 'no fingerprint key yet: the events start once Tessera hands over its key');
    if (this.#subscribers.size >= MAX_SUBSCRIBERS) throw new HttpError(429, 'too_many_subscribers', `at most ${MAX_SUBSCRIBERS} event streams`);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    const subscriber = { side, res };
    this.#subscribers.add(subscriber);
    const last = Number(req.headers['last-event-id'] ?? 0);
    for (const e of this.#kept[side]) if (e.id > last) res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
    res.write(': ready\n\n');
    const drop = () => this.#subscribers.delete(subscriber);
    req.on('close', drop);
    res.on('close', drop);
  }

  /** Ends every stream (the servers are closing). */
  close(): void {
    for (const s of this.#subscribers) s.res.end();
    this.#subscribers.clear();
  }
}
