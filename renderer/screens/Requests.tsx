import { useEffect, useState } from 'react';
import { useUi, waitingRequests } from '../store';

/** A whole sentence: "Next check in 4 seconds." or "Checking now." */
function Countdown({ at }: { at: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(t); }, []);
  const s = Math.max(0, Math.round((at - now) / 1000));
  return <span>{s > 1 ? `Next check in ${s} seconds.` : s === 1 ? 'Next check in 1 second.' : 'Checking now.'}</span>;
}

export function Requests() {
  const app = useUi((s) => s.app);
  const flows = useUi((s) => s.flows);
  const open = useUi((s) => s.open);
  const run = useUi((s) => s.run);
  if (!app) return null;
  const latest = new Map<string, (typeof flows)[string]>();
  for (const f of Object.values(flows).sort((a, b) => a.startedAt.localeCompare(b.startedAt))) latest.set(f.url, f);
  const waiting = waitingRequests(flows);
  const needInfo = [...latest.values()].filter((f) => !f.running && f.outcome === 'need_info');
  const title = (url: string) => app.resources.find((r) => r.url === url)?.title ?? url;
  return (
    <section aria-labelledby="h-requests">
      <h2 id="h-requests">Requests</h2>
      <h3 id="h-waiting">Waiting for the owner</h3>
      {waiting.length === 0 ? <p className="muted">Nothing is waiting.</p> : (
        <ul className="cards" aria-labelledby="h-waiting">{waiting.map((f) => (
          <li key={f.flowId} className="card">
            <p><strong>{title(f.url)}</strong></p>
            <p>The owner has to approve your request before you can see this.</p>
            {f.running ? (
              <><p role="status"><span className="spinner" aria-hidden="true" /> Checking with the authorization server…</p>
              <button type="button" className="secondary" onClick={() => void run('cancel', (a) => a.cancelFlow({ flowId: f.flowId }))}>Stop waiting</button></>
            ) : f.pending?.watching ? (
              <><p>Tessera keeps checking by itself and tells you when the owner decides. {f.pending.nextPollAt ? <Countdown at={f.pending.nextPollAt} /> : null}</p>
              <button type="button" className="secondary" onClick={() => void run('cancel', (a) => a.cancelFlow({ flowId: f.flowId }))}>Stop waiting</button></>
            ) : (
              <><p>Tessera is not checking any more.</p>
              <button type="button" onClick={() => void open(f.url)}>Ask again</button></>
            )}
            {app.demo ? <p className="muted">Demo: Kate approves in <a href={app.demo.dashboardUrl} target="_blank" rel="noreferrer noopener">her dashboard</a> (kate / kate-demo).</p> : null}
          </li>
        ))}</ul>
      )}
      <h3 id="h-need-info">More information needed</h3>
      {needInfo.length === 0 ? <p className="muted">Nothing is missing.</p> : (
        <ul className="cards" aria-labelledby="h-need-info">{needInfo.map((f) => {
          const wanted = f.needInfo?.requiredClaims ?? [];
          const names = [...new Set(wanted.map((c) => c.friendly_name ?? c.name).filter(Boolean))].join(' and ');
          const providers = app.providers.filter((p) => wanted.some((c) => !c.issuer || c.issuer.includes(p.issuer)));
          return (
            <li key={f.flowId} className="card">
              <p><strong>{title(f.url)}</strong></p>
              {providers.map((p) => (
                <p key={p.issuer}>The authorization server needs your {names || 'identity'} from {p.label}.{' '}
                  <button type="button" onClick={() => void run('signin', async (a) => { await a.signIn({ issuer: p.issuer, clientId: p.clientId, scope: p.scope }); await a.openResource({ url: f.url, waitSeconds: 0 }); })}>Sign in at {p.label}</button></p>
              ))}
              {f.needInfo?.redirectUser ? <p>Or provide it on the authorization server's page. <button type="button" className="secondary" onClick={() => void open(f.url)}>Open the AS to provide more information</button></p> : null}
            </li>
          );
        })}</ul>
      )}
    </section>
  );
}
