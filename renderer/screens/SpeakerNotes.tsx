/**
 * The speaker-notes window (renderer/speaker-notes.ts): the presenter's current step — its place,
 * the narration the audience hears, the speaker notes, and what comes next — in a second window
 * (another screen, or the laptop while the projector shows the presenter). It follows the
 * presenter's next/previous; its own keys (→ or Space, ←, Home, End) and buttons move the presenter.
 */
import { useEffect, useRef, useState } from 'react';
import { openNotesChannel, readNotesMessage, type NotesGo, type NotesStep } from '../speaker-notes';

export function SpeakerNotesWindow() {
  const [step, setStep] = useState<NotesStep | undefined>();
  const channel = useRef<BroadcastChannel | undefined>(undefined);
  useEffect(() => {
    const c = openNotesChannel();
    channel.current = c;
    if (!c) return;
    c.onmessage = (e: MessageEvent) => {
      const m = readNotesMessage(e.data);
      if (m?.type === 'step') setStep(m);
    };
    // Ask the presenter for the step it is on now.
    c.postMessage({ type: 'hello' });
    return () => { c.close(); channel.current = undefined; };
  }, []);
  useEffect(() => { document.title = step ? `Speaker notes — step ${step.step + 1} of ${step.total}` : 'Speaker notes — Tessera'; }, [step]);
  const go = (to: NotesGo) => channel.current?.postMessage({ type: 'go', to });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement | null)?.tagName === 'BUTTON' && (e.key === ' ' || e.key === 'Enter')) return;
      if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'PageDown') { e.preventDefault(); go('next'); }
      else if (e.key === 'ArrowLeft' || e.key === 'PageUp') { e.preventDefault(); go('previous'); }
      else if (e.key === 'Home') go('first');
      else if (e.key === 'End') go('last');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <main className="speaker-notes-window" aria-labelledby="h-notes-window">
      <h1 id="h-notes-window">Speaker notes</h1>
      {!step ? <p role="status">Waiting for the presenter: open Presenter in Tessera’s main window.</p> : (
        <>
          <p className="stepper" role="status"><strong>Step {step.step + 1} of {step.total}</strong> · {step.title}</p>
          <progress max={step.total} value={step.step + 1} aria-label={`Progress: step ${step.step + 1} of ${step.total}`} />
          <section aria-labelledby="h-said">
            <h2 id="h-said">The audience hears</h2>
            <p className="narration" data-testid="notes-narration">{step.narration}</p>
          </section>
          <section aria-labelledby="h-notes-list">
            <h2 id="h-notes-list">Notes</h2>
            <ul>{step.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
          </section>
          {step.next ? <p className="muted"><strong>Next:</strong> {step.next}</p> : <p className="muted">This is the last step.</p>}
          <p>
            <button type="button" onClick={() => go('previous')} disabled={step.step === 0}>← Back</button>
            <button type="button" onClick={() => go('next')} disabled={step.step + 1 >= step.total}>Next →</button>
            <span className="muted"> Keys: → or Space next, ← back, Home first, End last</span>
          </p>
        </>
      )}
    </main>
  );
}

export default SpeakerNotesWindow;
