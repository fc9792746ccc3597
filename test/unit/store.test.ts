import { describe, expect, it } from 'vitest';
import { MemoryStore, storeKeys } from '../../packages/uma/src/kernel/store';

describe('MemoryStore', () => {
  it('round-trips values and keeps secrets out of list()', async () => {
    let t = 1000;
    const store = new MemoryStore({ now: () => t });
    await store.put('rpt', storeKeys.rpt('https://as', 'https://rs', 'nobody'), { access_token: 'SECRET' }, { fingerprint: 'fp1' });
    t = 2000;
    await store.put('rpt', storeKeys.rpt('https://as', 'https://rs', 'nobody'), { access_token: 'SECRET2' }, { fingerprint: 'fp2' });
    const rec = await store.get<{ access_token: string }>('rpt', 'https://as https://rs nobody');
    expect(rec?.value.access_token).toBe('SECRET2');
    expect(rec?.meta).toMatchObject({ kind: 'rpt', createdAt: 1000, updatedAt: 2000, fingerprint: 'fp2' });
    const listed = await store.list();
    expect(JSON.stringify(listed)).not.toContain('SECRET');
    expect(listed).toHaveLength(1);
  });

  it('returns copies, so callers cannot mutate stored state', async () => {
    const store = new MemoryStore();
    const value = { a: 1 };
    await store.put('settings', 'k', value);
    value.a = 2;
    const rec = await store.get<{ a: number }>('settings', 'k');
    rec!.value.a = 3;
    expect((await store.get<{ a: number }>('settings', 'k'))?.value.a).toBe(1);
  });

  it('update() can create, modify and delete', async () => {
    const store = new MemoryStore();
    await store.update<number>('settings', 'n', (cur) => ({ value: (cur?.value ?? 0) + 1 }));
    await store.update<number>('settings', 'n', (cur) => ({ value: (cur?.value ?? 0) + 1 }));
    expect((await store.get<number>('settings', 'n'))?.value).toBe(2);
    await store.update('settings', 'n', () => undefined);
    expect(await store.get('settings', 'n')).toBeUndefined();
    expect(await store.delete('settings', 'n')).toBe(false);
    expect(store.persistent).toBe(false);
  });
});
