import { useEffect, useState } from 'react';
import { VaultProtection } from '../components/VaultProtection';
import { DpopKeyChip } from '../components/DpopKeyChip';
import { useUi } from '../store';

function Expiry({ at }: { at?: number | undefined }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(t); }, []);
  if (!at) return <span className="muted">no expiry given</span>;
  const s = Math.round((at - now) / 1000);
  // A countdown (minutes:seconds), ticking every second; hours for long-lived tokens.
  const clock = s >= 3600 ? `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return s <= 0 ? <span className="bad-text">expired</span> : <span>expires in <span className="countdown">{clock}</span></span>;
}

/** How a held RPT goes to the RS (RFC 9449 §7): with a proof of the key it is bound to, or as a bearer token. */
function Presented({ scheme, jkt }: { scheme?: 'DPoP' | 'Bearer' | undefined; jkt?: string | undefined }) {
  if (scheme === 'DPoP' && jkt) return <span>Bound to a DPoP key <DpopKeyChip jkt={jkt} /></span>;
  return <span>Bearer</span>;
}

function Reveal({ tokenKey }: { tokenKey: string }) {
  const run = useUi((s) => s.run);
  const [stage, setStage] = useState<'hidden' | 'confirm' | 'shown'>('hidden');
  const [token, setToken] = useState('');
  if (stage === 'hidden') return <button type="button" className="secondary" onClick={() => setStage('confirm')}>Reveal…</button>;
  if (stage === 'confirm') return (
    <span role="group" aria-label="Confirm reveal">Anyone who sees it can use it until it expires.{' '}
      <button type="button" onClick={() => void run('reveal', (a) => a.revealToken({ kind: 'rpt', key: tokenKey, confirm: true })).then((r) => { if (r) { setToken(r.token); setStage('shown'); } })}>Show the token</button>
      <button type="button" className="secondary" onClick={() => setStage('hidden')}>Cancel</button></span>
  );
  return <span><input aria-label="Raw token" readOnly value={token} size={24} onFocus={(e) => e.currentTarget.select()} /> <button type="button" className="secondary" onClick={() => { setToken(''); setStage('hidden'); }}>Hide</button></span>;
}

export function Tokens() {
  const app = useUi((s) => s.app);
  const run = useUi((s) => s.run);
  if (!app) return null;
  const rpts = app.tokens.filter((t) => t.kind === 'rpt');
  // Whose a token is: the person it was issued to (a record without a party is never presented).
  const whose = (party: string | undefined) => {
    if (!party) return 'nobody recorded (never presented)';
    if (party === 'nobody') return 'Nobody (no claims)';
    const i = app.identities.find((x) => x.key === party);
    return i ? (i.name ?? i.email ?? i.sub) : party;
  };
  const resourceTitles = (origin: string | undefined) => app.resources.filter((r) => r.origin === origin).map((r) => r.title);
  const pcts = app.tokens.filter((t) => t.kind === 'pct');
  const dpopKeys = app.dpopKeys;
  return (
    <section aria-labelledby="h-tokens">
      <h2 id="h-tokens">Tokens</h2>
      <p className="muted">{app.vault.backend === 'memory' ? 'Tokens are kept in memory only this time' : 'Tokens stay encrypted on this computer'}; only fingerprints are shown here.</p>
      <VaultProtection />
      <h3>Requesting party tokens (per resource server)</h3>
      {rpts.length === 0 ? <p className="muted">None yet.</p> : (
        <table><thead><tr><th scope="col">For</th><th scope="col">Resource server</th><th scope="col">Authorization server</th><th scope="col">Permissions</th><th scope="col">Expiry</th><th scope="col">Presented as</th><th scope="col">Fingerprint</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>{rpts.map((t) => (
            <tr key={t.key}><td>{whose(t.identity)}</td><td>{t.rsOrigin}{resourceTitles(t.rsOrigin).length ? <span className="muted"> ({resourceTitles(t.rsOrigin).join(', ')})</span> : null}</td><td>{t.issuer}</td>
              <td>{t.permissions?.length ? <ul className="plain">{t.permissions.map((p) => <li key={p.resource_id}><code>{p.resource_id}</code>: {p.resource_scopes.join(', ') || 'no scopes'}</li>)}</ul> : <span className="muted">not stated by the AS (an opaque token)</span>}</td><td><Expiry at={t.expiresAt} /></td><td><Presented scheme={t.scheme} jkt={t.dpopJkt} /></td><td><code>{t.fingerprint}</code></td>
              <td><Reveal tokenKey={t.key} /> <button type="button" className="secondary" onClick={() => void run('forget', (a) => a.forgetToken({ kind: 'rpt', key: t.key }))}>Forget and revoke</button></td></tr>
          ))}</tbody></table>
      )}
      <h3>Persisted claims tokens (per authorization server)</h3>
      {pcts.length === 0 ? <p className="muted">None yet.</p> : (
        <ul>{pcts.map((t) => <li key={t.key}>{t.issuer} for {t.identity} <code>{t.fingerprint}</code> <button type="button" className="secondary" onClick={() => void run('forget', (a) => a.forgetToken({ kind: 'pct', key: t.key }))}>Forget and revoke</button></li>)}</ul>
      )}
      <h3>DPoP keys (per authorization server and person)</h3>
      {dpopKeys.length === 0 ? <p className="muted">None: no authorization server has bound a token to a key of yours.</p> : (<>
        <p className="muted">A bound token is sent only with a proof signed by its key (RFC 9449); the key never leaves this computer. Forgetting a token keeps the key (other tokens may be bound to it). Signing the person out (Connections) forgets their keys too.</p>
        <ul aria-label="DPoP keys">{dpopKeys.map((k) => <li key={`${k.issuer} ${k.party}`}><DpopKeyChip jkt={k.jkt} /> at {k.issuer} for {whose(k.party)}</li>)}</ul>
      </>)}
      <h3>Identities</h3>
      {app.identities.length === 0 ? <p className="muted">Not signed in anywhere. See Connections.</p> : (
        <ul>{app.identities.map((i) => <li key={i.key}><strong>{i.name ?? i.sub}</strong> {i.email} at {i.issuer} · ID token <Expiry at={i.expiresAt} />{i.refreshable ? ' (refreshable)' : ''}</li>)}</ul>
      )}
    </section>
  );
}
