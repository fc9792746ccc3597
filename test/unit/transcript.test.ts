import { describe, expect, it } from 'vitest';
import { Transcript, type TranscriptStep } from '../../packages/uma/src/kernel/transcript';

const step = (id: string, flowId: string): TranscriptStep => ({ id, flowId, time: '', duration: 0, lane: 'rs', kind: 'resource', method: 'GET', url: 'http://x/', status: 200, request: { headers: {} } });

describe('Transcript', () => {
  it('indexes steps by flow, notifies listeners and applies annotations', () => {
    const events: string[] = [];
    const t = new Transcript((s, e) => events.push(`${e}:${s.id}`));
    const a = t.add(step('1', 'f1'));
    t.add(step('2', 'f2'));
    t.annotate(a, { outcome: 'challenge' });
    expect(t.flow('f1').map((s) => s.outcome)).toEqual(['challenge']);
    expect(events).toEqual(['added:1', 'added:2', 'updated:1']);
  });

  it('is bounded: the oldest steps are dropped', () => {
    const t = new Transcript(undefined, { maxSteps: 3 });
    for (let i = 0; i < 5; i++) t.add(step(String(i), `f${i % 2}`));
    expect(t.steps.map((s) => s.id)).toEqual(['2', '3', '4']);
    expect(t.flow('f0').map((s) => s.id)).toEqual(['2', '4']);
  });

  it('a throwing listener does not break recording', () => {
    const t = new Transcript(() => {
      throw new Error('boom');
    });
    expect(() => t.add(step('1', 'f'))).not.toThrow();
  });
});
