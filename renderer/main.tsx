import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectApi } from './api-client';
import { useUi } from './store';
import { NOTES_FRAGMENT } from './speaker-notes';
import './styles.css';

const root = document.getElementById('root');
if (root && location.hash === NOTES_FRAGMENT) {
  // The speaker-notes window (opened by the presenter): no API session, it only follows the presenter.
  const theme = (() => { try { return localStorage.getItem('tessera.theme'); } catch { return null; } })();
  if (theme) document.documentElement.dataset.theme = theme;
  void import('./screens/SpeakerNotes').then(({ SpeakerNotesWindow }) => createRoot(root).render(<SpeakerNotesWindow />));
} else if (root) {
  createRoot(root).render(<App />);
  void useUi.getState().connect(connectApi());
}
