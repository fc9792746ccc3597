/**
 * Export of the diagram for slides: a standalone SVG (the theme's colours copied from the computed
 * styles into attributes, so the file looks the same outside the app) and a PNG drawn from that SVG
 * on a canvas, here in the renderer.
 */
import { saveHref } from '../../save';

const PROPS = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity', 'font-size', 'font-weight', 'font-family'] as const;

/** Standalone SVG markup of a rendered diagram. */
export function svgMarkup(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const source = [svg, ...svg.querySelectorAll('*')];
  const target = [clone, ...clone.querySelectorAll('*')];
  source.forEach((el, i) => {
    const copy = target[i];
    if (!copy) return;
    // The click target and its selection or "current step" highlight are UI, not part of the drawing.
    if (el.classList.contains('seq-hit')) {
      copy.setAttribute('fill', 'none');
      copy.setAttribute('stroke', 'none');
    } else {
      const style = getComputedStyle(el);
      for (const p of PROPS) {
        const v = style.getPropertyValue(p);
        if (v && v !== 'none' || p === 'fill' || p === 'stroke') copy.setAttribute(p, v || 'none');
      }
      // A dimmed "future" step (presenter) is drawn in full in an export.
      if (el.classList.contains('seq-msg')) copy.removeAttribute('opacity');
    }
    copy.removeAttribute('class');
    copy.removeAttribute('tabindex');
    copy.removeAttribute('role');
    copy.removeAttribute('aria-pressed');
    copy.removeAttribute('aria-current');
    copy.removeAttribute('data-step');
    copy.removeAttribute('data-kind');
  });
  const [, , w, h] = (svg.getAttribute('viewBox') ?? '0 0 960 600').split(/\s+/).map(Number);
  clone.setAttribute('width', String(w));
  clone.setAttribute('height', String(h));
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('role', 'img');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export const svgDataUrl = (markup: string) => `data:image/svg+xml;base64,${base64(markup)}`;

/** PNG of the SVG at `scale` (2 = crisp on slides). */
export async function pngDataUrl(markup: string, scale = 2): Promise<string> {
  const image = new Image();
  image.src = svgDataUrl(markup);
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(image.naturalWidth * scale);
  canvas.height = Math.ceil(image.naturalHeight * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a canvas.');
  ctx.scale(scale, scale);
  ctx.drawImage(image, 0, 0);
  return canvas.toDataURL('image/png');
}

/** Saves a data URL as a file (see renderer/save.ts). */
export const download = saveHref;
