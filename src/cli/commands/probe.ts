/**
 * `tessera probe <resource-url>`: a UMA behaviour report for the AS that protects a resource
 * (issue #14). Each check asks the RS for a fresh ticket; nothing is sent to an untrusted AS.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig, tesseraHome } from '../../app/config';
import { TesseraError, Identities, IdentityClaimsSource, defaultClientCredentials, ID_TOKEN_FORMAT, type ClaimToken } from '@tessera/uma';
import type { TokenStore } from '@tessera/uma';
import { ClientResolver } from '@tessera/uma/engine';
import { ALL_CHECKS, probeExitCode, probeJson, runProbe } from '../../probe/runner';
import { renderProbeHtml } from '../../probe/report-html';
import { renderJunit } from '../../probe/junit';
import type { CheckResult, CheckStatus } from '../../probe/types';
import { CLIENT_FLAGS_USAGE, CLIENT_FLAG_OPTIONS, parseClientFlags, parseHeaderFlags, trustWithFlags } from '../client-flags';
import type { CliCommand, CliIo } from '../command';
import { openCliStore, type CliStore } from '../store';

const usage = `usage: tessera probe <protected-resource-url> [--trust ISSUER]...
    ${CLIENT_FLAGS_USAGE}
    [--claim-token FILE [--claim-token-format URI]]...   pushed in the claims checks
    [--identity ISSUER#SUB|LABEL]    push that signed-in identity's ID token too
    [--only ID,...]                  checks or groups (discovery, token, grant, claims, pct, rpt,
                                     registration, interaction, safety)
    [--claims-redirect-uri URI]      a claims_redirect_uri registered for the client
    [--discovery-url URL]            where the AS publishes its metadata, if not at the issuer
    [--header 'K: V']...             on resource requests without an RPT (a Keycloak enforcer
                                     challenges only requests that carry a bearer token)
    [--report FILE.html] [--junit FILE.xml] [--json]

Checks how the AS that the resource's RS names answers a UMA client (discovery, token endpoint,
claims, PCT, upgrade/refresh/revocation, registration, claims interaction, safety) and reports
each verdict: pass, deviation (a client can live with it; the report says how), fail, skip.
Nothing is sent to an AS that is not trusted (--trust or the configuration).
exit: 0 no check failed, 1 a check failed (or the probe could not run)`;

const SYMBOL: Record<CheckStatus, string> = { pass: '✓', deviation: '≈', fail: '✗', skip: '–' };

const command: CliCommand = {
  summary: 'report how an authorization server behaves towards a UMA client',
  usage,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          ...CLIENT_FLAG_OPTIONS,
          'claim-token': { type: 'string', multiple: true },
          'claim-token-format': { type: 'string', multiple: true },
          identity: { type: 'string' },
          header: { type: 'string', short: 'H', multiple: true },
          only: { type: 'string', multiple: true },
          'claims-redirect-uri': { type: 'string' },
          'discovery-url': { type: 'string' },
          report: { type: 'string' },
          junit: { type: 'string' },
          json: { type: 'boolean' },
        },
      });
    } catch (error) {
      throw new TesseraError('usage', (error as Error).message.replace(/\s+/g, ' '), 'Run tessera probe --help.');
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new TesseraError('usage', positionals.length === 0 ? 'Missing <protected-resource-url>.' : `Expected one URL, got ${positionals.length}.`, 'Run tessera probe --help.');
    const resource = positionals[0] as string;
    try {
      const u = new URL(resource);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new TesseraError('usage', `"${resource}" is not an http(s) URL.`, 'Give the full URL of a UMA-protected resource.');
    }
    const only = (values.only ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
    for (const o of only) {
      if (!ALL_CHECKS.some((c) => c.id === o || c.id.startsWith(`${o}.`)) && o !== 'safety.trusted-as') throw new TesseraError('usage', `--only: no check or group "${o}".`, `Known checks: ${ALL_CHECKS.map((c) => c.id).join(', ')}.`);
    }
    for (const key of ['claims-redirect-uri', 'discovery-url'] as const) {
      const v = values[key];
      if (v !== undefined) {
        try {
          new URL(v);
        } catch {
          throw new TesseraError('usage', `--${key} "${v}" is not a URL.`, 'Give an absolute URL.');
        }
      }
    }
    const rsHeaders = parseHeaderFlags(values.header);
    const flags = await parseClientFlags(values);
    const claimTokens = await readClaimTokens(values['claim-token'] ?? [], values['claim-token-format'] ?? []);
    const home = tesseraHome(io.env);
    const config = await loadConfig(home);
    const trust = trustWithFlags(config.trust, values.trust);
    if (values['discovery-url']) {
      for (const issuer of values.trust ?? []) {
        const entry = trust.authorizationServers.find((a) => a.issuer === issuer);
        if (entry && !entry.discoveryUrl) Object.assign(entry, { discoveryUrl: values['discovery-url'] });
      }
    }
    // The vault holds client registrations and signed-in identities; it is opened only when needed.
    let opened: CliStore | undefined;
    const store = async (): Promise<TokenStore> => {
      if (!opened) {
        opened = await openCliStore(io.env, home, { makeFingerprintKey: true });
        if (opened.warning && !values.json) io.stderr(`${opened.warning}\n`);
      }
      return opened.store;
    };
    try {
      const report = await runProbe({
        resource,
        trust,
        // Explicit client flags win; otherwise the engine's client rule (stored registration, configured id), without registering.
        ...(flags ? { client: defaultClientCredentials(flags) } : { resolveClient: async (issuer, asConfig) => new ClientResolver({ store: await store() }).known(issuer, asConfig) }),
        claimTokens,
        ...(Object.keys(rsHeaders).length ? { rsHeaders } : {}),
        ...(values.identity ? { resolveClaimTokens: async (issuer) => identityToken(await store(), issuer, values.identity as string) } : {}),
        ...(only.length ? { only } : {}),
        ...(values['claims-redirect-uri'] ? { claimsRedirectUri: values['claims-redirect-uri'] } : {}),
        http: { ...(config.settings.timeoutMs ? { timeoutMs: config.settings.timeoutMs } : {}), ...(config.settings.maxBodyBytes ? { maxBodyBytes: config.settings.maxBodyBytes } : {}) },
        ...(values.json ? {} : { onCheck: (r: CheckResult) => printCheck(r, io) }),
      });
      if (values.report) await writeFile(values.report, renderProbeHtml(report), { mode: 0o600 });
      if (values.junit) await writeFile(values.junit, renderJunit(report), { mode: 0o600 });
      if (values.json) io.stdout(`${JSON.stringify(probeJson(report))}\n`);
      else {
        const s = report.summary;
        io.stdout(`\n${report.as.issuer ?? resource}: ${s.pass} pass, ${s.deviation} deviation${s.deviation === 1 ? '' : 's'}, ${s.fail} fail${s.fail === 1 ? '' : 's'}, ${s.skip} skipped\n`);
        const left = report.created.filter((c) => !c.cleanedUp && (c.kind === 'pending_request' || c.kind === 'registered_client'));
        if (left.length) io.stdout(`left at the AS: ${left.map((c) => `${c.description}${c.count && c.count > 1 ? ` (from ${c.count} requests)` : ''}`).join('; ')}\n`);
        if (values.report) io.stdout(`report: ${values.report}\n`);
        if (values.junit) io.stdout(`junit: ${values.junit}\n`);
      }
      return probeExitCode(report);
    } finally {
      await opened?.close?.();
    }
  },
};

export default command;

function printCheck(r: CheckResult, io: CliIo): void {
  io.stdout(`${SYMBOL[r.status]} ${r.status.padEnd(9)} ${r.id.padEnd(34)} ${r.title}\n`);
  if (r.status !== 'pass') io.stdout(`    ${r.detail}\n${r.advice ? `    → ${r.advice}\n` : ''}`);
}

async function identityToken(store: TokenStore, issuer: string, identity: string): Promise<ClaimToken[]> {
  const party = await new Identities(store).resolve(identity);
  const token = await new IdentityClaimsSource(store).claimTokenFor({ asIssuer: issuer, party });
  return token ? [token] : [];
}

async function readClaimTokens(files: string[], formats: string[]): Promise<ClaimToken[]> {
  if (formats.length > files.length) throw new TesseraError('usage', 'More --claim-token-format than --claim-token.', 'Give each format after its token file.');
  const out: ClaimToken[] = [];
  for (const [i, file] of files.entries()) {
    let text: string;
    try {
      text = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new TesseraError('usage', `Cannot read the claim token file ${file}: ${(error as Error).message}.`, 'Pass a file that holds the token (e.g. an ID token).');
    }
    if (!text) throw new TesseraError('usage', `The claim token file ${file} is empty.`, 'Put the token in the file.');
    out.push({ claim_token: text, claim_token_format: formats[i] ?? ID_TOKEN_FORMAT });
  }
  return out;
}
