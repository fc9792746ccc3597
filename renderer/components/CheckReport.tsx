/**
 * "Check this AS" (Connections): choose a protected resource of the AS (it gives the checks their
 * permission tickets), run the same checks as the command-line probe acting as the current person,
 * watch them finish one by one, cancel, and read the report: counts, each check's verdict, what a
 * client must do, the spec, and its exchange as a sequence diagram with the redacted details.
 * Export gives the same self-contained HTML report as the command line, or its JSON.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { CheckRunView, CheckStatus, CheckView, FlowView, ResourceView } from '../../src/app/api';
import { useChecks } from '../checks';
import { saveText } from '../save';
import { latestFlow, useUi } from '../store';
import { Timeline } from './Timeline';
import { StepDetail } from './StepDetail';
import { layoutFlow } from './sequence/layout';

// The probe's grades (their meaning: src/probe/grading.ts, README "Check your AS"), as the HTML report shows them.
const LABEL: Record<CheckStatus, string> = { pass: 'Pass', info: 'Info', deviation: 'Deviation', fail: 'Fail', unsafe: 'Unsafe', skip: 'Skipped' };
const SYMBOL: Record<CheckStatus, string> = { pass: '✓', info: 'i', deviation: '≈', fail: '✗', unsafe: '!', skip: '–' };
const COUNT: Record<CheckStatus, [string, string]> = { pass: ['passed', 'passed'], info: ['info', 'info'], deviation: ['deviation', 'deviations'], fail: ['failed', 'failed'], unsafe: ['unsafe', 'unsafe'], skip: ['skipped', 'skipped'] };
const STATUSES: CheckStatus[] = ['pass', 'info', 'deviation', 'fail', 'unsafe', 'skip'];

/** What the counts mean for a client, worded as the probe's verdictSentence (src/probe/grading.ts). */
function verdictSentence(s: Record<CheckStatus, number>): string {
  if (s.unsafe > 0) return `${s.unsafe} ${s.unsafe === 1 ? 'check is' : 'checks are'} unsafe: following this server there could expose tokens, claims or credentials. Do not use it until each one below is fixed.`;
  if (s.fail > 0) return `${s.fail} ${s.fail === 1 ? 'check' : 'checks'} failed: this server does not do what UMA 2.0 requires there. A client can use it only if it copes with each failure below.`;
  return `Nothing unsafe, no check failed: a UMA client can work with this server${s.deviation ? ', provided it handles the deviations below.' : '.'}`;
}
const OTHER = '__other__';

const sameIssuer = (a: string | undefined, b: string) => a !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

export function Verdict({ status }: { status: CheckStatus }) {
  return <span className={`badge check-${status}`}><span aria-hidden="true">{SYMBOL[status]}</span> {LABEL[status]}</span>;
}

/** The resources to offer: those whose last flow was protected by this AS first. */
export function resourcesFor(issuer: string, resources: ResourceView[], flows: Record<string, FlowView>): { resource: ResourceView; ofThisAs: boolean }[] {
  return resources
    .map((resource) => ({ resource, ofThisAs: sameIssuer(latestFlow(flows, resource.url)?.asIssuer, issuer) }))
    .sort((a, b) => Number(b.ofThisAs) - Number(a.ofThisAs));
}

export function CheckReport({ issuer, label, onClose }: { issuer: string; label: string; onClose: () => void }) {
  const app = useUi((s) => s.app);
  const flows = useUi((s) => s.flows);
  const run = useUi((s) => s.run);
  const runs = useChecks((s) => s.runs);
  const current = useMemo(() => Object.values(runs).filter((r) => r.issuer === issuer).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0], [runs, issuer]);
  const offered = useMemo(() => resourcesFor(issuer, app?.resources ?? [], flows), [issuer, app?.resources, flows]);
  const [choice, setChoice] = useState<string>(() => offered[0]?.resource.url ?? OTHER);
  const [typed, setTyped] = useState('');
  const [fresh, setFresh] = useState(false);
  const isKeycloak = Boolean(app?.trusted.find((t) => sameIssuer(t.issuer, issuer))?.keycloak);
  const [kc, setKc] = useState({ permitted: '', denied: '', audience: '' });
  // Events missed while the event stream reconnected: re-read a running run now and then.
  const runningId = current?.running ? current.runId : undefined;
  useEffect(() => {
    if (!runningId) return;
    const timer = setInterval(() => {
      void useUi.getState().api?.getCheckRun({ runId: runningId }).then((view) => {
        // Never let a slow answer overwrite the finished report.
        if (useChecks.getState().runs[view.runId]?.running) useChecks.getState().onEvent({ type: 'checkRun', run: view });
      }, () => undefined);
    }, 3000);
    return () => clearInterval(timer);
  }, [runningId]);
  if (!app) return null;
  const start = async (e: FormEvent) => {
    e.preventDefault();
    const resource = choice === OTHER ? typed.trim() : choice;
    const keycloak = isKeycloak ? Object.fromEntries(Object.entries(kc).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v)) : {};
    const started = await run('checkAs', (a) => a.checkAs({ issuer, resource, ...(Object.keys(keycloak).length ? { keycloak } : {}) }));
    if (started) setFresh(false);
  };
  const nobody = app.actingAs.party === 'nobody';
  const showForm = !current || fresh;
  return (
    <section className="card check-as" aria-labelledby="h-check-as">
      <div className="resource-head">
        <h3 id="h-check-as">Check {label}</h3>
        <button type="button" className="secondary" onClick={onClose}>Close</button>
      </div>
      {showForm ? (
        <form onSubmit={(e) => void start(e)}>
          <p>Tessera asks this authorization server the questions a UMA client asks and reports how it answers: where its settings are published, how it refuses bad tickets, how it asks for claims, and more. Each check compares the answer with the UMA 2.0 specification.</p>
          <p className="muted">Tessera sends nothing to an authorization server you do not trust.{' '}
            {nobody ? 'You act as nobody, so the checks that push claims are skipped.' : <>Checks that push claims send the ID token of the person you act as, <strong>{app.actingAs.label}</strong>.</>}
            {' '}Some checks may leave an access request waiting for the owner; the report lists them.</p>
          <fieldset>
            <legend>A protected resource of this server (each check asks it for a fresh permission ticket)</legend>
            {offered.map(({ resource, ofThisAs }) => (
              <label key={resource.url} className="choice">
                <input type="radio" name="check-resource" value={resource.url} checked={choice === resource.url} onChange={() => setChoice(resource.url)} />
                {' '}{resource.title} <code>{resource.url}</code>{ofThisAs ? <span className="pill">protected by this server</span> : null}
              </label>
            ))}
            <label className="choice">
              <input type="radio" name="check-resource" value={OTHER} checked={choice === OTHER} onChange={() => setChoice(OTHER)} /> Another address
            </label>
            {choice === OTHER ? (
              <>
                <label htmlFor="check-url">Address of the protected resource</label>
                <input id="check-url" type="url" required value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="https://records.example/patients/42" />
              </>
            ) : null}
          </fieldset>
          {isKeycloak ? (
            <fieldset>
              <legend>Keycloak&apos;s decision checks (optional)</legend>
              <p className="muted">Tessera asks Keycloak&apos;s decision and permission list for these, and compares each with a real grant. A resource a user owns needs its id.</p>
              <label htmlFor="check-kc-permitted">A permission {app.actingAs.label} is granted (RESOURCE#SCOPE)</label>
              <input id="check-kc-permitted" type="text" value={kc.permitted} onChange={(e) => setKc({ ...kc, permitted: e.target.value })} spellCheck={false} />
              <label htmlFor="check-kc-denied">A permission {app.actingAs.label} is refused (RESOURCE#SCOPE)</label>
              <input id="check-kc-denied" type="text" value={kc.denied} onChange={(e) => setKc({ ...kc, denied: e.target.value })} spellCheck={false} />
              <label htmlFor="check-kc-audience">The resource server&apos;s client id (optional: the ticket names it)</label>
              <input id="check-kc-audience" type="text" value={kc.audience} onChange={(e) => setKc({ ...kc, audience: e.target.value })} spellCheck={false} />
            </fieldset>
          ) : null}
          <button type="submit" disabled={Boolean(useUi.getState().busy.checkAs)}>Run the checks</button>
          {current ? <button type="button" className="secondary" onClick={() => setFresh(false)}>Back to the last report</button> : null}
        </form>
      ) : current ? <RunView run={current} onAgain={() => setFresh(true)} /> : null}
    </section>
  );
}

export function RunView({ run, onAgain }: { run: CheckRunView; onAgain?: () => void }) {
  const call = useUi((s) => s.run);
  const identities = useUi((s) => s.app?.identities);
  const who = identities?.find((i) => i.key === run.party);
  const party = run.party === 'nobody' ? 'nobody' : who?.name ?? who?.email ?? run.party;
  const exportAs = (format: 'html' | 'json') => void call('exportCheck', (a) => a.exportCheckReport({ runId: run.runId, format })).then((r) => r && saveText(r.filename, r.mime, r.text));
  const left = run.created.filter((c) => !c.cleanedUp);
  return (
    <div className="check-run">
      <p className="muted">Resource <code>{run.resource}</code>, acting as {party}, started {new Date(run.startedAt).toLocaleTimeString()}.</p>
      {run.running ? (
        <div className="check-progress">
          <div role="status" aria-live="polite">
            <label htmlFor={`progress-${run.runId}`}>{run.total ? `${run.done} of ${run.total} checks done` : 'Starting the checks…'}</label>
          </div>
          <progress id={`progress-${run.runId}`} max={run.total ?? 1} value={run.done} />
          <button type="button" className="secondary" onClick={() => void call('cancelCheck', (a) => a.cancelCheck({ runId: run.runId }))}>Cancel</button>
          <ol className="check-live" aria-label="Checks done so far">
            {run.checks.map((c) => <li key={c.id}><Verdict status={c.status} /> {c.title}</li>)}
          </ol>
        </div>
      ) : (
        <div className="check-report" role="region" aria-label="Check report">
          {run.error ? <p className="error-pin" role="alert">The checks could not run: {run.error.message} {run.error.hint}</p> : null}
          {run.otherAs ? <p className="warning" role="alert">This resource is protected by <code>{run.otherAs}</code>, not by this server. Tessera sent nothing to it. Choose a resource of this server.</p> : null}
          {run.cancelled ? <p className="warning">You cancelled the checks. The ones that had not finished are marked skipped.</p> : null}
          <h4>Summary</h4>
          <ul className="check-summary" aria-label="Summary">
            {STATUSES.map((s) => <li key={s} className={`check-${s}`}><strong>{run.summary[s]}</strong> {COUNT[s][run.summary[s] === 1 ? 0 : 1]}</li>)}
          </ul>
          <p>{verdictSentence(run.summary)}</p>
          <p>
            <button type="button" onClick={() => exportAs('html')}>Export report (HTML)</button>
            <button type="button" className="secondary" onClick={() => exportAs('json')}>Export as JSON</button>
            {onAgain ? <button type="button" className="secondary" onClick={onAgain}>Check again</button> : null}
          </p>
          <h4>What the checks left at the server</h4>
          {left.length === 0 ? <p className="muted">Nothing: everything the checks created was cleaned up.</p> : (
            <ul>{left.map((c) => <li key={c.description}>{c.kind === 'pending_request' ? 'An access request waiting for the owner' : c.kind === 'registered_client' ? 'A registered client' : 'A token that expires on its own'}: {c.description}{c.count && c.count > 1 ? ` (from ${c.count} requests)` : ''}.</li>)}</ul>
          )}
          {left.some((c) => c.kind === 'pending_request') ? <p className="muted">Ask the resource owner to deny the waiting requests.</p> : null}
          <h4>Checks</h4>
          <ul className="check-list" aria-label="Checks">{run.checks.map((c) => <CheckItem key={c.id} check={c} resource={run.resource} />)}</ul>
        </div>
      )}
    </div>
  );
}

function CheckItem({ check, resource }: { check: CheckView; resource: string }) {
  const [selected, setSelected] = useState<string>();
  const [open, setOpen] = useState(false);
  const flow: FlowView = useMemo(() => ({ flowId: `check-${check.id}`, url: resource, title: check.title, startedAt: check.steps[0]?.time ?? '', running: false, steps: check.steps }), [check, resource]);
  const names = useMemo(() => layoutFlow(check.steps).names, [check.steps]);
  const step = check.steps.find((s) => s.id === selected);
  return (
    <li className={`check-item check-${check.status}`}>
      <article aria-labelledby={`h-${check.id}`}>
        <p className="check-head"><Verdict status={check.status} /> <strong id={`h-${check.id}`}>{check.title}</strong> <code className="muted">{check.id}</code></p>
        <p>{check.detail}</p>
        {check.advice ? <p><strong>What a client must do:</strong> {check.advice}</p> : null}
        <p className="muted">{check.rule ? `${check.rule} ` : ''}<a href={check.spec} target="_blank" rel="noreferrer noopener">Specification</a></p>
        {check.steps.length ? (
          <details onToggle={(e) => setOpen(e.currentTarget.open)}>
            <summary>The exchange ({check.steps.length} {check.steps.length === 1 ? 'request' : 'requests'})</summary>
            {/* Drawn when opened: a report has dozens of checks. */}
            {open ? <>
              <Timeline flow={flow} selected={selected} onSelect={setSelected} />
              {step ? <StepDetail step={step} names={names} /> : <p className="muted">Select an arrow to see that request and its answer (tokens appear as fingerprints).</p>}
            </> : null}
          </details>
        ) : null}
      </article>
    </li>
  );
}
