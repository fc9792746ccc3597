/**
 * Presenter mode (lazy-loaded): a finished, live or imported flow one exchange at a time, in large
 * type, with a one-line narration and its spec section. Keys: → or Space next, ← back, Home/End.
 * The story menu runs Kate's four records and then Mallory on the demo, in order, through the
 * existing openResource API, and presents each flow as it happens.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FlowView } from '../../src/app/api';
import { useUi } from '../store';
import { useTraces, isImported } from '../traces';
import { SequenceDiagram } from '../components/sequence/SequenceDiagram';
import { layoutFlow } from '../components/sequence/layout';
import { narrate } from '../components/sequence/narration';

interface Chapter { id: string; title: string; url: string; who: string; expect: string }

/** The demo's story: Kate's four records (as Dr. Alice), then Mallory trying the bills. */
export function storyChapters(resources: { url: string; title: string; fromDemo: boolean }[]): Chapter[] {
  const demo = resources.filter((r) => r.fromDemo);
  const find = (part: string) => demo.find((r) => r.url.includes(part));
  const chapters: Chapter[] = [];
  const add = (part: string, who: string, expect: string, id = part) => { const r = find(part); if (r) chapters.push({ id, title: r.title, url: r.url, who, expect }); };
  add('/prescriptions', 'Dr. Alice', 'granted: a physician may read prescriptions');
  add('/blood-test', 'Dr. Alice', "granted after accepting the lab's terms in the browser");
  add('/bills', 'Dr. Alice', 'refused: only the insurer may read the bills');
  add('/care-notes', 'Dr. Alice', 'waits for Kate to approve in her dashboard');
  add('/bills', 'Mallory', 'refused: Mallory is nobody Kate shares with', 'mallory');
  return chapters;
}

function waitForFlow(flowId: string): Promise<FlowView | undefined> {
  return new Promise((resolve) => {
    const done = (f: FlowView | undefined) => f && !f.running;
    const now = useUi.getState().flows[flowId];
    if (done(now)) return resolve(now);
    const stop = useUi.subscribe((s) => { const f = s.flows[flowId]; if (done(f)) { stop(); resolve(f); } });
  });
}

export function Presenter() {
  const app = useUi((s) => s.app);
  const live = useUi((s) => s.flows);
  const run = useUi((s) => s.run);
  const go = useUi((s) => s.go);
  const imported = useTraces((s) => s.imported);
  const presenting = useTraces((s) => s.presenting);
  const present = useTraces((s) => s.present);
  const [playing, setPlaying] = useState<string | undefined>();
  const flows = { ...live, ...imported };
  const list = Object.values(flows).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const flow = (presenting.flowId ? flows[presenting.flowId] : undefined) ?? list[0];
  const steps = flow?.steps ?? [];
  const index = Math.min(presenting.step, Math.max(0, steps.length - 1));
  const layout = useMemo(() => layoutFlow(steps), [steps]);
  const step = steps[index];
  const narration = step ? narrate(step, layout) : undefined;
  const chapters = storyChapters(app?.resources ?? []);
  const who = app?.identities[0]?.name;

  const goTo = (i: number) => { if (flow) present(flow.flowId, Math.max(0, Math.min(i, steps.length - 1))); };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement | null)?.tagName;
      if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || (tag === 'BUTTON' && e.key === ' ')) return;
      if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'PageDown') { e.preventDefault(); goTo(index + 1); }
      else if (e.key === 'ArrowLeft' || e.key === 'PageUp') { e.preventDefault(); goTo(index - 1); }
      else if (e.key === 'Home') goTo(0);
      else if (e.key === 'End') goTo(steps.length - 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  // Keep the current exchange on screen as the presenter steps.
  useEffect(() => {
    const current = document.querySelector('.presenter .seq-msg.current');
    if (current && 'scrollIntoView' in current && typeof current.scrollIntoView === 'function') current.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [index, flow?.flowId]);
  // Follow a live flow while it runs, when the presenter is at its newest step.
  const [following, setFollowing] = useState(true);
  useEffect(() => { if (flow?.running && following && steps.length > 0) present(flow.flowId, steps.length - 1); }, [flow?.running, steps.length, following, flow?.flowId, present]);

  const runChapter = async (c: Chapter): Promise<FlowView | undefined> => {
    setPlaying(c.id);
    setFollowing(true);
    const started = await run(`story:${c.id}`, (a) => a.openResource({ url: c.url, waitSeconds: c.id.includes('care-notes') ? 60 : 0 }));
    if (!started) { setPlaying(undefined); return undefined; }
    present(started.flowId, 0);
    const finished = await waitForFlow(started.flowId);
    setPlaying(undefined);
    return finished;
  };
  const playAll = async () => {
    for (const c of chapters.filter((x) => x.id !== 'mallory')) if (!(await runChapter(c))) return;
  };

  return (
    <section aria-labelledby="h-presenter" className="presenter">
      <h2 id="h-presenter">Presenter</h2>
      <div className="seq-tools">
        <label htmlFor="present-pick" className="sr-only">Flow to present</label>
        <select id="present-pick" value={flow?.flowId ?? ''} onChange={(e) => present(e.target.value, 0)}>
          {list.length === 0 ? <option value="">No flow yet</option> : null}
          {list.map((f) => <option key={f.flowId} value={f.flowId}>{isImported(f.flowId) ? '[imported] ' : ''}{f.title ?? f.url} — {f.running ? 'running' : f.outcome ?? ''}</option>)}
        </select>
        {app?.demo ? <button type="button" className="secondary" onClick={() => window.open(app.demo?.dashboardUrl, '_blank', 'noopener,noreferrer')}>Kate&apos;s view</button> : null}
        <button type="button" className="secondary" onClick={() => go('flow')}>Back to Flow</button>
      </div>
      {chapters.length ? (
        <details className="story">
          <summary>Story: Kate&apos;s records{who ? ` (signed in as ${who})` : ''}</summary>
          <ol>{chapters.map((c) => (
            <li key={c.id}>
              <button type="button" className="secondary" disabled={playing !== undefined} onClick={() => void runChapter(c)}>{c.id === 'mallory' ? `Mallory opens ${c.title}` : `Open ${c.title}`}</button>
              <span className="muted"> {c.who}: {c.expect}{c.id === 'mallory' ? ' (sign in as Mallory in Connections first)' : ''}</span>
            </li>
          ))}</ol>
          <button type="button" disabled={playing !== undefined} onClick={() => void playAll()}>Play Kate&apos;s four records in order</button>
          {playing ? <span role="status"> Running {chapters.find((c) => c.id === playing)?.title}…</span> : null}
        </details>
      ) : null}
      {!flow || !step ? <p className="narration">Open a resource or a trace; its exchanges appear here one at a time.</p> : (
        <>
          <p className="stepper" aria-live="polite"><strong>Step {index + 1} of {steps.length}</strong>{flow.running ? ' (live)' : ''} · {flow.title ?? flow.url}</p>
          <p className="narration" aria-live="polite" data-testid="narration">{narration?.text} <a className="spec" href={narration?.href} target="_blank" rel="noreferrer noopener">{narration?.spec}</a></p>
          <div className="seq-tools">
            <button type="button" onClick={() => { setFollowing(false); goTo(index - 1); }} disabled={index === 0}>← Back</button>
            <button type="button" onClick={() => { setFollowing(index + 1 >= steps.length - 1); goTo(index + 1); }} disabled={index >= steps.length - 1}>Next →</button>
            <span className="muted">Keys: → or Space next, ← back</span>
          </div>
          <SequenceDiagram steps={steps} upTo={index} fontSize={17} selected={step.id} onSelect={(id) => goTo(steps.findIndex((s) => s.id === id))} running={flow.running} label={`Sequence diagram, step ${index + 1} of ${steps.length}`} />
        </>
      )}
    </section>
  );
}

export default Presenter;
