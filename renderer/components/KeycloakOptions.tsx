/**
 * The request builder's "Keycloak options", offered when a trusted AS is a Keycloak realm: ask it
 * without a ticket for an audience (the resource server's client id) and permissions
 * (RESOURCE[#SCOPE], rows added and removed), answered with an RPT (then the request is sent
 * presenting it), only the decision, or only the permission list; and whether Keycloak submits a
 * request to the owner. The answer's view carries no token.
 * @see https://www.keycloak.org/docs/latest/authorization_services/index.html#_service_obtaining_permissions
 */
import type { ApiInput, KeycloakAnswerView, TrustedAsView } from '../../src/app/api';

export type KeycloakMode = 'token' | 'decision' | 'permissions';

/** What the person set in the section (kept by the request builder). */
export interface KeycloakOptionsValue {
  on: boolean;
  asIssuer: string;
  audience: string;
  permissions: string[];
  responseMode: KeycloakMode;
  submitRequest: boolean;
}

export const emptyKeycloakOptions = (asIssuer = ''): KeycloakOptionsValue => ({ on: false, asIssuer, audience: '', permissions: [''], responseMode: 'token', submitRequest: true });

const MODES: { value: KeycloakMode; label: string }[] = [
  { value: 'token', label: 'An RPT, then send the request with it' },
  { value: 'decision', label: 'Only the decision (yes or no)' },
  { value: 'permissions', label: 'Only the permissions granted (no token)' },
];

/** The contract's input for these options, or a message saying what is missing. */
export function keycloakInput(v: KeycloakOptionsValue): ApiInput<'openResource'>['keycloak'] | string {
  const permissions = v.permissions.map((p) => p.trim()).filter(Boolean);
  const audience = v.audience.trim();
  if (!audience && permissions.length === 0) return 'Keycloak options: give the client id of the resource server, or at least one permission.';
  const bad = permissions.find((p) => p === '#' || (p.match(/#/g)?.length ?? 0) > 1);
  if (bad) return `Keycloak options: "${bad}" is not RESOURCE, RESOURCE#SCOPE or #SCOPE.`;
  return { asIssuer: v.asIssuer, ...(audience ? { audience } : {}), permissions, responseMode: v.responseMode, submitRequest: v.submitRequest };
}

export function KeycloakOptions({ value, onChange, keycloaks }: { value: KeycloakOptionsValue; onChange: (v: KeycloakOptionsValue) => void; keycloaks: TrustedAsView[] }) {
  const set = (patch: Partial<KeycloakOptionsValue>) => onChange({ ...value, ...patch });
  return (
    <fieldset>
      <legend>Keycloak options</legend>
      <label className="choice"><input type="checkbox" checked={value.on} onChange={(e) => set({ on: e.target.checked, ...(value.asIssuer ? {} : { asIssuer: keycloaks[0]?.issuer ?? '' }) })} /> Ask Keycloak directly, without a ticket</label>
      {value.on ? (
        <>
          {keycloaks.length > 1 ? (
            <>
              <label htmlFor="rb-kc-as">Keycloak realm</label>
              <select id="rb-kc-as" value={value.asIssuer} onChange={(e) => set({ asIssuer: e.target.value })}>
                {keycloaks.map((k) => <option key={k.issuer} value={k.issuer}>{k.label ?? k.issuer}</option>)}
              </select>
            </>
          ) : <p className="muted">Asks {keycloaks[0]?.label ?? keycloaks[0]?.issuer}.</p>}
          <label htmlFor="rb-kc-audience">Audience (the resource server&apos;s client id)</label>
          <input id="rb-kc-audience" type="text" value={value.audience} onChange={(e) => set({ audience: e.target.value })} spellCheck={false} />
          <p className="muted">Permissions: a resource, RESOURCE#SCOPE, or #SCOPE for a scope on any resource. Keycloak finds a resource by name only among the resource server&apos;s own; a resource a user owns needs its id.</p>
          {value.permissions.map((p, i) => (
            <div key={i} className="inline">
              <label htmlFor={`rb-kc-perm-${i}`}>Permission {i + 1}</label>
              <input id={`rb-kc-perm-${i}`} type="text" value={p} placeholder="RESOURCE#SCOPE" spellCheck={false} onChange={(e) => set({ permissions: value.permissions.map((x, j) => (j === i ? e.target.value : x)) })} />
              {value.permissions.length > 1 ? <button type="button" className="secondary" aria-label={`Remove permission ${i + 1}`} onClick={() => set({ permissions: value.permissions.filter((_, j) => j !== i) })}>Remove</button> : null}
            </div>
          ))}
          {value.permissions.length < 50 ? <button type="button" className="secondary" onClick={() => set({ permissions: [...value.permissions, ''] })}>Add a permission</button> : null}
          <label htmlFor="rb-kc-mode">Keycloak answers with</label>
          <select id="rb-kc-mode" value={value.responseMode} onChange={(e) => set({ responseMode: e.target.value as KeycloakMode })}>
            {MODES.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
          </select>
          <label className="choice"><input type="checkbox" checked={value.submitRequest} onChange={(e) => set({ submitRequest: e.target.checked })} /> Submit a request to the owner when access is refused</label>
        </>
      ) : null}
    </fieldset>
  );
}

/** Keycloak's answer in words: the decision, the permissions, or the refusal. */
export function KeycloakAnswer({ answer }: { answer: KeycloakAnswerView }) {
  const list = answer.permissions?.length ? (
    <ul>{answer.permissions.map((p, i) => <li key={i}>{p.resource}{p.scopes.length ? `: ${p.scopes.join(', ')}` : ''}</li>)}</ul>
  ) : null;
  return (
    <section className="builder-response" aria-label="Keycloak's answer">
      {answer.refused ? <h4>Keycloak refused: {answer.refused}</h4>
        : answer.mode === 'decision' ? <h4>Keycloak&apos;s decision: {answer.granted ? 'granted' : 'not granted'}</h4>
        : answer.mode === 'permissions' ? <h4>{answer.permissions?.length ? 'Keycloak grants these permissions' : 'Keycloak grants no permission'}</h4>
        : <h4>Keycloak issued an RPT{answer.permissions?.length ? ' carrying these permissions' : ''}</h4>}
      {list}
    </section>
  );
}
