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
      <button type="button" className="secondary compact" aria-expanded={open} aria-controls="notification-list" onClick={() => setOpen(!open)}>
        Notifications ({notifications.length})
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
