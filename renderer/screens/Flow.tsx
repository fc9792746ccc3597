import { useMemo, type ChangeEvent } from 'react';
import { useUi } from '../store';
import { isImported, useTraces } from '../traces';
import { Timeline } from '../components/Timeline';
import { StepDetail } from '../components/StepDetail';
import { OutcomeBadge } from '../components/OutcomeBadge';
import { layoutFlow } from '../components/sequence/layout';
import { OUTCOME_TEXT } from '../explain';
import { keycloakHiddenWhy } from '../components/KeycloakEventsAccess';

/** "Client view" / "End to end": two toggle buttons, one pressed. */
export function ViewSwitch({ view, onChange }: { view: 'client' | 'e2e'; onChange: (v: 'client' | 'e2e') => void }) {
  return (
    <div className="seq-tools" role="group" aria-label="Diagram view">
      <button type="button" className={view === 'client' ? '' : 'secondary'} aria-pressed={view === 'client'} onClick={() => onChange('client')}>Client view</button>
      <button type="button" className={view === 'e2e' ? '' : 'secondary'} aria-pressed={view === 'e2e'} onClick={() => onChange('e2e')}>End to end</button>
    </div>
  );
}

export function Flow() {
  const live = useUi((s) => s.flows);
  const imported = useTraces((s) => s.imported);
  const importError = useTraces((s) => s.importError);
  const importName = useTraces((s) => s.importName);
  const importText = useTraces((s) => s.importText);
  const present = useTraces((s) => s.present);
  const selectedFlow = useUi((s) => s.selectedFlow);
  const selectedStep = useUi((s) => s.selectedStep);
  const selectFlow = useUi((s) => s.selectFlow);
  const selectStep = useUi((s) => s.selectStep);
  const go = useUi((s) => s.go);
  const trusted = useUi((s) => s.app?.trusted);
  const view = useTraces((s) => s.view);
  const setView = useTraces((s) => s.setView);
  const flows = { ...live, ...imported };
  const list = Object.values(flows).sort((a, b) => Number(isImported(b.flowId)) - Number(isImported(a.flowId)) || b.startedAt.localeCompare(a.startedAt));
  const flow = (selectedFlow ? flows[selectedFlow] : undefined) ?? list[0];
  const names = useMemo(() => layoutFlow(flow?.steps ?? []).names, [flow?.steps]);
  const failing = flow?.steps.find((s) => s.error) ?? (flow?.outcome && flow.outcome !== 'granted' ? flow.steps.at(-1) : undefined);
  const step = flow?.steps.find((s) => s.id === selectedStep) ?? failing;
  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const flowsIn = await importText(file.name, await file.text());
    if (flowsIn?.[0]) selectFlow(flowsIn[0].flowId);
    e.target.value = '';
  };
  return (
    <section aria-labelledby="h-flow" className="flow-screen">
      <h2 id="h-flow">Flow</h2>
      <div className="seq-tools">
        <label htmlFor="trace-file" className="secondary">Open a shared trace (Tessera export or HAR)</label>
        <input id="trace-file" type="file" accept=".json,.har,application/json" onChange={(e) => void onFile(e)} />
        {flow ? <button type="button" onClick={() => { present(flow.flowId, 0); go('presenter'); }}>Present this flow</button> : null}
      </div>
      {importError ? <p className="error-pin" role="alert">{importError}</p> : importName ? <p className="muted" role="status">Opened {importName} (read-only).</p> : null}
      {list.length === 0 ? <p className="muted">Open a resource, or a shared trace, to see its exchanges here.</p> : (
        <>
          <label htmlFor="flow-pick">Flow</label>
          <select id="flow-pick" value={flow?.flowId} onChange={(e) => selectFlow(e.target.value)}>
            {list.map((f) => <option key={f.flowId} value={f.flowId}>{isImported(f.flowId) ? '[imported, read-only] ' : ''}{new Date(f.startedAt).toLocaleTimeString()} — {f.title ?? f.url} — {f.running ? 'running' : f.outcome ?? 'no outcome'}</option>)}
          </select>
          {flow ? (
            <>
              <p>{isImported(flow.flowId) ? <span className="badge">Imported trace (read-only)</span> : null} <OutcomeBadge outcome={flow.outcome} running={flow.running} /> {flow.outcome ? OUTCOME_TEXT[flow.outcome].text : ''}</p>
              {flow.error ? <div className="error-pin" role="alert"><strong>{flow.error.message}</strong> {flow.error.hint} {flow.error.spec ? <a href={flow.error.spec} target="_blank" rel="noreferrer noopener">Specification</a> : null}</div> : null}
              <ViewSwitch view={view} onChange={setView} />
              {view === 'e2e' && !flow.server?.visible ? <p className="muted" role="note">The server side is not visible for this flow: its AS and RS publish no events Tessera can follow (the demo Tessera starts does, and Keycloak does when Tessera is given a credential to read its events). The diagram shows what Tessera saw.{' '}
                {keycloakHiddenWhy(trusted?.find((t) => t.issuer === flow.asIssuer)) ? <>{keycloakHiddenWhy(trusted?.find((t) => t.issuer === flow.asIssuer))} <button type="button" className="link" onClick={() => go('connections')}>Open Connections</button></> : null}</p> : null}
              {view === 'e2e' && flow.server?.visible && flow.server.source === 'keycloak' ? <p className="muted" role="note">The server side comes from Keycloak&apos;s own events: its token decisions and the RS&apos;s introspections. Keycloak does not record the RS&apos;s permission requests, the policy that decided, or Kate&apos;s approvals.</p> : null}
              <div className="flow-split">
                <Timeline flow={flow} selected={step?.id} onSelect={selectStep} endToEnd={view === 'e2e'} />
                {step ? <StepDetail step={step} names={names} /> : <p className="muted">Select an arrow to see its exchange.</p>}
              </div>
            </>
          ) : null}
        </>
      )}
    </section>
  );
}
