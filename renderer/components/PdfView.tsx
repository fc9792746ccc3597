import { useEffect, useRef, useState } from 'react';

/**
 * A PDF drawn by pdf.js on a canvas, page by page. Chromium's own PDF viewer cannot run in the
 * sandboxed frame a record needs (`<iframe sandbox="">` over a blob: URL shows nothing), so the page
 * draws it itself: the worker is bundled by Vite and served from 'self' (the strict CSP allows it as
 * a script of this origin; pdf.js 6 compiles no code), `useWasm: false` keeps it from loading
 * WebAssembly the CSP forbids, and nothing is fetched — the bytes are the ones the core kept.
 * @see https://mozilla.github.io/pdf.js/api/
 */
export function PdfView({ bytes, title }: { bytes: Uint8Array; title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [doc, setDoc] = useState<{ numPages: number; getPage(n: number): Promise<PdfPage> }>();
  const [page, setPage] = useState(1);
  const [state, setState] = useState<'loading' | 'drawn' | 'failed'>('loading');

  useEffect(() => {
    let cancelled = false;
    let loaded: { destroy(): Promise<void> } | undefined;
    void (async () => {
      try {
        const [pdfjs, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]);
        pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
        // pdf.js takes the buffer over: give it a copy.
        const task = pdfjs.getDocument({ data: bytes.slice(), useWasm: false, enableXfa: false });
        loaded = task;
        const d = await task.promise;
        if (cancelled) return;
        setDoc(d as unknown as typeof doc);
      } catch {
        if (!cancelled) setState('failed');
      }
    })();
    return () => { cancelled = true; void loaded?.destroy(); };
  }, [bytes]);

  useEffect(() => {
    if (!doc || !canvas.current) return;
    let cancelled = false;
    let task: { cancel(): void; promise: Promise<void> } | undefined;
    setState('loading');
    void (async () => {
      try {
        const p = await doc.getPage(page);
        const el = canvas.current;
        if (cancelled || !el) return;
        const width = el.parentElement?.clientWidth || 800;
        const base = p.getViewport({ scale: 1 });
        const ratio = globalThis.devicePixelRatio || 1;
        const viewport = p.getViewport({ scale: (Math.min(width, 1000) / base.width) * ratio });
        el.width = Math.floor(viewport.width);
        el.height = Math.floor(viewport.height);
        el.style.width = `${Math.floor(viewport.width / ratio)}px`;
        el.style.height = `${Math.floor(viewport.height / ratio)}px`;
        task = p.render({ canvas: el, viewport });
        await task.promise;
        if (!cancelled) setState('drawn');
      } catch {
        if (!cancelled) setState('failed');
      }
    })();
    return () => { cancelled = true; task?.cancel(); };
  }, [doc, page]);

  const pages = doc?.numPages ?? 0;
  return (
    <div className="pdf-view">
      {pages > 1 ? (
        <p className="pdf-pages">
          <button type="button" className="secondary compact" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous page</button>{' '}
          <span role="status">Page {page} of {pages}</span>{' '}
          <button type="button" className="secondary compact" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next page</button>
        </p>
      ) : null}
      {state === 'failed' ? <p role="alert">Tessera could not draw this PDF; save it to open it with another program.</p> : null}
      <canvas ref={canvas} className="pdf-canvas" role="img" aria-label={`${title}, page ${page}${pages ? ` of ${pages}` : ''}`} data-state={state} hidden={state === 'failed'} />
    </div>
  );
}

/** The part of pdf.js's page proxy used here. */
interface PdfPage {
  getViewport(o: { scale: number }): { width: number; height: number };
  render(o: { canvas: HTMLCanvasElement; viewport: { width: number; height: number } }): { cancel(): void; promise: Promise<void> };
}
