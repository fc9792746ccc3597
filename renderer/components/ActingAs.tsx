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
      {app.providers.map((p) => (
        <button key={p.issuer} type="button" className="secondary compact" disabled={signingIn} onClick={() => signIn(p)} title={`Sign in at ${p.label}`}>
          Sign in{app.providers.length > 1 ? ` (${providerName(p)})` : ''}…
        </button>
      ))}
    </div>
  );
}
