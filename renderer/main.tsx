import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectApi } from './api-client';
import { useUi } from './store';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(<App />);
  void useUi.getState().connect(connectApi());
}
