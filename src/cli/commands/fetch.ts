/**
 * `tessera fetch <url>`: fetch a UMA-protected resource (issue #2 CLI contract).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { TesseraError } from '../../kernel/errors';
import { fingerprint } from '../../kernel/redact';
import type { FetchResult } from '../../uma/agent';
import { ID_TOKEN_FORMAT } from '../../uma/ports';
import { fileClaimsSource } from '../claims-file';
import { CLIENT_FLAG_OPTIONS, CLIENT_FLAGS_USAGE, parseClientFlags, parseHeaderFlags } from '../client-flags';
import { EXIT, type CliCommand } from '../command';
import { passedFlags, withCliAdvice, type AdviceContext } from '../advice';
import { openCliEngine } from '../engine';

const usage = `usage: tessera fetch <url> [--method M] [--header 'K: V']... [--data BODY]
    ${CLIENT_FLAGS_USAGE}
    [--claim-token FILE [--claim-token-format URI]]
    [--identity NAME|ISSUER#SUB]  who to act as (default: tessera whoami's default)
    [--trust ISSUER]...          ASes allowed to receive credentials, claims, PCTs
    [--scope SCOPES]             scopes to ask the AS for (e.g. write for a PUT)
    [--no-interaction] [--wait SECONDS] [--output FILE] [--json] [--debug]

Fetches <url>; on a UMA challenge from a trusted AS, obtains an RPT for the requesting party and
retries. Tokens are kept per person: an RPT or PCT obtained for one identity (or one --claim-token
subject) is never sent while acting for another.
--data without --header 'Content-Type: …' is sent as application/json when it parses as JSON,
as application/x-www-form-urlencoded when it looks like a=b&c=d, else as text/plain.
--output FILE writes the body as received (PDFs, images); without it a binary body is not printed.
--json prints one object: {"outcome","status","body" (text) or "bodyBase64","json" (parsed JSON),
"party","access","steps",...}.
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
          output: { type: 'string', short: 'o' },
          scope: { type: 'string' },
        },
      });
    } catch (error) {
      throw new TesseraError('usage', (error as Error).message.replace(/\s+/g, ' '), 'Run tessera fetch --help.');
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new TesseraError('usage', positionals.length === 0 ? 'Missing <url>.' : `Expected one URL, got ${positionals.length}.`, 'Run tessera fetch --help.');
    const url = positionals[0] as string;
    const headers = parseHeaderFlags(values.header);
    let wait = 0;
    if (values.wait !== undefined) {
      wait = Number(values.wait);
      if (!Number.isFinite(wait) || wait < 0) throw new TesseraError('usage', `Bad --wait "${values.wait}".`, 'Give a number of seconds, e.g. --wait 60.');
    }
    const client = await parseClientFlags(values);
    if (values['claim-token-format'] && !values['claim-token']) throw new TesseraError('usage', '--claim-token-format needs --claim-token.', 'Pass the token file too.');

    if (values.output !== undefined && !values.output) throw new TesseraError('usage', '--output needs a file name.', 'Run tessera fetch --help.');
    const body = values.data !== undefined ? values.data : undefined;
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      // No Content-Type given: say what the body is, so the RS does not get text/plain for JSON.
      headers['content-type'] = detectContentType(body);
    }

    const claims = values['claim-token'] ? await fileClaimsSource(values['claim-token'], values['claim-token-format'] ?? ID_TOKEN_FORMAT) : undefined;
    const engine = await openCliEngine(io, {
      ...(values.trust ? { trust: values.trust } : {}),
      interaction: !values['no-interaction'],
      ...(claims ? { claims: claims.source } : {}),
      ...(client ? { defaultClient: client } : {}),
    });
    if (engine.opened.warning && !values.json) io.stderr(`${engine.opened.warning}\n`);
    try {
      // Who this call acts for: the pushed token's subject, the named identity, or the default.
      const party = claims ? claims.party : values.identity ? await engine.identities.resolve(values.identity) : await engine.identities.actingAs();
      const result = await engine.agent.fetch(url, {
        method: values.method ?? (body !== undefined ? 'POST' : 'GET'),
        headers,
        ...(body !== undefined ? { body } : {}),
        interaction: !values['no-interaction'],
        waitSeconds: wait,
        party,
        ...(values.scope ? { scopes: values.scope.split(/\s+/).filter(Boolean) } : {}),
      });
      const advice = { passed: passedFlags(argv), command: 'fetch' };
      if (values.output && result.outcome === 'granted') await writeFile(values.output, result.bytes);
      if (values.json) io.stdout(`${JSON.stringify(jsonResult(result, advice))}\n`);
      else printHuman(result, io, advice, values.output);
      return EXIT[result.outcome];
    } finally {
      await engine.close();
    }
  },
};

export default command;

/**
 * The `--json` object: outcome, status, the body (`body` for text, `bodyBase64` otherwise, and parsed
 * `json` when it is JSON), headers (the challenge's ticket redacted as in the transcript), steps
 * (redacted), and non-secret details.
 */
export function jsonResult(result: FetchResult, advice: AdviceContext = { passed: new Set() }): Record<string, unknown> {
  const json = result.text && /[/+]json\b/i.test(result.contentType ?? '') ? parseJson(result.body) : undefined;
  return {
    outcome: result.outcome,
    status: result.status,
    ...(result.text ? { body: result.body } : { body: null, bodyBase64: Buffer.from(result.bytes).toString('base64') }),
    ...(json !== undefined ? { json } : {}),
    ...(result.contentType ? { contentType: result.contentType } : {}),
    headers: redactHeaders(result.headers),
    party: result.party,
    ...(result.access ? { access: result.access } : {}),
    ...(result.asIssuer ? { asIssuer: result.asIssuer } : {}),
    ...(result.resourceMetadata ? { resourceMetadata: result.resourceMetadata } : {}),
    ...(result.error ? { error: withCliAdvice(result.error, advice) } : {}),
    ...(result.needInfo
      ? { needInfo: { ticket: fingerprint(result.needInfo.ticket), ...(result.needInfo.requiredClaims ? { requiredClaims: result.needInfo.requiredClaims } : {}), ...(result.needInfo.redirectUser ? { redirectUser: result.needInfo.redirectUser } : {}) } }
      : {}),
    ...(result.pending ? { pending: { ...result.pending, ...(result.pending.ticket ? { ticket: fingerprint(result.pending.ticket) } : {}) } } : {}),
    steps: result.steps,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Response headers for output: a UMA challenge's ticket becomes its fingerprint, as in the transcript. */
function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = name.toLowerCase() === 'www-authenticate' ? value.replace(/(ticket\s*=\s*)(?:"([^"]*)"|([^\s,]+))/gi, (_m, p: string, q?: string, t?: string) => `${p}"${fingerprint(q ?? t ?? '')}"`) : value;
  }
  return out;
}

/** JSON for a body that parses as JSON, a form for a=b&c=d, else plain text. */
export function detectContentType(body: string): string {
  const trimmed = body.trim();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && parseJson(trimmed) !== undefined) return 'application/json';
  if (/^[\w.~%+-]+=[^&]*(&[\w.~%+-]+=[^&]*)*$/.test(trimmed)) return 'application/x-www-form-urlencoded';
  return 'text/plain;charset=utf-8';
}

function printHuman(result: FetchResult, io: { stdout: (t: string) => void; stderr: (t: string) => void }, advice: AdviceContext, output?: string): void {
  if (result.outcome === 'granted') {
    if (output) {
      io.stderr(`tessera: saved ${result.bytes.byteLength} bytes${result.contentType ? ` of ${result.contentType}` : ''} to ${output}\n`);
      return;
    }
    if (!result.text) {
      io.stderr(`tessera: the resource is ${result.bytes.byteLength} bytes of ${result.contentType ?? 'binary data'}; save it with --output FILE\n`);
      return;
    }
    io.stdout(result.body.endsWith('\n') || result.body === '' ? result.body : `${result.body}\n`);
    return;
  }
  const e = result.error ? withCliAdvice(result.error, advice) : undefined;
  const line = e ? `${e.message} ${e.hint}` : `outcome ${result.outcome}`;
  io.stderr(`tessera: ${result.outcome}: ${line}\n`);
  if (result.needInfo?.redirectUser) io.stderr(`tessera: claims interaction endpoint: ${result.needInfo.redirectUser}\n`);
  if (result.outcome === 'error' && result.status !== null && result.body && result.text) io.stdout(result.body.endsWith('\n') ? result.body : `${result.body}\n`);
}
