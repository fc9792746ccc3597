/** `tessera whoami`: the identities held (issuer, subject, email, expiry) — never a token. */
import { parseArgs } from 'node:util';
import { tesseraHome } from '../../app/config';
import { TesseraError } from '../../kernel/errors';
import { Identities } from '../../identity/identities';
import { EXIT, type CliCommand } from '../command';
import { openCliStore } from '../store';

const command: CliCommand = {
  summary: 'list the identities you are signed in with',
  usage: 'usage: tessera whoami [--json]',
  async run(argv, io) {
    let values;
    try { ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } })); } catch (error) { throw new TesseraError('usage', (error as Error).message, 'usage: tessera whoami [--json]'); }
    const opened = await openCliStore(io.env, tesseraHome(io.env));
    if (opened.warning && !values.json) io.stderr(`${opened.warning}\n`);
    try {
      const list = await new Identities(opened.store).summaries();
      const now = Date.now();
      if (values.json) io.stdout(`${JSON.stringify(list.map((i) => ({ ...i, expiresAt: new Date(i.expiresAt).toISOString(), expired: i.expiresAt <= now })))}\n`);
      else if (list.length === 0) io.stdout('Not signed in. Run: tessera login --issuer URL --client-id ID\n');
      else for (const i of list) io.stdout(`${i.key}\t${i.email ?? '-'}\t${i.name ?? '-'}\t${i.expiresAt <= now ? `expired${i.refreshable ? ' (refreshable)' : ' (sign in again)'}` : `valid until ${new Date(i.expiresAt).toISOString()}`}\n`);
      return EXIT.granted;
    } finally {
      await opened.close?.();
    }
  },
};

export default command;
