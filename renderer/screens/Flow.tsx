import { useUi } from '../store';
import { Timeline } from '../components/Timeline';
import { StepDetail } from '../components/StepDetail';
import { OutcomeBadge } from '../components/OutcomeBadge';
import { OUTCOME_TEXT } from '../explain';

export function Flow() {
  const flows = useUi((s) => s.flows);
  const selectedFlow = useUi((s) => s.selectedFlow);
  const selectedStep = useUi((s) => s.selectedStep);
  const selectFlow = useUi((s) => s.selectFlow);
  const selectStep = useUi((s) => s.selectStep);
  const list = Object.values(flows).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const flow = (selectedFlow ? flows[selectedFlow] : undefined) ?? list[0];
  const failing = flow?.steps.find((s) => s.error) ?? (flow?.outcome && flow.outcome !== 'granted' ? flow.steps.at(-1) : undefined);
  const step = flow?.steps.find((s) => s.id === selectedStep) ?? failing;
  return (
    <section aria-labelledby="h-flow" className="flow-screen">
      <h2 id="h-flow">Flow timeline</h2>
      {list.length === 0 ? <p className="muted">Open a resource to see its exchanges here.</p> : (
        <>
          <label htmlFor="flow-pick">Flow</label>
          <select id="flow-pick" value={flow?.flowId} onChange={(e) => selectFlow(e.target.value)}>
            {list.map((f) => <option key={f.flowId} value={f.flowId}>{new Date(f.startedAt).toLocaleTimeString()} — {f.title ?? f.url} — {f.running ? 'running' : f.outcome}</option>)}
          </select>
          {flow ? (
            <>
              <p><OutcomeBadge outcome={flow.outcome} running={flow.running} /> {flow.outcome ? OUTCOME_TEXT[flow.outcome].text : ''}</p>
              {flow.error ? <div className="error-pin" role="alert"><strong>{flow.error.message}</strong> {flow.error.hint} {flow.error.spec ? <a href={flow.error.spec} target="_blank" rel="noreferrer noopener">Specification</a> : null}</div> : null}
              <div className="flow-split">
                <Timeline flow={flow} selected={step?.id} onSelect={selectStep} />
                {step ? <StepDetail step={step} /> : <p className="muted">Select an exchange.</p>}
              </div>
            </>
          ) : null}
        </>
      )}
    </section>
  );
}
