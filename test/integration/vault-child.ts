/**
 * Child process for the vault integration tests: `node --import tsx vault-child.ts <home> <tag> <count>` opens the
 * passphrase vault (TESSERA_PASSPHRASE) and, `count` times, puts a record `<tag>-<i>` and increments a
 * shared counter with update(). Prints "ready" once open so the parent can time a SIGKILL.
 */
import { openVault } from '../../src/vault';

const [home, tag, countArg] = process.argv.slice(2);
const count = Number(countArg);
const vault = await openVault({ home: home!, passphrase: process.env.TESSERA_PASSPHRASE!, backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
process.stdout.write('ready\n');
for (let i = 0; i < count; i++) {
  await vault.put('rpt', `${tag}-${i}`, { access_token: `tok-${tag}-${i}` }, { fingerprint: `${tag}${i}` });
  await vault.update<number>('settings', 'counter', (cur) => ({ value: (cur?.value ?? 0) + 1 }));
}
await vault.close();
process.stdout.write('done\n');
