/**
 * "Keycloak's events (server side of the diagram)" on a trusted Keycloak realm (issue #23): the
 * credential that lets Tessera read the realm's events — a client whose service account has only
 * `realm-management` `view-events` — and how reading goes. The secret goes to the core (which checks
 * it at Keycloak, then keeps it in the vault) and is never shown again; a refusal is shown at its field.
 * @see https://www.keycloak.org/docs/latest/server_admin/index.html#configuring-auditing-to-track-events
 */
import { useId, useState, type FormEvent } from 'react';
import type { AppState, KeycloakEventsView, TrustedAsView } from '../../src/app/api';
import { useUi } from '../store';
import { refusal } from '../forms';

export const EVENTS_HEADING = "Keycloak's events (server side of the diagram)";
const AUDITING = 'https://www.keycloak.org/docs/latest/server_admin/index.html#configuring-auditing-to-track-events';

/** How reading the realm's events goes, in words. */
export function eventsStatus(v: KeycloakEventsView): string {
  const last = v.lastEventAt ? ` Last event: ${new Date(v.lastEventAt).toLocaleString()}.` : '';
  const settings = v.eventsEnabled === false ? ' Events are not enabled for the realm (Realm settings → Events → User events settings): Keycloak records nothing to read.'
    : v.missingTypes?.length ? ` The realm does not record ${v.missingTypes.join(', ')}.` : '';
  switch (v.state) {
    case 'none': return 'No credential: the diagram says the server side is not visible for this AS.';
    case 'off': return "Reading Keycloak's events is turned off (TESSERA_KEYCLOAK_EVENTS=off).";
    case 'starting': return `Starting to read Keycloak's events as ${v.clientId ?? 'the client'}.${settings}`;
    case 'reading': return `Reading Keycloak's events as ${v.clientId ?? 'the client'}.${last}${settings}`;
    case 'refused': return `Keycloak refused the credential: ${v.status ?? ''}${v.error ? ` ${v.error}` : ''}. Check the client id and secret.${last}`;
    case 'forbidden': return `The client lacks view-events (403): give its service account the realm-management role view-events.${last}`;
    case 'failing': return `Keycloak's events cannot be read now${v.status ? ` (${v.status})` : ' (no answer)'}; Tessera tries again.${last}`;
  }
}

/**
 * Why a flow at a trusted Keycloak realm shows no server side, in words, with what to do: no
 * credential (Keycloak offers its events: give one in Connections), or why the one given is not read.
 * Undefined when the flow's AS is not a trusted Keycloak realm.
 */
export function keycloakHiddenWhy(realm: TrustedAsView | undefined): string | undefined {
  const v = realm?.keycloak ? realm.events : undefined;
  if (!v || v.state === 'reading' || v.state === 'starting') return undefined;
  if (v.state === 'none') return `${realm?.label ?? 'This Keycloak realm'} offers its own events: give Tessera a client that may view them in Connections (${EVENTS_HEADING}) and its decisions appear here.`;
  return eventsStatus(v);
}

/** The section for one trusted Keycloak realm: status, the credential form, Remove. */
export function KeycloakEventsAccess({ issuer, name, events }: { issuer: string; name: string; events: KeycloakEventsView }) {
  const api = useUi((s) => s.api);
  const id = useId();
  const [clientId, setClientId] = useState(events.clientId ?? '');
  const [secret, setSecret] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();

  const act = async (what: () => Promise<AppState>, said: string) => {
    setBusy(true);
    setDone(undefined);
    try {
      useUi.setState({ app: await what() });
      setErrors({});
      setSecret('');
      setDone(said);
    } catch (error) {
      setErrors(refusal(error));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!clientId.trim()) found.clientId = 'Give the client id.';
    if (!secret) found.clientSecret = 'Give the client secret.';
    setErrors(found);
    if (Object.keys(found).length > 0 || !api) return;
    void act(() => api.saveKeycloakEvents({ issuer, clientId: clientId.trim(), clientSecret: secret }), 'Keycloak accepted the credential; it is kept in the vault.');
  };
  const error = (f: string) => (errors[f] ? <p id={`${id}-${f}-error`} className="field-error">{errors[f]}</p> : null);

  return (
    <section className="keycloak-events" aria-labelledby={`${id}-h`}>
      <h4 id={`${id}-h`}>{EVENTS_HEADING}</h4>
      <p role="status" aria-label={`Keycloak's events of ${name}`}>{eventsStatus(events)}</p>
      <p className="muted">
        Give a confidential client of this realm with a service account whose only role is realm-management <code>view-events</code>, and switch on the realm's user events
        (PERMISSION_TOKEN, PERMISSION_TOKEN_ERROR, INTROSPECT_TOKEN, INTROSPECT_TOKEN_ERROR). <a href={AUDITING} target="_blank" rel="noreferrer noopener">Keycloak's auditing and events</a>
      </p>
      <form aria-label={`Keycloak's events credential for ${name}`} onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-clientId`}>Client id</label>
          <input id={`${id}-clientId`} value={clientId} autoComplete="off" spellCheck={false} maxLength={255} aria-invalid={Boolean(errors.clientId)} aria-describedby={errors.clientId ? `${id}-clientId-error` : undefined} onChange={(e) => setClientId(e.target.value)} />
          {error('clientId')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-clientSecret`}>Client secret</label>
          <input id={`${id}-clientSecret`} type="password" value={secret} autoComplete="off" maxLength={4096} aria-invalid={Boolean(errors.clientSecret)} aria-describedby={errors.clientSecret ? `${id}-clientSecret-error` : undefined}
            placeholder={events.credential ? 'kept in the vault; type a new one to replace it' : undefined} onChange={(e) => setSecret(e.target.value)} />
          {error('clientSecret')}
        </div>
        {errors[''] || errors.issuer ? <p role="alert" className="field-error">{errors[''] ?? errors.issuer}</p> : null}
        <button type="submit" disabled={busy}>Save</button>
        {events.credential ? <button type="button" className="secondary" disabled={busy} onClick={() => api && void act(() => api.removeKeycloakEvents({ issuer }), 'The credential was removed from the vault; Tessera no longer reads this realm\'s events.')}>Remove</button> : null}
        {done ? <p role="status">{done}</p> : null}
      </form>
    </section>
  );
}
