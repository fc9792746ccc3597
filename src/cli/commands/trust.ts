/**
 * `tessera trust add|list|remove`: which authorization servers may receive client credentials,
 * pushed claims and PCTs (UMA Grant §5.7), kept in `$TESSERA_HOME/config.json` so `fetch` and
 * `probe` work without `--trust` for an AS trusted once. Nothing is sent to an AS by this command.
 */
import { parseArgs } from 'node:util';
import { loadConfig, tesseraHome, updateConfig } from '../../app/config';
import { TesseraError, findTrustedAs, normalizeIssuer, type AsConfig } from '@tessera/uma';
import { parseHttpUrl } from '@tessera/uma/portable';
import { EXIT, type CliCommand } from '../command';

const usage = `usage: tessera trust add ISSUER [--discovery-url URL | --token-endpoint URL] [--label TEXT] [--client-id ID]
       tessera trust list [--json]
       tessera trust remove ISSUER

add     trusts the AS whose as_uri is ISSUER (the RS names it in its 401); --discovery-url for an AS
        whose metadata is elsewhere (ForgeRock AM, Janssen), --token-endpoint for one with no
        discovery at all (WSO2 IS). The client secret never goes here: pass it to fetch, or let the
        vault hold it.
remove  forgets it (held RPTs and PCTs are kept but no longer used; tessera vault forget removes them).`;

function url(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!parseHttpUrl(value)) throw new TesseraError('usage', `${flag} "${value}" is not an http(s) URL.`, usage);
  return value;
}

const command: CliCommand = {
  summary: 'trust an authorization server (add, list, remove) in config.json',
  usage,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'discovery-url': { type: 'string' }, 'token-endpoint': { type: 'string' }, label: { type: 'string' }, 'client-id': { type: 'string' } } });
    } catch (error) {
      throw new TesseraError('usage', (error as Error).message.replace(/\s+/g, ' '), usage);
    }
    const { values, positionals } = parsed;
    const [sub, issuerArg, ...extra] = positionals;
    if (extra.length > 0) throw new TesseraError('usage', `Unexpected ${extra.join(' ')}.`, usage);
    const home = tesseraHome(io.env);
    if (sub === 'list') {
      const list = (await loadConfig(home)).trust.authorizationServers;
      if (values.json) io.stdout(`${JSON.stringify(list, null, 2)}\n`);
      else if (list.length === 0) io.stdout('No authorization server is trusted. Add one: tessera trust add ISSUER\n');
      else for (const a of list) io.stdout(`${a.issuer}${a.label ? `\t${a.label}` : ''}${a.discoveryUrl ? `\tdiscovery ${a.discoveryUrl}` : ''}${a.metadata ? `\ttoken endpoint ${a.metadata.token_endpoint}` : ''}\n`);
      return EXIT.granted;
    }
    if (sub !== 'add' && sub !== 'remove') throw new TesseraError('usage', 'Missing or unknown trust subcommand.', usage);
    const issuer = url(issuerArg, 'ISSUER');
    if (!issuer) throw new TesseraError('usage', `trust ${sub} needs the ISSUER.`, usage);
    if (sub === 'remove') {
      let removed = '';
      // Read-modify-write under the lock: the app may be changing config.json at the same time.
      await updateConfig(home, (config) => {
        const found = findTrustedAs(config.trust, issuer);
        if (!found) throw new TesseraError('usage', `${issuer} is not trusted.`, 'Run tessera trust list.');
        config.trust.authorizationServers = config.trust.authorizationServers.filter((a) => a !== found);
        removed = found.issuer;
      });
      io.stdout(`no longer trusted: ${removed}\n`);
      return EXIT.granted;
    }
    if (values['discovery-url'] && values['token-endpoint']) throw new TesseraError('usage', 'Give --discovery-url or --token-endpoint, not both.', usage);
    const entry: AsConfig = {
      issuer: normalizeIssuer(issuer),
      ...(values.label ? { label: values.label } : {}),
      ...(url(values['discovery-url'], '--discovery-url') ? { discoveryUrl: values['discovery-url'] } : {}),
      ...(url(values['token-endpoint'], '--token-endpoint') ? { metadata: { token_endpoint: values['token-endpoint'] as string } } : {}),
      ...(values['client-id'] ? { client: { registration: 'static' as const, clientId: values['client-id'] } } : {}),
    };
    let existing: AsConfig | undefined;
    await updateConfig(home, (config) => {
      const list = config.trust.authorizationServers;
      existing = findTrustedAs(config.trust, issuer);
      config.trust.authorizationServers = existing ? list.map((a) => (a === existing ? { ...a, ...entry, issuer: a.issuer } : a)) : [...list, entry];
    });
    io.stdout(`${existing ? 'updated' : 'trusted'}: ${entry.issuer}\n`);
    return EXIT.granted;
  },
};

export default command;
