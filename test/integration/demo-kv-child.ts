/**
 * Child process for demo-kv.test.ts: `node --import tsx demo-kv-child.ts <dir> <count> <mode>` opens
 * the demo's LMDB store and, `count` times, claims one of the shared "approvals" (`update`: approved →
 * used) and increments a shared counter. Prints how many approvals it won.
 */
import { KEEP } from '../../src/demo/store/kv';
import { LmdbKv } from '../../src/demo/store/lmdb-kv';

const [dir, countArg] = process.argv.slice(2);
const count = Number(countArg);
const kv = new LmdbKv(dir!);
let won = 0;
for (let i = 0; i < count; i++) {
  const claims = await Promise.all(Array.from({ length: 4 }, () => kv.update<{ status: string }>(`approval:${i}`, (r) => (r?.status === 'approved' ? { status: 'used' } : KEEP))));
  won += claims.filter(Boolean).length;
  await kv.update<number>('counter', (n) => (n ?? 0) + 1);
}
await kv.close();
process.stdout.write(`${won}\n`);
