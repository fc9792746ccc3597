/**
 * `tessera vault list | forget | export --redacted`: the vault's metadata, never its secrets.
 */
import { parseArgs } from 'node:util';
import { tesseraHome } from '../../core/config';
import { TesseraError } from '../../core/errors';
import { RECORD_KINDS, type RecordKind, type RecordMeta } from '../../core/store';
import { EXIT, type CliCommand } from '../command';
import { openCliStore } from '../store';

const usage = `usage: tessera vault list [--kind KIND] [--json]
       tessera vault forget <kind> <key> | tessera vault forget <kind|all> --all [--json]
       tessera vault export --redacted

list     metadata only: kind, AS, RS, identity, expiry, permissions, fingerprint
forget   removes records from the vault (AS-side revocation is not performed yet: the output says so)
export   JSON metadata of every record, no secrets (--redacted is required)
kinds: ${RECORD_KINDS.join(', ')}`;

function row(m: RecordMeta): string {
  const exp = m.expiresAt ? new Date(m.expiresAt).toISOString() + (m.expiresAt < Date.now() ? ' (expired)' : '') : '-';
  const perms = m.permissions?.map((p) => `${p.resource_id}[${p.resource_scopes.join(' ')}]`).join(', ') || '-';
  return [m.kind, m.issuer ?? '-', m.rsOrigin ?? '-', m.identity ?? '-', exp, perms, m.fingerprint ?? '-'].join('\t');
}

/** Only the documented, non-secret metadata fields leave the vault. */
function redact(m: RecordMeta): RecordMeta {
  const { kind, key, issuer, rsOrigin, identity, clientId, expiresAt, permissions, fingerprint, label, createdAt, updatedAt } = m;
  return JSON.parse(JSON.stringify({ kind, key, issuer, rsOrigin, identity, clientId, expiresAt, permissions, fingerprint, label, createdAt, updatedAt })) as RecordMeta;
}

const command: CliCommand = {
  summary: 'list, forget or export (redacted) the encrypted token vault',
  usage,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, all: { type: 'boolean' }, redacted: { type: 'boolean' }, kind: { type: 'string' } } });
    } catch (error) {
      throw new TesseraError('usage', (error as Error).message.replace(/\s+/g, ' '), 'Run tessera help vault.');
    }
    const { values, positionals } = parsed;
    const [sub, ...rest] = positionals;
    const isKind = (k: string | undefined): k is RecordKind => k !== undefined && (RECORD_KINDS as string[]).includes(k);
    if (values.kind !== undefined && !isKind(values.kind)) throw new TesseraError('usage', `Unknown kind "${values.kind}".`, `Use one of: ${RECORD_KINDS.join(', ')}.`);
    if (sub !== 'list' && sub !== 'forget' && sub !== 'export') throw new TesseraError('usage', 'Missing or unknown vault subcommand.', usage);
    if (sub === 'export' && !values.redacted) throw new TesseraError('usage', 'tessera vault export requires --redacted.', 'Only redacted metadata can be exported; secrets never leave the vault.');

    const opened = await openCliStore(io.env, tesseraHome(io.env));
    if (opened.warning && !values.json && sub !== 'export') io.stderr(`${opened.warning}\n`);
    try {
      const store = opened.store;
      if (sub === 'list' || sub === 'export') {
        const metas = (await store.list(values.kind as RecordKind | undefined)).map(redact);
        if (values.json || sub === 'export') io.stdout(`${JSON.stringify(sub === 'export' ? { exportedAt: new Date().toISOString(), records: metas } : metas, null, 2)}\n`);
        else io.stdout(`${['KIND\tAS\tRS\tIDENTITY\tEXPIRES\tPERMISSIONS\tFINGERPRINT', ...metas.map(row)].join('\n')}\n`);
        return EXIT.granted;
      }
      // forget
      const [kindArg, key] = rest;
      let targets: RecordMeta[];
      if (values.all) {
        if (kindArg !== 'all' && !isKind(kindArg)) throw new TesseraError('usage', 'forget --all needs a kind or "all".', usage);
        targets = await store.list(kindArg === 'all' ? undefined : kindArg);
      } else {
        if (!isKind(kindArg) || key === undefined) throw new TesseraError('usage', 'forget needs <kind> <key> or --all.', usage);
        targets = (await store.list(kindArg)).filter((m) => m.key === key);
        if (targets.length === 0) throw new TesseraError('usage', `No ${kindArg} record with key "${key}".`, 'Run tessera vault list --json to see the keys.');
      }
      const forgotten: { kind: RecordKind; key: string; revoked: false; note: string }[] = [];
      for (const m of targets) {
        if (await store.delete(m.kind, m.key)) {
          forgotten.push({ kind: m.kind, key: m.key, revoked: false, note: m.kind === 'rpt' || m.kind === 'pct' || m.kind === 'identity' ? 'removed locally; not revoked at the issuer (no revocation hook yet)' : 'removed locally' });
        }
      }
      if (values.json) io.stdout(`${JSON.stringify({ forgotten }, null, 2)}\n`);
      else for (const f of forgotten) io.stdout(`forgot ${f.kind} ${f.key}: ${f.note}\n`);
      return EXIT.granted;
    } finally {
      await opened.close?.();
    }
  },
};

export default command;
