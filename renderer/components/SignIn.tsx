import type { ProviderView } from '../../src/app/api';
import { useUi } from '../store';

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
    void run('signin', (a) => a.signIn({ issuer: p.issuer, clientId: p.clientId, scope: p.scope, ...(signedIn ? { switchUser: true } : {}) }));
  };
  return { signIn, signingIn };
}

/** A provider's name without the "(demo)" the demo adds: "Hospital ID". */
export const providerName = (p: ProviderView): string => p.label.replace(/\s*\(demo\)$/, '');
