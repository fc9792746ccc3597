/**
 * The demo's event hub (src/demo/events.ts): fingerprints with the key Tessera hands it, by the same
 * formula as Tessera's transcript (so a chip is the same object on both sides); nothing published
 * before the key, registration at start published once it comes; bounded replay; tokens never leave raw.
 */
import { describe, expect, it } from 'vitest';
import { DemoEvents, KEPT } from '../../src/demo/events';
import { fingerprint, setFingerprintKey } from '../../packages/uma/src/kernel/redact';

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
});
