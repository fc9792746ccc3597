/**
 * A deck that travels (issue #23): one or more flows as ONE self-contained HTML presentation — one
 * slide per exchange (step, narration from both sides, speaker notes), the flow's sequence diagram
 * with the current exchange highlighted and scrolled into view, keyboard navigation (→/Space, ←,
 * Home, End, B blank), light/dark (the system's, or the button), a progress bar. Everything inline;
 * a strict Content-Security-Policy (no network at all: `default-src 'none'`, the one script allowed by
 * its hash). Built from the redacted views: tokens appear only as fingerprints (chips T1, RPT1).
 * Loaded lazily (react-dom/server is not in the initial bundle).
 */
import { createElement } from 'react';
import type { FlowView } from '../../../src/app/api';
import { SequenceDiagram } from './SequenceDiagram';
import { layoutFlow } from './layout';
import { narrate } from './narration';
import { eventsOfStep, serverWhy, serverWhyText, type IssuerName } from './server-side';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The page's navigation: the only script, allowed by its hash in the CSP. */
const SCRIPT = `(function () {
  var slides = Array.prototype.slice.call(document.querySelectorAll('.slide'));
  var i = 0;
  var blank = document.getElementById('blank');
  function show(n) {
    i = Math.max(0, Math.min(slides.length - 1, n));
    slides.forEach(function (s, k) { s.hidden = k !== i; });
    var slide = slides[i];
    var flow = slide.getAttribute('data-flow');
    var step = Number(slide.getAttribute('data-step'));
    document.querySelectorAll('.flow-diagram').forEach(function (d) { d.hidden = d.getAttribute('data-flow') !== flow; });
    var msgs = document.querySelectorAll('.flow-diagram[data-flow="' + flow + '"] .seq-msg');
    var current = [];
    msgs.forEach(function (m) {
      var k = Number(m.getAttribute('data-step'));
      m.classList.toggle('past', k < step); m.classList.toggle('current', k === step); m.classList.toggle('future', k > step);
      if (k === step) current.push(m);
    });
    if (current.length) { current[current.length - 1].scrollIntoView({ block: 'nearest' }); current[0].scrollIntoView({ block: 'nearest' }); }
    var p = document.getElementById('progress'); p.value = i + 1; p.setAttribute('aria-label', 'Progress: slide ' + (i + 1) + ' of ' + slides.length);
    document.getElementById('prev').disabled = i === 0; document.getElementById('next').disabled = i === slides.length - 1;
  }
  document.getElementById('prev').addEventListener('click', function () { show(i - 1); });
  document.getElementById('next').addEventListener('click', function () { show(i + 1); });
  document.getElementById('theme').addEventListener('click', function () {
    var root = document.documentElement;
    var dark = root.getAttribute('data-theme') ? root.getAttribute('data-theme') === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
    root.setAttribute('data-theme', dark ? 'light' : 'dark');
  });
  blank.addEventListener('click', function () { blank.hidden = true; });
  document.addEventListener('keydown', function (e) {
    if (e.target && e.target.tagName === 'BUTTON' && (e.key === ' ' || e.key === 'Enter')) return;
    if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'PageDown') { e.preventDefault(); show(i + 1); }
    else if (e.key === 'ArrowLeft' || e.key === 'PageUp') { e.preventDefault(); show(i - 1); }
    else if (e.key === 'Home') show(0);
    else if (e.key === 'End') show(slides.length - 1);
    else if (e.key === 'b' || e.key === 'B' || e.key === '.') blank.hidden = !blank.hidden;
    else if (e.key === 'Escape') blank.hidden = true;
  });
  show(0);
})();`;

/** The deck's own look, with the app's palette for light and dark (the diagram's rules come from the app's sheet). */
const DECK_CSS = `
:root { color-scheme: light dark; --fg: #17202a; --muted: #4a5563; --bg: #f5f6f8; --card: #ffffff; --line: #d5d9e0; --accent: #0a58a8; --accent-fg: #ffffff; --ok: #17692f; --warn: #8a5a00; --bad: #b3261e; --ok-bg: #e3f4e7; --warn-bg: #fff4d6; --bad-bg: #fde8e6; --challenge: #6a3fb5; }
@media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) { --fg: #e6e9ee; --muted: #aab3bf; --bg: #121518; --card: #1c2025; --line: #343a42; --accent: #7db8ff; --accent-fg: #0b1623; --ok: #6fd38a; --warn: #f3c261; --bad: #ff8a80; --ok-bg: #16301e; --warn-bg: #3a2e10; --bad-bg: #3d1a17; --challenge: #c6a6ff; } }
:root[data-theme="dark"] { --fg: #e6e9ee; --muted: #aab3bf; --bg: #121518; --card: #1c2025; --line: #343a42; --accent: #7db8ff; --accent-fg: #0b1623; --ok: #6fd38a; --warn: #f3c261; --bad: #ff8a80; --ok-bg: #16301e; --warn-bg: #3a2e10; --bad-bg: #3d1a17; --challenge: #c6a6ff; }
body { margin: 0; font: 20px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); background: var(--bg); }
main { padding: 1rem 2rem; }
header.deck { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
header.deck h1 { font-size: 1.2rem; margin: 0 auto 0 0; }
button { font: inherit; font-size: 1rem; padding: 0.3rem 0.8rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg); cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
progress { width: 100%; height: 0.5rem; }
.slide h2 { font-size: 1.3rem; margin: 0.6rem 0 0.2rem; }
.narration { font-size: 1.5rem; margin: 0.3rem 0; }
.why { display: block; font-size: 1.2rem; margin-top: 0.3rem; }
.spec { color: var(--muted); font-size: 1rem; }
.notes { border-top: 1px solid var(--line); margin-top: 0.6rem; font-size: 1rem; color: var(--fg); }
.flow-diagram { max-height: 62vh; overflow: auto; border: 1px solid var(--line); border-radius: 10px; background: var(--card); }
.keys { color: var(--muted); font-size: 0.9rem; }
#blank { position: fixed; inset: 0; background: #000; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

/** The app's diagram rules (`.seq…`), read from the page's own style sheet so the deck draws alike. */
function diagramCss(): string {
  const out: string[] = [];
  for (const sheet of Array.from(document.styleSheets)) {
    let rules: CSSRuleList;
    try { rules = sheet.cssRules; } catch { continue; }
    for (const rule of Array.from(rules)) if (rule instanceof CSSStyleRule && rule.selectorText.includes('.seq')) out.push(rule.cssText);
  }
  return out.join('\n');
}

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let binary = '';
  for (const b of new Uint8Array(digest)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The speaker notes of a step: what went over the wire, and what the servers did (End to end). */
function notes(flow: FlowView, stepIndex: number, server: boolean, issuerName: IssuerName | undefined): string[] {
  const step = flow.steps[stepIndex];
  if (!step) return [];
  const layout = layoutFlow(flow.steps, { server: server ? flow.server?.events ?? [] : undefined, issuerName });
  const out = [`On the wire: ${step.method} ${step.url} → ${step.status ?? 'no answer'}${step.outcome ? ` (${step.outcome})` : ''}.`];
  for (const m of layout.messages) if (m.server && m.stepId === step.id) out.push(`${m.from === 'owner' ? 'Owner' : m.from.toUpperCase()}: ${m.detail ?? m.label}${m.chips.length ? ` (${m.chips.map((c) => c.name).join(', ')})` : ''}`);
  return out;
}

/**
 * The deck's HTML. `server`: draw the servers' side too (End to end) where the flow has it.
 * @see https://www.w3.org/TR/CSP3/#directive-default-src
 */
export async function deckHtml(flows: FlowView[], options: { title?: string; server?: boolean; names?: (flow: FlowView) => string | undefined; issuerName?: IssuerName } = {}): Promise<string> {
  const { renderToStaticMarkup } = await import('react-dom/server');
  const title = options.title ?? (flows.length === 1 ? flows[0]?.title ?? flows[0]?.url ?? 'UMA flow' : `${flows.length} UMA flows`);
  const total = flows.reduce((n, f) => n + f.steps.length, 0);
  const diagrams: string[] = [];
  const slides: string[] = [];
  let n = 0;
  flows.forEach((flow, f) => {
    const server = options.server && flow.server?.visible ? flow.server.events : undefined;
    const layout = layoutFlow(flow.steps, { server, issuerName: options.issuerName });
    const svg = renderToStaticMarkup(createElement(SequenceDiagram, { steps: flow.steps, width: 1200, fontSize: 17, upTo: 0, server, issuerName: options.issuerName, label: `Sequence diagram${server ? ', end to end' : ''}: ${flow.title ?? flow.url}` }));
    diagrams.push(`<div class="flow-diagram" data-flow="${f}" tabindex="0" role="region" aria-label="${esc(`Diagram of ${flow.title ?? flow.url}`)}"${f === 0 ? '' : ' hidden'}>${svg}</div>`);
    const who = options.names?.(flow);
    flow.steps.forEach((step, i) => {
      n++;
      const said = narrate(step, layout);
      const why = server ? serverWhyText(serverWhy(eventsOfStep(layout.messages, server, step.id), (fp) => layout.names.get(fp)?.name, options.issuerName)) : '';
      slides.push(`<section class="slide" data-flow="${f}" data-step="${i}" aria-labelledby="s${n}"${n === 1 ? '' : ' hidden'}>
<h2 id="s${n}">${esc(`${flow.title ?? flow.url}${who ? ` · for ${who}` : ''} — step ${i + 1} of ${flow.steps.length}`)}</h2>
<p class="narration">${esc(said.text)}${why ? ` <span class="why">${esc(why)}</span>` : ''} <span class="spec">${esc(said.spec)}</span></p>
<aside class="notes" aria-label="Speaker notes"><ul>${notes(flow, i, server !== undefined, options.issuerName).map((x) => `<li>${esc(x)}</li>`).join('')}</ul></aside>
</section>`);
    });
  });
  const hash = await sha256Base64(SCRIPT);
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} — Tessera deck</title>
<style>${DECK_CSS}
${diagramCss()}
/* One scrolling box (the focusable .flow-diagram), not two. */
.flow-diagram .seq-box { max-height: none; overflow: visible; border: 0; }</style>
</head>
<body>
<main>
<header class="deck"><h1>${esc(title)}</h1>
<button type="button" id="prev">← Back</button><button type="button" id="next">Next →</button><button type="button" id="theme">Light / dark</button></header>
<progress id="progress" max="${total}" value="1" aria-label="Progress: slide 1 of ${total}"></progress>
<p class="keys">Keys: → or Space next, ← back, Home first, End last, B blank. Made with Tessera from a redacted flow: tokens appear only as fingerprints (T1, RPT1…).</p>
${slides.join('\n')}
${diagrams.join('\n')}
</main>
<div id="blank" hidden></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
