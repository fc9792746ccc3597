/**
 * Joining the servers' events to a flow (src/app/server-events.ts): by the tickets and RPTs both sides
 * saw, never by a PAT or PCT every flow shares, an RS event only for the flow's own resource, within
 * the flow's time, and Kate's approval through the pending request the AS's decision named.
 */
import { describe, expect, it } from 'vitest';
import type { ServerEventView } from '../../src/app/api';
import { correlate } from '../../src/app/server-events';
import { bloodTestFlow, bloodTestServerEvents } from '../fixtures/blood-test-flow';

const flow = bloodTestFlow();
const events = bloodTestServerEvents();
const later = (e: ServerEventView, patch: Partial<ServerEventView>): ServerEventView => ({ ...e, ...patch });

describe('correlate', () => {
  it("takes the flow's own events in time order, its resource's registration first", () => {
    expect(correlate(flow, events).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('ignores what only shares a PAT or a PCT, another resource introspecting the same RPT, and events outside the flow', () => {
    const introspection = events.find((e) => e.kind === 'introspection')!;
    const granted = events.find((e) => e.outcome === 'granted')!;
    const others: ServerEventView[] = [
      later(introspection, { id: 'rs:x1', resource: { id: 'r2', name: 'care-notes', url: 'http://127.0.0.1:4403/patients/kate/care-notes' } }),
      later(granted, { id: 'as:x2', tokens: [{ role: 'ticket', fingerprint: 'fp:OTHERtick' }, { role: 'pct', fingerprint: 'fp:PCTaaaaaa1' }] }),
      later(events[1]!, { id: 'rs:x3', tokens: [{ role: 'pat', fingerprint: 'fp:PATaaaaaa1' }, { role: 'ticket', fingerprint: 'fp:OTHERtic2' }] }),
      later(introspection, { id: 'rs:x4', at: new Date(Date.parse(flow.steps.at(-1)!.time) + 60_000).toISOString() }),
    ];
    expect(correlate(flow, [...events, ...others]).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it("joins Kate's approval through the pending request the decision named", () => {
    const pending: ServerEventView = later(events.find((e) => e.outcome === 'need_info')!, { id: 'as:p1', outcome: 'request_submitted', request: 'fp:REQUEST01' });
    const approval: ServerEventView = { id: 'as:p2', at: pending.at, side: 'owner', kind: 'approval', decision: 'approved', request: 'fp:REQUEST01', tokens: [] };
    const stranger: ServerEventView = { ...approval, id: 'as:p3', request: 'fp:REQUEST02' };
    const ids = correlate(flow, [...events, pending, approval, stranger]).map((e) => e.id);
    expect(ids).toContain('as:p2');
    expect(ids).not.toContain('as:p3');
  });

  it("leaves out another flow's grant that upgrades this flow's RPT, and the pending request and approval that grant followed, even in the same moment", () => {
    const granted = events.find((e) => e.outcome === 'granted')!;
    // Alice opens her care notes while holding the blood test's RPT: the AS upgrades it (UMA Grant §3.3.1, `rpt`).
    const otherResource = { id: 'r9', name: 'care-notes' };
    const pending: ServerEventView = later(granted, { id: 'as:o1', outcome: 'request_submitted', status: 403, resource: otherResource, request: 'fp:REQUESTcn', tokens: [{ role: 'ticket', fingerprint: 'fp:TICKETcn1' }, { role: 'new_ticket', fingerprint: 'fp:TICKETcn2' }] });
    const approval: ServerEventView = { id: 'as:o2', at: granted.at, side: 'owner', kind: 'approval', decision: 'approved', request: 'fp:REQUESTcn', tokens: [] };
    const upgrade: ServerEventView = later(granted, { id: 'as:o3', resource: otherResource, request: 'fp:REQUESTcn', tokens: [{ role: 'ticket', fingerprint: 'fp:TICKETcn2' }, { role: 'rpt', fingerprint: 'fp:RPTbbbbbb2' }, { role: 'old_rpt', fingerprint: 'fp:RPTaaaaaa1' }] });
    expect(correlate(flow, [...events, pending, approval, upgrade]).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });
});
