import type { FlowView } from '../../src/app/api';
import { useUi } from '../store';

/**
 * "Continue in your browser": the flow waits for the person in the system browser (a sign-in page, or
 * the authorization server's claims page, UMA Grant §3.3.2). The page's address carries a ticket, so
 * only the core knows it: "Open the page again" asks the core to open it once more.
 */
export function BrowserWait({ flow }: { flow: FlowView }) {
  const run = useUi((s) => s.run);
  const wait = flow.waitingInBrowser;
  if (!flow.running || !wait) return null;
  return (
    <div className="browser-wait" role="status">
      <p><strong>Continue in your browser.</strong>{' '}
        {wait.what === 'claims'
          ? `A page of ${wait.origin} is open in your browser: it needs something from you before it can decide.`
          : `The sign-in page of ${wait.origin} is open in your browser.`}{' '}
        Tessera carries on by itself when you are done there.</p>
      <button type="button" className="secondary" onClick={() => void run(`reopen:${flow.flowId}`, (a) => a.reopenBrowser({ flowId: flow.flowId }))}>Open the page again</button>{' '}
      <button type="button" className="secondary" onClick={() => void run(`cancel:${flow.flowId}`, (a) => a.cancelFlow({ flowId: flow.flowId }))}>Cancel</button>
    </div>
  );
}
