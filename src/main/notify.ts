/**
 * The desktop's way to tell the person that an owner decided a request Tessera was watching: an OS
 * notification (the service's `notify` port). Its text names the resource and the decision only —
 * never a token, a ticket or the record itself (notifications may show on a locked screen).
 * Clicking it brings Tessera's window forward.
 */
import { Notification, type BrowserWindow } from 'electron';
import type { ApiEvent } from '../app/api';

type Decided = Extract<ApiEvent, { type: 'decided' }>;

/** The notification's words for a decision. */
export function decisionText(event: Decided): { title: string; body: string } {
  const what = event.title ?? new URL(event.url).origin;
  return event.outcome === 'granted'
    ? { title: 'Request approved', body: `The owner approved your request. ${what} is open to you now.` }
    : { title: 'Request declined', body: `The owner declined your request for ${what}.` };
}

export function decisionNotifier(window: () => BrowserWindow | undefined): (event: Decided) => void {
  return (event) => {
    if (!Notification.isSupported()) return;
    const n = new Notification({ ...decisionText(event), silent: false });
    n.on('click', () => {
      const w = window();
      if (!w) return;
      if (w.isMinimized()) w.restore();
      w.focus();
    });
    n.show();
  };
}
