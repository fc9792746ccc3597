import { useUi } from '../store';

function download(filename: string, mime: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function Export() {
  const run = useUi((s) => s.run);
  const selectedFlow = useUi((s) => s.selectedFlow);
  const get = (format: 'json' | 'har', flowId?: string) => void run('export', (a) => a.exportTranscript({ format, ...(flowId ? { flowId } : {}) })).then((r) => r && download(r.filename, r.mime, r.text));
  return (
    <section aria-labelledby="h-export">
      <h2 id="h-export">Export</h2>
      <p>Exports are redacted: tokens, tickets and secrets appear only as fingerprints (and decoded JWT claims).</p>
      <button type="button" onClick={() => get('json')}>All flows as JSON</button>
      <button type="button" onClick={() => get('har')}>All flows as HAR</button>
      {selectedFlow ? <><button type="button" className="secondary" onClick={() => get('json', selectedFlow)}>Selected flow as JSON</button><button type="button" className="secondary" onClick={() => get('har', selectedFlow)}>Selected flow as HAR</button></> : null}
    </section>
  );
}
