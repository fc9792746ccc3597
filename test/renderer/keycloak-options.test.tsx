/**
 * The request builder's "Keycloak options" (issue #24): offered only when a trusted AS is a Keycloak
 * realm; audience, permission rows (added, removed), the answer mode and submit_request reach the
 * contract; Keycloak's decision, permission list or refusal is shown in words. Found by what a person
 * sees: labels, button names, group and region names, text.
 */
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { FlowView, TrustedAsView } from '../../src/app/api';
import { useUi } from '../../renderer/store';
import { useChecks } from '../../renderer/checks';
import { Connections } from '../../renderer/screens/Connections';
import { appState, mountApp, render } from './support';

const RX = 'http://127.0.0.1:4403/patients/kate/prescriptions';
const KC = 'http://127.0.0.1:8080/realms/kate';
const resources = [{ url: RX, title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }];
const keycloak: TrustedAsView = { issuer: KC, label: "Kate's Keycloak realm", registration: 'static', clientId: 'tessera', keycloak: true };

/** The control a visible label names (label text, exact). */
function byLabel(root: HTMLElement, text: string): HTMLInputElement | HTMLSelectElement {
  const label = [...root.querySelectorAll('label')].find((l) => l.textContent?.trim() === text);
  if (!label) throw new Error(`no label "${text}"`);
  const control = label.htmlFor ? root.ownerDocument.getElementById(label.htmlFor) : label.querySelector('input, select');
  if (!control) throw new Error(`label "${text}" names no control`);
  return control as HTMLInputElement | HTMLSelectElement;
}
/** The button whose accessible name (aria-label, else text) is `name`. */
function button(root: HTMLElement, name: string): HTMLButtonElement {
  const b = [...root.querySelectorAll('button')].find((x) => (x.getAttribute('aria-label') ?? x.textContent?.trim()) === name);
  if (!b) throw new Error(`no button "${name}"`);
  return b;
}
function type(control: HTMLInputElement | HTMLSelectElement, value: string): void {
  const proto = control instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  act(() => { Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(control, value); control.dispatchEvent(new Event(control instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true })); });
}
const group = (el: HTMLElement, name: string) => [...el.querySelectorAll('fieldset')].find((f) => f.querySelector('legend')?.textContent === name);
const builder = (el: HTMLElement) => el.querySelector('form[aria-labelledby="h-builder"]') as HTMLFormElement;

describe('the request builder’s Keycloak options', () => {
  it('are not offered when no trusted AS is a Keycloak realm', async () => {
    const { el } = await mountApp(appState({ resources, trusted: [{ issuer: 'http://127.0.0.1:4402', registration: 'static' }] }));
    expect(group(builder(el), 'Keycloak options')).toBeUndefined();
    expect(button(builder(el), 'Send GET')).toBeTruthy();
  });

  it('send audience, permissions (rows added and removed), the decision mode and submit_request off; the decision is shown', async () => {
    const openResource = vi.fn(async () => ({ flowId: 'kc1' }));
    const { el } = await mountApp(appState({ resources, trusted: [keycloak] }), { openResource });
    const form = builder(el);
    const options = group(form, 'Keycloak options') as HTMLFieldSetElement;
    expect(options).toBeTruthy();
    act(() => (byLabel(options, 'Ask Keycloak directly, without a ticket') as HTMLInputElement).click());
    expect(options.textContent).toContain("Asks Kate's Keycloak realm.");
    type(byLabel(options, "Audience (the resource server's client id)"), 'health-records');
    type(byLabel(options, 'Permission 1'), 'prescriptions#read');
    act(() => button(options, 'Add a permission').click());
    type(byLabel(options, 'Permission 2'), 'bills#read');
    act(() => button(options, 'Add a permission').click());
    type(byLabel(options, 'Permission 3'), 'care-notes');
    act(() => button(options, 'Remove permission 2').click());
    expect((byLabel(options, 'Permission 2') as HTMLInputElement).value).toBe('care-notes');
    type(byLabel(options, 'Keycloak answers with'), 'decision');
    act(() => (byLabel(options, 'Submit a request to the owner when access is refused') as HTMLInputElement).click());
    await act(async () => { button(form, 'Ask Keycloak').click(); });
    expect(openResource).toHaveBeenCalledWith(expect.objectContaining({
      url: RX, method: 'GET',
      keycloak: { asIssuer: KC, audience: 'health-records', permissions: ['prescriptions#read', 'care-notes'], responseMode: 'decision', submitRequest: false },
    }));
    const flow = (over: Partial<FlowView>): FlowView => ({ flowId: 'kc1', url: RX, startedAt: new Date().toISOString(), running: false, status: null, steps: [], asIssuer: KC, ...over });
    act(() => { useUi.setState({ flows: { kc1: flow({ outcome: 'granted', keycloak: { mode: 'decision', granted: true } }) } }); });
    const answer = form.querySelector('[aria-label="Keycloak\'s answer"]') as HTMLElement;
    expect(answer.textContent).toBe("Keycloak's decision: granted");
    expect(form.querySelector('[role="status"]')?.textContent).not.toContain('answered');
    act(() => { useUi.setState({ flows: { kc1: flow({ outcome: 'denied', keycloak: { mode: 'decision', granted: false } }) } }); });
    expect(form.querySelector('[aria-label="Keycloak\'s answer"]')?.textContent).toBe("Keycloak's decision: not granted");
  });

  it('the permission list, the permissions an RPT carries, and a refusal are shown in words; no token appears', async () => {
    const openResource = vi.fn(async () => ({ flowId: 'kc2' }));
    const { el } = await mountApp(appState({ resources, trusted: [keycloak] }), { openResource });
    const form = builder(el);
    const options = group(form, 'Keycloak options') as HTMLFieldSetElement;
    act(() => (byLabel(options, 'Ask Keycloak directly, without a ticket') as HTMLInputElement).click());
    type(byLabel(options, 'Permission 1'), 'prescriptions');
    type(byLabel(options, 'Keycloak answers with'), 'permissions');
    await act(async () => { button(form, 'Ask Keycloak').click(); });
    expect(openResource).toHaveBeenCalledWith(expect.objectContaining({ keycloak: { asIssuer: KC, permissions: ['prescriptions'], responseMode: 'permissions', submitRequest: true } }));
    const base = { flowId: 'kc2', url: RX, startedAt: new Date().toISOString(), running: false, steps: [] };
    act(() => { useUi.setState({ flows: { kc2: { ...base, outcome: 'granted', status: null, keycloak: { mode: 'permissions', granted: true, permissions: [{ resource: 'prescriptions', scopes: ['read', 'write'] }] } } } }); });
    const answer = () => form.querySelector('[aria-label="Keycloak\'s answer"]') as HTMLElement;
    expect(answer().querySelector('h4')?.textContent).toBe('Keycloak grants these permissions');
    expect([...answer().querySelectorAll('li')].map((l) => l.textContent)).toEqual(['prescriptions: read, write']);
    act(() => { useUi.setState({ flows: { kc2: { ...base, outcome: 'granted', status: 200, body: '{"ok":true}', keycloak: { mode: 'token', granted: true, permissions: [{ resource: 'prescriptions', scopes: ['read'] }] } } } }); });
    expect(answer().querySelector('h4')?.textContent).toBe('Keycloak issued an RPT carrying these permissions');
    expect(form.querySelector('[role="status"]')?.textContent).toContain('GET answered 200');
    act(() => { useUi.setState({ flows: { kc2: { ...base, outcome: 'error', status: null, keycloak: { mode: 'token', granted: false, refused: 'invalid_request (Unknown resource server id: [x])' } } } }); });
    expect(answer().textContent).toBe('Keycloak refused: invalid_request (Unknown resource server id: [x])');
  });

  it('empty options are refused with a message and nothing is sent', async () => {
    const openResource = vi.fn(async () => ({ flowId: 'kc3' }));
    const { el } = await mountApp(appState({ resources, trusted: [keycloak] }), { openResource });
    const form = builder(el);
    const options = group(form, 'Keycloak options') as HTMLFieldSetElement;
    act(() => (byLabel(options, 'Ask Keycloak directly, without a ticket') as HTMLInputElement).click());
    await act(async () => { button(form, 'Send GET').click(); });
    expect(form.querySelector('[role="alert"]')?.textContent).toBe('Keycloak options: give the client id of the resource server, or at least one permission.');
    expect(openResource).not.toHaveBeenCalled();
  });
});

describe("Check this AS: Keycloak's decision checks", () => {
  async function connections(trusted: TrustedAsView[]) {
    useChecks.setState({ runs: {} });
    const checkAs = vi.fn(async () => ({ runId: 'kc-run' }));
    const api = { getState: vi.fn(async () => appState({ resources, trusted, actingAs: { party: `${KC}#alice`, label: 'Dr. Alice Moreau', issuer: KC } })), checkAs, subscribe: vi.fn(() => () => {}) } as never;
    await act(async () => { await useUi.getState().connect(api); });
    const el = render(<Connections />);
    act(() => button(el, 'Check this AS').click());
    return { el: el.querySelector('.check-as') as HTMLElement, checkAs };
  }

  it('a Keycloak realm offers the granted and refused permission (and the audience); they reach checkAs trimmed', async () => {
    const { el, checkAs } = await connections([keycloak]);
    const group = [...el.querySelectorAll('fieldset')].find((f) => f.querySelector('legend')?.textContent === "Keycloak's decision checks (optional)") as HTMLElement;
    expect(group).toBeTruthy();
    type(byLabel(group, 'A permission Dr. Alice Moreau is granted (RESOURCE#SCOPE)'), ' rx-id#read ');
    type(byLabel(group, 'A permission Dr. Alice Moreau is refused (RESOURCE#SCOPE)'), 'bills-id#read');
    await act(async () => { button(el, 'Run the checks').click(); });
    expect(checkAs).toHaveBeenCalledWith({ issuer: KC, resource: RX, keycloak: { permitted: 'rx-id#read', denied: 'bills-id#read' } });
  });

  it('another AS is not offered them', async () => {
    const { el, checkAs } = await connections([{ issuer: 'http://127.0.0.1:4402', registration: 'static', clientId: 'tessera' }]);
    expect(el.textContent).not.toContain("Keycloak's decision checks");
    await act(async () => { button(el, 'Run the checks').click(); });
    expect(checkAs).toHaveBeenCalledWith({ issuer: 'http://127.0.0.1:4402', resource: RX });
  });
});
