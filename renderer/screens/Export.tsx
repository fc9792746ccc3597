import { useState } from 'react';
import { useUi } from '../store';
import { saveText } from '../save';


export function Export() {
  const run = useUi((s) => s.run);
  const selectedFlow = useUi((s) => s.selectedFlow);
  const [confirming, setConfirming] = useState(false);
  const get = (format: 'json' | 'har', flowId?: string) => void run('export', (a) => a.exportTranscript({ format, ...(flowId ? { flowId } : {}) })).then((r) => r && saveText(r.filename, r.mime, r.text));
  return (
    <section aria-labelledby="h-export">
      <h2 id="h-export">Export</h2>
      <p>Exports are redacted: tokens, tickets and secrets appear only as fingerprints (and decoded JWT claims).</p>
      <button type="button" onClick={() => get('json')}>All flows as JSON</button>
      <button type="button" onClick={() => get('har')}>All flows as HAR</button>
      {selectedFlow ? <><button type="button" className="secondary" onClick={() => get('json', selectedFlow)}>Selected flow as JSON</button><button type="button" className="secondary" onClick={() => get('har', selectedFlow)}>Selected flow as HAR</button></> : null}
      <h3>History</h3>
      <p>Tessera keeps the last 200 flows, with the records they fetched, encrypted in its vault on this computer, so they are still here after a restart.</p>
      {confirming ? (
        <div className="warning" role="group" aria-label="Confirm clearing the history">
          <p>Forget every flow on the timeline and the records shown in them? Requests still waiting for an owner are kept.</p>
          <button type="button" onClick={() => void run('clearHistory', (a) => a.clearHistory({ confirm: true })).then(() => setConfirming(false))}>Yes, clear history</button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>Keep it</button>
        </div>
      ) : <button type="button" className="secondary" onClick={() => setConfirming(true)}>Clear history</button>}
    </section>
  );
}
