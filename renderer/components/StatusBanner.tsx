/**
 * The one status banner: what the state of Tessera's storage means for the person, in their words,
 * with one action (dismiss) — shown once, here, not on every screen. Notices (a damaged file kept
 * aside, an old vault moved away) come from the core once each; dismissing one tells the core.
 */
import { useState } from 'react';
import type { AppState, NoticeView } from '../../src/app/api';
import { useUi } from '../store';

function noticeText(n: NoticeView): { text: string; where?: string } {
  const where = n.path;
  switch (n.code) {
    case 'history_damaged':
      return { text: `Your history could not be read${n.reason ? ` (${n.reason})` : ''}, so Tessera started with an empty one. The damaged file was not deleted; it is kept at`, ...(where ? { where } : {}) };
    case 'vault_damaged':
      return { text: `Your vault file could not be read${n.reason ? ` (${n.reason})` : ''}, so Tessera started a new one: sign in again. The damaged file was not deleted; it is kept at`, ...(where ? { where } : {}) };
    case 'preferences_damaged':
      return { text: 'Your preferences could not be read, so Tessera uses the defaults. The damaged file is kept at', ...(where ? { where } : {}) };
    case 'watches_damaged':
      return { text: `${n.count === 1 ? 'A waiting request' : `${n.count ?? 'Some'} waiting requests`} from the last run could not be read, so Tessera is not watching ${n.count === 1 ? 'it' : 'them'}. Nothing was deleted (kept in the vault); open the record again to ask anew` };
    case 'vault_moved':
      return { text: 'Your old vault is kept, unchanged, at', ...(where ? { where } : {}) };
  }
}

export function StatusBanner({ app }: { app: AppState }) {
  const run = useUi((s) => s.run);
  const [hidden, setHidden] = useState(false);
  const memory = app.vault.backend === 'memory' && (app.vault.memoryChosen || app.vault.warning);
  return (
    <>
      {memory && !hidden ? (
        <section className="banner warning" aria-label="Storage">
          <strong>Nothing is kept after Tessera closes.</strong>{' '}
          {app.vault.memoryChosen
            ? 'You chose not to keep anything: sign-ins, tokens, history and waiting requests are in memory only this time. Next start, Tessera asks again.'
            : 'Tessera could not protect a vault on this computer, so sign-ins, tokens, history and waiting requests are in memory only and end when it closes.'}{' '}
          <button type="button" className="secondary" onClick={() => setHidden(true)}>Dismiss</button>
        </section>
      ) : null}
      {(app.notices ?? []).map((n) => {
        const { text, where } = noticeText(n);
        return (
          <section key={n.id} className="banner warning" aria-label="Kept aside">
            {text}{where ? <> <code>{where}</code>.</> : '.'}{' '}
            <button type="button" className="secondary" onClick={() => void run(`notice:${n.id}`, (a) => a.dismissNotice({ id: n.id }))}>OK</button>
          </section>
        );
      })}
    </>
  );
}
