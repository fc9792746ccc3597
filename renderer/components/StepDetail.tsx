/** One exchange in full: request and response, tokens as fingerprints and decoded JWT claims, the error pinned with its explanation. */
import type { StepView } from '../../src/app/api';

function Headers({ h }: { h: Record<string, string> }) {
  return <table className="headers"><tbody>{Object.entries(h).map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td><code>{v}</code></td></tr>)}</tbody></table>;
}

function Body({ text }: { text?: string | undefined }) {
  if (!text) return null;
  let pretty = text;
  try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
  return <pre className="body">{pretty}</pre>;
}

export function StepDetail({ step }: { step: StepView }) {
  return (
    <section className="step-detail" aria-label="Exchange details">
      <h3>{step.method} <code>{step.url}</code></h3>
      <p className="muted">{step.kind} · {step.lane.toUpperCase()} · {new Date(step.time).toLocaleTimeString()} · {step.duration} ms · status {step.status ?? 'none'}{step.outcome ? ` · ${step.outcome}` : ''}</p>
      {step.error ? (
        <div className="error-pin" role="alert">
          <strong>{step.error.message}</strong> {step.error.hint}
          {step.error.spec ? <> <a href={step.error.spec} target="_blank" rel="noreferrer noopener">Specification</a></> : null}
        </div>
      ) : null}
      {step.note ? <p className="note">{step.note}</p> : null}
      {step.challenge ? <p>Challenge: <code>{step.challenge.scheme}</code>{step.challenge.asUri ? <> · as_uri <code>{step.challenge.asUri}</code></> : null}{step.challenge.ticket ? <> · ticket <code>{step.challenge.ticket}</code></> : null}</p> : null}
      <h4>Request</h4>
      <Headers h={step.request.headers} />
      <Body text={step.request.body} />
      {step.response ? <><h4>Response</h4><Headers h={step.response.headers} /><Body text={step.response.body} /></> : null}
      {step.tokens?.length ? (
        <>
          <h4>Tokens in this exchange (never shown in full)</h4>
          <ul className="tokens">{step.tokens.map((t) => (
            <li key={t.fingerprint}><code>{t.fingerprint}</code> · {t.length} characters{t.jwt ? <details><summary>Decoded JWT</summary><pre>{JSON.stringify(t.jwt, null, 2)}</pre></details> : null}</li>
          ))}</ul>
        </>
      ) : null}
    </section>
  );
}
