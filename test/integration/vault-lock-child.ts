/**
 * Child process for the lock race test: `node --import tsx vault-lock-child.ts <lock> <log> <id>`.
 * Reads commands on stdin: `hold` takes the lock and never lets go (the parent SIGKILLs it, leaving a
 * stale lock); `go <round>` takes the lock, appends `E <id> <round>` and `L <id> <round>` to the shared
 * log (O_APPEND) around a short random pause, releases, and prints `done <round>`; `churn` takes and
 * releases the lock in a tight loop until killed (so a SIGKILL lands at any step of acquiring).
 */
import { appendFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { withFileLock } from '../../src/vault/files';

const [lock, log, id] = process.argv.slice(2) as [string, string, string];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, round] = line.trim().split(' ');
  if (cmd === 'hold') {
    void withFileLock(lock, () => {
      process.stdout.write('holding\n');
      return new Promise<never>(() => undefined);
    }, 30_000);
  } else if (cmd === 'churn') {
    process.stdout.write('churning\n');
    for (;;) await withFileLock(lock, async () => undefined, 30_000);
  } else if (cmd === 'go') {
    await withFileLock(lock, async () => {
      await appendFile(log, `E ${id} ${round}\n`, { flag: 'a' });
      await sleep(Math.random() * 3);
      await appendFile(log, `L ${id} ${round}\n`, { flag: 'a' });
    }, 30_000);
    process.stdout.write(`done ${round}\n`);
  }
}
