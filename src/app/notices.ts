/**
 * Things the person must hear about once — a damaged file kept aside, an old vault moved away — as
 * views with a stable id: shown in the UI until dismissed, never repeated on the next start (the
 * damaged file is no longer in place, so nothing triggers the notice again).
 */
import type { NoticeView } from './api';

export class Notices {
  readonly #items = new Map<string, NoticeView>();
  #next = 1;

  add(notice: Omit<NoticeView, 'id'>): NoticeView {
    const view = { id: `n${this.#next++}`, ...notice };
    this.#items.set(view.id, view);
    return view;
  }

  dismiss(id: string): void { this.#items.delete(id); }

  list(): NoticeView[] { return [...this.#items.values()]; }
}
