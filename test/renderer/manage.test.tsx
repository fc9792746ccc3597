/**
 * Managing things in the UI (jsdom, over a fake API): the Add form's refusals in plain words next to
 * the form (never the global banner, never the host's "bug in the page" hint), rename and remove with
 * a confirmation, the Connections form for an authorization server added by hand, the "Continue in
 * your browser" card, and the sign-in button that becomes usable again and switches people.
 */
import { act } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState, FlowView, TesseraApi } from '../../src/app/api';
import { App } from '../../renderer/App';
import { useUi } from '../../renderer/store';
import { ApiError } from '../../renderer/api-client';

import { appState, render } from './support';

const RX = 'http://127.0.0.1:4403/patients/kate/prescriptions';
const IDP = 'http://127.0.0.1:4401';
const base = (): AppState => appState({
  resources: [{ url: RX, title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }],
  trusted: [], providers: [{ issuer: IDP, clientId: 'tessera', label: 'Hospital ID (demo)', scope: 'openid' }], identities: [],
});

async function mount(state: AppState, methods: Partial<Record<keyof TesseraApi, unknown>>): Promise<{ el: HTMLElement; api: TesseraApi }> {
  const api = { getState: vi.fn(async () => state), subscribe: vi.fn(() => () => {}), ...methods } as unknown as TesseraApi;
  const el = render(<App />);
  await act(async () => { await useUi.getState().connect(api); });
  return { el, api };
}
beforeEach(() => { useUi.setState({ screen: 'resources', notice: undefined, flows: {}, busy: {} }); });

/** Types into a React-controlled field (the native setter, then an input event React listens to). */
function type(el: Element | null, value: string) {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  act(() => {
    Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, value);
    el?.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
  });
}
const byLabel = (root: ParentNode, text: string) => {
  const label = [...root.querySelectorAll('label')].find((l) => l.textContent?.trim().startsWith(text));
  return label?.htmlFor ? document.getElementById(label.htmlFor) : null;
};
const button = (root: ParentNode, name: string) => [...root.querySelectorAll('button')].find((b) => (b.getAttribute('aria-label') ?? b.textContent)?.trim() === name) as HTMLButtonElement | undefined;
async function click(b: HTMLElement | undefined | null) {
  expect(b, 'button').toBeTruthy();
  await act(async () => { b?.click(); });
}

describe('Add a protected resource', () => {
  it('checks the address and the name in plain words, next to the form, without calling the core', async () => {
    const { el, api } = await mount(base(), { addResource: vi.fn() });
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Add a protected resource')) as HTMLFormElement;
    type(byLabel(form, 'Address'), 'ftp://records.example/x');
    type(byLabel(form, 'Name'), 'X');
    await click(button(form, 'Add'));
    expect(form.querySelector('[role="alert"]')?.textContent).toBe('Only http(s) addresses.');
    type(byLabel(form, 'Address'), 'http://records.example/x');
    type(byLabel(form, 'Name'), ' ');
    await click(button(form, 'Add'));
    expect(form.querySelector('[role="alert"]')?.textContent).toContain('Use https — plain http only for this machine.');
    expect(form.querySelector('[role="alert"]')?.textContent).toContain('Give it a name.');
    expect(api.addResource).not.toHaveBeenCalled();
    expect(el.querySelector('.banner')).toBeNull();
  });

  it("shows the core's refusal next to the form, in its words, never the host's hint or the global banner", async () => {
    const addResource = vi.fn(async () => { throw new ApiError('invalid_input', 'url: Only http(s) addresses', 'This is a bug in the Tessera page; reload it.'); });
    const { el } = await mount(base(), { addResource });
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Add a protected resource')) as HTMLFormElement;
    type(byLabel(form, 'Address'), 'https://records.example/x');
    type(byLabel(form, 'Name'), 'Records');
    await click(button(form, 'Add'));
    expect(addResource).toHaveBeenCalledWith({ url: 'https://records.example/x', title: 'Records' });
    expect(form.querySelector('[role="alert"]')?.textContent).toBe('Only http(s) addresses.');
    expect(el.textContent).not.toContain('bug in the Tessera page');
    expect(el.querySelector('.banner')).toBeNull();
  });
});

describe('rename and remove', () => {
  it('renames a resource, and removes it only after a confirmation', async () => {
    const renamed = { ...base(), resources: [{ ...base().resources[0]!, title: 'Rx' }] };
    const { el, api } = await mount(base(), { renameResource: vi.fn(async () => renamed), removeResource: vi.fn(async () => ({ ...base(), resources: [] })) });
    await click(button(el, "Rename Kate's prescriptions"));
    type(byLabel(el, "New name for Kate's prescriptions"), 'Rx');
    await click(button(el, 'Save'));
    expect(api.renameResource).toHaveBeenCalledWith({ url: RX, title: 'Rx' });
    expect(el.querySelector('li.card.resource h3')?.textContent).toBe('Rx');
    await click(button(el, 'Remove Rx…'));
    expect(api.removeResource).not.toHaveBeenCalled();
    expect(el.textContent).toContain('Remove Rx from your list?');
    await click(button(el, 'Yes, remove it'));
    expect(api.removeResource).toHaveBeenCalledWith({ url: RX });
    expect(el.querySelectorAll('li.card.resource')).toHaveLength(0);
  });

  it('an empty new name is refused where it was typed', async () => {
    const { el, api } = await mount(base(), { renameResource: vi.fn() });
    await click(button(el, "Rename Kate's prescriptions"));
    type(byLabel(el, 'New name for'), '  ');
    await click(button(el, 'Save'));
    expect(el.querySelector('form.manage [role="alert"]')?.textContent).toBe('Give it a name.');
    expect(api.renameResource).not.toHaveBeenCalled();
  });
});

describe('Continue in your browser', () => {
  it('a flow waiting in the browser says so; the page can be opened again, or the flow cancelled', async () => {
    const flow: FlowView = { flowId: 'f1', url: RX, startedAt: new Date().toISOString(), running: true, steps: [], waitingInBrowser: { what: 'claims', origin: 'http://127.0.0.1:4402' } };
    const { el, api } = await mount({ ...base(), flows: [flow] }, { reopenBrowser: vi.fn(async () => ({ reopened: true })), cancelFlow: vi.fn(async () => base()) });
    const card = el.querySelector('li.card.resource') as HTMLElement;
    expect(card.textContent).toContain('Continue in your browser.');
    expect(card.textContent).toContain('http://127.0.0.1:4402');
    await click(button(card, 'Open the page again'));
    expect(api.reopenBrowser).toHaveBeenCalledWith({ flowId: 'f1' });
    await click(button(card, 'Cancel'));
    expect(api.cancelFlow).toHaveBeenCalledWith({ flowId: 'f1' });
  });

  it('a sign-in waiting at the provider says so on its card in Connections', async () => {
    const flow: FlowView = { flowId: 's1', url: IDP, title: `Sign in at ${IDP}`, startedAt: new Date().toISOString(), running: true, steps: [], waitingInBrowser: { what: 'sign-in', origin: IDP } };
    const { el, api } = await mount({ ...base(), flows: [flow] }, { reopenBrowser: vi.fn(async () => ({ reopened: true })) });
    useUi.getState().go('connections');
    await act(async () => {});
    const card = [...el.querySelectorAll('li.card')].find((c) => c.textContent?.includes('Hospital ID (demo)')) as HTMLElement;
    expect(card.textContent).toContain(`Continue in your browser. The sign-in page of ${IDP} is open in your browser.`);
    await click(button(card, 'Open the page again'));
    expect(api.reopenBrowser).toHaveBeenCalledWith({ flowId: 's1' });
  });

  it('nothing of the kind once the flow moved on', async () => {
    const flow: FlowView = { flowId: 'f2', url: RX, startedAt: new Date().toISOString(), running: true, steps: [] };
    const { el } = await mount({ ...base(), flows: [flow] }, {});
    expect(el.textContent).not.toContain('Continue in your browser');
  });
});

describe('Connections', () => {
  it('the sign-in button is usable again after a sign-in, and then offers "Sign in as someone else" (prompt=login)', async () => {
    let finish: (v: unknown) => void = () => {};
    const signIn = vi.fn(() => new Promise((r) => { finish = r; }));
    const { el } = await mount(base(), { signIn });
    useUi.getState().go('connections');
    await act(async () => {});
    const first = button(el, 'Sign in at Hospital ID (demo)');
    await click(first);
    expect(signIn).toHaveBeenLastCalledWith({ issuer: IDP, clientId: 'tessera', scope: 'openid' });
    expect(button(el, 'Sign in at Hospital ID (demo)')?.disabled).toBe(true);
    const alice = { key: `${IDP}#alice`, issuer: IDP, sub: 'alice', name: 'Dr. Alice Moreau', email: 'alice@hospital.example', expiresAt: Date.now() + 60_000, refreshable: true };
    // As in the app: the core's new state arrives first, then the call returns (and only `busy` changes).
    await act(async () => { useUi.setState({ app: { ...base(), identities: [alice] } }); });
    expect(button(el, 'Sign in as someone else')?.disabled).toBe(true);
    await act(async () => { finish(alice); });
    const again = button(el, 'Sign in as someone else');
    expect(again?.disabled).toBe(false);
    await click(again);
    expect(signIn).toHaveBeenLastCalledWith({ issuer: IDP, clientId: 'tessera', scope: 'openid', switchUser: true });
  });

  it('adds an authorization server by hand: plain-word checks, then the exact input; the secret leaves the form', async () => {
    const addAs = vi.fn(async () => ({ ...base(), trusted: [{ issuer: 'https://as.example', registration: 'static' as const, clientId: 'tessera' }] }));
    const { el } = await mount(base(), { addAs });
    useUi.getState().go('connections');
    await act(async () => {});
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Add an authorization server')) as HTMLFormElement;
    type(byLabel(form, 'Issuer'), 'http://as.example');
    await click(button(form, 'Trust this authorization server'));
    const alert = form.querySelector('[role="alert"]')?.textContent ?? '';
    expect(alert).toContain('Issuer: Use https — plain http only for this machine.');
    expect(alert).toContain('Client id: Give the client id.');
    expect(alert).toContain('Client secret: Give the client secret.');
    expect(addAs).not.toHaveBeenCalled();

    type(byLabel(form, 'Issuer'), 'https://as.example');
    await act(async () => { (form.querySelector('input[type="radio"][value="manual"]') as HTMLInputElement).click(); });
    type(byLabel(form, 'Token endpoint'), 'ftp://as.example/token');
    type(byLabel(form, 'How Tessera proves'), 'client_secret_post');
    type(byLabel(form, 'Client id'), 'tessera');
    type(byLabel(form, 'Client secret'), 's3cret-value');
    await click(button(form, 'Trust this authorization server'));
    expect(form.querySelector('[role="alert"]')?.textContent).toBe('Token endpoint: Only http(s) addresses.');
    type(byLabel(form, 'Token endpoint'), 'https://as.example/token');
    await click(button(form, 'Trust this authorization server'));
    expect(addAs).toHaveBeenCalledWith({ issuer: 'https://as.example', tokenEndpoint: 'https://as.example/token', authMethod: 'client_secret_post', clientId: 'tessera', clientSecret: 's3cret-value' });
    expect(form.querySelector('[role="alert"]')).toBeNull();
    expect(form.textContent).toContain('Trusted https://as.example.');
    expect((byLabel(form, 'Client secret') as HTMLInputElement).value).toBe('');
    expect(el.innerHTML).not.toContain('s3cret-value');
  });

  it('Change… opens the form with the settings as they are (no secret) and saves them again', async () => {
    const trusted = { issuer: 'https://as.example', label: 'Lab AS', clientId: 'tessera', registration: 'static' as const, setup: { tokenEndpoint: 'https://as.example/token', authMethod: 'client_secret_post' as const } };
    const addAs = vi.fn(async () => ({ ...base(), trusted: [trusted] }));
    const { el } = await mount({ ...base(), trusted: [trusted] }, { addAs });
    useUi.getState().go('connections');
    await act(async () => {});
    expect(el.textContent).toContain('Endpoints entered by hand (token endpoint https://as.example/token). Client authentication: client_secret_post.');
    await click(button(el, 'Change Lab AS…'));
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Change Lab AS')) as HTMLFormElement;
    expect((byLabel(form, 'Issuer') as HTMLInputElement).value).toBe('https://as.example');
    expect((byLabel(form, 'Token endpoint') as HTMLInputElement).value).toBe('https://as.example/token');
    expect((byLabel(form, 'How Tessera proves') as HTMLSelectElement).value).toBe('client_secret_post');
    expect((byLabel(form, 'Client secret') as HTMLInputElement).value).toBe('');
    type(byLabel(form, 'Client secret'), 'new-secret');
    await click(button(form, 'Save changes'));
    expect(addAs).toHaveBeenCalledWith({ issuer: 'https://as.example', label: 'Lab AS', tokenEndpoint: 'https://as.example/token', authMethod: 'client_secret_post', clientId: 'tessera', clientSecret: 'new-secret' });
    expect(el.textContent).toContain('Add an authorization server');
  });

  it("a refusal of the core lands next to the field it names, and a private key goes as pasted", async () => {
    const addAs = vi.fn(async () => { throw new ApiError('invalid_input', 'privateKey: Give the private key (JWK or PEM)', 'This is a bug in the Tessera page; reload it.'); });
    const { el } = await mount(base(), { addAs });
    useUi.getState().go('connections');
    await act(async () => {});
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Add an authorization server')) as HTMLFormElement;
    type(byLabel(form, 'Issuer'), 'https://as.example');
    type(byLabel(form, 'How Tessera proves'), 'private_key_jwt');
    type(byLabel(form, 'Client id'), 'tessera-jwt');
    type(byLabel(form, 'Private key'), '{"kty":"EC"}');
    await click(button(form, 'Trust this authorization server'));
    expect(addAs).toHaveBeenCalledWith({ issuer: 'https://as.example', authMethod: 'private_key_jwt', clientId: 'tessera-jwt', privateKey: '{"kty":"EC"}' });
    expect(form.querySelector('.field-error')?.textContent).toBe('Give the private key (JWK or PEM).');
    expect(el.textContent).not.toContain('bug in the Tessera page');
    expect(el.querySelector('.banner')).toBeNull();
  });

  it("the server check's refusal sits at the issuer field (described by it, focused), userinfo is refused before sending, and a passed check says what was checked", async () => {
    const addAs = vi.fn()
      .mockRejectedValueOnce(new ApiError('invalid_input', 'issuer: This server does not offer the UMA grant (its metadata does not list urn:ietf:params:oauth:grant-type:uma-ticket); it may be a sign-in provider, not an authorization server.', 'Give the address of the UMA authorization server.'))
      .mockResolvedValueOnce({ ...base(), trusted: [{ issuer: 'https://as.example', registration: 'static' as const, clientId: 'tessera' }], check: { source: 'discovery', issuer: 'https://as.example', tokenEndpoint: 'https://as.example/token', umaGrant: 'listed' } });
    const { el } = await mount(base(), { addAs });
    useUi.getState().go('connections');
    await act(async () => {});
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Add an authorization server')) as HTMLFormElement;
    type(byLabel(form, 'Issuer'), 'https://kate:secret@as.example');
    type(byLabel(form, 'How Tessera proves'), 'none');
    type(byLabel(form, 'Client id'), 'tessera');
    await click(button(form, 'Trust this authorization server'));
    expect(addAs).not.toHaveBeenCalled();
    const issuer = byLabel(form, 'Issuer') as HTMLInputElement;
    const describedText = () => (issuer.getAttribute('aria-describedby') ?? '').split(' ').map((x) => el.ownerDocument.getElementById(x)?.textContent).join(' ');
    expect(describedText()).toContain('No user name or password in the address');

    type(issuer, 'https://as.example');
    await click(button(form, 'Trust this authorization server'));
    await act(async () => { await new Promise((r) => setTimeout(r, 5)); });
    expect(issuer.getAttribute('aria-invalid')).toBe('true');
    expect(describedText()).toContain('This server does not offer the UMA grant');
    expect(el.ownerDocument.activeElement).toBe(issuer);
    // The summary is at the top of the form, before the first field (not below the button).
    const alert = form.querySelector('[role="alert"]') as HTMLElement;
    expect(alert.compareDocumentPosition(issuer) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    await click(button(form, 'Trust this authorization server'));
    expect(form.querySelector('[role="alert"]')).toBeNull();
    expect(form.querySelector('[role="status"]')?.textContent).toBe('Trusted https://as.example: Tessera read its metadata — the issuer matches, the token endpoint is https://as.example/token, and it offers the UMA grant.');
  });

  it('Stop trusting asks first; Keep trusting it changes nothing', async () => {
    const trusted = { issuer: 'https://as.example', label: 'Lab AS', clientId: 'tessera', registration: 'static' as const };
    const untrustAs = vi.fn(async () => ({ ...base(), trusted: [] }));
    const { el } = await mount({ ...base(), trusted: [trusted] }, { untrustAs });
    useUi.getState().go('connections');
    await act(async () => {});
    await click(button(el, 'Stop trusting…'));
    expect(untrustAs).not.toHaveBeenCalled();
    expect(el.querySelector('[role="alertdialog"]')?.textContent).toContain('Stop trusting Lab AS?');
    await click(button(el, 'Keep trusting it'));
    expect(el.querySelector('[role="alertdialog"]')).toBeNull();
    expect(untrustAs).not.toHaveBeenCalled();
    await click(button(el, 'Stop trusting…'));
    await click(button(el, 'Yes, stop trusting Lab AS'));
    expect(untrustAs).toHaveBeenCalledWith({ issuer: 'https://as.example' });
  });
});

describe('the DPoP switch in Connections', () => {
  it('sends the chosen DPoP setting, and nothing when it is left as it was', async () => {
    const trusted = { issuer: 'https://as.example', label: 'Lab AS', clientId: 'tessera', registration: 'static' as const, setup: { authMethod: 'none' as const, dpop: 'on' as const } };
    const addAs = vi.fn(async () => ({ ...base(), trusted: [trusted] }));
    const { el } = await mount({ ...base(), trusted: [trusted] }, { addAs });
    useUi.getState().go('connections');
    await act(async () => {});
    const form = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Add an authorization server')) as HTMLFormElement;
    type(byLabel(form, 'Issuer'), 'https://as2.example');
    type(byLabel(form, 'How Tessera proves'), 'none');
    type(byLabel(form, 'Client id'), 'tessera');
    type(byLabel(form, 'Sender-constrained tokens (DPoP)'), 'off');
    await click(button(form, 'Trust this authorization server'));
    expect(addAs).toHaveBeenLastCalledWith({ issuer: 'https://as2.example', authMethod: 'none', clientId: 'tessera', dpop: 'off' });
    // Changing the AS that requires DPoP: the form shows it; saving without touching it sends none.
    await click(button(el, 'Change Lab AS…'));
    const change = [...el.querySelectorAll('form')].find((f) => f.textContent?.includes('Change Lab AS')) as HTMLFormElement;
    expect((byLabel(change, 'Sender-constrained tokens (DPoP)') as HTMLSelectElement).value).toBe('on');
    await click(button(change, 'Save changes'));
    expect(addAs).toHaveBeenLastCalledWith(expect.not.objectContaining({ dpop: expect.anything() }));
  });
});
