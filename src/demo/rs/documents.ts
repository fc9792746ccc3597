/**
 * Records that are documents, not JSON: Kate's discharge letter is a real PDF (one page, Helvetica),
 * built here with a correct cross-reference table so any viewer opens it. It exists so that binary
 * resources are part of the demo: Tessera must keep the bytes exactly (`tessera fetch --output`,
 * the app's inline view and "Save as…").
 */

const LINES = [
  'St. Mary Hospital - Discharge letter',
  'Patient: Kate Lee, born 1961-03-08, STM-0048213',
  'Admitted 2026-10-12, discharged 2026-10-16 (community-acquired pneumonia).',
  'Treatment: amoxicillin 500 mg three times a day for 7 days; review in 2 weeks.',
  'Dr. Alice Moreau, consultant physician',
];

function pdfText(lines: string[]): string {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  return ['BT', '/F1 12 Tf', '72 760 Td', '16 TL', ...lines.map((l) => `(${escape(l)}) '`), 'ET'].join('\n');
}

/** The discharge letter as PDF bytes (deterministic: the same bytes on every run). */
export function dischargeLetterPdf(): Uint8Array {
  const content = pdfText(LINES);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

/** Document records by resource name: media type and bytes. */
export const DOCUMENTS: Record<string, { type: string; bytes: () => Uint8Array }> = {
  'discharge-letter': { type: 'application/pdf', bytes: dischargeLetterPdf },
};
