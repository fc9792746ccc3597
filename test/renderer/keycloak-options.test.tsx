/**
 * The request builder's "Keycloak options" (issue #24): offered only when a trusted AS is a Keycloak
 * realm; audience, permission rows (added, removed), the answer mode and submit_request reach the
 * contract; Keycloak's decision, permission list or refusal is shown in words. Found by what a person
 * sees: labels, button names, group and region names, text.
 */
import { act, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { FlowView, TrustedAsView } from '../../src/app/api';
import { useUi } from '../../renderer/store';
import { useChecks } from '../../renderer/checks';
import { Connections } from '../../renderer/screens/Connections';
import { appState, fill, mountApp, person, render } from './support';

const RX = 'http://127.0.0.1:4403/patients/kate/prescriptions';
const KC = 'http://127.0.0.1:8080/realms/kate';
const resources = [{ url: RX, title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }];
const keycloak: TrustedAsView = { issuer: KC, label: "Kate's Keycloak realm", registration: 'static', clientId: 'tessera', keycloak: true };

/** The request builder form, and a group (fieldset) in it by its legend. */
const builder = () => within(screen.getByRole('form', { name: 'Request builder' }));
const group = (name: string) => within(screen.getByRole('group', { name }));
const answer = () => screen.getByRole('region', { name: "Keycloak's answer" });

describe('the request builder’s Keycloak options', () => {
  it('are not offered when no trusted AS is a Keycloak realm', async () => {
    await mountApp(appState({ resources, trusted: [{ issuer: 'http://127.0.0.1:4402', registration: 'static' }] }));
    expect(builder().queryByRole('group', { name: 'Keycloak options' })).toBeNull();
    expect(builder().getByRole('button', { name: 'Send GET' })).toBeTruthy();
  });

  it('send audience, permissions (rows added and removed), the decision mode and submit_request off; the decision is shown', async () => {
    const openResource = vi.fn(async () => ({ flowId: 'kc1' }));
    const { user } = await mountApp(appState({ resources, trusted: [keycloak] }), { openResource });
    const options = group('Keycloak options');
    await user.click(options.getByRole('checkbox', { name: 'Ask Keycloak directly, without a ticket' }));
    expect(options.getByText("Asks Kate's Keycloak realm.", { exact: false })).toBeTruthy();
    await fill(user, options.getByRole('textbox', { name: "Audience (the resource server's client id)" }), 'health-records');
    await fill(user, options.getByRole('textbox', { name: 'Permission 1' }), 'prescriptions#read');
    await user.click(options.getByRole('button', { name: 'Add a permission' }));
    await fill(user, options.getByRole('textbox', { name: 'Permission 2' }), 'bills#read');
    await user.click(options.getByRole('button', { name: 'Add a permission' }));
    await fill(user, options.getByRole('textbox', { name: 'Permission 3' }), 'care-notes');
    await user.click(options.getByRole('button', { name: 'Remove permission 2' }));
    expect(options.getByRole<HTMLInputElement>('textbox', { name: 'Permission 2' }).value).toBe('care-notes');
    await user.selectOptions(options.getByRole('combobox', { name: 'Keycloak answers with' }), 'decision');
    await user.click(options.getByRole('checkbox', { name: 'Submit a request to the owner when access is refused' }));
    await user.click(builder().getByRole('button', { name: 'Ask Keycloak' }));
    expect(openResource).toHaveBeenCalledWith(expect.objectContaining({
      url: RX, method: 'GET',
      keycloak: { asIssuer: KC, audience: 'health-records', permissions: ['prescriptions#read', 'care-notes'], responseMode: 'decision', submitRequest: false },
    }));
    const flow = (over: Partial<FlowView>): FlowView => ({ flowId: 'kc1', url: RX, startedAt: new Date().toISOString(), running: false, status: null, steps: [], asIssuer: KC, ...over });
    act(() => { useUi.setState({ flows: { kc1: flow({ outcome: 'granted', keycloak: { mode: 'decision', granted: true } }) } }); });
    expect(answer().textContent).toBe("Keycloak's decision: granted");
    expect(builder().getByRole('status').textContent).not.toContain('answered');
    act(() => { useUi.setState({ flows: { kc1: flow({ outcome: 'denied', keycloak: { mode: 'decision', granted: false } }) } }); });
    expect(answer().textContent).toBe("Keycloak's decision: not granted");
  });

  it('the permission list, the permissions an RPT carries, and a refusal are shown in words; no token appears', async () => {
    const openResource = vi.fn(async () => ({ flowId: 'kc2' }));
    const { user } = await mountApp(appState({ resources, trusted: [keycloak] }), { openResource });
    const options = group('Keycloak options');
    await user.click(options.getByRole('checkbox', { name: 'Ask Keycloak directly, without a ticket' }));
    await fill(user, options.getByRole('textbox', { name: 'Permission 1' }), 'prescriptions');
    await user.selectOptions(options.getByRole('combobox', { name: 'Keycloak answers with' }), 'permissions');
    await user.click(builder().getByRole('button', { name: 'Ask Keycloak' }));
    expect(openResource).toHaveBeenCalledWith(expect.objectContaining({ keycloak: { asIssuer: KC, permissions: ['prescriptions'], responseMode: 'permissions', submitRequest: true } }));
    const base = { flowId: 'kc2', url: RX, startedAt: new Date().toISOString(), running: false, steps: [] };
    act(() => { useUi.setState({ flows: { kc2: { ...base, outcome: 'granted', status: null, keycloak: { mode: 'permissions', granted: true, permissions: [{ resource: 'prescriptions', scopes: ['read', 'write'] }] } } } }); });
    expect(within(answer()).getByRole('heading').textContent).toBe('Keycloak grants these permissions');
    expect(within(answer()).getAllByRole('listitem').map((l) => l.textContent)).toEqual(['prescriptions: read, write']);
    act(() => { useUi.setState({ flows: { kc2: { ...base, outcome: 'granted', status: 200, body: '{"ok":true}', keycloak: { mode: 'token', granted: true, permissions: [{ resource: 'prescriptions', scopes: ['read'] }] } } } }); });
    expect(within(answer()).getByRole('heading').textContent).toBe('Keycloak issued an RPT carrying these permissions');
    expect(builder().getByRole('status').textContent).toContain('GET answered 200');
    act(() => { useUi.setState({ flows: { kc2: { ...base, outcome: 'error', status: null, keycloak: { mode: 'token', granted: false, refused: 'invalid_request (Unknown resource server id: [x])' } } } }); });
    expect(answer().textContent).toBe('Keycloak refused: invalid_request (Unknown resource server id: [x])');
  });

  it('empty options are refused with a message and nothing is sent', async () => {
    const openResource = vi.fn(async () => ({ flowId: 'kc3' }));
    const { user } = await mountApp(appState({ resources, trusted: [keycloak] }), { openResource });
    await user.click(group('Keycloak options').getByRole('checkbox', { name: 'Ask Keycloak directly, without a ticket' }));
    await user.click(builder().getByRole('button', { name: 'Send GET' }));
    expect(builder().getByRole('alert').textContent).toBe('Keycloak options: give the client id of the resource server, or at least one permission.');
    expect(openResource).not.toHaveBeenCalled();
  });
});

describe("Check this AS: Keycloak's decision checks", () => {
  async function connections(trusted: TrustedAsView[]) {
    useChecks.setState({ runs: {} });
    const checkAs = vi.fn(async () => ({ runId: 'kc-run' }));
    const api = { getState: vi.fn(async () => appState({ resources, trusted, actingAs: { party: `${KC}#alice`, label: 'Dr. Alice Moreau', issuer: KC } })), checkAs, subscribe: vi.fn(() => () => {}) } as never;
    await act(async () => { await useUi.getState().connect(api); });
    render(<Connections />);
    const user = person();
    await user.click(screen.getByRole('button', { name: 'Check this AS' }));
    return { check: within(screen.getByRole('region', { name: /^Check / })), checkAs, user };
  }

  it('a Keycloak realm offers the granted and refused permission (and the audience); they reach checkAs trimmed', async () => {
    const { check, checkAs, user } = await connections([keycloak]);
    const decisions = within(check.getByRole('group', { name: "Keycloak's decision checks (optional)" }));
    await fill(user, decisions.getByRole('textbox', { name: 'A permission Dr. Alice Moreau is granted (RESOURCE#SCOPE)' }), ' rx-id#read ');
    await fill(user, decisions.getByRole('textbox', { name: 'A permission Dr. Alice Moreau is refused (RESOURCE#SCOPE)' }), 'bills-id#read');
    await user.click(check.getByRole('button', { name: 'Run the checks' }));
    expect(checkAs).toHaveBeenCalledWith({ issuer: KC, resource: RX, keycloak: { permitted: 'rx-id#read', denied: 'bills-id#read' } });
  });

  it('another AS is not offered them', async () => {
    const { check, checkAs, user } = await connections([{ issuer: 'http://127.0.0.1:4402', registration: 'static', clientId: 'tessera' }]);
    expect(check.queryByRole('group', { name: /Keycloak's decision checks/ })).toBeNull();
    expect(check.queryByText(/Keycloak's decision checks/)).toBeNull();
    await user.click(check.getByRole('button', { name: 'Run the checks' }));
    expect(checkAs).toHaveBeenCalledWith({ issuer: 'http://127.0.0.1:4402', resource: RX });
  });
});
