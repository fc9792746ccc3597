/**
 * Records from a hostile resource server (issue 12 item 3): every shape must render something — the
 * typed view when the record matches its kind's schema, the data view otherwise — and a part that
 * still throws is caught by its card's or its screen's error boundary, never blanking the app.
 */
import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../src/app/api';
import { RecordView, boundedJson, jsonDepth, MAX_DEPTH } from '../../renderer/components/RecordView';
import { ErrorBoundary } from '../../renderer/components/ErrorBoundary';
import { HOSTILE_BODIES, deep } from '../fixtures/hostile-records';
import { appState, flowView, mountApp, render as mountInto, screenTab } from './support';

const render = (node: React.ReactNode) => mountInto(node, { quietErrors: true });

describe('RecordView with hostile records', () => {
  it.each(Object.entries(HOSTILE_BODIES))('%s: renders without throwing, raw JSON bounded', (_name, body) => {
    const onError = vi.fn();
    const { container } = render(<ErrorBoundary what="this record" onError={onError}><RecordView body={body} /></ErrorBoundary>);
    expect(onError).not.toHaveBeenCalled();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(container.textContent?.length).toBeGreaterThan(0);
    expect(screen.queryByRole('img')).toBeNull();
    // The raw JSON behind its disclosure (a <pre> has no role of its own): bounded.
    for (const pre of container.querySelectorAll('pre')) expect(pre.textContent?.length ?? 0).toBeLessThan(110_000);
  });

  it('a known kind with a bad shape says so and shows the data; a good one keeps its typed view', () => {
    const bad = render(<RecordView body={HOSTILE_BODIES['bills with a null invoice'] ?? ''} />);
    expect(bad.getByRole('note').textContent).toMatch(/does not have the shape/);
    expect(bad.getAllByRole('term').map((t) => t.textContent)).toContain('invoices');
    bad.unmount();
    const good = render(<RecordView body={JSON.stringify({ kind: 'bills', currency: 'EUR', invoices: [{ id: 'i1', amount: 12.5, description: 'MRI' }] })} />);
    expect(good.queryByRole('note')).toBeNull();
    expect(good.getByRole('row', { name: /^Total/ }).textContent).toContain('12.50 EUR');
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
const mount = (app: AppState) => mountApp(app, {}, { quietErrors: true });

describe('error boundaries in the App', () => {
  it('every hostile record in its card: all cards render, none blank the screen', async () => {
    const entries = Object.entries(HOSTILE_BODIES);
    const resources = entries.map(([name], i) => ({ url: `http://127.0.0.1:1/r${i}`, title: name, origin: 'http://127.0.0.1:1', fromDemo: false }));
    const flows = entries.map(([, body], i) => flow({ url: `http://127.0.0.1:1/r${i}`, body }));
    await mount(state({ resources, flows }));
    for (const { title } of resources) expect(screen.getByRole('listitem', { name: title })).toBeTruthy();
    expect(screen.queryByText(/^Tessera could not show/)).toBeNull();
  });

  it('a card that throws is replaced by an explanation; the other cards and the navigation stay', async () => {
    // A title that is not a string (a core bug, or a future field) makes React throw in that card only.
    const resources = [
      { url: 'http://127.0.0.1:1/a', title: { not: 'a string' } as unknown as string, origin: 'http://127.0.0.1:1', fromDemo: false },
      { url: 'http://127.0.0.1:1/b', title: 'Still here', origin: 'http://127.0.0.1:1', fromDemo: false },
    ];
    await mount(state({ resources }));
    const cards = within(screen.getByRole('list', { name: 'Resources' }));
    expect(cards.getAllByRole('alert')).toHaveLength(1);
    expect(cards.getByRole('alert').textContent).toMatch(/could not show/);
    expect(cards.getByRole('listitem', { name: 'Still here' })).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'Screens' })).toBeTruthy();
  });

  it('a screen that throws shows an explanation; the navigation still works and leaving resets it', async () => {
    const { user } = await mount(state({ untrustedSeen: null as unknown as AppState['untrustedSeen'] }));
    const main = within(screen.getByRole('main'));
    expect(main.getByRole('alert').textContent).toMatch(/could not show the Resources screen/);
    await user.click(screenTab('Tokens'));
    expect(main.queryByRole('alert')).toBeNull();
    expect(main.getByRole('heading', { level: 2 }).textContent).toMatch(/Tokens/);
  });
});
