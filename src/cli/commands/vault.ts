/**
 * `tessera vault list | forget | export --redacted`: the vault's metadata, never its secrets.
 */
import { parseArgs } from 'node:util';
import { tesseraHome } from '../../app/config';
import { TesseraError, RECORD_KINDS, type RecordKind, type RecordMeta } from '@tessera/uma';
import { EXIT, type CliCommand } from '../command';
import { openCliEngine } from '../engine';
import { ttyPassphrasePrompt } from '../passphrase-prompt';
import { rekeyVault } from '../../vault';

const usage = `usage: tessera vault list [--kind KIND] [--json]
       tessera vault forget <kind> <key> | tessera vault forget <kind|all> --all
            [--client-id ID [--client-secret SECRET]] [--trust ISSUER]... [--json]
       tessera vault export --redacted
       tessera vault rekey [--to passphrase|keyring]

list     metadata only: kind, AS, RS, identity, expiry, permissions, fingerprint
forget   removes records; RPTs and PCTs of a trusted AS with a revocation endpoint are revoked
         there first (RFC 7009), using the stored client registration or --client-id/--client-secret
export   JSON metadata of every record, no secrets (--redacted is required)
rekey    change the passphrase, or move the vault between a passphrase and the OS keyring; all
         records are re-encrypted under a new key. Current passphrase: TESSERA_PASSPHRASE or prompt;
         new one: TESSERA_NEW_PASSPHRASE or prompt (twice)
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
  summary: 'list, forget, export (redacted) or re-key the encrypted token vault',
  usage,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, all: { type: 'boolean' }, redacted: { type: 'boolean' }, kind: { type: 'string' }, to: { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret': { type: 'string' }, trust: { type: 'string', multiple: true } } });
    } catch (error) {
      throw new TesseraError('usage', (error as Error).message.replace(/\s+/g, ' '), 'Run tessera help vault.');
    }
    const { values, positionals } = parsed;
    const [sub, ...rest] = positionals;
    const isKind = (k: string | undefined): k is RecordKind => k !== undefined && (RECORD_KINDS as string[]).includes(k);
    if (values.kind !== undefined && !isKind(values.kind)) throw new TesseraError('usage', `Unknown kind "${values.kind}".`, `Use one of: ${RECORD_KINDS.join(', ')}.`);
    if (sub === 'rekey') return rekey(values.to, io);
    if (sub !== 'list' && sub !== 'forget' && sub !== 'export') throw new TesseraError('usage', 'Missing or unknown vault subcommand.', usage);
    if (sub === 'export' && !values.redacted) throw new TesseraError('usage', 'tessera vault export requires --redacted.', 'Only redacted metadata can be exported; secrets never leave the vault.');

    const engine = await openCliEngine(io, {
      ...(values.trust ? { trust: values.trust } : {}),
      interaction: false,
      makeFingerprintKey: false,
      ...(values['client-id'] ? { defaultClient: { clientId: values['client-id'], ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}) } } : {}),
    });
    const opened = engine.opened;
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
      const forgotten: { kind: RecordKind; key: string; revocation: 'attempted' | 'not_attempted'; note: string }[] = [];
      for (const m of targets) {
        let removed = false;
        let revocation: 'attempted' | 'not_attempted' = 'not_attempted';
        let note = 'removed locally';
        if ((m.kind === 'rpt' || m.kind === 'pct') && m.issuer && engine.trusted(m.issuer)) {
          removed = await engine.agent.forget(m.kind, m.key, { revoke: true });
          revocation = 'attempted';
        }
        if (revocation === 'attempted') note = 'revocation sent to the AS if it publishes a revocation endpoint (its answer is not checked), then removed locally';
        else if (m.kind === 'rpt' || m.kind === 'pct') note = 'removed locally only: not revoked (AS not trusted — pass --trust ISSUER — or issuer unknown)';
        if (!removed) removed = await store.delete(m.kind, m.key);
        if (removed) forgotten.push({ kind: m.kind, key: m.key, revocation, note });
      }
      if (values.json) io.stdout(`${JSON.stringify({ forgotten }, null, 2)}\n`);
      else for (const f of forgotten) io.stdout(`forgot ${f.kind} ${f.key}: ${f.note}\n`);
      return EXIT.granted;
    } finally {
      await engine.close();
    }
  },
};

async function rekey(to: string | undefined, io: Parameters<CliCommand['run']>[1]): Promise<number> {
  if (to !== undefined && to !== 'passphrase' && to !== 'keyring') throw new TesseraError('usage', `Cannot move the vault to "${to}".`, 'Use --to passphrase or --to keyring.');
  const target = (to ?? 'passphrase') as 'passphrase' | 'keyring';
  const home = tesseraHome(io.env);
  const currentPrompt = io.env.TESSERA_PASSPHRASE ? undefined : ttyPassphrasePrompt('Current vault passphrase: ');
  let newPassphrase: string | undefined;
  if (target === 'passphrase') {
    newPassphrase = io.env.TESSERA_NEW_PASSPHRASE;
    if (newPassphrase === undefined) {
      const ask = ttyPassphrasePrompt('New vault passphrase: ');
      const again = ttyPassphrasePrompt('Repeat the new passphrase: ');
      if (!ask || !again) throw new TesseraError('usage', 'No new passphrase given.', 'Set TESSERA_NEW_PASSPHRASE or run in a terminal to be asked.');
      newPassphrase = await ask();
      if ((await again()) !== newPassphrase) throw new TesseraError('usage', 'The two new passphrases differ.', 'Run the command again. The vault was not changed.');
    }
    if (newPassphrase.length < 8) throw new TesseraError('usage', 'The new passphrase is shorter than 8 characters.', 'Choose a longer passphrase. The vault was not changed.');
  }
  const result = await rekeyVault({
    home,
    to: target,
    ...(io.env.TESSERA_PASSPHRASE ? { passphrase: io.env.TESSERA_PASSPHRASE } : {}),
    ...(currentPrompt ? { prompt: currentPrompt } : {}),
    ...(newPassphrase !== undefined ? { newPassphrase } : {}),
  });
  io.stdout(`vault re-keyed: ${result.records} records re-encrypted under a new key, protected by ${result.to === 'keyring' ? 'the OS keyring' : 'the new passphrase'} (was: ${result.from})\n`);
  return EXIT.granted;
}

export default command;
