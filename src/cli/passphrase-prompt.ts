/**
 * Interactive vault passphrase prompt for the CLI: only on a TTY, input not echoed, on stderr so
 * stdout stays machine-readable.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export function ttyPassphrasePrompt(label = 'Tessera vault passphrase: '): (() => Promise<string>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return () =>
    new Promise((resolve, reject) => {
      let muted = false;
      const output = new Writable({
        write(chunk: Buffer, _enc, cb) {
          if (!muted) process.stderr.write(chunk);
          cb();
        },
      });
      const rl = createInterface({ input: process.stdin, output, terminal: true });
      process.stderr.write(label);
      muted = true;
      rl.question('', (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
      rl.on('SIGINT', () => {
        rl.close();
        reject(new Error('passphrase prompt cancelled'));
      });
    });
}
