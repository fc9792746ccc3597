/**
 * `tessera fetch <url>`: fetch a UMA-protected resource (issue #2 CLI contract).
 */
import { parseArgs } from 'node:util';
import { loadConfig, tesseraHome } from '../../app/config';
import { TesseraError } from '../../kernel/errors';
import { fingerprint } from '../../kernel/redact';
import { createAgent, type FetchResult } from '../../uma/agent';
import { ID_TOKEN_FORMAT } from '../../uma/ports';
import { fileClaimsSource } from '../claims-file';
import { CLIENT_FLAG_OPTIONS, parseClientFlags, trustWithFlags } from '../client-flags';
import { EXIT, type CliCommand } from '../command';
import { sessionOptions } from '../session';
import { openCliStore } from '../store';

const usage = `usage: tessera fetch <url> [--method M] [--header 'K: V']... [--data BODY]
    [--client-id ID --client-secret SECRET] [--token-auth basic|post|private_key_jwt|none]
    [--private-key JWK_FILE]
    [--claim-token FILE [--claim-token-format URI]]
    [--trust ISSUER]...          ASes allowed to receive credentials, claims, PCTs
    [--no-interaction] [--wait SECONDS] [--json] [--debug]

Fetches <url>; on a UMA challenge from a trusted AS, obtains an RPT and retries.
--json prints one object: {"outcome","status","body","steps",...}.
exit: 0 granted, 2 denied, 3 need_info unresolved, 4 pending, 5 untrusted AS, 1 any other error`;

const command: CliCommand = {
  summary: 'fetch a UMA-protected resource (401 → token → retry)',
  usage,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          method: { type: 'string', short: 'X' },
          header: { type: 'string', short: 'H', multiple: true },
          data: { type: 'string', short: 'd' },
          ...CLIENT_FLAG_OPTIONS,
          'claim-token': { type: 'string' },
          'claim-token-format': { type: 'string' },
          'no-interaction': { type: 'boolean' },
          wait: { type: 'string' },
          json: { type: 'boolean' },
          identity: { type: 'string' },
        },
      });
    } catch (error) {
      throw new TesseraError('usage', (error as Error).message.replace(/\s+/g, ' '), 'Run tessera fetch --help.');
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new TesseraError('usage', positionals.length === 0 ? 'Missing <url>.' : `Expected one URL, got ${positionals.length}.`, 'Run tessera fetch --help.');
    const url = positionals[0] as string;
    const headers: Record<string, string> = {};
    for (const h of values.header ?? []) {
      const colon = h.indexOf(':');
      if (colon <= 0) throw new TesseraError('usage', `Bad --header "${h}".`, "Use --header 'Name: value'.");
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    let wait = 0;
    if (values.wait !== undefined) {
      wait = Number(values.wait);
      if (!Number.isFinite(wait) || wait < 0) throw new TesseraError('usage', `Bad --wait "${values.wait}".`, 'Give a number of seconds, e.g. --wait 60.');
    }
    const clientFlags = await parseClientFlags(values);
    if (values['claim-token-format'] && !values['claim-token']) throw new TesseraError('usage', '--claim-token-format needs --claim-token.', 'Pass the token file too.');

    const home = tesseraHome(io.env);
    const config = await loadConfig(home);
    const trust = trustWithFlags(config.trust, values.trust);
    const opened = await openCliStore(io.env, home);
    if (opened.warning && !values.json) io.stderr(`${opened.warning}\n`);
    try {
      const session = await sessionOptions(io, opened.store, { ...(values.identity ? { identity: values.identity } : {}), interaction: !values['no-interaction'] });
      const claims = values['claim-token'] ? await fileClaimsSource(values['claim-token'], values['claim-token-format'] ?? ID_TOKEN_FORMAT) : undefined;
      const agent = createAgent({
        ...session,
        store: opened.store,
        trust,
        ...(claims ? { claims } : {}),
        http: { ...(config.settings.timeoutMs ? { timeoutMs: config.settings.timeoutMs } : {}), ...(config.settings.maxBodyBytes ? { maxBodyBytes: config.settings.maxBodyBytes } : {}), ...(config.settings.maxRedirects !== undefined ? { maxRedirects: config.settings.maxRedirects } : {}) },
        ...(clientFlags ? { defaultClient: clientFlags } : {}),
        ...(values.identity ? { identity: values.identity } : {}),
      });
      const result = await agent.fetch(url, {
        method: values.method ?? (values.data !== undefined ? 'POST' : 'GET'),
        headers,
        ...(values.data !== undefined ? { body: values.data } : {}),
        interaction: !values['no-interaction'],
        waitSeconds: wait,
        ...(values.identity ? { identity: values.identity } : {}),
      });
      if (values.json) io.stdout(`${JSON.stringify(jsonResult(result))}\n`);
      else printHuman(result, io);
      return EXIT[result.outcome];
    } finally {
      await opened.close?.();
    }
  },
};

export default command;

/** The `--json` object: outcome, status, body, steps (redacted), plus non-secret details. */
export function jsonResult(result: FetchResult): Record<string, unknown> {
  return {
    outcome: result.outcome,
    status: result.status,
    body: result.body,
    headers: result.headers,
    ...(result.asIssuer ? { asIssuer: result.asIssuer } : {}),
    ...(result.error ? { error: result.error } : {}),
    ...(result.needInfo
      ? { needInfo: { ticket: fingerprint(result.needInfo.ticket), ...(result.needInfo.requiredClaims ? { requiredClaims: result.needInfo.requiredClaims } : {}), ...(result.needInfo.redirectUser ? { redirectUser: result.needInfo.redirectUser } : {}) } }
      : {}),
    ...(result.pending ? { pending: { ...result.pending, ...(result.pending.ticket ? { ticket: fingerprint(result.pending.ticket) } : {}) } } : {}),
    steps: result.steps,
  };
}

function printHuman(result: FetchResult, io: { stdout: (t: string) => void; stderr: (t: string) => void }): void {
  if (result.outcome === 'granted') {
    io.stdout(result.body.endsWith('\n') || result.body === '' ? result.body : `${result.body}\n`);
    return;
  }
  const e = result.error;
  const line = e ? `${e.message} ${e.hint}` : `outcome ${result.outcome}`;
  io.stderr(`tessera: ${result.outcome}: ${line}\n`);
  if (result.needInfo?.redirectUser) io.stderr(`tessera: claims interaction endpoint: ${result.needInfo.redirectUser}\n`);
  if (result.outcome === 'error' && result.status !== null && result.body) io.stdout(result.body.endsWith('\n') ? result.body : `${result.body}\n`);
}
