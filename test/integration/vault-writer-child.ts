/**
 * Writer for the multi-writer kill loop: `node --import tsx vault-writer-child.ts <home> <tag>` opens
 * the passphrase vault and writes forever: record `rpt/<tag>-<i>`, then appends `<tag>-<i>` to the
 * shared list `settings/incs` with update(). Each write is acknowledged on stdout (`rec …`, `inc …`)
 * only after its promise resolved; the parent SIGKILLs it at random.
 */
import { openVault } from '../../src/vault';

const [home, tag] = process.argv.slice(2) as [string, string];
const vault = await openVault({ home, passphrase: process.env.TESSERA_PASSPHRASE!, backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const id = `${tag}-${i}`;
  await vault.put('rpt', id, { access_token: `tok-${id}` }, { fingerprint: id });
  process.stdout.write(`rec ${id}\n`);
  await vault.update<string[]>('settings', 'incs', (cur) => ({ value: [...(cur?.value ?? []), id] }));
  process.stdout.write(`inc ${id}\n`);
}
