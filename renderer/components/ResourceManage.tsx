import { useId, useState, type FormEvent } from 'react';
import type { ResourceView } from '../../src/app/api';
import { useUi } from '../store';
import { refusal } from '../forms';

/** Rename or remove one resource (demo records too); removing asks first. Refusals show here. */
export function ResourceManage({ resource }: { resource: ResourceView }) {
  const api = useUi((s) => s.api);
  const [mode, setMode] = useState<'idle' | 'rename' | 'remove'>('idle');
  const [title, setTitle] = useState(resource.title);
  const [error, setError] = useState<string>();
  const id = useId();
  const call = async (fn: () => Promise<unknown>) => {
    try {
      const state = await fn();
      if (state && typeof state === 'object' && 'resources' in state) useUi.setState({ app: state as never });
      setMode('idle');
      setError(undefined);
    } catch (e) {
      setError(Object.values(refusal(e)).join(' '));
    }
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) { setError('Give it a name.'); return; }
    if (api) void call(() => api.renameResource({ url: resource.url, title: title.trim() }));
  };
  if (mode === 'rename') {
    return (
      <form className="manage" onSubmit={rename} noValidate aria-label={`Rename ${resource.title}`}>
        <label htmlFor={`${id}-t`}>New name for {resource.title}</label>{' '}
        <input id={`${id}-t`} type="text" value={title} onChange={(e) => setTitle(e.target.value)} aria-invalid={error ? true : undefined} />{' '}
        <button type="submit">Save</button>{' '}
        <button type="button" className="secondary" onClick={() => { setMode('idle'); setTitle(resource.title); setError(undefined); }}>Cancel</button>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
      </form>
    );
  }
  if (mode === 'remove') {
    return (
      <div className="manage warning" role="group" aria-label={`Remove ${resource.title}`}>
        <p>Remove <strong>{resource.title}</strong> from your list? Tokens you hold for it stay (the Tokens screen lists them); you can add the address again later.</p>
        <button type="button" onClick={() => { if (api) void call(() => api.removeResource({ url: resource.url })); }}>Yes, remove it</button>{' '}
        <button type="button" className="secondary" onClick={() => setMode('idle')}>Keep it</button>
        {error ? <p className="form-error" role="alert">{error}</p> : null}
      </div>
    );
  }
  return (
    <span className="manage-actions">
      <button type="button" className="secondary" onClick={() => { setTitle(resource.title); setMode('rename'); }} aria-label={`Rename ${resource.title}`}>Rename</button>{' '}
      <button type="button" className="secondary" onClick={() => setMode('remove')} aria-label={`Remove ${resource.title}…`}>Remove…</button>
    </span>
  );
}
