import { lazy, Suspense, useEffect } from 'react';
import { useUi, waitingRequests, type Screen } from './store';
import { Resources } from './screens/Resources';
import { Flow } from './screens/Flow';
import { Requests } from './screens/Requests';
import { Tokens } from './screens/Tokens';
import { Connections } from './screens/Connections';
import { Export } from './screens/Export';
import { ActingAs } from './components/ActingAs';
import { Unlock } from './components/Unlock';
import { StatusBanner } from './components/StatusBanner';

// Presenter mode is loaded on first use: it is not part of the initial bundle.
const Presenter = lazy(() => import('./screens/Presenter'));
import { ErrorBoundary } from './components/ErrorBoundary';
import { newTabAddress } from './api-client';
import { Notifications } from './components/Notifications';
import { SignInConfirm } from './components/SignIn';

const SCREENS: { id: Screen; label: string }[] = [
  { id: 'resources', label: 'Resources' },
  { id: 'flow', label: 'Flow' },
  { id: 'presenter', label: 'Presenter' },
  { id: 'requests', label: 'Requests' },
  { id: 'tokens', label: 'Tokens' },
  { id: 'connections', label: 'Connections' },
  { id: 'export', label: 'Export' },
];

export function App() {
  const screen = useUi((s) => s.screen);
  const go = useUi((s) => s.go);
  const theme = useUi((s) => s.theme);
  const setTheme = useUi((s) => s.setTheme);
  const notice = useUi((s) => s.notice);
  const notify = useUi((s) => s.notify);
  const app = useUi((s) => s.app);
  const flows = useUi((s) => s.flows);
  useEffect(() => { document.documentElement.dataset.theme = theme; }, [theme]);
  const toasts = useUi((s) => s.toasts);
  const dismissToast = useUi((s) => s.dismissToast);
  const selectFlow = useUi((s) => s.selectFlow);
  // Only requests still waiting for the owner (not those that need information from you).
  const waiting = waitingRequests(flows).length;
  const lock = app?.lock;
  return (
    <div className="app">
      {/* Keyboard users skip the header's tabs and controls to the screen itself (WCAG 2.4.1). */}
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to the screen</a>
      <header className="top">
        <h1>Tessera</h1>
        {lock ? null : <nav aria-label="Screens">
          {SCREENS.map((s) => (
            <button key={s.id} type="button" className={`tab ${screen === s.id ? 'active' : ''}`} aria-current={screen === s.id ? 'page' : undefined} onClick={() => go(s.id)}>
              {s.label}{s.id === 'requests' && waiting > 0 ? <span className="count" aria-label={`${waiting} waiting for the owner`}>{waiting}</span> : null}
            </button>
          ))}
        </nav>}
        {lock ? null : <ActingAs />}
        {/* The word is for screen readers only: the header fits on one line at 1280 px (issue #23). */}
        <label className="theme"><span className="visually-hidden">Theme</span>
          <select value={theme} onChange={(e) => setTheme(e.target.value as 'light' | 'dark' | 'system')}>
            <option value="system">System</option><option value="light">Light</option><option value="dark">Dark</option>
          </select>
        </label>
        <Notifications />
        {/* Icons with their words as accessible names (Notifications, New tab, one "Sign in at…" for several
            providers): with every control that appears only sometimes, the header stays one line at 1280 px. */}
        {app?.mode === 'browser' && !window.tessera ? (
          <button type="button" className="secondary compact" aria-label="Open in a new tab" title="Open Tessera in a new tab" onClick={() => void newTabAddress().then((url) => { window.open(url, '_blank', 'noopener,noreferrer'); }, (error: unknown) => notify({ kind: 'error', text: error instanceof Error ? error.message : String(error), hint: '' }))}><svg className="icon" aria-hidden="true" viewBox="0 0 16 16" width="14" height="14"><path fill="none" stroke="currentColor" strokeWidth="1.5" d="M9 2.5h4.5V7M13.5 2.5 7.5 8.5M11.5 9.5v3.5a.5.5 0 0 1-.5.5H3a.5.5 0 0 1-.5-.5V5a.5.5 0 0 1 .5-.5h3.5" /></svg></button>
        ) : null}
      </header>
      {app ? <StatusBanner app={app} /> : null}
      {notice ? (
        <div className={`banner ${notice.kind}`} role="alert">
          <strong>{notice.text}</strong> {notice.hint} <button type="button" className="secondary" onClick={() => notify(undefined)}>Dismiss</button>
        </div>
      ) : null}
      {/* Owner decisions that arrived by themselves (the core kept asking the AS). */}
      <div className="toasts" role="status" aria-live="polite" aria-label="Owner decisions">
        {toasts.map((t) => (
          <div key={t.flowId} className={`toast ${t.outcome}`}>
            <button type="button" className="link" onClick={() => { selectFlow(t.flowId); go('resources'); dismissToast(t.flowId); }}>
              {t.outcome === 'granted' ? `The owner approved your request for ${t.title}. Show the record.` : `The owner declined your request for ${t.title}. Show what happened.`}
            </button>
            <button type="button" className="secondary" aria-label={`Dismiss the message about ${t.title}`} onClick={() => dismissToast(t.flowId)}>Dismiss</button>
          </div>
        ))}
      </div>
      <SignInConfirm />
      <main id="main" tabIndex={-1}>
        {/* One boundary per screen, keyed by it: a screen that throws does not take the navigation with it, and going elsewhere resets it. */}
        <ErrorBoundary key={screen} what={`the ${SCREENS.find((s) => s.id === screen)?.label ?? ''} screen`}>
          {!app ? <p role="status">Connecting to Tessera…</p>
            : lock ? <Unlock lock={lock} />
            : screen === 'resources' ? <Resources />
            : screen === 'flow' ? <Flow />
            : screen === 'presenter' ? <Suspense fallback={<p role="status">Loading presenter mode…</p>}><Presenter /></Suspense>
            : screen === 'requests' ? <Requests />
            : screen === 'tokens' ? <Tokens />
            : screen === 'connections' ? <Connections />
            : <Export />}
        </ErrorBoundary>
      </main>
    </div>
  );
}
