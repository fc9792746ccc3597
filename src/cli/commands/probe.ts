/**
 * `tessera probe <resource-url>`: a UMA behaviour report for the AS that protects a resource
 * (issue #14). Each check asks the RS for a fresh ticket; nothing is sent to an untrusted AS.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig, tesseraHome } from '../../app/config';
import { TesseraError, findTrustedAs, IdentityClaimsSource, defaultClientCredentials, ID_TOKEN_FORMAT, type ClaimToken } from '@tessera/uma';
import { httpBounds } from '../../app/check-as';
import { ALL_CHECKS, probeExitCode, probeJson, runProbe } from '../../probe/runner';
import { renderProbeHtml } from '../../probe/report-html';
import { renderJunit } from '../../probe/junit';
import { GRADES, STATUSES, verdictSentence } from '../../probe/grading';
import type { CheckResult } from '../../probe/types';
import { CLIENT_FLAGS_USAGE, CLIENT_FLAG_OPTIONS, parseClientFlags, parseHeaderFlags, trustWithFlags } from '../client-flags';
import type { CliCommand, CliIo } from '../command';
import { openCliEngine, type CliEngine } from '../engine';

const usage = `usage: tessera probe <protected-resource-url> [--trust ISSUER]...
    ${CLIENT_FLAGS_USAGE}
    [--claim-token FILE [--claim-token-format URI]]...   pushed in the claims checks
    [--identity ISSUER#SUB|LABEL]    push that signed-in identity's ID token too
    [--only ID,...]                  checks or groups (discovery, token, grant, claims, pct, rpt,
                                     dpop, registration, interaction, keycloak, safety)
    [--pending-url URL [--pending-wait SECONDS]]   a resource of the same AS that it puts on hold
                                     (its owner must approve): grant.request-submitted measures the
                                     hold there and waits up to SECONDS (default 0, at most 600)
                                     for the owner to approve, polling with the ticket in hand
    [--claims-redirect-uri URI]      a claims_redirect_uri registered for the client
    [--discovery-url URL]            where the AS publishes its metadata, if not at the issuer
    [--header 'K: V']...             on resource requests without an RPT (a Keycloak enforcer
                                     challenges only requests that carry a bearer token)
    [--permitted RESOURCE#SCOPE] [--denied RESOURCE#SCOPE] [--audience CLIENT_ID]
                                     Keycloak only: a permission the requesting party is granted
                                     and one it is refused; the keycloak checks ask response_mode
                                     decision and permissions for them and compare with a real
                                     grant (audience: the RS's client id, default the ticket's azp)
    [--report FILE.html] [--junit FILE.xml] [--json]

Checks how the AS that the resource's RS names answers a UMA client (discovery, token endpoint,
claims, PCT, upgrade/refresh/revocation, DPoP binding/bad proof/nonce, registration, claims
interaction, safety) and grades each:
pass, info (an observation), deviation (a client can live with it; the report says how), fail
(unusable there), unsafe (could expose tokens, claims or credentials), skip (not measured).
Nothing is sent to an AS that is not trusted (--trust or the configuration).
exit: 0 nothing failed or unsafe, 1 a check is fail or unsafe (or the probe could not run)`;

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
          'pending-url': { type: 'string' },
          'pending-wait': { type: 'string' },
          'discovery-url': { type: 'string' },
          permitted: { type: 'string' },
          denied: { type: 'string' },
          audience: { type: 'string' },
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
    const pendingWait = values['pending-wait'];
    if (pendingWait !== undefined && (!/^\d{1,3}$/.test(pendingWait) || Number(pendingWait) > 600)) throw new TesseraError('usage', `--pending-wait "${pendingWait}" is not a number of seconds from 0 to 600.`, 'Give how long to wait for the owner, e.g. --pending-wait 60.');
    if (pendingWait !== undefined && !values['pending-url']) throw new TesseraError('usage', '--pending-wait needs --pending-url.', 'Give the resource the AS puts on hold with --pending-url.');
    for (const key of ['claims-redirect-uri', 'discovery-url', 'pending-url'] as const) {
      const v = values[key];
      if (v !== undefined) {
        try {
          new URL(v);
        } catch {
          throw new TesseraError('usage', `--${key} "${v}" is not a URL.`, 'Give an absolute URL.');
        }
      }
    }
    if (values['pending-url'] && !/^https?:$/.test(new URL(values['pending-url']).protocol)) throw new TesseraError('usage', `--pending-url "${values['pending-url']}" is not an http(s) URL.`, 'Give the full URL of a UMA-protected resource.');
    for (const key of ['permitted', 'denied'] as const) {
      const v = values[key];
      if (v !== undefined && (!/^[^\p{Cc}#]*(#[^\p{Cc}#]*)?$/u.test(v) || v.replace('#', '').trim() === '' || v.length > 512)) throw new TesseraError('usage', `--${key} "${v.slice(0, 80)}" is not RESOURCE, RESOURCE#SCOPE or #SCOPE.`, `Give a resource (name or id) and a scope, e.g. --${key} prescriptions#read.`);
    }
    if (values.audience !== undefined && !/^[\x21-\x7E]{1,255}$/.test(values.audience)) throw new TesseraError('usage', `--audience "${values.audience.slice(0, 80)}" is not a client id.`, "Give the resource server's client id at Keycloak.");
    const keycloak = { ...(values.permitted ? { permitted: values.permitted } : {}), ...(values.denied ? { denied: values.denied } : {}), ...(values.audience ? { audience: values.audience } : {}) };
    const rsHeaders = parseHeaderFlags(values.header);
    const flags = await parseClientFlags(values);
    const claimTokens = await readClaimTokens(values['claim-token'] ?? [], values['claim-token-format'] ?? []);
    const home = tesseraHome(io.env);
    const config = await loadConfig(home);
    const trust = trustWithFlags(config.trust, values.trust);
    const discoveryUrl = values['discovery-url'];
    if (discoveryUrl) {
      for (const issuer of values.trust ?? []) {
        // The engine's trust rule (aliases, one trailing slash), not a copy; the configured entry is not mutated.
        const entry = findTrustedAs(trust, issuer);
        if (entry && !entry.discoveryUrl) trust.authorizationServers[trust.authorizationServers.indexOf(entry)] = { ...entry, discoveryUrl };
      }
    }
    // The engine (the one composition: its client rule, its identities) over the vault, which holds
    // client registrations and signed-in identities; opened only when needed.
    let opened: CliEngine | undefined;
    const engine = async (): Promise<CliEngine> => {
      if (!opened) {
        opened = await openCliEngine(io, { trust: values.trust ?? [], interaction: false });
        if (opened.opened.warning && !values.json) io.stderr(`${opened.opened.warning}\n`);
      }
      return opened;
    };
    try {
      const report = await runProbe({
        resource,
        trust,
        // Explicit client flags win; otherwise the engine's client rule (stored registration, configured id), without registering.
        ...(flags ? { client: defaultClientCredentials(flags) } : { resolveClient: async (issuer, asConfig) => (await engine()).clients.known(issuer, asConfig) }),
        claimTokens,
        ...(Object.keys(rsHeaders).length ? { rsHeaders } : {}),
        ...(values.identity ? { resolveClaimTokens: async (issuer) => { const e = await engine(); return identityToken(e, issuer, values.identity as string); } } : {}),
        ...(only.length ? { only } : {}),
        ...(Object.keys(keycloak).length ? { keycloak } : {}),
        ...(values['claims-redirect-uri'] ? { claimsRedirectUri: values['claims-redirect-uri'] } : {}),
        ...(values['pending-url'] ? { pendingResource: values['pending-url'], pendingWaitMs: Number(pendingWait ?? 0) * 1000 } : {}),
        // The configuration's HTTP bounds, as the app's Check this AS reads them (one copy).
        http: httpBounds(config),
        ...(values.json ? {} : { onCheck: (r: CheckResult) => printCheck(r, io) }),
      });
      if (values.report) await writeFile(values.report, renderProbeHtml(report), { mode: 0o600 });
      if (values.junit) await writeFile(values.junit, renderJunit(report), { mode: 0o600 });
      if (values.json) io.stdout(`${JSON.stringify(probeJson(report))}\n`);
      else {
        const s = report.summary;
        io.stdout(`\n${report.as.issuer ?? resource}: ${STATUSES.map((st) => `${s[st]} ${GRADES[st].label.toLowerCase()}`).join(', ')}\n${verdictSentence(s)}\n`);
        const left = report.created.filter((c) => !c.cleanedUp && (c.kind === 'pending_request' || c.kind === 'registered_client'));
        const tokensLeft = report.created.filter((c) => !c.cleanedUp && !(c.kind === 'pending_request' || c.kind === 'registered_client')).length;
        const items = [...left.map((c) => `${c.description}${c.count && c.count > 1 ? ` (from ${c.count} requests)` : ''}`), ...(tokensLeft ? [`${tokensLeft} token(s) not revoked (no revocation endpoint, or it refused), which expire on their own`] : [])];
        if (items.length) io.stdout(`left at the AS: ${items.join('; ')}\n`);
        if (values.report) io.stdout(`report: ${values.report}\n`);
        if (values.junit) io.stdout(`junit: ${values.junit}\n`);
      }
      return probeExitCode(report);
    } finally {
      await opened?.close();
    }
  },
};

export default command;

function printCheck(r: CheckResult, io: CliIo): void {
  io.stdout(`${GRADES[r.status].symbol} ${r.status.padEnd(9)} ${r.id.padEnd(34)} ${r.title}\n`);
  if (r.status !== 'pass') io.stdout(`    ${r.detail}\n${r.advice ? `    → ${r.advice}\n` : ''}`);
}

async function identityToken(engine: CliEngine, issuer: string, identity: string): Promise<ClaimToken[]> {
  const party = await engine.identities.resolve(identity);
  const token = await new IdentityClaimsSource(engine.opened.store).claimTokenFor({ asIssuer: issuer, party });
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
