/**
 * A health record rendered for a person: a prescription looks like a prescription, a lab report
 * like a lab report. Unknown JSON falls back to a readable key/value list. The raw JSON is one click away.
 */
type Json = Record<string, unknown>;
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

function Patient({ p }: { p: unknown }) {
  const patient = (p ?? {}) as Json;
  return <p className="muted">Patient: <strong>{str(patient.name)}</strong>{patient.born ? ` · born ${str(patient.born)}` : ''}{patient.id ? ` · ${str(patient.id)}` : ''}</p>;
}

function Prescriptions({ r }: { r: Json }) {
  return (
    <div className="record prescriptions">
      <Patient p={r.patient} />
      {arr(r.prescriptions).map((rx) => (
        <article key={str(rx.id)} className={`rx ${str(rx.status)}`} aria-label={`Prescription ${str(rx.medication)}`}>
          <header><span className="rx-symbol" aria-hidden="true">℞</span> <strong>{str(rx.medication)}</strong> {str(rx.strength)} {str(rx.form)} <span className="pill">{str(rx.status)}</span></header>
          <p className="sig">{str(rx.dosage)}</p>
          <p className="muted">Quantity {str(rx.quantity)} · refills {str(rx.refills)} · prescribed {str(rx.prescribed)} by {str(rx.prescribedBy)}</p>
        </article>
      ))}
    </div>
  );
}

function LabReport({ r }: { r: Json }) {
  return (
    <div className="record lab">
      <Patient p={r.patient} />
      <p><strong>{str(r.panel)}</strong> — {str(r.laboratory)}, collected {str(r.collected).slice(0, 10)}</p>
      <table>
        <thead><tr><th scope="col">Test</th><th scope="col">Result</th><th scope="col">Reference</th><th scope="col">Flag</th></tr></thead>
        <tbody>{arr(r.results).map((t) => (
          <tr key={str(t.test)} className={str(t.flag) === 'normal' ? '' : 'flagged'}><td>{str(t.test)}</td><td>{str(t.value)} {str(t.unit)}</td><td>{str(t.range)}</td><td>{str(t.flag) === 'normal' ? 'normal' : <strong>{str(t.flag)}</strong>}</td></tr>
        ))}</tbody>
      </table>
      {r.comment ? <p className="muted">{str(r.comment)}</p> : null}
    </div>
  );
}

function Bills({ r }: { r: Json }) {
  const total = arr(r.invoices).reduce((s, i) => s + Number(i.amount ?? 0), 0);
  return (
    <div className="record bills">
      <Patient p={r.patient} />
      <table>
        <thead><tr><th scope="col">Invoice</th><th scope="col">Date</th><th scope="col">For</th><th scope="col">Amount</th><th scope="col">Status</th></tr></thead>
        <tbody>{arr(r.invoices).map((i) => <tr key={str(i.id)}><td>{str(i.id)}</td><td>{str(i.date)}</td><td>{str(i.description)}</td><td>{Number(i.amount).toFixed(2)} {str(r.currency)}</td><td>{str(i.status)}</td></tr>)}</tbody>
        <tfoot><tr><th scope="row" colSpan={3}>Total</th><td>{total.toFixed(2)} {str(r.currency)}</td><td /></tr></tfoot>
      </table>
    </div>
  );
}

function CareNotes({ r }: { r: Json }) {
  return (
    <div className="record notes">
      <Patient p={r.patient} />
      <p className="muted">{str(r.team)}</p>
      {arr(r.notes).map((n, i) => <blockquote key={i}><p>{str(n.text)}</p><footer>— {str(n.author)}, {str(n.date)}</footer></blockquote>)}
    </div>
  );
}

function Generic({ r }: { r: Json }) {
  return <dl className="record generic">{Object.entries(r).map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{typeof v === 'object' ? JSON.stringify(v) : str(v)}</dd></div>)}</dl>;
}

export function RecordView({ body }: { body: string }) {
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { parsed = undefined; }
  const r = (parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined) as Json | undefined;
  const kind = str(r?.kind);
  return (
    <div>
      {!r ? <pre className="raw">{body}</pre>
        : kind === 'prescriptions' ? <Prescriptions r={r} />
        : kind === 'lab-report' ? <LabReport r={r} />
        : kind === 'bills' ? <Bills r={r} />
        : kind === 'care-notes' ? <CareNotes r={r} />
        : <Generic r={r} />}
      {r ? <details className="raw-json"><summary>Raw JSON</summary><pre>{JSON.stringify(r, null, 2)}</pre></details> : null}
    </div>
  );
}
