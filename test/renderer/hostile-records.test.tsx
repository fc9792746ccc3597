/**
 * Records from a hostile resource server (issue 12 item 3): every shape must render something — the
 * typed view when the record matches its kind's schema, the data view otherwise — and a part that
 * still throws is caught by its card's or its screen's error boundary, never blanking the app.
 */
import { describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../src/app/api';
import { RecordView, boundedJson, jsonDepth, MAX_DEPTH } from '../../renderer/components/RecordView';
import { ErrorBoundary } from '../../renderer/components/ErrorBoundary';
import { HOSTILE_BODIES, deep } from '../fixtures/hostile-records';
import { appState, clickTab, flowView, mountApp, render as mountInto } from './support';

const render = (node: React.ReactNode) => mountInto(node, { quietErrors: true });

describe('RecordView with hostile records', () => {
  it.each(Object.entries(HOSTILE_BODIES))('%s: renders without throwing, raw JSON bounded', (_name, body) => {
    const onError = vi.fn();
    const el = render(<ErrorBoundary what="this record" onError={onError}><RecordView body={body} /></ErrorBoundary>);
    expect(onError).not.toHaveBeenCalled();
    expect(el.querySelector('.boundary-error')).toBeNull();
    expect(el.textContent?.length).toBeGreaterThan(0);
    expect(el.querySelector('img')).toBeNull();
    for (const pre of el.querySelectorAll('pre')) expect(pre.textContent?.length ?? 0).toBeLessThan(110_000);
  });

  it('a known kind with a bad shape says so and shows the data; a good one keeps its typed view', () => {
    const bad = render(<RecordView body={HOSTILE_BODIES['bills with a null invoice'] ?? ''} />);
    expect(bad.querySelector('.unknown-shape')?.textContent).toMatch(/does not have the shape/);
    expect(bad.querySelector('dl.generic')?.textContent).toContain('invoices');
    const good = render(<RecordView body={JSON.stringify({ kind: 'bills', currency: 'EUR', invoices: [{ id: 'i1', amount: 12.5, description: 'MRI' }] })} />);
    expect(good.querySelector('.unknown-shape')).toBeNull();
    expect(good.querySelector('tfoot')?.textContent).toContain('12.50 EUR');
  });

  it('bounds nesting without recursion: depth counted iteratively, raw view cut with …', () => {
    expect(jsonDepth(JSON.parse(deep(20_000)))).toBe(MAX_DEPTH + 1);
    const { text, truncated } = boundedJson(JSON.parse(deep(20_000)));
    expect(truncated).toBe(true);
    expect(text).toContain('[…]');
    expect(text.split('\n').length).toBeLessThan(2 * MAX_DEPTH + 3);
    expect(boundedJson({ a: [1, { b: null }] })).toEqual({ text: JSON.stringify({ a: [1, { b: null }] }, null, 2), truncated: false });
  });
});

const flow = flowView;
const state = appState;
const click = clickTab;
const mount = async (app: AppState) => (await mountApp(app, {}, { quietErrors: true })).el;

describe('error boundaries in the App', () => {
  it('every hostile record in its card: all cards render, none blank the screen', async () => {
    const entries = Object.entries(HOSTILE_BODIES);
    const resources = entries.map(([name], i) => ({ url: `http://127.0.0.1:1/r${i}`, title: name, origin: 'http://127.0.0.1:1', fromDemo: false }));
    const flows = entries.map(([, body], i) => flow({ url: `http://127.0.0.1:1/r${i}`, body }));
    const el = await mount(state({ resources, flows }));
    expect(el.querySelectorAll('li.card.resource')).toHaveLength(entries.length);
    expect(el.querySelectorAll('.boundary-error')).toHaveLength(0);
  });

  it('a card that throws is replaced by an explanation; the other cards and the navigation stay', async () => {
    // A title that is not a string (a core bug, or a future field) makes React throw in that card only.
    const resources = [
      { url: 'http://127.0.0.1:1/a', title: { not: 'a string' } as unknown as string, origin: 'http://127.0.0.1:1', fromDemo: false },
      { url: 'http://127.0.0.1:1/b', title: 'Still here', origin: 'http://127.0.0.1:1', fromDemo: false },
    ];
    const el = await mount(state({ resources }));
    expect(el.querySelectorAll('.card .boundary-error')).toHaveLength(1);
    expect(el.textContent).toContain('Still here');
    expect(el.querySelector('nav')).not.toBeNull();
  });

  it('a screen that throws shows an explanation; the navigation still works and leaving resets it', async () => {
    const el = await mount(state({ untrustedSeen: null as unknown as AppState['untrustedSeen'] }));
    expect(el.querySelector('main > .boundary-error')?.textContent).toMatch(/could not show the Resources screen/);
    click(el, 'Tokens');
    expect(el.querySelector('main .boundary-error')).toBeNull();
    expect(el.querySelector('h2')?.textContent).toMatch(/Tokens/);
  });
});
