import { useId, useState, type FormEvent } from 'react';
import { useUi } from '../store';
import { addressProblem, refusal } from '../forms';

/**
 * "Add a protected resource": the address and a name, checked here in plain words, and the core's
 * refusal shown next to the form (role=alert) — not in the global banner.
 */
export function AddResourceForm() {
  const api = useUi((s) => s.api);
  const [url, setUrl] = useState('');
  const [title, setTitle] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const id = useId();
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    const problem = addressProblem(url);
    if (problem) found.url = `${problem}.`;
    if (!title.trim()) found.title = 'Give it a name.';
    setErrors(found);
    if (Object.keys(found).length > 0 || !api) return;
    setBusy(true);
    try {
      const state = await api.addResource({ url: url.trim(), title: title.trim() });
      useUi.setState({ app: state });
      setUrl('');
      setTitle('');
    } catch (error) {
      setErrors(refusal(error));
    } finally {
      setBusy(false);
    }
  };
  const messages = Object.values(errors);
  return (
    <form className="card add" onSubmit={(e) => void add(e)} noValidate aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>Add a protected resource</h3>
      <label htmlFor={`${id}-url`}>Address</label>
      <input id={`${id}-url`} type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://records.example/patients/42" aria-invalid={errors.url ? true : undefined} aria-describedby={errors.url ? `${id}-error` : undefined} />
      <label htmlFor={`${id}-title`}>Name</label>
      <input id={`${id}-title`} type="text" value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={errors.title ? true : undefined} aria-describedby={errors.title ? `${id}-error` : undefined} />
      {messages.length > 0 ? <div id={`${id}-error`} className="form-error" role="alert">{messages.map((m) => <p key={m}>{m}</p>)}</div> : null}
      <button type="submit" disabled={busy}>Add</button>
    </form>
  );
}
