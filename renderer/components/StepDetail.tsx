/**
 * One exchange in full, for people: form bodies as parameter tables, JSON pretty-printed, tokens by
 * role (ticket, claim token, PCT, RPT, client secret) as fingerprints with their decoded JWT header
 * and claims (dates in local time, "expires in"), the error pinned with its explanation, and
 * "Copy as curl" with every secret a named placeholder.
 */
import { boundedJson } from './RecordView';
import { useState } from 'react';
import type { StepView } from '../../src/app/api';
import { LANES, type Chip } from './sequence/layout';
import { ROLE_LABEL, roleOf, tokensOf, type TokenRole } from './sequence/tokens';
import { curlCommand, variableFor } from './sequence/curl';

const PLACEHOLDER = /^\[redacted (fp:[A-Za-z0-9_-]+)\]$/;
/** " T2", " ID"; nothing for the client secret's chip name "secret", which would repeat the role. */
const suffix = (name: string | undefined) => (name && name !== 'secret' ? ` ${name}` : '');

function Secret({ value, names, role: named }: { value: string; names: Map<string, Chip>; role?: TokenRole | undefined }) {
  const fp = PLACEHOLDER.exec(value.trim())?.[1];
  if (!fp) return <code>{value}</code>;
  const chip = names.get(fp);
  const role = named && named !== 'secret' ? named : chip?.role ?? 'secret';
  return <span><span className={`role ${role}`}>{ROLE_LABEL[role]}{suffix(chip?.name)}</span> <code>{fp}</code></span>;
}

function Headers({ h, names }: { h: Record<string, string>; names: Map<string, Chip> }) {
  const entries = Object.entries(h);
  if (entries.length === 0) return null;
  return <table className="headers"><tbody>{entries.map(([k, v]) => {
    const scheme = /^(\w+) (\[redacted fp:[\w-]+\])$/.exec(v);
    return <tr key={k}><th scope="row">{k}</th><td>{scheme ? <>{scheme[1]} <Secret value={scheme[2] ?? ''} names={names} /></> : <code>{v}</code>}</td></tr>;
  })}</tbody></table>;
}

/** A form body decoded into name/value rows; `undefined` when the text is not a form. */
export function formParams(text: string, contentType = ''): [string, string][] | undefined {
  const trimmed = text.trim();
  if (!/x-www-form-urlencoded/i.test(contentType) && !/^[\w.-]+=[^\s&]*(&[\w.-]+=[^\s&]*)*$/.test(trimmed.replace(/\[redacted fp:[\w-]+\]/g, 'x'))) return undefined;
  try { return [...new URLSearchParams(trimmed)]; } catch { return undefined; }
}

function Body({ text, contentType, names, step, where }: { text?: string | undefined; contentType?: string | undefined; names: Map<string, Chip>; step: StepView; where: 'request' | 'response' }) {
  if (!text) return null;
  const form = formParams(text, contentType);
  if (form) {
    return (
      <table className="params"><caption className="sr-only">Form parameters</caption>
        <thead><tr><th scope="col">Parameter</th><th scope="col">Value</th></tr></thead>
        <tbody>{form.map(([k, v], i) => <tr key={`${k}${i}`}><th scope="row"><code>{k}</code></th><td><Secret value={v} names={names} role={roleOf(k, step, where)} /></td></tr>)}</tbody>
      </table>
    );
  }
  let pretty = text;
  try { pretty = boundedJson(JSON.parse(text)).text; } catch { /* not JSON */ }
  return <pre className="body">{pretty}</pre>;
}

/** "in 4 min", "2 h ago". */
export function relative(epochSeconds: number, now = Date.now()): string {
  const d = epochSeconds * 1000 - now;
  const abs = Math.abs(d) / 1000;
  const unit = abs < 90 ? `${Math.round(abs)} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : abs < 172800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} days`;
  return d >= 0 ? `in ${unit}` : `${unit} ago`;
}

const DATE_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

function Jwt({ jwt }: { jwt: { header: Record<string, unknown>; claims: Record<string, unknown> } }) {
  const exp = typeof jwt.claims.exp === 'number' ? jwt.claims.exp : undefined;
  return (
    <div className="jwt">
      <p>{exp !== undefined ? <strong>{exp * 1000 > Date.now() ? `Expires ${relative(exp)}` : `Expired ${relative(exp)}`}</strong> : 'No expiry claim.'}{' '}
        <span className="muted">Signature: not verified here — the transcript keeps only the decoded parts, never the token, so there is nothing to check against the {typeof jwt.claims.iss === 'string' ? <>issuer&apos;s (<code>{jwt.claims.iss}</code>)</> : 'issuer\'s'} keys{typeof jwt.header.kid === 'string' ? <> (key id <code>{jwt.header.kid}</code>)</> : null}.</span></p>
      <table className="params"><caption>Header</caption><tbody>{Object.entries(jwt.header).map(([k, v]) => <tr key={k}><th scope="row"><code>{k}</code></th><td><code>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</code></td></tr>)}</tbody></table>
      <table className="params"><caption>Claims</caption><tbody>{Object.entries(jwt.claims).map(([k, v]) => (
        <tr key={k}><th scope="row"><code>{k}</code></th><td>{DATE_CLAIMS.has(k) && typeof v === 'number' ? <>{new Date(v * 1000).toLocaleString()} <span className="muted">({relative(v)})</span></> : <code>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</code>}</td></tr>
      ))}</tbody></table>
    </div>
  );
}

interface TokenRow { fingerprint: string; role: TokenRole; name?: string | undefined; where: string; length?: number | undefined; jwt?: { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined }

/** Tokens of an exchange by role; the core's descriptions (length, decoded JWT) joined by fingerprint. */
export function tokenRows(step: StepView, names: Map<string, Chip>): TokenRow[] {
  const rows: TokenRow[] = tokensOf(step).map((t) => ({ fingerprint: t.fingerprint, role: t.role === 'secret' ? names.get(t.fingerprint)?.role ?? t.role : t.role, name: names.get(t.fingerprint)?.name, where: `${t.where === 'request' ? 'sent' : 'received'} as ${t.name}` }));
  for (const d of step.tokens ?? []) {
    // Descriptions shorter than 4 characters are not tokens (older exports listed base64 padding "=").
    if (d.length < 4) continue;
    const row = rows.find((r) => r.fingerprint === d.fingerprint);
    if (row) Object.assign(row, { length: d.length, jwt: d.jwt });
    else rows.push({ fingerprint: d.fingerprint, role: names.get(d.fingerprint)?.role ?? 'secret', name: names.get(d.fingerprint)?.name, where: 'in this exchange', length: d.length, jwt: d.jwt });
  }
  return rows;
}

export function StepDetail({ step, names = new Map() }: { step: StepView; names?: Map<string, Chip> }) {
  const [curl, setCurl] = useState<string | undefined>();
  const rows = tokenRows(step, names);
  const lane = LANES.find((l) => l.id === step.lane)?.label ?? step.lane;
  const copy = async () => {
    const text = curlCommand(step, names);
    setCurl(text);
    try { await navigator.clipboard.writeText(text); } catch { /* shown below to copy by hand */ }
  };
  return (
    <section className="step-detail" aria-label="Exchange details">
      <h3>{step.method} <code>{step.url}</code></h3>
      <p className="muted">{step.kind} · {lane} · {new Date(step.time).toLocaleTimeString()} · {step.duration} ms · {step.kind === 'interaction' ? 'in the person\'s browser' : `status ${step.status ?? 'no answer'}`}{step.outcome ? ` · ${step.outcome.replace(/_/g, ' ')}` : ''}</p>
      {step.error ? (
        <div className="error-pin" role="alert">
          <strong>{step.error.message}</strong> {step.error.hint}
          {step.error.spec ? <> <a href={step.error.spec} target="_blank" rel="noreferrer noopener">Specification</a></> : null}
        </div>
      ) : null}
      {step.note ? <p className="note">{step.note}</p> : null}
      {step.challenge ? <p>Challenge: <code>{step.challenge.scheme}</code>{step.challenge.asUri ? <> · as_uri <code>{step.challenge.asUri}</code></> : null}{step.challenge.ticket ? <> · ticket <Secret value={`[redacted ${step.challenge.ticket}]`} names={names} /></> : null}</p> : null}
      {step.kind !== 'interaction' ? <p><button type="button" className="secondary" onClick={() => void copy()}>Copy as curl</button></p> : null}
      {curl ? <pre className="curl" aria-label="curl command">{curl}</pre> : null}
      <h4>Request</h4>
      <Headers h={step.request.headers} names={names} />
      <Body text={step.request.body} contentType={step.request.headers['content-type']} names={names} step={step} where="request" />
      {step.dpop ? (
        <section aria-label="DPoP proof">
          <h4>DPoP proof (RFC 9449; decoded, the proof itself is never kept)</h4>
          <p>{step.dpop.jkt ? <>Key thumbprint <code className="role dpop">{step.dpop.jkt}</code>{names.get(`jkt:${step.dpop.jkt}`) ? <> ({names.get(`jkt:${step.dpop.jkt}`)?.name})</> : null}</> : 'No usable key in the proof.'}
            {typeof step.dpop.claims.ath === 'string' ? <> · bound to the access token by <code>ath</code> {step.dpop.claims.ath}</> : null}
            {typeof step.dpop.claims.nonce === 'string' ? <> · with the server&apos;s nonce</> : null}</p>
          <Jwt jwt={{ header: step.dpop.header, claims: step.dpop.claims }} />
        </section>
      ) : null}
      {step.response ? <><h4>Response</h4><Headers h={step.response.headers} names={names} /><Body text={step.response.body} contentType={step.response.headers['content-type']} names={names} step={step} where="response" /></> : null}
      {rows.length ? (
        <>
          <h4>Tokens in this exchange (fingerprints only, never the token)</h4>
          <ul className="tokens">{rows.map((t) => (
            <li key={`${t.fingerprint}${t.where}`}>
              <span className={`role ${t.role}`}>{ROLE_LABEL[t.role]}{suffix(t.name)}</span> <code>{t.fingerprint}</code> · {t.where}{t.length ? ` · ${t.length} characters` : ''}
              <span className="muted"> · in curl as <code>${variableFor(t.name ? { role: t.role, name: t.name } : undefined, t.fingerprint)}</code></span>
              {t.jwt ? <details><summary>Decoded JWT</summary><Jwt jwt={t.jwt} /></details> : null}
            </li>
          ))}</ul>
        </>
      ) : null}
    </section>
  );
}
