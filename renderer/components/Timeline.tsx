/**
 * The flow as a sequence diagram (renderer/components/sequence) with its tools: zoom, and export as
 * SVG or PNG for slides. Click (or Enter on) an arrow to see the exchange.
 */
import { useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { useUi } from '../store';
import { issuerNamer } from './sequence/server-side';
import type { FlowView } from '../../src/app/api';
import { SequenceDiagram } from './sequence/SequenceDiagram';
import { download, pngDataUrl, svgDataUrl, svgMarkup } from './sequence/export';

export { stepTone as stepClass } from './sequence/layout';

export function Timeline({ flow, selected, onSelect, fontSize, endToEnd = false }: { flow: FlowView; selected?: string | undefined; onSelect: (id: string) => void; fontSize?: number; endToEnd?: boolean }) {
  const [zoom, setZoom] = useState(1);
  const providers = useUi((s) => s.app?.providers);
  const issuerName = useMemo(() => issuerNamer(providers), [providers]);
  const [error, setError] = useState<string | undefined>();
  const svg = useRef<SVGSVGElement>(null);
  const base = `tessera-flow-${flow.flowId.replace(/^import:/, '').slice(0, 8)}`;
  // A long diagram draws only the rows near the view; an export draws every row first (then goes back).
  const [full, setFull] = useState(false);
  const markup = (): string | undefined => {
    flushSync(() => setFull(true));
    try { return svg.current ? svgMarkup(svg.current) : undefined; } finally { setFull(false); }
  };
  const exportSvg = () => { const m = markup(); if (m) download(`${base}.svg`, svgDataUrl(m)); };
  const exportPng = async () => {
    const m = markup();
    if (!m) return;
    try { download(`${base}.png`, await pngDataUrl(m)); } catch (e) { setError(e instanceof Error ? e.message : String(e)); }
  };
  return (
    <div className="timeline">
      <div className="seq-tools" role="toolbar" aria-label="Diagram tools">
        <button type="button" className="secondary" onClick={() => setZoom((z) => Math.max(0.5, +(z - 0.25).toFixed(2)))} aria-label="Zoom out">−</button>
        <span className="zoom" aria-live="polite">{Math.round(zoom * 100)} %</span>
        <button type="button" className="secondary" onClick={() => setZoom((z) => Math.min(3, +(z + 0.25).toFixed(2)))} aria-label="Zoom in">+</button>
        <button type="button" className="secondary" onClick={() => setZoom(1)}>Fit width</button>
        <button type="button" className="secondary" onClick={exportSvg}>Export SVG</button>
        <button type="button" className="secondary" onClick={() => void exportPng()}>Export PNG</button>
        {error ? <span className="bad-text" role="alert">{error}</span> : null}
      </div>
      <SequenceDiagram ref={svg} steps={flow.steps} selected={selected} onSelect={onSelect} zoom={zoom} running={flow.running} {...(fontSize ? { fontSize } : {})} label={`Sequence diagram${endToEnd ? ', end to end' : ''}: ${flow.title ?? flow.url}`}
        server={endToEnd ? flow.server?.events ?? [] : undefined} issuerName={issuerName} windowed={!full} />
    </div>
  );
}
