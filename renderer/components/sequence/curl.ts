/**
 * "Copy as curl": the recorded request as a shell command, each redacted secret replaced by a named
 * placeholder variable ($TICKET_1, $RPT_1, $CLIENT_CREDENTIALS…) that the person fills in. The
 * transcript holds no secret, so the command cannot hold one either.
 */
import type { StepView } from '../../../src/app/api';
import type { Chip } from './layout';
import type { TokenRole } from './tokens';

const VAR: Record<TokenRole, string> = {
  ticket: 'TICKET', rpt: 'RPT', pct: 'PCT', claim_token: 'CLAIM_TOKEN', client_secret: 'CLIENT_SECRET', refresh_token: 'REFRESH_TOKEN',
  id_token: 'ID_TOKEN', access_token: 'ACCESS_TOKEN', code: 'CODE', secret: 'SECRET', pat: 'PAT', dpop: 'DPOP_PROOF',
};

/** The placeholder variable for a token: its role plus its number in the flow. */
export function variableFor(chip: Pick<Chip, 'role' | 'name'> | undefined, fallback: string): string {
  if (!chip) return `SECRET_${fallback.replace(/\W/g, '').slice(-6).toUpperCase()}`;
  const n = /(\d+)$/.exec(chip.name)?.[1];
  return n ? `${VAR[chip.role]}_${n}` : VAR[chip.role];
}

/** Double-quoted shell word in which only our `$VARS` expand. */
function quote(text: string, names: Map<string, Chip>): string {
  const escaped = text.replace(/[\\"`$]/g, (c) => `\\${c}`);
  return `"${escaped.replace(/\[redacted (fp:[A-Za-z0-9_-]+)\]/g, (_m, fp: string) => {
    const chip = names.get(fp);
    return `\${${variableFor(chip, fp)}}`;
  })}"`;
}

const SKIP = new Set(['content-length', 'host', 'connection', 'accept-encoding']);

export function curlCommand(step: StepView, names: Map<string, Chip>): string {
  const lines = [`curl -sS -X ${step.method} ${quote(step.url, names)}`];
  for (const [name, value] of Object.entries(step.request.headers)) {
    if (SKIP.has(name.toLowerCase())) continue;
    let v = value;
    // A Basic credential is the client id and secret together (RFC 6749 §2.3.1).
    if (name.toLowerCase() === 'authorization' && /^Basic \[redacted/i.test(value)) v = 'Basic ${CLIENT_CREDENTIALS}';
    // A DPoP proof is made afresh for each request (RFC 9449 §4.2; a recorded one is refused as replayed).
    if (name.toLowerCase() === 'dpop' && /^\[redacted/.test(value)) v = '${DPOP_PROOF}';
    lines.push(v === value ? `-H ${quote(`${name}: ${v}`, names)}` : `-H "${name}: ${v}"`);
  }
  if (step.request.body !== undefined) lines.push(`--data-raw ${quote(step.request.body, names)}`);
  const vars = new Set<string>();
  for (const m of lines.join(' ').matchAll(/\$\{([A-Z_0-9]+)\}/g)) vars.add(m[1] ?? '');
  const preface = [...vars].map((v) => `# ${v}=…   (${v === 'CLIENT_CREDENTIALS' ? 'base64 of client_id:client_secret' : v.startsWith('DPOP_PROOF') ? 'a fresh DPoP proof for this request, signed by the key (RFC 9449 §4); a recorded one is refused' : 'fill in; Tessera never shows it'})`);
  return [...preface, lines.join(' \\\n  ')].join('\n');
}
