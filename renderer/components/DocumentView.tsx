import { useEffect, useMemo, useState } from 'react';
import { PdfView } from './PdfView';

/**
 * A record that is a document, not JSON (a PDF, an image): shown inline from the bytes the core
 * kept unchanged, with "Save as…" that writes exactly those bytes. A PDF is drawn by pdf.js
 * (./PdfView.tsx); an image is an <img> over a blob: URL of this page (the CSP allows blob: images),
 * revoked when the view goes away.
 */
export function DocumentView({ base64, contentType, title }: { base64: string; contentType: string; title: string }) {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const bytes = useMemo(() => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)), [base64]);
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    const u = URL.createObjectURL(new Blob([bytes], { type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [bytes, type]);
  const extension = type === 'application/pdf' ? 'pdf' : type.startsWith('image/') ? type.slice(6).replace(/[^a-z0-9]/g, '') || 'img' : 'bin';
  const filename = `${title.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'record'}.${extension}`;
  const size = bytes.byteLength < 1024 ? `${bytes.byteLength} bytes` : `${(bytes.byteLength / 1024).toFixed(1)} KB`;
  return (
    <div className="document-view">
      <p className="muted">{type === 'application/pdf' ? 'PDF document' : type.startsWith('image/') ? 'Image' : 'Document'}, {size}{' '}
        {url ? <a href={url} download={filename} className="button secondary">Save as…</a> : null}
      </p>
      {type === 'application/pdf' ? <PdfView bytes={bytes} title={title} /> : null}
      {url && type.startsWith('image/') && type !== 'image/svg+xml' ? <img className="document-image" src={url} alt={title} /> : null}
      {type !== 'application/pdf' && !type.startsWith('image/') ? <p>Tessera does not show this kind of document; save it to open it with another program.</p> : null}
    </div>
  );
}
