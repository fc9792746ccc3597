import { useState } from 'react';
import { useUi } from '../store';

/**
 * The notification list: every owner decision of this session (what the toasts said, after they have
 * gone away by themselves), newest first, each leading to its record.
 */
export function Notifications() {
  const notifications = useUi((s) => s.notifications);
  const selectFlow = useUi((s) => s.selectFlow);
  const go = useUi((s) => s.go);
  const [open, setOpen] = useState(false);
  if (notifications.length === 0) return null;
  return (
    <div className="notifications">
      {/* A bell and the count on screen, the words for screen readers: the header stays one line at 1280 px (issue #23). */}
      <button type="button" className="secondary compact" aria-expanded={open} aria-controls="notification-list" title="Notifications" onClick={() => setOpen(!open)}>
        <svg className="icon" aria-hidden="true" viewBox="0 0 16 16" width="14" height="14"><path fill="currentColor" d="M8 1.5a1 1 0 0 1 1 1v.6A4.5 4.5 0 0 1 12.5 7.5v3l1.3 1.6a.5.5 0 0 1-.4.9H2.6a.5.5 0 0 1-.4-.9l1.3-1.6v-3A4.5 4.5 0 0 1 7 3.1v-.6a1 1 0 0 1 1-1ZM6.3 14h3.4a1.7 1.7 0 0 1-3.4 0Z" /></svg>
        {/* The name comes from the content (visible count included), so what is seen is what is said (WCAG 2.5.3). */}
        <span className="visually-hidden">Notifications</span>{' '}
        <span>({notifications.length})</span>
      </button>
      {open ? (
        <ul id="notification-list" className="notification-list card" aria-label="Notifications">
          {notifications.map((n) => (
            <li key={n.flowId}>
              <time dateTime={new Date(n.at).toISOString()}>{new Date(n.at).toLocaleTimeString()}</time>{' '}
              {n.outcome === 'granted' ? `The owner approved your request for ${n.title}.` : `The owner declined your request for ${n.title}.`}{' '}
              <button type="button" className="link" onClick={() => { selectFlow(n.flowId); go('resources'); setOpen(false); }}>Show</button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
