import { useState } from 'react';
import type { DpopKeyView, IdentityView, TrustedAsView } from '../../src/app/api';
import { useUi } from '../store';
import { CheckReport } from '../components/CheckReport';
import { AddAsForm, setupText } from '../components/AddAsForm';
import { BrowserWait } from '../components/BrowserWait';
import { useSignIn } from '../components/SignIn';
import { DpopSetting } from '../components/DpopSetting';
import { DpopKeyChip } from '../components/DpopKeyChip';
import { KeycloakEventsAccess } from '../components/KeycloakEventsAccess';

/**
 * One signed-in person and their Sign out, which says what goes with it: their tokens (revoked where
 * the AS allows) and the DPoP keys held for them (RFC 9449), the engine's sign-out forgets both.
 */
function SignedIn({ identity: i, keys, signOut }: { identity: IdentityView; keys: DpopKeyView[]; signOut: () => void }) {
  const id = `signout-${i.key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <div>
      <p>Signed in as {i.name ?? i.sub} ({i.email}) <button type="button" className="secondary" aria-describedby={id} onClick={signOut}>Sign out</button></p>
      <p id={id} className="muted">Signing out also revokes and forgets their tokens{keys.length ? <>, and forgets the DPoP {keys.length === 1 ? 'key' : 'keys'} held for them: {keys.map((k, n) => <span key={k.issuer}>{n ? '; ' : ''}<DpopKeyChip jkt={k.jkt} /> at {k.issuer}</span>)}</> : null}.</p>
    </div>
  );
}

export function Connections() {
  const app = useUi((s) => s.app);
  const run = useUi((s) => s.run);
  // A selector, so the button re-renders (enabled again) when the sign-in ends.
  const signingIn = useUi((s) => Boolean(s.busy.signin));
  const flows = useUi((s) => s.flows);
  const busyDpop = useUi((s) => Object.keys(s.busy).some((k) => k.startsWith('dpop:')));
  const { signIn: signInAt } = useSignIn();
  const [doc, setDoc] = useState<{ issuer: string; document: Record<string, unknown> }>();
  const [confirming, setConfirming] = useState<string>();
  const [checking, setChecking] = useState<{ issuer: string; label: string }>();
  const [changing, setChanging] = useState<TrustedAsView>();
  const [stopping, setStopping] = useState<string>();
  if (!app) return null;
  return (
    <section aria-labelledby="h-conn">
      <h2 id="h-conn">Connections</h2>
      <h3 id="h-trusted">Trusted authorization servers</h3>
      <p className="muted">Client credentials, your claims and persisted claims tokens go only to these.</p>
      <ul className="cards" aria-labelledby="h-trusted">{app.trusted.map((t) => (
        <li key={t.issuer} className="card" aria-label={t.label ?? t.issuer}>
          <strong>{t.label ?? t.issuer}</strong> <code>{t.issuer}</code>
          <p className="muted">Client: {t.clientId ?? 'registered on first use (dynamic registration)'} ({t.registration})</p>
          {setupText(t) ? <p className="muted">{setupText(t)}</p> : null}
          <DpopSetting value={t.dpop ?? 'auto'} algs={t.dpopAlgs} usable={t.dpopUsable} disabled={Boolean(busyDpop)}
            onChange={(dpop) => void run(`dpop:${t.issuer}`, (a) => a.setAsDpop({ issuer: t.issuer, dpop })).then((state) => state && useUi.setState({ app: state }))} />
          {t.keycloak && t.events ? <KeycloakEventsAccess issuer={t.issuer} name={t.label ?? t.issuer} events={t.events} /> : null}
          <button type="button" className="secondary" onClick={() => void run('disc', (a) => a.discovery({ issuer: t.issuer })).then((d) => d && setDoc(d))}>Discovery document</button>
          <button type="button" className="secondary" aria-expanded={stopping === t.issuer} onClick={() => setStopping(t.issuer)}>Stop trusting…</button>
          <button type="button" className="secondary" aria-expanded={checking?.issuer === t.issuer} onClick={() => setChecking({ issuer: t.issuer, label: t.label ?? t.issuer })}>Check this AS</button>
          <button type="button" className="secondary" aria-label={`Change ${t.label ?? t.issuer}…`} onClick={() => setChanging(t)}>Change…</button>
          {stopping === t.issuer ? (
            <div className="warning" role="alertdialog" aria-labelledby={`stop-${t.issuer}`}>
              <p id={`stop-${t.issuer}`}>Stop trusting {t.label ?? t.issuer}? Tessera will send it nothing more, and a resource that names it will ask you again. Its client credentials stay in the vault until you add it again.</p>
              <button type="button" autoFocus onClick={() => { setStopping(undefined); void run('untrust', (a) => a.untrustAs({ issuer: t.issuer })); }}>Yes, stop trusting {t.label ?? t.issuer}</button>
              <button type="button" className="secondary" onClick={() => setStopping(undefined)}>Keep trusting it</button>
            </div>
          ) : null}
        </li>
      ))}</ul>
      {checking ? <CheckReport key={checking.issuer} issuer={checking.issuer} label={checking.label} onClose={() => setChecking(undefined)} /> : null}
      <AddAsForm key={changing?.issuer ?? 'new'} edit={changing} onDone={() => setChanging(undefined)} />
      {doc ? <details open className="card"><summary>uma2-configuration of {doc.issuer}</summary><pre>{JSON.stringify(doc.document, null, 2)}</pre></details> : null}
      {app.untrustedSeen.length > 0 ? <h3>Named by a resource server, not trusted</h3> : null}
      {app.untrustedSeen.map((u) => (
        <div key={u.issuer} className="warning" role="alert">
          <p><strong>{u.rs}</strong> sends you to <code>{u.issuer}</code>, which you do not trust. Trust it only if you know who runs it: it will receive your client credentials and the claims you push.</p>
          {confirming === u.issuer ? (
            <><button type="button" onClick={() => { setConfirming(undefined); void run('trust', (a) => a.trustAs({ issuer: u.issuer })); }}>Yes, trust {u.issuer}</button>
              <button type="button" className="secondary" onClick={() => setConfirming(undefined)}>Cancel</button></>
          ) : <button type="button" className="secondary" onClick={() => setConfirming(u.issuer)}>Trust this authorization server…</button>}
        </div>
      ))}
      <h3 id="h-providers">Identity providers</h3>
      <ul className="cards" aria-labelledby="h-providers">{app.providers.map((p) => {
        const signedIn = app.identities.filter((i) => i.issuer === p.issuer);
        return (
          <li key={p.issuer} className="card" aria-label={p.label}>
            <strong>{p.label}</strong> <code>{p.issuer}</code>
            {signedIn.map((i) => <SignedIn key={i.key} identity={i} keys={app.dpopKeys.filter((k) => k.party === i.key)} signOut={() => void run('signout', (a) => a.signOut({ key: i.key }))} />)}
            {Object.values(flows).filter((f) => f.url === p.issuer && f.running).map((f) => <BrowserWait key={f.flowId} flow={f} />)}
            {/* Someone is signed in here: the provider must ask who it is (prompt=login, max_age=0), not reuse their session. */}
            <button type="button" onClick={() => signInAt(p)} disabled={signingIn}>
              {signedIn.length ? 'Sign in as someone else' : `Sign in at ${p.label}`}
            </button>
            <p className="muted">Your browser opens the provider's page; Tessera waits for it to come back.</p>
          </li>
        );
      })}</ul>
      {app.demo ? (
        <details className="card"><summary>Demo people</summary>
          <ul>{app.demo.people.map((p) => <li key={p.username}><code>{p.username}</code> / <code>{p.password}</code> — {p.name} ({p.role}, {p.at === 'as' ? app.demo?.dashboardLabel : app.demo?.idpLabel})</li>)}</ul>
          <p><a href={app.demo.dashboardUrl} target="_blank" rel="noreferrer noopener">Kate's {app.demo.dashboardLabel}</a></p>
        </details>
      ) : null}
    </section>
  );
}
