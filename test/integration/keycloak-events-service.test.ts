/**
 * "Keycloak's events" through the service (issue #23), against a Keycloak-shaped server on 127.0.0.1
 * (the realm's token endpoint by client credentials, the Admin REST events and events settings): the
 * credential is checked before it is kept (a wrong secret, a client without view-events: refused at
 * the field, nothing saved, the old credential kept), kept in the vault only, read at once and at the
 * next launch, joined by the trusted AS's configured client (any other client's introspection is the
 * RS's), stopped on Remove, untrust and close.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TesseraService } from '../../src/app/service';
import { updateConfig } from '../../src/app/config';
import { eventsCredentialKey } from '../../src/app/keycloak-events';
import { KeycloakFeeds } from '../../src/app/keycloak-feeds';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import type { KeycloakEventsView } from '../../src/app/api';

const SECRET = 'the-right-events-secret';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A Keycloak-shaped realm `kate`: `tessera-events` may view events, `health-records` may sign in but not view them. */
async function fakeKeycloak(options: { eventsEnabled?: boolean } = {}) {
  const events: { id: string; time: number; type: string; clientId: string; userId?: string; details?: Record<string, string> }[] = [];
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(url.pathname);
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/realms/kate/protocol/openid-connect/token') {
      if (req.headers.authorization === basic('tessera-events', SECRET)) return json(200, { access_token: 'viewer-token', expires_in: 300 });
      if (req.headers.authorization === basic('health-records', 'rs-secret')) return json(200, { access_token: 'rs-token', expires_in: 300 });
      return json(401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });
    }
    if (url.pathname.startsWith('/admin/realms/kate/events')) {
      if (req.headers.authorization === 'Bearer rs-token') return json(403, { error: 'unknown_error' });
      if (req.headers.authorization !== 'Bearer viewer-token') return json(401, {});
      if (url.pathname.endsWith('/config')) return json(200, { eventsEnabled: options.eventsEnabled ?? true, enabledEventTypes: ['PERMISSION_TOKEN', 'PERMISSION_TOKEN_ERROR', 'INTROSPECT_TOKEN', 'INTROSPECT_TOKEN_ERROR', 'LOGIN'] });
      const from = Number(url.searchParams.get('dateFrom') ?? 0);
      const first = Number(url.searchParams.get('first'));
      const max = Number(url.searchParams.get('max'));
      return json(200, events.filter((e) => e.time >= from).sort((a, b) => b.time - a.time).slice(first, first + max));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, issuer: `${url}/realms/kate`, events, seen, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function setUp(options: { eventsEnabled?: boolean } = {}) {
  const kc = await fakeKeycloak(options);
  cleanups.push(kc.close);
  const home = await mkdtemp(join(tmpdir(), 'tessera-kc-feeds-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  // Trusted by hand with its own client (as "Add an authorization server" writes it), and a plain AS.
  await updateConfig(home, (config) => {
    config.trust.authorizationServers.push({ issuer: kc.issuer, client: { registration: 'static', clientId: 'my-tessera', authMethod: 'client_secret_basic' } }, { issuer: 'https://as.example' });
  });
  const store = new MemoryStore();
  const start = async () => {
    const service = await TesseraService.create({ home, store, mode: 'browser', opener: async () => {}, keycloakEvents: { intervalMs: 500 } });
    cleanups.push(() => service.close());
    return service;
  };
  return { kc, home, store, start };
}

const eventsOf = async (service: TesseraService, issuer: string): Promise<KeycloakEventsView | undefined> => (await service.getState()).trusted.find((t) => t.issuer === issuer)?.events;
async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("Keycloak's events credential through the service", () => {
  it('is offered only on a trusted Keycloak realm; refusals name the field and save nothing; the right one is kept in the vault only and read at once', async () => {
    const { kc, home, store, start } = await setUp();
    const service = await start();
    expect(await eventsOf(service, kc.issuer)).toEqual({ credential: false, state: 'none' });
    expect(await eventsOf(service, 'https://as.example')).toBeUndefined();
    await expect(service.call('saveKeycloakEvents', { issuer: 'https://as.example', clientId: 'x', clientSecret: 'y' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^issuer: not a Keycloak realm/) });
    await expect(service.call('saveKeycloakEvents', { issuer: 'http://127.0.0.1:1/realms/other', clientId: 'x', clientSecret: 'y' })).rejects.toMatchObject({ code: 'untrusted_as' });
    // Plain http to another machine: the secret is never sent (checked before any request).
    const feeds = new KeycloakFeeds({ store, tesseraClients: async () => [] });
    await expect(feeds.save('http://kc.example/realms/kate', { clientId: 'x', clientSecret: 'y' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^issuer: Use https/) });
    feeds.close();
    // The contract bounds what crosses it.
    await expect(service.call('saveKeycloakEvents', { issuer: 'javascript:alert(1)', clientId: 'x', clientSecret: 'y' })).rejects.toThrow();
    await expect(service.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'x', clientSecret: 's'.repeat(5000) })).rejects.toThrow();

    await expect(service.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'tessera-events', clientSecret: 'wrong' }))
      .rejects.toMatchObject({ code: 'invalid_input', message: 'clientSecret: Keycloak refused the credential: 401 unauthorized_client (a wrong client secret, or no such client)' });
    await expect(service.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'health-records', clientSecret: 'rs-secret' }))
      .rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^clientId: The client lacks view-events \(403\)/) });
    expect(await store.get('settings', eventsCredentialKey(kc.issuer))).toBeUndefined();
    expect(await eventsOf(service, kc.issuer)).toEqual({ credential: false, state: 'none' });

    const state = await service.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'tessera-events', clientSecret: SECRET });
    expect(state.trusted.find((t) => t.issuer === kc.issuer)?.events).toMatchObject({ credential: true, clientId: 'tessera-events', eventsEnabled: true });
    expect(await until('reading', async () => ((await eventsOf(service, kc.issuer))?.state === 'reading' ? true : undefined))).toBe(true);
    expect((await store.get<{ clientSecret: string }>('settings', eventsCredentialKey(kc.issuer)))?.value.clientSecret).toBe(SECRET);
    expect(JSON.stringify(await service.getState())).not.toContain(SECRET);
    expect(await readFile(join(home, 'config.json'), 'utf8')).not.toContain(SECRET);

    // A wrong one later is refused too, and the kept one stays (and is still read).
    await expect(service.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'tessera-events', clientSecret: 'wrong-again' })).rejects.toMatchObject({ code: 'invalid_input' });
    expect((await store.get<{ clientSecret: string }>('settings', eventsCredentialKey(kc.issuer)))?.value.clientSecret).toBe(SECRET);
    expect(await eventsOf(service, kc.issuer)).toMatchObject({ credential: true, clientId: 'tessera-events', state: 'reading' });
  });

  it('says when the realm records no events', async () => {
    const { kc, start } = await setUp({ eventsEnabled: false });
    const service = await start();
    const state = await service.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'tessera-events', clientSecret: SECRET });
    expect(state.trusted.find((t) => t.issuer === kc.issuer)?.events).toMatchObject({ eventsEnabled: false });
  });

  it('starts again at the next launch with the kept credential; Remove forgets it; untrust and close stop the reading', async () => {
    const { kc, store, start } = await setUp();
    const first = await start();
    await first.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'tessera-events', clientSecret: SECRET });
    await first.close();

    const second = await start();
    expect(await until('reading at launch', async () => ((await eventsOf(second, kc.issuer))?.state === 'reading' ? true : undefined))).toBe(true);
    expect(await eventsOf(second, kc.issuer)).toMatchObject({ credential: true, clientId: 'tessera-events' });

    // Untrust: no more reading (the credential stays in the vault, as the client's does); trusted again: read again.
    await second.call('untrustAs', { issuer: kc.issuer });
    // A request already on its way when the feed stopped may still arrive.
    await new Promise((r) => setTimeout(r, 100));
    let polls = kc.seen.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(kc.seen.length).toBe(polls);
    expect(await store.get('settings', eventsCredentialKey(kc.issuer))).toBeDefined();
    await second.call('trustAs', { issuer: kc.issuer });
    expect(await until('reading again', async () => ((await eventsOf(second, kc.issuer))?.state === 'reading' ? true : undefined))).toBe(true);

    const removed = await second.call('removeKeycloakEvents', { issuer: kc.issuer });
    expect(removed.trusted.find((t) => t.issuer === kc.issuer)?.events).toEqual({ credential: false, state: 'none' });
    expect(await store.get('settings', eventsCredentialKey(kc.issuer))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    polls = kc.seen.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(kc.seen.length).toBe(polls);

    await second.call('saveKeycloakEvents', { issuer: kc.issuer, clientId: 'tessera-events', clientSecret: SECRET });
    await until('reading after saving again', async () => ((await eventsOf(second, kc.issuer))?.state === 'reading' ? true : undefined));
    await second.close();
    await new Promise((r) => setTimeout(r, 100));
    polls = kc.seen.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(kc.seen.length).toBe(polls);
  });

  it("joins by the trusted AS's configured client: its grants are the AS's decisions, any other client's introspection is the RS's", async () => {
    const { kc, store } = await setUp();
    const now = Date.now();
    kc.events.push(
      { id: 'a', time: now - 3, type: 'PERMISSION_TOKEN', clientId: 'my-tessera', userId: 'alice', details: { token_id: 'rpt-1' } },
      { id: 'b', time: now - 2, type: 'PERMISSION_TOKEN', clientId: 'someone-else', userId: 'bob' },
      { id: 'c', time: now - 1, type: 'INTROSPECT_TOKEN', clientId: 'some-rs', details: { token_id: 'rpt-1' } },
      { id: 'd', time: now, type: 'INTROSPECT_TOKEN', clientId: 'my-tessera' },
    );
    const feeds = new KeycloakFeeds({ store, tesseraClients: async () => ['my-tessera'], intervalMs: 60_000 });
    cleanups.push(() => feeds.close());
    await feeds.save(kc.issuer, { clientId: 'tessera-events', clientSecret: SECRET });
    const [source] = feeds.sources();
    expect(source?.issuer).toBe(kc.issuer);
    await until('events', async () => ((source?.feed.events.length ?? 0) >= 2 ? true : undefined));
    expect(source?.feed.events.map((e) => [e.side, e.native?.type, e.native?.client])).toEqual([['as', 'PERMISSION_TOKEN', 'my-tessera'], ['rs', 'INTROSPECT_TOKEN', 'some-rs']]);
    expect(feeds.view(kc.issuer)).toMatchObject({ state: 'reading', lastEventAt: new Date(now).toISOString() });
  });
});
