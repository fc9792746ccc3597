import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ApiInput, AsCheckView, TrustedAsView } from '../../src/app/api';
import { useUi } from '../store';
import { addressProblem, refusal } from '../forms';
import { DpopSetting, dpopAdvertised, type DpopChoice } from './DpopSetting';

type Method = ApiInput<'addAs'>['authMethod'];
type Where = 'discovery' | 'discoveryUrl' | 'manual';

const METHODS: { value: Method; label: string }[] = [
  { value: 'client_secret_basic', label: 'Client secret, sent as HTTP Basic (client_secret_basic)' },
  { value: 'client_secret_post', label: 'Client secret, sent in the request body (client_secret_post)' },
  { value: 'private_key_jwt', label: 'Private key, signs a short assertion (private_key_jwt)' },
  { value: 'none', label: 'No client authentication (a public client)' },
  { value: 'dynamic', label: 'Let Tessera register itself (dynamic registration)' },
];

const FIELDS = ['issuer', 'label', 'discoveryUrl', 'tokenEndpoint', 'claimsInteractionEndpoint', 'registrationEndpoint', 'revocationEndpoint', 'clientId', 'clientSecret', 'privateKey'] as const;
type Field = (typeof FIELDS)[number];
const LABELS: Record<string, string> = {
  issuer: 'Issuer', label: 'Name', discoveryUrl: 'Discovery address', tokenEndpoint: 'Token endpoint', claimsInteractionEndpoint: 'Claims-interaction endpoint',
  registrationEndpoint: 'Registration endpoint', revocationEndpoint: 'Revocation endpoint', clientId: 'Client id', clientSecret: 'Client secret', privateKey: 'Private key', authMethod: 'Client authentication',
};

/** One line about how a trusted AS is set up (endpoints, client authentication), or undefined. */
export function setupText(t: TrustedAsView): string | undefined {
  const s = t.setup;
  if (!s) return undefined;
  const where = s.tokenEndpoint ? `Endpoints entered by hand (token endpoint ${s.tokenEndpoint}).` : s.discoveryUrl ? `Discovery document at ${s.discoveryUrl}.` : '';
  const how = s.authMethod ? ` Client authentication: ${s.authMethod === 'dynamic' ? 'dynamic registration' : s.authMethod}.` : '';
  return `${where}${how}`.trim() || undefined;
}

/** What the core checked, in words (src/app/as-check.ts). */
export function checkText(issuer: string, c: AsCheckView | undefined): string {
  if (!c) return `Trusted ${issuer}.`;
  if (c.source === 'manual') return `Trusted ${issuer}. Its endpoints were entered by hand, so Tessera could not check them; the first request will.`;
  const grant = c.umaGrant === 'listed' ? 'it offers the UMA grant' : 'its metadata is a UMA document';
  const dpop = c.dpopAlgs ? ` ${dpopAdvertised(c.dpopAlgs)}` : '';
  return `Trusted ${issuer}: Tessera read its metadata — the issuer matches, the token endpoint is ${c.tokenEndpoint}, and ${grant}.${dpop}`;
}

/**
 * "Add an authorization server" by hand, as config.json can for the CLI: the issuer (the `as_uri` a
 * resource server names), where its endpoints are (standard discovery, a discovery document elsewhere,
 * or endpoints typed in), and which client Tessera is there. The secret or private key goes to the
 * core, which keeps it in the vault; it is never shown again. Adding the same issuer again replaces it.
 * On save the core reads the server's metadata and refuses one that is not a UMA AS; every refusal
 * is shown at its field (and summed up at the top of the form), and the first such field gets focus.
 * @see https://docs.kantarainitiative.org/uma/wg/rec-oauth-uma-grant-2.0.html#rfc.section.5.7
 */
export function AddAsForm({ edit, onDone }: { edit?: TrustedAsView | undefined; onDone?: () => void } = {}) {
  const api = useUi((s) => s.api);
  const id = useId();
  // Changing one: its settings as they are (never its secret, which only the vault holds).
  const [v, setV] = useState<Record<Field, string>>(() => ({
    ...(Object.fromEntries(FIELDS.map((f) => [f, ''])) as Record<Field, string>),
    ...(edit ? { issuer: edit.issuer, label: edit.label ?? '', clientId: edit.clientId ?? '', discoveryUrl: edit.setup?.discoveryUrl ?? '', tokenEndpoint: edit.setup?.tokenEndpoint ?? '', claimsInteractionEndpoint: edit.setup?.claimsInteractionEndpoint ?? '', registrationEndpoint: edit.setup?.registrationEndpoint ?? '', revocationEndpoint: edit.setup?.revocationEndpoint ?? '' } : {}),
  }));
  const [where, setWhere] = useState<Where>(edit?.setup?.tokenEndpoint ? 'manual' : edit?.setup?.discoveryUrl ? 'discoveryUrl' : 'discovery');
  const [method, setMethod] = useState<Method>(edit?.setup?.authMethod ?? (edit?.registration === 'dynamic' ? 'dynamic' : 'client_secret_basic'));
  // The AS's switch as it is (TrustedAsView.dpop, or its setup's): an unchanged form sends none.
  const current: DpopChoice = edit?.dpop ?? edit?.setup?.dpop ?? 'auto';
  const [dpop, setDpop] = useState<DpopChoice>(current);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  /** Brings the first field with a message into view (and focus), so a refusal is never off screen. */
  const focusFirstError = (found: Record<string, string>) => {
    const first = [...FIELDS, 'authMethod' as const].find((f) => found[f]);
    const target = first ? formRef.current?.ownerDocument.getElementById(`${id}-${first === 'authMethod' ? 'method' : first}`) : formRef.current?.querySelector<HTMLElement>('[role="alert"]');
    // After React has rendered the messages.
    setTimeout(() => { target?.focus(); target?.scrollIntoView?.({ block: 'center' }); }, 0);
  };
  const set = (f: Field) => (e: { target: { value: string } }) => setV({ ...v, [f]: e.target.value });

  const check = (): Record<string, string> => {
    const found: Record<string, string> = {};
    const address = (f: Field, required: boolean) => {
      if (!v[f].trim()) { if (required) found[f] = 'Give this address.'; return; }
      const problem = addressProblem(v[f]);
      if (problem) found[f] = `${problem}.`;
    };
    address('issuer', true);
    if (where === 'discoveryUrl') address('discoveryUrl', true);
    if (where === 'manual') {
      address('tokenEndpoint', true);
      for (const f of ['claimsInteractionEndpoint', 'registrationEndpoint', 'revocationEndpoint'] as const) address(f, false);
      if (method === 'dynamic' && !v.registrationEndpoint.trim()) found.registrationEndpoint = 'Dynamic registration needs the registration endpoint.';
    }
    if (method !== 'dynamic' && !v.clientId.trim()) found.clientId = 'Give the client id.';
    if ((method === 'client_secret_basic' || method === 'client_secret_post') && !v.clientSecret) found.clientSecret = 'Give the client secret.';
    if (method === 'private_key_jwt' && !v.privateKey.trim()) found.privateKey = 'Paste the private key (a JWK or a PEM block).';
    return found;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    const found = check();
    setErrors(found);
    if (Object.keys(found).length > 0) focusFirstError(found);
    if (Object.keys(found).length > 0 || !api) return;
    const opt = (f: Field) => (v[f].trim() ? { [f]: v[f].trim() } : {});
    const input: ApiInput<'addAs'> = {
      issuer: v.issuer.trim(),
      ...opt('label'),
      ...(where === 'discoveryUrl' ? opt('discoveryUrl') : {}),
      ...(where === 'manual' ? { ...opt('tokenEndpoint'), ...opt('claimsInteractionEndpoint'), ...opt('registrationEndpoint'), ...opt('revocationEndpoint') } : {}),
      authMethod: method,
      ...(method !== 'dynamic' ? opt('clientId') : {}),
      ...(method === 'client_secret_basic' || method === 'client_secret_post' ? { clientSecret: v.clientSecret } : {}),
      ...(method === 'private_key_jwt' ? { privateKey: v.privateKey } : {}),
      // Sent only when chosen: an unchanged form leaves config.json as it was (a new AS: Automatic).
      ...(dpop !== current ? { dpop } : {}),
    };
    setBusy(true);
    try {
      const { check, ...state } = await api.addAs(input);
      useUi.setState({ app: state });
      setDone(checkText(input.issuer, check));
      // The secret and key are in the vault now; the form forgets them.
      setV({ ...v, clientSecret: '', privateKey: '' });
      onDone?.();
    } catch (error) {
      const found = refusal(error);
      setErrors(found);
      focusFirstError(found);
    } finally {
      setBusy(false);
    }
  };

  const field = (f: Field, label: string, input: ReactNode, help?: string) => (
    <div className="field">
      <label htmlFor={`${id}-${f}`}>{label}</label>
      {help ? <p id={`${id}-${f}-help`} className="muted">{help}</p> : null}
      {input}
      {errors[f] ? <p id={`${id}-${f}-error`} className="field-error">{errors[f]}</p> : null}
    </div>
  );
  const described = (f: Field | 'authMethod', help?: boolean) => [help ? `${id}-${f}-help` : '', errors[f] ? `${id}-${f}-error` : ''].filter(Boolean).join(' ') || undefined;
  const text = (f: Field, label: string, opts: { type?: string; placeholder?: string; help?: string; autoComplete?: string } = {}) =>
    field(f, label, <input id={`${id}-${f}`} type={opts.type ?? 'text'} value={v[f]} onChange={set(f)} placeholder={opts.placeholder} autoComplete={opts.autoComplete ?? 'off'} aria-invalid={errors[f] ? true : undefined} aria-describedby={described(f, Boolean(opts.help))} />, opts.help);
  // The alert names the field, so a refusal about a field not shown (or read by a screen reader) still makes sense.
  const messages = Object.entries(errors).map(([f, m]) => (LABELS[f] ? `${LABELS[f]}: ${m}` : m));

  return (
    <form ref={formRef} className="card as-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${id}-h`} aria-busy={busy}>
      <h3 id={`${id}-h`}>{edit ? `Change ${edit.label ?? edit.issuer}` : 'Add an authorization server'}</h3>
      <p className="muted">{edit
        ? 'Tessera never shows a stored secret or key: give it again to keep using one.'
        : 'Only add a server you know: it will receive your client credentials and the claims you push. Adding the same issuer again changes it. Tessera reads its metadata first and refuses a server that is not a UMA authorization server.'}</p>
      {messages.length > 0 ? <div className="form-error" role="alert">{messages.map((m, i) => <p key={i}>{m}</p>)}</div> : null}
      {done ? <p role="status" className="form-done">{done}</p> : null}
      {text('issuer', 'Issuer', { type: 'url', placeholder: 'https://as.example', help: 'The address a resource server names for it (as_uri).' })}
      {text('label', 'Name (optional)')}
      <fieldset>
        <legend>Where Tessera finds its endpoints</legend>
        {([['discovery', 'Standard discovery at the issuer'], ['discoveryUrl', 'A discovery document at another address'], ['manual', 'I enter the endpoints']] as const).map(([value, label]) => (
          <label key={value} className="choice"><input type="radio" name={`${id}-where`} value={value} checked={where === value} onChange={() => setWhere(value)} /> {label}</label>
        ))}
        {where === 'discoveryUrl' ? text('discoveryUrl', 'Discovery address', { type: 'url', placeholder: 'https://as.example/am/.well-known/uma2-configuration' }) : null}
        {where === 'manual' ? (<>
          {text('tokenEndpoint', 'Token endpoint', { type: 'url' })}
          {text('claimsInteractionEndpoint', 'Claims-interaction endpoint (optional)', { type: 'url' })}
          {text('registrationEndpoint', 'Registration endpoint (optional)', { type: 'url' })}
          {text('revocationEndpoint', 'Revocation endpoint (optional)', { type: 'url' })}
        </>) : null}
      </fieldset>
      <fieldset>
        <legend>Tessera&apos;s client at this server</legend>
        <div className="field">
          <label htmlFor={`${id}-method`}>How Tessera proves who it is</label>
          <select id={`${id}-method`} value={method} onChange={(e) => setMethod(e.target.value as Method)} aria-invalid={errors.authMethod ? true : undefined} aria-describedby={described('authMethod')}>
            {METHODS.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
          </select>
          {errors.authMethod ? <p id={`${id}-authMethod-error`} className="field-error">{errors.authMethod}</p> : null}
        </div>
        {method !== 'dynamic' ? text('clientId', 'Client id') : <p className="muted">Tessera registers a client the first time it needs one and keeps its credentials in the vault.</p>}
        {method === 'client_secret_basic' || method === 'client_secret_post' ? text('clientSecret', 'Client secret', { type: 'password', autoComplete: 'new-password', help: 'Kept in the vault, never shown again.' }) : null}
        {method === 'private_key_jwt' ? field('privateKey', 'Private key (JWK or PEM)', <textarea id={`${id}-privateKey`} value={v.privateKey} onChange={set('privateKey')} spellCheck={false} placeholder="-----BEGIN PRIVATE KEY-----" aria-invalid={errors.privateKey ? true : undefined} aria-describedby={described('privateKey', true)} />, 'Kept in the vault, never shown again.') : null}
      </fieldset>
      <DpopSetting value={dpop} algs={edit?.dpopAlgs} usable={edit?.dpopUsable} onChange={setDpop} />
      <button type="submit" disabled={busy}>{edit ? 'Save changes' : 'Trust this authorization server'}</button>
      {busy ? <p role="status">Checking the server: reading its metadata…</p> : null}
      {edit && onDone ? <> <button type="button" className="secondary" onClick={onDone}>Cancel</button></> : null}
    </form>
  );
}
