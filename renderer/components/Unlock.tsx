/**
 * The vault's door, as a password manager has one: on a first run without an OS keyring, choose a
 * passphrase (strength hint, repeat it, a plain "cannot be recovered") or deliberately keep nothing;
 * on later starts, unlock. The passphrase lives in this component's state only until it is sent
 * (once, over the contract) and is cleared right after; the core never sends it back.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { LockView } from '../../src/app/api';
import { useUi } from '../store';

/** A rough strength estimate (length × character variety), worded for a person; never sent anywhere. */
export function passphraseStrength(p: string): { level: 'short' | 'weak' | 'fair' | 'strong'; text: string } {
  if (p.length < 8) return { level: 'short', text: 'Too short: use at least 8 characters.' };
  const pool = (/[a-z]/.test(p) ? 26 : 0) + (/[A-Z]/.test(p) ? 26 : 0) + (/\d/.test(p) ? 10 : 0) + (/[^A-Za-z0-9]/.test(p) ? 33 : 0);
  const distinct = new Set(p).size;
  const bits = Math.min(p.length, distinct * 2) * Math.log2(Math.max(pool, 2));
  if (bits < 45) return { level: 'weak', text: 'Weak: easy to guess. Longer is better — a few unrelated words work well.' };
  if (bits < 70) return { level: 'fair', text: 'Fair. A few more words would make it strong.' };
  return { level: 'strong', text: 'Strong.' };
}

function directoryOf(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i > 0 ? file.slice(0, i) : file;
}

export function Unlock({ lock }: { lock: LockView }) {
  return (
    <section className="unlock card" aria-labelledby="h-unlock">
      {lock.state === 'create' ? <CreateVault /> : lock.state === 'unavailable' ? <KeyStoreUnavailable lock={lock} /> : <UnlockVault lock={lock} />}
    </section>
  );
}

function CreateVault() {
  const run = useUi((s) => s.run);
  const busy = useUi((s) => s.busy.vault === true);
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | undefined>();
  const hintId = useId();
  const errorId = useId();
  const strength = passphraseStrength(pass);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (strength.level === 'short') return setError('Use at least 8 characters.');
    if (pass !== again) return setError('The two passphrases are not the same.');
    setError(undefined);
    const sent = pass;
    setPass('');
    setAgain('');
    await run('vault', (a) => a.createVault({ passphrase: sent }));
  };
  return (
    <>
      <h2 id="h-unlock">Protect what Tessera keeps</h2>
      <p>
        Tessera keeps your sign-ins, tokens, history and waiting requests encrypted on this computer. No system keyring is available
        here, so a passphrase you choose protects them. You type it each time Tessera starts.
      </p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <p>
          <label>New passphrase{' '}
            <input type="password" autoComplete="new-password" value={pass} onChange={(e) => setPass(e.target.value)} aria-describedby={`${hintId} ${errorId}`} autoFocus />
          </label>
        </p>
        <p id={hintId} className={`strength ${strength.level}`} aria-live="polite">{pass ? strength.text : 'At least 8 characters; a few unrelated words make a strong passphrase.'}</p>
        <p>
          <label>Repeat the passphrase{' '}
            <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} aria-describedby={errorId} />
          </label>
        </p>
        <p className="warning"><strong>It cannot be recovered.</strong> If you forget it, nobody — not Tessera, not its makers — can open what it protects; you would start a new, empty vault and sign in again.</p>
        <p id={errorId} role={error ? 'alert' : undefined} className="bad-text">{error ?? ''}</p>
        <button type="submit" disabled={busy}>{busy ? 'Creating the vault…' : 'Create the vault'}</button>
      </form>
      <h3>Or keep nothing</h3>
      <p className="muted">Tessera then works as usual, but forgets every sign-in, token, history entry and waiting request when it closes. It asks again next time.</p>
      <button type="button" className="secondary" disabled={busy} onClick={() => void run('vault', (a) => a.keepNothing({}))}>Don't keep anything</button>
    </>
  );
}

function UnlockVault({ lock }: { lock: LockView }) {
  const run = useUi((s) => s.run);
  const busy = useUi((s) => s.busy.vault === true);
  const [pass, setPass] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const errorId = useId();
  const waitS = lock.retryAt ? Math.ceil((lock.retryAt - now) / 1000) : 0;
  useEffect(() => {
    if (waitS <= 0) return;
    const t = setTimeout(() => setNow(Date.now()), 500);
    return () => clearTimeout(t);
  }, [waitS, now]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!pass || waitS > 0) return;
    const sent = pass;
    setPass('');
    await run('vault', (a) => a.unlock({ passphrase: sent }));
  };
  const message = lock.error?.code === 'wrong_passphrase' ? 'That passphrase does not open your vault. Check it (and Caps Lock) and try again.'
    : lock.error?.code === 'too_soon' ? 'Too many tries in a row: wait a moment.'
    : lock.error?.message;
  return (
    <>
      <h2 id="h-unlock">Unlock Tessera</h2>
      <p>Your sign-ins, tokens, history and waiting requests are encrypted with your passphrase.</p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <p>
          <label>Passphrase{' '}
            <input type="password" autoComplete="current-password" value={pass} onChange={(e) => setPass(e.target.value)} aria-describedby={errorId} aria-invalid={lock.error ? true : undefined} autoFocus />
          </label>
        </p>
        <div id={errorId} aria-live="polite">
          {message ? <p className="bad-text" role="alert">{message}</p> : null}
          {waitS > 0 ? <p>You can try again in {waitS} s. Nothing is locked away: your vault stays as it is.</p> : null}
        </div>
        <button type="submit" disabled={busy || waitS > 0}>{busy ? 'Unlocking…' : 'Unlock'}</button>
      </form>
      <details>
        <summary>Forgot your passphrase?</summary>
        <p>It cannot be recovered. You can start a new, empty vault and sign in again; the old vault is not deleted but kept, renamed, in <code>{directoryOf(lock.file)}</code>, should you remember the passphrase later.</p>
        <StartNewVault />
      </details>
    </>
  );
}

/** "Start a new vault", behind a confirmation. */
function StartNewVault() {
  const run = useUi((s) => s.run);
  const busy = useUi((s) => s.busy.vault === true);
  const [confirmNew, setConfirmNew] = useState(false);
  return confirmNew ? (
    <div className="warning" role="group" aria-label="Confirm starting a new vault">
      <p>Start a new vault? Until the old one can be opened again, what it holds is out of reach.</p>
      <button type="button" disabled={busy} onClick={() => { setConfirmNew(false); void run('vault', (a) => a.startNewVault({ confirm: true })); }}>Start a new vault</button>
      <button type="button" className="secondary" onClick={() => setConfirmNew(false)}>Cancel</button>
    </div>
  ) : <button type="button" className="secondary" onClick={() => setConfirmNew(true)}>Start a new vault…</button>;
}

/** The key is in a key store that cannot give it now: say why in a person's words; try again, or start anew. */
function KeyStoreUnavailable({ lock }: { lock: LockView }) {
  const run = useUi((s) => s.run);
  const busy = useUi((s) => s.busy.vault === true);
  const why = lock.error?.code === 'key_missing' ? "The key that opens your vault is no longer in this computer's keyring (it was deleted, or this is another user or computer)."
    : lock.error?.code === 'backend_unavailable' ? "The keyring or secret store that holds your vault's key is not reachable right now — for example, it is locked, or this vault belongs to the desktop app."
    : "This computer's secret store could not give your vault's key.";
  return (
    <>
      <h2 id="h-unlock">Tessera cannot open your vault</h2>
      <p role="alert">{why}</p>
      <p>Nothing was changed. Unlock your keyring and try again, or start a new, empty vault: the old one is kept, renamed, in <code>{directoryOf(lock.file)}</code>.</p>
      <button type="button" disabled={busy} onClick={() => void run('vault', (a) => a.retryVault({}))}>Try again</button>
      <StartNewVault />
    </>
  );
}
