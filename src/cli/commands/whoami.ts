/** `tessera whoami`: the identities held (issuer, subject, email, expiry) — never a token. */
import { parseArgs } from 'node:util';
import { tesseraHome } from '../../app/config';
import { TesseraError, Identities } from '@tessera/uma';
import { EXIT, type CliCommand } from '../command';
import { openCliStore } from '../store';

const command: CliCommand = {
  summary: 'list the identities you are signed in with',
  usage: 'usage: tessera whoami [--json] [--use NAME|ISSUER#SUB|nobody]\n\nLists the identities held; * marks the default one fetch acts as (the last signed in, unless\nchanged with tessera whoami --use NAME|ISSUER#SUB|nobody).',
  async run(argv, io) {
    let values;
    try { ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, use: { type: 'string' } } })); } catch (error) { throw new TesseraError('usage', (error as Error).message, 'usage: tessera whoami [--json] [--use NAME|ISSUER#SUB|nobody]'); }
    const opened = await openCliStore(io.env, tesseraHome(io.env));
    if (opened.warning && !values.json) io.stderr(`${opened.warning}\n`);
    try {
      const identities = new Identities(opened.store);
      if (values.use !== undefined) await identities.setActingAs(await identities.resolve(values.use));
      const list = await identities.summaries();
      const acting = await identities.actingAs();
      const now = Date.now();
      if (values.json) io.stdout(`${JSON.stringify(list.map((i) => ({ ...i, expiresAt: new Date(i.expiresAt).toISOString(), expired: i.expiresAt <= now, default: i.key === acting })))}\n`);
      else if (list.length === 0) io.stdout('Not signed in (acting as nobody). Run: tessera login --issuer URL --client-id ID\n');
      else for (const i of list) io.stdout(`${i.key === acting ? '* ' : '  '}${i.key}\t${i.email ?? '-'}\t${i.name ?? '-'}\t${i.expiresAt <= now ? `expired${i.refreshable ? ' (refreshable)' : ' (sign in again)'}` : `valid until ${new Date(i.expiresAt).toISOString()}`}\n`);
      return EXIT.granted;
    } finally {
      await opened.close?.();
    }
  },
};

export default command;
