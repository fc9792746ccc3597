/**
 * One exchange in full, for people: form bodies as parameter tables, JSON pretty-printed, tokens by
 * role (ticket, claim token, PCT, RPT, client secret) as fingerprints with their decoded JWT header
 * and claims (dates in local time, "expires in"), the error pinned with its explanation, and
 * "Copy as curl" with every secret a named placeholder.
 */
import { boundedJson } from './RecordView';
import { useState } from 'react';
import type { DpopProofView, StepView } from '../../src/app/api';
import { LANES, chipJkt, shortJkt, tokenTypeOf, type Chip } from './sequence/layout';
import { ROLE_LABEL, roleOf, tokensOf, type TokenRole } from './sequence/tokens';
import { curlCommand, variableFor } from './sequence/curl';

const PLACEHOLDER = /^\[redacted (fp:[A-Za-z0-9_-]+)\]$/;
/** " T2", " ID"; nothing for the client secret's chip name "secret", which would repeat the role. */
const suffix = (name: string | undefined) => (name && name !== 'secret' ? ` ${name}` : '');
/** A token's label: its role and chip name; a DPoP proof by the short form of its key's thumbprint. */
const label = (role: TokenRole, chip: Pick<Chip, 'role' | 'fingerprint' | 'name'> | undefined, name = chip?.name) =>
  role === 'dpop' ? `${ROLE_LABEL.dpop} ${shortJkt(chip ? chipJkt(chip) : undefined)}` : `${ROLE_LABEL[role]}${suffix(name)}`;

function Secret({ value, names, role: named }: { value: string; names: Map<string, Chip>; role?: TokenRole | undefined }) {
  const fp = PLACEHOLDER.exec(value.trim())?.[1];
  if (!fp) return <code>{value}</code>;
  const chip = names.get(fp);
  const role = named && named !== 'secret' ? named : chip?.role ?? 'secret';
  return <span><span className={`role ${role}`}>{label(role, chip)}</span> <code>{fp}</code></span>;
}

function Headers({ h, names }: { h: Record<string, string>; names: Map<string, Chip> }) {
  const entries = Object.entries(h);
  if (entries.length === 0) return null;
  return <table className="headers"><tbody>{entries.map(([k, v]) => {
    const scheme = /^(\w+) (\[redacted fp:[\w-]+\])$/.exec(v);
    return <tr key={k}><th scope="row">{k}</th><td>{scheme ? <>{scheme[1]} <Secret value={scheme[2] ?? ''} names={names} /></> : PLACEHOLDER.test(v.trim()) ? <Secret value={v} names={names} /> : <code>{v}</code>}</td></tr>;
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

const DPOP_CLAIM_WORDS: Record<string, string> = {
  htm: 'the HTTP method it is for', htu: 'the address it is for', iat: 'when it was made', jti: 'its unique id (a server refuses it twice)',
  nonce: 'the server\'s nonce', ath: 'hash of the access token it goes with (shown as a fingerprint)',
};

/**
 * The DPoP proof of a request, decoded (RFC 9449 §4.2): the key's thumbprint, the JOSE header with
 * the public key, the claims. The proof itself is never kept, so there is no signature to check here.
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.2
 */
export function DpopProof({ proof }: { proof: DpopProofView }) {
  const claims = (['htm', 'htu', 'iat', 'jti', 'nonce', 'ath'] as const).filter((k) => proof.claims[k] !== undefined);
  return (
    <section className="dpop-proof" aria-label="DPoP proof">
      <h4>DPoP proof (sender-constrained token, RFC 9449)</h4>
      <p>Signed by Tessera&apos;s key with thumbprint (jkt) <code>{proof.jkt ?? 'unknown'}</code>. <span className="muted">Only the decoded parts are kept, never the proof, which a server could be made to accept again.</span></p>
      <table className="params"><caption>Proof header</caption><tbody>
        {proof.header.typ !== undefined ? <tr><th scope="row"><code>typ</code></th><td><code>{proof.header.typ}</code></td></tr> : null}
        {proof.header.alg !== undefined ? <tr><th scope="row"><code>alg</code></th><td><code>{proof.header.alg}</code></td></tr> : null}
        {proof.header.jwk ? <tr><th scope="row"><code>jwk</code></th><td><code>{JSON.stringify(proof.header.jwk)}</code> <span className="muted">(the public key)</span></td></tr> : null}
      </tbody></table>
      <table className="params"><caption>Proof claims</caption><tbody>{claims.map((k) => {
        const v = proof.claims[k];
        return (
          <tr key={k}><th scope="row"><code>{k}</code></th><td>{k === 'iat' && typeof v === 'number' ? <>{new Date(v * 1000).toLocaleString()} <span className="muted">({relative(v)})</span></> : <code>{String(v)}</code>}</td></tr>
        );
      })}</tbody></table>
      <dl className="muted dpop-claims">{claims.map((k) => <div key={k}><dt><code>{k}</code></dt><dd>{DPOP_CLAIM_WORDS[k]}</dd></div>)}</dl>
    </section>
  );
}

/** The `cnf.jkt` a JWT issued in this exchange names (RFC 9449 §6.1), if any: a binding the token_type may not say. */
function confirmedKey(step: StepView): string | undefined {
  for (const t of step.tokens ?? []) {
    const cnf = t.jwt?.claims.cnf;
    if (cnf && typeof cnf === 'object' && typeof (cnf as { jkt?: unknown }).jkt === 'string') return (cnf as { jkt: string }).jkt;
  }
  return undefined;
}

/** What a token response's `token_type` means for the RPT (RFC 9449 §5). */
function TokenType({ type, proof, cnf }: { type: string; proof?: DpopProofView | undefined; cnf?: string | undefined }) {
  if (type === 'DPoP') return <p>token_type <code>DPoP</code>: the RPT is bound to the key that signed this request&apos;s proof{proof?.jkt ? <> (jkt <code>{proof.jkt}</code>)</> : null}; the RS accepts it only with a fresh proof of that key.</p>;
  if (type === 'Bearer' && cnf) {
    return <p>token_type <code>Bearer</code>, yet the RPT names {cnf === proof?.jkt ? 'this proof\'s key' : 'a key'} in <code>cnf.jkt</code> (<code>{cnf}</code>): the AS bound it without saying so (RFC 9449 §5 asks for token_type DPoP), so an RS may treat it either way.</p>;
  }
  if (type === 'Bearer') return <p>token_type <code>Bearer</code>: the RPT is not bound to a key{proof ? ', although a proof was sent' : ''}; whoever holds it can use it.</p>;
  return <p>token_type <code>{type}</code></p>;
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
  const tokenType = step.kind === 'token' || step.kind === 'refresh' ? tokenTypeOf(step) : undefined;
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
      {step.dpop ? <DpopProof proof={step.dpop} /> : null}
      {step.response ? <><h4>Response</h4>{tokenType ? <TokenType type={tokenType} proof={step.dpop} cnf={confirmedKey(step)} /> : null}<Headers h={step.response.headers} names={names} /><Body text={step.response.body} contentType={step.response.headers['content-type']} names={names} step={step} where="response" /></> : null}
      {rows.length ? (
        <>
          <h4>Tokens in this exchange (fingerprints only, never the token)</h4>
          <ul className="tokens" aria-label="Tokens in this exchange">{rows.map((t) => (
            <li key={`${t.fingerprint}${t.where}`}>
              <span className={`role ${t.role}`}>{label(t.role, names.get(t.fingerprint), t.name)}</span> <code>{t.fingerprint}</code> · {t.where}{t.length ? ` · ${t.length} characters` : ''}
              <span className="muted"> · in curl as <code>${variableFor(t.name ? { role: t.role, name: t.name } : undefined, t.fingerprint)}</code></span>
              {t.jwt ? <details><summary>Decoded JWT</summary><Jwt jwt={t.jwt} /></details> : null}
            </li>
          ))}</ul>
        </>
      ) : null}
    </section>
  );
}
