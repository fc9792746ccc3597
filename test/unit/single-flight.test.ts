/**
 * SingleFlight: one grant at a time per (AS, RS origin, party) key, so a second fetch sees the RPT
 * the first one got instead of spending a second ticket; other keys never wait.
 */
import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../packages/uma/src/uma/single-flight';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('SingleFlight', () => {
  it('runs calls for one key one after another, each seeing what the earlier one left', async () => {
    const flights = new SingleFlight();
    const log: string[] = [];
    let held: string | undefined;
    const grant = (name: string) => flights.run('as|rs|alice', async () => {
      log.push(`start ${name} (held ${held ?? 'none'})`);
      await tick();
      held ??= `rpt-from-${name}`;
      log.push(`end ${name}`);
      return held;
    });
    const results = await Promise.all([grant('a'), grant('b'), grant('c')]);
    expect(log).toEqual(['start a (held none)', 'end a', 'start b (held rpt-from-a)', 'end b', 'start c (held rpt-from-a)', 'end c']);
    expect(results).toEqual(['rpt-from-a', 'rpt-from-a', 'rpt-from-a']);
  });

  it('runs different keys (another party) at the same time', async () => {
    const flights = new SingleFlight();
    let running = 0;
    let most = 0;
    const work = (key: string) => flights.run(key, async () => {
      most = Math.max(most, ++running);
      await tick();
      running--;
    });
    await Promise.all([work('as|rs|alice'), work('as|rs|bob'), work('as|rs|nobody')]);
    expect(most).toBe(3);
  });

  it('a failing call passes its error to its caller and releases the next one', async () => {
    const flights = new SingleFlight();
    const first = flights.run('k', async () => {
      await tick();
      throw new Error('token endpoint down');
    });
    const second = flights.run('k', async () => 'second ran');
    await expect(first).rejects.toThrow('token endpoint down');
    await expect(second).resolves.toBe('second ran');
    // Settled: a new call starts at once.
    let started = false;
    const third = flights.run('k', async () => void (started = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toBe(true);
    await third;
  });
});
