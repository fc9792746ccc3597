/**
 * The request builder (Resources screen): method, headers, body and the scopes to ask the AS for,
 * sent through the engine like any open — so a PUT to a record shows the RPT being upgraded to
 * `write` and the request retried (UMA Grant §3.3.5.1), and a tester can reproduce a client's request.
 * When a trusted AS is a Keycloak realm it offers Keycloak's ticketless options (./KeycloakOptions.tsx).
 */
import { useState, type FormEvent } from 'react';
import type { ResourceView, TrustedAsView } from '../../src/app/api';
import { HTTP_METHODS, type HttpMethod } from '../../src/app/api-methods';
import { parseJsonBounded } from '../../packages/uma/src/kernel/json';
import { useUi } from '../store';
import { OutcomeBadge } from './OutcomeBadge';
import { emptyKeycloakOptions, KeycloakAnswer, keycloakInput, KeycloakOptions } from './KeycloakOptions';

const METHODS = HTTP_METHODS;
type Method = HttpMethod;

/** "Name: value" lines into a header record; returns an error message for a bad line. */
export function parseHeaderLines(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return `Header line ${i + 1} needs "Name: value".`;
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return out;
}

/**
 * JSON indented for reading; anything else as it came. The RS wrote it: parsed only up to the engine's
 * depth bound (a body nested 10⁵ levels deep would overflow JSON.stringify), deeper text as it came.
 */
function pretty(text: string): string {
  const parsed = parseJsonBounded(text);
  return parsed.ok ? JSON.stringify(parsed.value, null, 2) : text;
}

export function RequestBuilder({ resources, trusted = [] }: { resources: ResourceView[]; trusted?: TrustedAsView[] }) {
  const run = useUi((s) => s.run);
  const flows = useUi((s) => s.flows);
  const selectFlow = useUi((s) => s.selectFlow);
  const go = useUi((s) => s.go);
  const [url, setUrl] = useState(resources[0]?.url ?? '');
  const [method, setMethod] = useState<Method>('GET');
  const [headers, setHeaders] = useState('');
  const [body, setBody] = useState('');
  const [scopes, setScopes] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [flowId, setFlowId] = useState<string | undefined>();
  const keycloaks = trusted.filter((t) => t.keycloak);
  const [kc, setKc] = useState(() => emptyKeycloakOptions(keycloaks[0]?.issuer));
  const kcOn = kc.on && keycloaks.length > 0;
  const asksOnly = kcOn && kc.responseMode !== 'token';
  const flow = flowId ? flows[flowId] : undefined;
  const withBody = method === 'PUT' || method === 'POST' || method === 'PATCH';
  const send = async (e: FormEvent) => {
    e.preventDefault();
    const h = parseHeaderLines(headers);
    if (typeof h === 'string') { setProblem(h); return; }
    if (withBody && body.trim()) {
      const typed = Object.entries(h).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
      if ((!typed || /json/i.test(typed)) && (() => { try { JSON.parse(body); return false; } catch { return true; } })()) { setProblem('The body is not JSON; fix it or set a Content-Type.'); return; }
    }
    const keycloak = kcOn ? keycloakInput({ ...kc, asIssuer: keycloaks.some((k) => k.issuer === kc.asIssuer) ? kc.asIssuer : keycloaks[0]?.issuer ?? '' }) : undefined;
    if (typeof keycloak === 'string') { setProblem(keycloak); return; }
    setProblem(undefined);
    const scopeList = scopes.split(/[\s,]+/).filter(Boolean);
    const started = await run('builder', (a) => a.openResource({ url, method, ...(Object.keys(h).length ? { headers: h } : {}), ...(withBody && body ? { body } : {}), ...(scopeList.length ? { scopes: scopeList } : {}), ...(keycloak ? { keycloak } : {}), waitSeconds: 0 }));
    if (started) setFlowId(started.flowId);
  };
  const fillFromRecord = () => {
    const latest = Object.values(flows).filter((f) => f.url === url && f.body).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
    if (latest?.body) setBody(pretty(latest.body));
  };
  return (
    <form className="card builder" onSubmit={(e) => void send(e)} aria-labelledby="h-builder">
      <h3 id="h-builder">Request builder</h3>
      <p className="muted">Send any request through Tessera. A PUT needs the <code>write</code> scope: Tessera asks the AS to upgrade its RPT and retries.</p>
      <label htmlFor="rb-url">Address</label>
      <input id="rb-url" type="url" required list="rb-known" value={url} onChange={(e) => setUrl(e.target.value)} />
      <datalist id="rb-known">{resources.map((r) => <option key={r.url} value={r.url}>{String(r.title)}</option>)}</datalist>
      <label htmlFor="rb-method">Method</label>
      <select id="rb-method" value={method} onChange={(e) => setMethod(e.target.value as Method)}>{METHODS.map((m) => <option key={m}>{m}</option>)}</select>
      <label htmlFor="rb-scopes">Scopes to ask for (besides the ticket&apos;s)</label>
      <input id="rb-scopes" type="text" value={scopes} onChange={(e) => setScopes(e.target.value)} placeholder="read write" />
      <label htmlFor="rb-headers">Headers (one &quot;Name: value&quot; per line)</label>
      <textarea id="rb-headers" value={headers} onChange={(e) => setHeaders(e.target.value)} placeholder="Accept: application/json" />
      {withBody ? (
        <>
          <label htmlFor="rb-body">Body</label>
          <textarea id="rb-body" value={body} onChange={(e) => setBody(e.target.value)} />
          <button type="button" className="secondary" onClick={fillFromRecord}>Start from the record last read</button>
        </>
      ) : null}
      {keycloaks.length ? <KeycloakOptions value={kc} onChange={setKc} keycloaks={keycloaks} /> : null}
      {problem ? <p className="bad-text" role="alert">{problem}</p> : null}
      <p><button type="submit">{asksOnly ? 'Ask Keycloak' : `Send ${method}`}</button></p>
      {flow ? (
        <p role="status" className="builder-result">
          <OutcomeBadge outcome={flow.outcome} running={flow.running} /> {flow.running || (flow.keycloak && flow.status === null) ? '' : `${method} answered ${flow.status ?? 'nothing'}`}{' '}
          {flow.error && !flow.running ? <span>{flow.error.message}</span> : null}{' '}
          <button type="button" className="secondary" onClick={() => { selectFlow(flow.flowId); go('flow'); }}>See it as a diagram</button>
        </p>
      ) : null}
      {flow?.keycloak && !flow.running ? <KeycloakAnswer answer={flow.keycloak} /> : null}
      {flow && !flow.running && flow.body !== undefined ? (
        <section className="builder-response" aria-label={`Response of the resource server: ${flow.status ?? ''}`}>
          <h4>The resource server answered {flow.status ?? ''}{flow.contentType ? <span className="muted"> ({flow.contentType.split(';')[0]})</span> : null}</h4>
          <pre>{pretty(flow.body)}</pre>
        </section>
      ) : null}
    </form>
  );
}
