import { useState } from 'react';
import { useUi } from '../store';
import { providerName, useSignIn } from './SignIn';

/**
 * Who Tessera acts for, always visible: tokens belong to one requesting party (UMA Grant §1.3), so
 * the person must see — and choose — whose RPTs, PCTs and claims a request will use. Signing in is
 * offered right here (one button per provider), not only at the bottom of Connections.
 */
export function ActingAs() {
  const app = useUi((s) => s.app);
  const run = useUi((s) => s.run);
  const { signIn, signingIn } = useSignIn();
  if (!app) return null;
  const provider = (issuer: string) => app.providers.find((p) => p.issuer === issuer)?.label ?? new URL(issuer).host;
  return (
    <div className="acting-as-group">
    <label className="acting-as">
      Acting as{' '}
      <select
        value={app.actingAs.party}
        onChange={(e) => void run('actAs', (a) => a.actAs({ party: e.target.value }))}
        aria-describedby="acting-as-help"
      >
        <option value="nobody">Nobody (no claims)</option>
        {app.identities.map((i) => (
          <option key={i.key} value={i.key}>{`${i.name ?? i.email ?? i.sub} — ${provider(i.issuer)}`}</option>
        ))}
      </select>
      <span id="acting-as-help" className="visually-hidden">Tokens and claims of the person chosen here are the only ones Tessera sends.</span>
    </label>
      {app.providers.length === 1 && app.providers[0] ? (
        <button type="button" className="secondary compact" disabled={signingIn} onClick={() => signIn(app.providers[0]!)} title={`Sign in at ${app.providers[0].label}`}>Sign in…</button>
      ) : app.providers.length > 1 ? <SignInMenu /> : null}
    </div>
  );
}

/**
 * Several providers: one "Sign in at…" button that lists them (a button per provider would wrap the
 * header at 1280 px, issue #23), closed again by choosing one or by Escape.
 */
function SignInMenu() {
  const app = useUi((s) => s.app);
  const { signIn, signingIn } = useSignIn();
  const [open, setOpen] = useState(false);
  if (!app) return null;
  return (
    <div className="header-menu" onKeyDown={(e) => { if (e.key === 'Escape') setOpen(false); }}>
      <button type="button" className="secondary compact" aria-expanded={open} aria-controls="sign-in-providers" disabled={signingIn} onClick={() => setOpen(!open)}>Sign in at…</button>
      {open ? (
        <ul id="sign-in-providers" className="header-menu-list card" aria-label="Sign in at">
          {app.providers.map((p) => (
            <li key={p.issuer}><button type="button" className="link" onClick={() => { setOpen(false); signIn(p); }}>{providerName(p)}</button></li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
