/**
 * `tessera fetch <url>`: fetch a UMA-protected resource (issue #2 CLI contract).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { TesseraError, fingerprint, MAX_JSON_DEPTH, parseJsonBounded, ID_TOKEN_FORMAT } from '@tessera/uma';
import type { FetchResult } from '@tessera/uma/engine';
import type { KeycloakAnswer } from '@tessera/uma';
import { fileClaimsSource } from '../claims-file';
import { CLIENT_FLAG_OPTIONS, CLIENT_FLAGS_USAGE, parseClientFlags, parseHeaderFlags } from '../client-flags';
import { EXIT, type CliCommand, type CliIo } from '../command';
import { passedFlags, withCliAdvice, type AdviceContext } from '../advice';
import { openCliEngine } from '../engine';

const usage = `usage: tessera fetch <url> [--method M] [--header 'K: V']... [--data BODY]
    ${CLIENT_FLAGS_USAGE}
    [--claim-token FILE [--claim-token-format URI]]
    [--identity NAME|ISSUER#SUB]  who to act as (default: tessera whoami's default)
    [--trust ISSUER]...          ASes allowed to receive credentials, claims, PCTs
    [--scope SCOPES]             scopes to ask the AS for (e.g. write for a PUT)
    [--no-interaction] [--wait SECONDS] [--output FILE] [--json] [--debug]
    Keycloak: [--audience CLIENT_ID] [--permission RESOURCE[#SCOPE]]... [--response-mode decision|permissions]
    [--no-submit-request] [--no-resource-metadata]
    [--dpop | --no-dpop]         DPoP-bound RPTs (RFC 9449) required / never, for every AS of this run

Fetches <url>; on a UMA challenge from a trusted AS, obtains an RPT for the requesting party and
retries. Tokens are kept per person: an RPT or PCT obtained for one identity (or one --claim-token
subject) is never sent while acting for another.
--data without --header 'Content-Type: …' is sent as application/json when it parses as JSON,
as application/x-www-form-urlencoded when it looks like a=b&c=d, else as text/plain.
--output FILE writes the body as received (PDFs, images); without it a binary body is not printed.
--json prints one object: {"outcome","status","body" (text) or "bodyBase64","json" (parsed JSON),
"party","access","steps",...}.
--audience / --permission ask the trusted Keycloak AS (the one --trust names, or the only one
configured) for an RPT without a ticket first, then fetch <url> with it; --response-mode decision
prints only Keycloak's yes/no, permissions only the granted permissions (no token, no fetch).
--no-submit-request sends submit_request=false (a refusal is not turned into a request to the owner).
--dpop sends a DPoP proof with every grant and refuses a bearer RPT; --no-dpop sends none. Without
either, proofs go to an AS whose metadata lists dpop_signing_alg_values_supported (ES256), unless
config.json says "dpop": "on" or "off" for it.
--no-resource-metadata skips the RS's /.well-known/oauth-protected-resource (RFC 9728) when its
challenge names no resource_metadata (also config.json "settings": {"resourceMetadata": false}).
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
          audience: { type: 'string' },
          permission: { type: 'string', multiple: true },
          'response-mode': { type: 'string' },
          'no-submit-request': { type: 'boolean' },
          dpop: { type: 'boolean' },
          'no-dpop': { type: 'boolean' },
          'no-resource-metadata': { type: 'boolean' },
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

    if (values.dpop && values['no-dpop']) throw new TesseraError('usage', '--dpop and --no-dpop together.', 'Pass one of them.');
    const responseMode = values['response-mode'];
    if (responseMode !== undefined && responseMode !== 'decision' && responseMode !== 'permissions') throw new TesseraError('usage', `Bad --response-mode "${responseMode}".`, 'Use --response-mode decision or --response-mode permissions.');
    if (values.permission?.some((p) => !p || p === '#')) throw new TesseraError('usage', 'Empty --permission.', 'Give RESOURCE, RESOURCE#SCOPE or #SCOPE.');
    const keycloak = values.audience || values.permission?.length || responseMode ? { ...(values.audience ? { audience: values.audience } : {}), ...(values.permission?.length ? { permissions: values.permission } : {}), ...(responseMode ? { responseMode: responseMode as 'decision' | 'permissions' } : {}) } : undefined;

    const claims = values['claim-token'] ? await fileClaimsSource(values['claim-token'], values['claim-token-format'] ?? ID_TOKEN_FORMAT) : undefined;
    const engine = await openCliEngine(io, {
      ...(values.trust ? { trust: values.trust } : {}),
      interaction: !values['no-interaction'],
      ...(claims ? { claims: claims.source } : {}),
      ...(client ? { defaultClient: client } : {}),
      ...(values['no-submit-request'] ? { submitRequest: false } : {}),
      ...(values.dpop ? { dpop: 'on' as const } : values['no-dpop'] ? { dpop: 'off' as const } : {}),
      ...(values['no-resource-metadata'] ? { wellKnownResourceMetadata: false } : {}),
    });
    if (engine.opened.warning && !values.json) io.stderr(`${engine.opened.warning}\n`);
    try {
      // Who this call acts for: the pushed token's subject, the named identity, or the default.
      const party = claims ? claims.party : values.identity ? await engine.identities.resolve(values.identity) : await engine.identities.actingAs();
      if (keycloak) {
        const asUri = values.trust?.length === 1 ? values.trust[0] : engine.config.trust.authorizationServers.length === 1 ? engine.config.trust.authorizationServers[0]?.issuer : undefined;
        if (!asUri) throw new TesseraError('usage', 'Which Keycloak should answer?', 'Name it with --trust ISSUER (one).');
        const answer = await engine.agent.askKeycloak(asUri, keycloak, { party, rsOrigin: new URL(url).origin });
        const done = keycloakOutput(answer, io, Boolean(values.json));
        if (done !== undefined) return done;
      }
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
  // Parsed only within MAX_JSON_DEPTH: deeper JSON stays in `body` (printing it parsed would overflow the stack).
  const parsed = result.text && /[/+]json\b/i.test(result.contentType ?? '') ? parseJsonBounded(result.body) : undefined;
  return {
    outcome: result.outcome,
    status: result.status,
    ...(result.text ? { body: result.body } : { body: null, bodyBase64: Buffer.from(result.bytes).toString('base64') }),
    ...(parsed?.ok ? { json: parsed.value } : {}),
    ...(parsed && !parsed.ok && parsed.reason === 'too_deep' ? { jsonOmitted: { reason: 'too_deep', depth: parsed.depth, maxDepth: MAX_JSON_DEPTH } } : {}),
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
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && parseJsonBounded(trimmed, Infinity).ok) return 'application/json';
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

/**
 * Prints a Keycloak answer that ends the command (a decision, a permission list, a refusal) and
 * returns its exit code; `undefined` for an RPT (kept: the fetch that follows presents it).
 */
function keycloakOutput(answer: KeycloakAnswer & { steps: unknown[] }, io: CliIo, json: boolean): number | undefined {
  if (answer.type === 'token') return undefined;
  if (answer.type === 'decision') {
    if (json) io.stdout(`${JSON.stringify({ outcome: answer.granted ? 'granted' : 'denied', decision: answer.granted, steps: answer.steps })}\n`);
    else io.stdout(`Keycloak's decision: ${answer.granted ? 'granted' : 'not granted'}\n`);
    return answer.granted ? EXIT.granted : EXIT.denied;
  }
  if (answer.type === 'permissions') {
    if (json) io.stdout(`${JSON.stringify({ outcome: answer.permissions.length ? 'granted' : 'denied', permissions: answer.permissions, steps: answer.steps })}\n`);
    else io.stdout(answer.permissions.length ? `${answer.permissions.map((p) => `${p.rsname ?? p.rsid ?? '?'}${p.scopes?.length ? `#${p.scopes.join(',')}` : ''}`).join('\n')}\n` : 'No permissions granted.\n');
    return answer.permissions.length ? EXIT.granted : EXIT.denied;
  }
  const r = answer.result;
  const text = `Keycloak refused: ${'error' in r ? r.error : r.type}${'description' in r && r.description ? ` (${r.description})` : ''}`;
  if (json) io.stdout(`${JSON.stringify({ outcome: r.type === 'denied' ? 'denied' : 'error', error: { code: r.type === 'denied' ? 'denied' : 'token_error', message: text }, steps: answer.steps })}\n`);
  else io.stderr(`${text}\n`);
  return r.type === 'denied' ? EXIT.denied : EXIT.error;
}
