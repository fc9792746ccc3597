/**
 * Presenter mode (lazy-loaded): a finished, live or imported flow one exchange at a time, in large
 * type, with a narration from both sides (what Tessera did, and — End to end — what the RS and AS
 * did and why) and its spec section, speaker notes below the fold, and a progress bar. Keys: → or
 * Space next, ← back, Home/End first/last, B blank screen, F full screen (the Fullscreen API on this
 * section alone, so no app chrome). The diagram follows the step: the current exchange is scrolled
 * into view. The story menu runs Kate's records scene by scene and then Mallory on the demo, in order, through
 * the existing openResource API, and presents each flow as it happens.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ApiInput, AppState, FlowView } from '../../src/app/api';
import { useUi } from '../store';
import { useTraces, isImported } from '../traces';
import { SequenceDiagram } from '../components/sequence/SequenceDiagram';
import { layoutFlow } from '../components/sequence/layout';
import { narrate } from '../components/sequence/narration';
import { eventsOfStep, issuerNamer, serverWhy, serverWhyText } from '../components/sequence/server-side';
import { ViewSwitch } from './Flow';
import { saveText } from '../save';
import { notesUrl, openNotesChannel, readNotesMessage, type NotesStep } from '../speaker-notes';

/** The person a flow acted for, by name where Tessera holds their identity ("Dr. Alice Moreau"). */
export function partyName(flow: FlowView | undefined, app: AppState | undefined): string | undefined {
  if (!flow?.party) return undefined;
  if (flow.party === 'nobody') return 'nobody (no claims)';
  const held = app?.identities.find((i) => `${i.issuer}#${i.sub}` === flow.party);
  if (held) return held.name ?? held.email ?? held.sub;
  if (app?.actingAs.party === flow.party) return app.actingAs.label;
  return flow.party.split('#').at(-1);
}

/** One scene of the story; `write`: read the record, then write it back (PUT), which needs the `write` scope. */
export interface Chapter { id: string; title: string; url: string; who: string; expect: string; write?: boolean; hint?: string }

/**
 * The demo's story, one chapter per scene: granted (prescriptions), need_info with interaction (the
 * blood test), refused (bills), pending then approved by Kate (care notes), PCT reuse (the discharge
 * letter), write upgrade (the prescriptions read, then written back: the RS asks for `write`, and
 * Tessera sends the RPT it holds as the grant's `rpt` parameter so the AS can upgrade it; UMA Grant
 * §3.3.1, §3.3.5.1), then Mallory refused.
 */
export function storyChapters(resources: { url: string; title: string; fromDemo: boolean }[]): Chapter[] {
  const demo = resources.filter((r) => r.fromDemo);
  const find = (part: string) => demo.find((r) => r.url.includes(part));
  const chapters: Chapter[] = [];
  const add = (part: string, who: string, expect: string, id = part, more: Pick<Chapter, 'write' | 'hint'> = {}) => { const r = find(part); if (r) chapters.push({ id, title: r.title, url: r.url, who, expect, ...more }); };
  add('/prescriptions', 'Dr. Alice', 'granted: a physician may read prescriptions');
  add('/blood-test', 'Dr. Alice', "granted after accepting the lab's terms in the browser");
  add('/bills', 'Dr. Alice', 'refused: only the insurer may read the bills');
  add('/care-notes', 'Dr. Alice', 'waits for Kate to approve in her dashboard');
  add('/discharge-letter', 'Dr. Alice', 'granted again: the PCT from before travels with the request', 'pct-reuse');
  add('/prescriptions', 'Dr. Alice', 'reads, then writes: the RS asks for write, and the AS upgrades her RPT if a rule of Kate\'s lets physicians write (else request_denied)', 'write-upgrade',
    { write: true, hint: "Kate's rules allow physicians to read only: add a rule for write in Kate's view first to see the upgrade" });
  add('/bills', 'Mallory', 'refused: Mallory is nobody Kate shares with', 'mallory', { hint: 'sign in as Mallory in Connections first' });
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
  const [blank, setBlank] = useState(false);
  const view = useTraces((s) => s.view);
  const setView = useTraces((s) => s.setView);
  const section = useRef<HTMLElement>(null);
  const flows = { ...live, ...imported };
  const list = Object.values(flows).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const flow = (presenting.flowId ? flows[presenting.flowId] : undefined) ?? list[0];
  const steps = flow?.steps ?? [];
  const index = Math.min(presenting.step, Math.max(0, steps.length - 1));
  const server = view === 'e2e' ? flow?.server?.events ?? [] : undefined;
  const issuerName = useMemo(() => issuerNamer(app?.providers), [app?.providers]);
  const layout = useMemo(() => layoutFlow(steps, { server, issuerName }), [steps, server, issuerName]);
  const step = steps[index];
  const narration = step ? narrate(step, layout) : undefined;
  // The servers' side of this step (End to end): what the RS and AS did while it ran, and why.
  const serverSide = step && server ? layout.messages.filter((m) => m.server && m.stepId === step.id) : [];
  const why = step && server ? serverWhyText(serverWhy(eventsOfStep(layout.messages, server, step.id), (fp) => layout.names.get(fp)?.name, issuerName)) : '';
  // The speaker notes, as the section below the diagram and the notes window show them.
  const notes = step && flow ? [
    `On the wire: ${step.method} ${step.url} → ${step.status ?? 'no answer'}${step.outcome ? ` (${step.outcome})` : ''}.`,
    ...serverSide.map((m) => `${m.from === 'owner' ? 'Owner' : m.from.toUpperCase()}: ${m.detail ?? m.label}${m.chips.length ? ` (${m.chips.map((c) => c.name).join(', ')})` : ''}`),
    ...(server === undefined && flow.server?.visible ? ['Switch to End to end to show what the RS and the AS did in this step.'] : []),
    `Specification: ${narration?.spec ?? ''}.`,
  ] : [];
  const chapters = storyChapters(app?.resources ?? []);
  const acting = app?.actingAs.label;
  const forWhom = partyName(flow, app);

  const goTo = (i: number) => { if (flow) present(flow.flowId, Math.max(0, Math.min(i, steps.length - 1))); };

  // Speaker notes in a second window (renderer/speaker-notes.ts): the current step goes out on every
  // change and when a notes window says hello; its keys come back as next/previous/first/last.
  const nextStep = steps[index + 1];
  const current: NotesStep | undefined = step && flow ? {
    type: 'step', title: `${flow.title ?? flow.url}${forWhom ? ` · for ${forWhom}` : ''}`, step: index, total: steps.length,
    narration: `${narration?.text ?? ''}${why ? ` ${why}` : ''}`, notes, ...(nextStep ? { next: narrate(nextStep, layout).text } : {}),
  } : undefined;
  const channel = useRef<BroadcastChannel | undefined>(undefined);
  const latest = useRef({ current, goTo, index, last: steps.length - 1 });
  latest.current = { current, goTo, index, last: steps.length - 1 };
  useEffect(() => {
    const c = openNotesChannel();
    channel.current = c;
    if (!c) return;
    c.onmessage = (e: MessageEvent) => {
      const m = readNotesMessage(e.data);
      const now = latest.current;
      if (m?.type === 'hello' && now.current) c.postMessage(now.current);
      else if (m?.type === 'go') {
        setFollowing(false);
        now.goTo(m.to === 'next' ? now.index + 1 : m.to === 'previous' ? now.index - 1 : m.to === 'first' ? 0 : now.last);
      }
    };
    return () => { c.close(); channel.current = undefined; };
  }, []);
  const published = current ? JSON.stringify(current) : '';
  useEffect(() => { if (published) channel.current?.postMessage(JSON.parse(published) as NotesStep); }, [published]);
  const openNotesWindow = () => { window.open(notesUrl(window.location), 'tessera-speaker-notes', 'popup,width=760,height=640'); };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement | null)?.tagName;
      if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || (tag === 'BUTTON' && e.key === ' ')) return;
      if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'PageDown') { e.preventDefault(); goTo(index + 1); }
      else if (e.key === 'ArrowLeft' || e.key === 'PageUp') { e.preventDefault(); goTo(index - 1); }
      else if (e.key === 'Home') goTo(0);
      else if (e.key === 'End') goTo(steps.length - 1);
      else if (e.key === 'b' || e.key === 'B' || e.key === '.') setBlank((b) => !b);
      else if ((e.key === 'f' || e.key === 'F') && !e.ctrlKey && !e.metaKey) void toggleFullscreen();
      else if (e.key === 'Escape') setBlank(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  const [deckError, setDeckError] = useState<string | undefined>();
  /** One self-contained HTML presentation of this flow (renderer/components/sequence/deck.ts). */
  const exportDeck = async (chosen: FlowView[]) => {
    try {
      const { deckHtml } = await import('../components/sequence/deck');
      const html = await deckHtml(chosen, { server: view === 'e2e', names: (x) => partyName(x, app), issuerName });
      const name = chosen.length === 1 ? (chosen[0]?.flowId ?? 'flow').replace(/^import:/, '').slice(0, 8) : `${chosen.length}-flows`;
      saveText(`tessera-deck-${name}.html`, 'text/html', html);
      setDeckError(undefined);
    } catch (e) {
      setDeckError(`The deck could not be made: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const toggleFullscreen = async () => {
    const el = section.current;
    if (!el || typeof el.requestFullscreen !== 'function') return;
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await el.requestFullscreen();
    } catch { /* refused (no user gesture, or not allowed): the presenter stays as it is */ }
  };
  // Entering or leaving full screen, or a resized window, moves the diagram: follow the step again.
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    const again = () => setFrame((n) => n + 1);
    document.addEventListener('fullscreenchange', again);
    window.addEventListener('resize', again);
    return () => { document.removeEventListener('fullscreenchange', again); window.removeEventListener('resize', again); };
  }, []);
  // Keep the current exchange on screen as the presenter steps: its last arrow, then its first (so
  // the whole exchange is in view when it fits, and its start when it does not).
  useEffect(() => {
    const current = document.querySelectorAll('.presenter .seq-msg.current');
    const first = current[0];
    const last = current[current.length - 1];
    for (const el of [last, first]) if (el && typeof (el as Element).scrollIntoView === 'function') el.scrollIntoView({ block: 'nearest' });
  }, [index, flow?.flowId, view, frame]);
  // Follow a live flow while it runs, when the presenter is at its newest step.
  const [following, setFollowing] = useState(true);
  useEffect(() => { if (flow?.running && following && steps.length > 0) present(flow.flowId, steps.length - 1); }, [flow?.running, steps.length, following, flow?.flowId, present]);

  /** One request of a scene, presented as it happens. */
  const runFlow = async (c: Chapter, input: ApiInput<'openResource'>): Promise<FlowView | undefined> => {
    const started = await run(`story:${c.id}`, (a) => a.openResource(input));
    if (!started) return undefined;
    present(started.flowId, 0);
    return waitForFlow(started.flowId);
  };
  const runChapter = async (c: Chapter): Promise<FlowView | undefined> => {
    setPlaying(c.id);
    setFollowing(true);
    try {
      const read = await runFlow(c, { url: c.url, waitSeconds: c.id.includes('care-notes') ? 60 : 0 });
      // The write scene: the record just read goes back unchanged (the demo's record stays as it
      // was), with PUT, which the RS guards with the `write` scope the RPT does not hold yet.
      if (!c.write || read?.outcome !== 'granted' || read.body === undefined) return read;
      return await runFlow(c, { url: c.url, method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: read.body, waitSeconds: 0 });
    } finally {
      setPlaying(undefined);
    }
  };
  const playAll = async () => {
    for (const c of chapters.filter((x) => x.id !== 'mallory')) if (!(await runChapter(c))) return;
  };

  return (
    <section aria-labelledby="h-presenter" className="presenter" ref={section}>
      <h2 id="h-presenter">Presenter</h2>
      <div className="seq-tools present-tools">
        <label htmlFor="present-pick" className="sr-only">Flow to present</label>
        <select id="present-pick" value={flow?.flowId ?? ''} onChange={(e) => present(e.target.value, 0)}>
          {list.length === 0 ? <option value="">No flow yet</option> : null}
          {list.map((f) => <option key={f.flowId} value={f.flowId}>{isImported(f.flowId) ? '[imported] ' : ''}{f.title ?? f.url} — {f.running ? 'running' : f.outcome ?? ''}</option>)}
        </select>
        <button type="button" onClick={() => void toggleFullscreen()}>Full screen</button>
        <button type="button" className="secondary" onClick={openNotesWindow}>Speaker notes window</button>
        {flow ? <button type="button" className="secondary" onClick={() => void exportDeck([flow])}>Export deck (HTML)</button> : null}
        {list.filter((f) => !f.running).length > 1 ? <button type="button" className="secondary" onClick={() => void exportDeck(list.filter((f) => !f.running).reverse())}>Export deck of all flows</button> : null}
        {deckError ? <span className="bad-text" role="alert">{deckError}</span> : null}
        {app?.demo ? <button type="button" className="secondary" onClick={() => window.open(app.demo?.dashboardUrl, '_blank', 'noopener,noreferrer')}>Kate&apos;s view</button> : null}
        <button type="button" className="secondary" onClick={() => go('flow')}>Back to Flow</button>
        <ViewSwitch view={view} onChange={setView} />
      </div>
      {chapters.length ? (
        <details className="story">
          <summary>Story: Kate&apos;s records{acting ? ` (acting as ${acting})` : ''}</summary>
          <ol>{chapters.map((c) => (
            <li key={c.id}>
              <button type="button" className="secondary" disabled={playing !== undefined} onClick={() => void runChapter(c)}>{c.id === 'mallory' ? `Mallory opens ${c.title}` : c.write ? `Read, then write ${c.title}` : `Open ${c.title}`}</button>
              <span className="muted"> {c.who}: {c.expect}{c.hint ? ` (${c.hint})` : ''}</span>
            </li>
          ))}</ol>
          <button type="button" disabled={playing !== undefined} onClick={() => void playAll()}>Play Kate&apos;s records in order</button>
          {playing ? <span role="status"> Running {chapters.find((c) => c.id === playing)?.title}…</span> : null}
        </details>
      ) : null}
      {!flow || !step ? <p className="narration">Open a resource or a trace; its exchanges appear here one at a time.</p> : (
        <>
          <p className="stepper" aria-live="polite"><strong>Step {index + 1} of {steps.length}</strong>{flow.running ? ' (live)' : ''} · {flow.title ?? flow.url}{forWhom ? ` · for ${forWhom}` : ''}</p>
          <progress className="present-progress" max={steps.length} value={index + 1} aria-label={`Progress: step ${index + 1} of ${steps.length}`} />
          <p className="narration" aria-live="polite" data-testid="narration">{narration?.text}{why ? <> <span className="server-why">{why}</span></> : null} <a className="spec" href={narration?.href} target="_blank" rel="noreferrer noopener">{narration?.spec}</a></p>
          {view === 'e2e' && !flow.server?.visible ? <p className="muted" role="note">The server side is not visible for this flow: its AS and RS publish no events Tessera can follow.</p> : null}
          {view === 'e2e' && flow.server?.visible && flow.server.source === 'keycloak' ? <p className="muted" role="note">From Keycloak&apos;s own events: its decisions and the RS&apos;s introspections, not the policy that decided.</p> : null}
          <div className="seq-tools present-keys">
            <button type="button" onClick={() => { setFollowing(false); goTo(index - 1); }} disabled={index === 0}>← Back</button>
            <button type="button" onClick={() => { setFollowing(index + 1 >= steps.length - 1); goTo(index + 1); }} disabled={index >= steps.length - 1}>Next →</button>
            <span className="muted">Keys: → or Space next, ← back, Home first, End last, B blank, F full screen</span>
          </div>
          <SequenceDiagram steps={steps} upTo={index} fontSize={17} selected={step.id} onSelect={(id) => goTo(steps.findIndex((s) => s.id === id))} running={flow.running} server={server} issuerName={issuerName}
            label={`Sequence diagram${server ? ', end to end' : ''}, step ${index + 1} of ${steps.length}`} />
          <section className="speaker-notes" aria-labelledby="h-notes">
            <h3 id="h-notes">Speaker notes</h3>
            <ul>{notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
          </section>
        </>
      )}
      {blank ? <div className="present-blank" role="dialog" aria-label="Blank screen (press B to return)" onClick={() => setBlank(false)} /> : null}
    </section>
  );
}

export default Presenter;
