import { create } from 'zustand';
import type { ApiResults, ProviderView } from '../../src/app/api';
import { useUi } from '../store';

/** A sign-in that reused someone's earlier session at the provider: who it is, waiting for the person to confirm. */
export const useSignInConfirm = create<{ pending?: { identity: ApiResults['signIn']; provider: ProviderView } | undefined; set(p?: { identity: ApiResults['signIn']; provider: ProviderView }): void }>((set) => ({
  pending: undefined,
  set: (pending) => set({ pending }),
}));

/**
 * Sign in at an OpenID provider from wherever the person is (Resources' first step, "Acting as",
 * Connections). With someone already signed in there, the provider is asked to show its form
 * (`switchUser`: prompt=login, max_age=0) instead of reusing their session.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (prompt)
 */
export function useSignIn(): { signIn: (p: ProviderView) => void; signingIn: boolean } {
  const app = useUi((s) => s.app);
  const run = useUi((s) => s.run);
  // A selector, so a button re-renders (enabled again) when the sign-in ends.
  const signingIn = useUi((s) => Boolean(s.busy.signin));
  const signIn = (p: ProviderView) => {
    const signedIn = app?.identities.some((i) => i.issuer === p.issuer) ?? false;
    void run('signin', (a) => a.signIn({ issuer: p.issuer, clientId: p.clientId, scope: p.scope, ...(signedIn ? { switchUser: true } : {}) })).then((identity) => {
      useSignInConfirm.getState().set(identity?.confirm ? { identity, provider: p } : undefined);
    });
  };
  return { signIn, signingIn };
}

/** A provider's name without the "(demo)" the demo adds: "Hospital ID". */
export const providerName = (p: ProviderView): string => p.label.replace(/\s*\(demo\)$/, '');

/**
 * "Who will it be": the provider signed someone in from an earlier session without showing its form,
 * and it is not the person acting before (after a restart: whoever last used that browser). Nothing
 * acts as them until the person confirms; "someone else" asks the provider for its form (prompt=login).
 */
export function SignInConfirm() {
  const pending = useSignInConfirm((s) => s.pending);
  const clear = useSignInConfirm((s) => s.set);
  const run = useUi((s) => s.run);
  const signingIn = useUi((s) => Boolean(s.busy.signin));
  if (!pending) return null;
  const { identity, provider } = pending;
  const who = identity.name ?? identity.email ?? identity.sub;
  return (
    <div className="warning signin-confirm" role="alertdialog" aria-labelledby="signin-confirm-h" aria-describedby="signin-confirm-p">
      <h2 id="signin-confirm-h">Continue as {who}?</h2>
      <p id="signin-confirm-p">{providerName(provider)} signed you in as <strong>{who}</strong>{identity.email && identity.name ? ` (${identity.email})` : ''} without showing its sign-in form: your browser still had that session.
        {identity.confirm?.previous ? ` Tessera was acting as ${identity.confirm.previous}.` : ''} Tessera does not act as {who} until you say so.</p>
      <button type="button" autoFocus onClick={() => { clear(undefined); void run('actAs', (a) => a.actAs({ party: identity.key })); }}>Continue as {who}</button>{' '}
      <button type="button" className="secondary" disabled={signingIn} onClick={() => {
        clear(undefined);
        void run('signin', (a) => a.signIn({ issuer: provider.issuer, clientId: provider.clientId, scope: provider.scope, switchUser: true }));
      }}>Sign in as someone else</button>
    </div>
  );
}
