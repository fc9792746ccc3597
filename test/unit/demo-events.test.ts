/**
 * The demo's event hub (src/demo/events.ts): fingerprints with the key Tessera hands it, by the same
 * formula as Tessera's transcript (so a chip is the same object on both sides); nothing published
 * before the key, registration at start published once it comes; bounded replay; tokens never leave raw.
 */
import { describe, expect, it } from 'vitest';
import { DemoEvents, KEPT } from '../../src/demo/events';
import { fingerprint, setFingerprintKey } from '../../packages/uma/src/kernel/redact';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverEventSchema as demoSchema, serverEventFields } from '../../src/demo/event-schema';
import { serverEventSchema as appSchema } from '../../src/app/server-events';
import { flowSchema } from '../../src/app/trace-import';

describe('demo events', () => {
  it('fingerprints a token exactly as Tessera does under the same key', () => {
    const key = Buffer.alloc(32, 7);
    setFingerprintKey(key);
    const hub = new DemoEvents();
    hub.useFingerprintKey(key);
    for (const token of ['a-ticket', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln', 'x'.repeat(5000)]) expect(hub.fingerprint(token)).toBe(fingerprint(token));
  });

  it('holds events back until the key comes, then publishes them fingerprinted; keeps the last KEPT', () => {
    const hub = new DemoEvents();
    const written: string[] = [];
    hub.publish('rs', { kind: 'registration', side: 'rs', resource: { id: 'r1', name: 'prescriptions' }, tokens: [{ role: 'pat', token: 'raw-pat-value' }] });
    hub.useFingerprintKey(Buffer.alloc(32, 1));
    for (let i = 0; i < KEPT + 10; i++) hub.publish('as', { kind: 'decision', side: 'as', outcome: 'denied', tokens: [{ role: 'ticket', token: `raw-ticket-${i}` }] });
    // A subscriber gets the kept events of its side.
    const res = { writeHead: () => res, write: (s: string) => { written.push(s); return true; }, on: () => res, end: () => {} };
    const req = { method: 'GET', socket: { remoteAddress: '127.0.0.1' }, headers: { authorization: `Bearer ${hub.secret}` }, on: () => req };
    hub.handle('rs', req as never, res as never);
    hub.handle('as', req as never, res as never);
    const all = written.join('');
    expect(all).toContain('"kind":"registration"');
    expect(all).not.toContain('raw-');
    expect(written.filter((w) => w.includes('"kind":"decision"'))).toHaveLength(KEPT);
  });

  it('refuses a peer that is not on this machine, and one without the secret', () => {
    const hub = new DemoEvents();
    hub.useFingerprintKey(Buffer.alloc(32, 1));
    const res = { writeHead: () => res, write: () => true, on: () => res, end: () => {} };
    expect(() => hub.handle('as', { method: 'GET', socket: { remoteAddress: '192.168.1.9' }, headers: { authorization: `Bearer ${hub.secret}` }, on: () => undefined } as never, res as never)).toThrow(/loopback/);
    expect(() => hub.handle('as', { method: 'GET', socket: { remoteAddress: '127.0.0.1' }, headers: {}, on: () => undefined } as never, res as never)).toThrow(/secret/);
  });

  it('one definition of the event: what the demo publishes of every kind is what the app validates, on the stream and in a trace', () => {
    // The app's schema at the trust boundary and a trace's are the demo's own, not copies that can drift.
    expect(appSchema).toBe(demoSchema);
    expect(flowSchema.shape.server.unwrap().shape.events.element.shape.at).toBe(serverEventFields.shape.at);
    const hub = new DemoEvents();
    hub.useFingerprintKey(Buffer.alloc(32, 3));
    const resource = { id: 'r1', name: 'care-notes', url: 'http://127.0.0.1:1/records/care-notes' };
    const rule = { id: 'rule-1', claim: 'email' as const, value: 'alice@example.org', issuer: 'http://127.0.0.1:2', scopes: ['read'], terms: false, approval: true, matched: true, saw: 'alice@example.org' };
    hub.publish('rs', { kind: 'registration', side: 'rs', resource, scopes: ['read', 'write'], tokens: [{ role: 'pat', token: 'a-pat' }] });
    hub.publish('rs', { kind: 'permission', side: 'rs', resource, scopes: ['read'], status: 201, tokens: [{ role: 'pat', token: 'a-pat' }, { role: 'ticket', token: 'a-ticket' }] });
    hub.publish('rs', { kind: 'introspection', side: 'rs', resource, scopes: ['read'], cached: false, active: true, tokens: [{ role: 'rpt', token: 'an-rpt' }] });
    hub.publish('as', { kind: 'decision', side: 'as', outcome: 'request_submitted', status: 403, rules: [rule], claims: { source: 'id_token', issuer: rule.issuer, values: { email: rule.value } }, requester: 'Dr. Alice Moreau', request: 'request-1', tokens: [{ role: 'ticket', token: 'a-ticket' }, { role: 'new_ticket', token: 'another' }, { role: 'pct', token: 'a-pct' }] });
    hub.publish('as', { kind: 'approval', side: 'owner', decision: 'approved', requester: 'Dr. Alice Moreau', request: 'request-1', resource: { id: 'r1', name: 'care-notes' }, scopes: ['read'], rules: [] });
    const written: string[] = [];
    const res = { writeHead: () => res, write: (line: string) => { written.push(line); return true; }, on: () => res, end: () => {} };
    const req = { method: 'GET', socket: { remoteAddress: '127.0.0.1' }, headers: { authorization: `Bearer ${hub.secret}` }, on: () => req };
    hub.handle('rs', req as never, res as never);
    hub.handle('as', req as never, res as never);
    const data = written.flatMap((w) => w.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as unknown));
    expect(data).toHaveLength(5);
    for (const event of data) expect(appSchema.safeParse(event).error?.issues).toBeUndefined();
  });

  it('no second hand-written copy of the event shape in the sources', () => {
    const root = join(import.meta.dirname, '..', '..');
    const files = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []);
    const copies = [...files('src'), ...files('renderer')].filter((f) => /\binterface\s+(ServerEvent|ServerEventView|RuleFact)\b|\btype\s+(ServerEvent|ServerEventView|RuleFact)\s*=\s*\{/.test(readFileSync(join(root, f), 'utf8')));
    expect(copies).toEqual([]);
  });
});
