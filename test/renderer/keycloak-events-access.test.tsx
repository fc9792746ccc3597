/**
 * "Keycloak's events (server side of the diagram)" in Connections (issue #23), as a person sees it
 * (jsdom, a fake API; roles, labels, text): only on a trusted Keycloak realm; the status in words;
 * Save sends the client id and secret to the core and forgets the secret; Keycloak's refusal is shown
 * at its field and the status stays as it was; Remove.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState, KeycloakEventsView, TesseraApi, TrustedAsView } from '../../src/app/api';
import { useUi } from '../../renderer/store';
import { ApiError } from '../../renderer/api-client';
import { useTraces } from '../../renderer/traces';
import { Flow } from '../../renderer/screens/Flow';
import { appState, fill, flowView, mountApp, person, render } from './support';

const ISSUER = 'https://kc.example/realms/kate';
const HEADING = "Keycloak's events (server side of the diagram)";
const realm = (events: KeycloakEventsView): TrustedAsView => ({ issuer: ISSUER, label: "Kate's realm", keycloak: true, clientId: 'tessera', registration: 'static', events });

async function mount(state: AppState, methods: Partial<Record<keyof TesseraApi, unknown>> = {}) {
  const view = await mountApp(state, methods);
  await act(async () => { useUi.getState().go('connections'); });
  return view;
}
beforeEach(() => { useUi.setState({ screen: 'resources', notice: undefined, flows: {}, busy: {} }); });

const card = () => screen.getByRole('listitem', { name: "Kate's realm" });
const section = () => within(card()).getByRole('region', { name: HEADING });
const status = () => within(section()).getByRole('status', { name: "Keycloak's events of Kate's realm" });
const form = () => within(section()).getByRole('form', { name: "Keycloak's events credential for Kate's realm" });

describe("Keycloak's events on a trusted Keycloak realm", () => {
  it('is offered only on a Keycloak realm, says what the client needs and links to Keycloak\'s auditing docs', async () => {
    await mount(appState({ trusted: [realm({ credential: false, state: 'none' }), { issuer: 'https://as.example', label: 'Plain AS', registration: 'static' }] }));
    expect(status().textContent).toContain('No credential: the diagram says the server side is not visible');
    expect(section().textContent).toContain('realm-management view-events');
    expect(within(section()).getByRole('link', { name: "Keycloak's auditing and events" }).getAttribute('href')).toBe('https://www.keycloak.org/docs/latest/server_admin/index.html#configuring-auditing-to-track-events');
    expect(within(screen.getByRole('listitem', { name: 'Plain AS' })).queryByRole('region', { name: HEADING })).toBeNull();
    // No credential: nothing to remove.
    expect(within(form()).queryByRole('button', { name: 'Remove' })).toBeNull();
  });

  it('Save sends the client id and secret to the core, then shows the status it reads and forgets the secret', async () => {
    const saveKeycloakEvents = vi.fn(async () => appState({ trusted: [realm({ credential: true, clientId: 'tessera-events', state: 'reading', lastEventAt: '2026-12-07T10:00:00.000Z' })] }));
    const { user } = await mount(appState({ trusted: [realm({ credential: false, state: 'none' })] }), { saveKeycloakEvents });
    // Both fields are required before anything is sent.
    await user.click(within(form()).getByRole('button', { name: 'Save' }));
    expect(within(form()).getByText('Give the client id.')).toBeTruthy();
    expect(saveKeycloakEvents).not.toHaveBeenCalled();

    await fill(user, within(form()).getByLabelText('Client id'), 'tessera-events');
    await fill(user, within(form()).getByLabelText('Client secret'), 'the-events-secret');
    await user.click(within(form()).getByRole('button', { name: 'Save' }));
    expect(saveKeycloakEvents).toHaveBeenCalledWith({ issuer: ISSUER, clientId: 'tessera-events', clientSecret: 'the-events-secret' });
    expect(status().textContent).toMatch(/^Reading Keycloak's events as tessera-events\. Last event: /);
    expect(within(form()).getByText("Keycloak accepted the credential; it is kept in the vault.")).toBeTruthy();
    expect(within(form()).getByLabelText<HTMLInputElement>('Client secret').value).toBe('');
    expect(document.body.textContent).not.toContain('the-events-secret');
    expect(within(form()).getByRole('button', { name: 'Remove' })).toBeTruthy();
  });

  it("Keycloak's refusal is shown at the secret's field; the status (the credential kept before) stays", async () => {
    const saveKeycloakEvents = vi.fn(async () => { throw new ApiError('invalid_input', 'clientSecret: Keycloak refused the credential: 401 unauthorized_client (a wrong client secret, or no such client)', 'Nothing was saved.'); });
    const { user } = await mount(appState({ trusted: [realm({ credential: true, clientId: 'tessera-events', state: 'reading' })] }), { saveKeycloakEvents });
    const secret = within(form()).getByLabelText('Client secret');
    await fill(user, secret, 'wrong');
    await user.click(within(form()).getByRole('button', { name: 'Save' }));
    expect(within(form()).getByText('Keycloak refused the credential: 401 unauthorized_client (a wrong client secret, or no such client).')).toBeTruthy();
    expect(secret.getAttribute('aria-invalid')).toBe('true');
    expect(status().textContent).toContain("Reading Keycloak's events as tessera-events");
  });

  it('says why nothing is read: refused (401), no view-events (403), events not enabled for the realm', async () => {
    for (const [events, said] of [
      [{ credential: true, clientId: 'c', state: 'refused', status: 401, error: 'unauthorized_client' }, "Keycloak refused the credential: 401 unauthorized_client"],
      [{ credential: true, clientId: 'c', state: 'forbidden', status: 403 }, 'The client lacks view-events (403)'],
      [{ credential: true, clientId: 'c', state: 'reading', eventsEnabled: false }, 'Events are not enabled for the realm'],
      [{ credential: true, clientId: 'c', state: 'off' }, 'TESSERA_KEYCLOAK_EVENTS=off'],
    ] as const) {
      const view = await mount(appState({ trusted: [realm(events)] }));
      expect(status().textContent).toContain(said);
      view.unmount();
    }
  });

  it('Remove forgets the credential through the core', async () => {
    const removeKeycloakEvents = vi.fn(async () => appState({ trusted: [realm({ credential: false, state: 'none' })] }));
    const { user } = await mount(appState({ trusted: [realm({ credential: true, clientId: 'tessera-events', state: 'reading' })] }), { removeKeycloakEvents });
    await user.click(within(form()).getByRole('button', { name: 'Remove' }));
    expect(removeKeycloakEvents).toHaveBeenCalledWith({ issuer: ISSUER });
    expect(status().textContent).toContain('No credential');
  });
});

describe('End to end, for a flow at a trusted Keycloak realm whose events are not read', () => {
  const flow = flowView({ flowId: 'f1', asIssuer: ISSUER, server: { visible: false, events: [] } });
  const show = (events: KeycloakEventsView) => {
    useUi.setState({ app: appState({ trusted: [realm(events)], flows: [flow] }), flows: { f1: flow }, selectedFlow: 'f1' });
    useTraces.setState({ view: 'e2e' });
    return render(<Flow />);
  };

  it('says the realm offers its events and where to give the credential; the button opens Connections', async () => {
    show({ credential: false, state: 'none' });
    const note = screen.getByRole('note');
    expect(note.textContent).toContain('The server side is not visible for this flow');
    expect(note.textContent).toContain(`Kate's realm offers its own events: give Tessera a client that may view them in Connections (${HEADING})`);
    await person().click(within(note).getByRole('button', { name: 'Open Connections' }));
    expect(useUi.getState().screen).toBe('connections');
  });

  it('says why the credential given is not read', () => {
    show({ credential: true, clientId: 'c', state: 'forbidden', status: 403 });
    expect(screen.getByRole('note').textContent).toContain('The client lacks view-events (403)');
  });
});
