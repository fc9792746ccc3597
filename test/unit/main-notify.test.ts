/**
 * The desktop's OS notification when an owner decides (electron mocked): shown with the resource and
 * the decision, nothing secret; clicking it brings the window forward; nothing when the OS has no
 * notifications. And the main process hands this notifier to the core.
 */
import { describe, expect, it, vi } from 'vitest';

const h = vi.hoisted(() => ({ shown: [] as { options: { title: string; body: string }; click?: () => void }[], supported: true }));
vi.mock('electron', () => {
  class Notification {
    static isSupported() { return h.supported; }
    readonly entry: (typeof h.shown)[number];
    constructor(options: { title: string; body: string }) { this.entry = { options }; }
    on(ev: string, fn: () => void) { if (ev === 'click') this.entry.click = fn; return this; }
    show() { h.shown.push(this.entry); }
  }
  return { Notification };
});

import { decisionNotifier, decisionText } from '../../src/main/notify';

describe('OS notification of an owner decision', () => {
  it('says which resource and what the owner decided; a click focuses the window', () => {
    const win = { isMinimized: vi.fn(() => true), restore: vi.fn(), focus: vi.fn() };
    const notify = decisionNotifier(() => win as never);
    notify({ type: 'decided', flowId: 'f1', url: 'http://127.0.0.1:4403/patients/kate/care-notes', title: "Kate's care notes", outcome: 'granted' });
    expect(h.shown).toHaveLength(1);
    expect(h.shown[0]?.options).toMatchObject({ title: 'Request approved', body: "The owner approved your request. Kate's care notes is open to you now." });
    h.shown[0]?.click?.();
    expect(win.restore).toHaveBeenCalled();
    expect(win.focus).toHaveBeenCalled();
  });

  it('a denial; no title → the origin only, never the path or query (which may carry anything)', () => {
    expect(decisionText({ type: 'decided', flowId: 'f', url: 'https://rs.example/r/1?ticket=abc', outcome: 'denied' })).toEqual({ title: 'Request declined', body: 'The owner declined your request for https://rs.example.' });
  });

  it('nothing when the OS offers no notifications', () => {
    h.shown.length = 0;
    h.supported = false;
    decisionNotifier(() => undefined)({ type: 'decided', flowId: 'f', url: 'https://rs.example/', outcome: 'granted' });
    expect(h.shown).toEqual([]);
    h.supported = true;
  });
});
