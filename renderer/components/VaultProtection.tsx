/**
 * How Tessera protects what it keeps, and changing it from the app (as `tessera vault rekey` does):
 * a new passphrase, or a move between passphrase and the system keyring. A passphrase vault asks for
 * its current passphrase first; every passphrase is cleared from the page once sent.
 */
import { useState, type FormEvent } from 'react';
import { useUi } from '../store';
import { passphraseStrength } from './Unlock';

const DESCRIBED: Record<string, string> = {
  passphrase: 'encrypted on this computer with your passphrase',
  keyring: "encrypted on this computer with a key in the system's keyring",
  safeStorage: "encrypted on this computer with a key the system's secret store protects",
};

export function VaultProtection() {
  const app = useUi((s) => s.app);
  const run = useUi((s) => s.run);
  const busy = useUi((s) => s.busy.protect === true);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  if (!app) return null;
  const backend = app.vault.backend;
  if (!DESCRIBED[backend]) return null;
  const usesPassphrase = backend === 'passphrase';
  const clear = () => { setCurrent(''); setNext(''); setAgain(''); };
  const send = async (to: 'passphrase' | 'keyring') => {
    const input = { to, ...(usesPassphrase ? { current } : {}), ...(to === 'passphrase' ? { newPassphrase: next } : {}) };
    clear();
    const state = await run('protect', (a) => a.protectVault(input));
    if (state) setDone(to === 'keyring' ? 'Done: the system keyring protects the vault now.' : 'Done: the new passphrase protects the vault now.');
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    if (passphraseStrength(next).level === 'short') return setError('Use at least 8 characters.');
    if (next !== again) return setError('The two new passphrases are not the same.');
    setError(undefined);
    void send('passphrase');
  };
  return (
    <details className="vault-protection">
      <summary>What Tessera keeps is {DESCRIBED[backend]}</summary>
      <form onSubmit={submit} noValidate>
        {usesPassphrase ? <p><label>Current passphrase <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} /></label></p> : null}
        <p><label>{usesPassphrase ? 'New passphrase' : 'A passphrase instead'} <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} /></label></p>
        {next ? <p className={`strength ${passphraseStrength(next).level}`}>{passphraseStrength(next).text}</p> : null}
        <p><label>Repeat it <input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} /></label></p>
        {error ? <p className="bad-text" role="alert">{error}</p> : null}
        <button type="submit" disabled={busy}>{usesPassphrase ? 'Change the passphrase' : 'Use this passphrase'}</button>
        {usesPassphrase ? <button type="button" className="secondary" disabled={busy || !current} onClick={() => { setDone(undefined); void send('keyring'); }}>Use the system keyring instead</button> : null}
      </form>
      {done ? <p role="status">{done}</p> : null}
    </details>
  );
}
