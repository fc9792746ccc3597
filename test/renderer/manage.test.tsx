/**
 * Managing things in the UI (jsdom, over a fake API): the Add form's refusals in plain words next to
 * the form (never the global banner, never the host's "bug in the page" hint), rename and remove with
 * a confirmation, the Connections form for an authorization server added by hand, the "Continue in
 * your browser" card, and the sign-in button that becomes usable again and switches people.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState, FlowView, TesseraApi } from '../../src/app/api';
import { useUi } from '../../renderer/store';
import { ApiError } from '../../renderer/api-client';

import { appState, fill, mountApp } from './support';

const RX = 'http://127.0.0.1:4403/patients/kate/prescriptions';
const IDP = 'http://127.0.0.1:4401';
const base = (): AppState => appState({
  resources: [{ url: RX, title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }],
  trusted: [], providers: [{ issuer: IDP, clientId: 'tessera', label: 'Hospital ID (demo)', scope: 'openid' }], identities: [],
});

const mount = (state: AppState, methods: Partial<Record<keyof TesseraApi, unknown>>) => mountApp(state, methods);
beforeEach(() => { useUi.setState({ screen: 'resources', notice: undefined, flows: {}, busy: {} }); });

const form = (name: string | RegExp) => within(screen.getByRole('form', { name }));
/** No alert outside `inside`: refusals stay next to the form, never in the global banner. */
const alertsOutside = (inside: HTMLElement) => screen.queryAllByRole('alert').filter((a) => !inside.contains(a));
const goConnections = async () => { await act(async () => { useUi.getState().go('connections'); }); };

describe('Add a protected resource', () => {
  it('checks the address and the name in plain words, next to the form, without calling the core', async () => {
    const { api, user } = await mount(base(), { addResource: vi.fn() });
    const add = form('Add a protected resource');
    await fill(user, add.getByLabelText('Address'), 'ftp://records.example/x');
    await fill(user, add.getByLabelText('Name'), 'X');
    await user.click(add.getByRole('button', { name: 'Add' }));
    expect(add.getByRole('alert').textContent).toBe('Only http(s) addresses.');
    await fill(user, add.getByLabelText('Address'), 'http://records.example/x');
    await fill(user, add.getByLabelText('Name'), ' ');
    await user.click(add.getByRole('button', { name: 'Add' }));
    expect(add.getByRole('alert').textContent).toContain('Use https — plain http only for this machine.');
    expect(add.getByRole('alert').textContent).toContain('Give it a name.');
    expect(api.addResource).not.toHaveBeenCalled();
    expect(alertsOutside(screen.getByRole('form', { name: 'Add a protected resource' }))).toHaveLength(0);
  });

  it("shows the core's refusal next to the form, in its words, never the host's hint or the global banner", async () => {
    const addResource = vi.fn(async () => { throw new ApiError('invalid_input', 'url: Only http(s) addresses', 'This is a bug in the Tessera page; reload it.'); });
    const { user, container } = await mount(base(), { addResource });
    const add = form('Add a protected resource');
    await fill(user, add.getByLabelText('Address'), 'https://records.example/x');
    await fill(user, add.getByLabelText('Name'), 'Records');
    await user.click(add.getByRole('button', { name: 'Add' }));
    expect(addResource).toHaveBeenCalledWith({ url: 'https://records.example/x', title: 'Records' });
    expect(add.getByRole('alert').textContent).toBe('Only http(s) addresses.');
    expect(container.textContent).not.toContain('bug in the Tessera page');
    expect(alertsOutside(screen.getByRole('form', { name: 'Add a protected resource' }))).toHaveLength(0);
  });
});

describe('rename and remove', () => {
  it('renames a resource, and removes it only after a confirmation', async () => {
    const renamed = { ...base(), resources: [{ ...base().resources[0]!, title: 'Rx' }] };
    const { api, user } = await mount(base(), { renameResource: vi.fn(async () => renamed), removeResource: vi.fn(async () => ({ ...base(), resources: [] })) });
    await user.click(screen.getByRole('button', { name: "Rename Kate's prescriptions" }));
    await fill(user, screen.getByLabelText("New name for Kate's prescriptions"), 'Rx');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(api.renameResource).toHaveBeenCalledWith({ url: RX, title: 'Rx' });
    expect(within(screen.getByRole('listitem', { name: 'Rx' })).getByRole('heading', { level: 3 }).textContent).toBe('Rx');
    await user.click(screen.getByRole('button', { name: 'Remove Rx…' }));
    expect(api.removeResource).not.toHaveBeenCalled();
    expect(screen.getByRole('group', { name: 'Remove Rx' }).textContent).toContain('Remove Rx from your list?');
    await user.click(screen.getByRole('button', { name: 'Yes, remove it' }));
    expect(api.removeResource).toHaveBeenCalledWith({ url: RX });
    expect(within(screen.getByRole('list', { name: 'Resources' })).queryAllByRole('listitem')).toHaveLength(0);
  });

  it('an empty new name is refused where it was typed', async () => {
    const { api, user } = await mount(base(), { renameResource: vi.fn() });
    await user.click(screen.getByRole('button', { name: "Rename Kate's prescriptions" }));
    const rename = form("Rename Kate's prescriptions");
    await fill(user, rename.getByLabelText(/^New name for/), '  ');
    await user.click(rename.getByRole('button', { name: 'Save' }));
    expect(rename.getByRole('alert').textContent).toBe('Give it a name.');
    expect(api.renameResource).not.toHaveBeenCalled();
  });
});

describe('Continue in your browser', () => {
  it('a flow waiting in the browser says so; the page can be opened again, or the flow cancelled', async () => {
    const flow: FlowView = { flowId: 'f1', url: RX, startedAt: new Date().toISOString(), running: true, steps: [], waitingInBrowser: { what: 'claims', origin: 'http://127.0.0.1:4402' } };
    const { api, user } = await mount({ ...base(), flows: [flow] }, { reopenBrowser: vi.fn(async () => ({ reopened: true })), cancelFlow: vi.fn(async () => base()) });
    const card = within(screen.getByRole('listitem', { name: "Kate's prescriptions" }));
    // Two live regions on the card: the badge ("Working…") and the browser wait.
    const wait = card.getAllByRole('status').map((s) => s.textContent).find((t) => t?.startsWith('Continue in your browser.'));
    expect(wait).toContain('A page of http://127.0.0.1:4402 is open in your browser');
    await user.click(card.getByRole('button', { name: 'Open the page again' }));
    expect(api.reopenBrowser).toHaveBeenCalledWith({ flowId: 'f1' });
    await user.click(card.getByRole('button', { name: 'Cancel' }));
    expect(api.cancelFlow).toHaveBeenCalledWith({ flowId: 'f1' });
  });

  it('a sign-in waiting at the provider says so on its card in Connections', async () => {
    const flow: FlowView = { flowId: 's1', url: IDP, title: `Sign in at ${IDP}`, startedAt: new Date().toISOString(), running: true, steps: [], waitingInBrowser: { what: 'sign-in', origin: IDP } };
    const { api, user } = await mount({ ...base(), flows: [flow] }, { reopenBrowser: vi.fn(async () => ({ reopened: true })) });
    await goConnections();
    const card = within(within(screen.getByRole('list', { name: 'Identity providers' })).getByRole('listitem', { name: 'Hospital ID (demo)' }));
    expect(card.getByRole('status').textContent).toContain(`Continue in your browser. The sign-in page of ${IDP} is open in your browser.`);
    await user.click(card.getByRole('button', { name: 'Open the page again' }));
    expect(api.reopenBrowser).toHaveBeenCalledWith({ flowId: 's1' });
  });

  it('nothing of the kind once the flow moved on', async () => {
    const flow: FlowView = { flowId: 'f2', url: RX, startedAt: new Date().toISOString(), running: true, steps: [] };
    await mount({ ...base(), flows: [flow] }, {});
    expect(screen.queryByText(/Continue in your browser/)).toBeNull();
  });
});

describe('Connections', () => {
  it('the sign-in button is usable again after a sign-in, and then offers "Sign in as someone else" (prompt=login)', async () => {
    let finish: (v: unknown) => void = () => {};
    const signIn = vi.fn(() => new Promise((r) => { finish = r; }));
    const { user } = await mount(base(), { signIn });
    await goConnections();
    const button = (name: string) => screen.getByRole<HTMLButtonElement>('button', { name });
    await user.click(button('Sign in at Hospital ID (demo)'));
    expect(signIn).toHaveBeenLastCalledWith({ issuer: IDP, clientId: 'tessera', scope: 'openid' });
    expect(button('Sign in at Hospital ID (demo)').disabled).toBe(true);
    const alice = { key: `${IDP}#alice`, issuer: IDP, sub: 'alice', name: 'Dr. Alice Moreau', email: 'alice@hospital.example', expiresAt: Date.now() + 60_000, refreshable: true };
    // As in the app: the core's new state arrives first, then the call returns (and only `busy` changes).
    await act(async () => { useUi.setState({ app: { ...base(), identities: [alice] } }); });
    expect(button('Sign in as someone else').disabled).toBe(true);
    await act(async () => { finish(alice); });
    const again = button('Sign in as someone else');
    expect(again.disabled).toBe(false);
    await user.click(again);
    expect(signIn).toHaveBeenLastCalledWith({ issuer: IDP, clientId: 'tessera', scope: 'openid', switchUser: true });
  });

  it('adds an authorization server by hand: plain-word checks, then the exact input; the secret leaves the form', async () => {
    const addAs = vi.fn(async () => ({ ...base(), trusted: [{ issuer: 'https://as.example', registration: 'static' as const, clientId: 'tessera' }] }));
    const { user } = await mount(base(), { addAs });
    await goConnections();
    const add = form('Add an authorization server');
    const trust = () => user.click(add.getByRole('button', { name: 'Trust this authorization server' }));
    await fill(user, add.getByLabelText('Issuer'), 'http://as.example');
    await trust();
    const alert = add.getByRole('alert').textContent ?? '';
    expect(alert).toContain('Issuer: Use https — plain http only for this machine.');
    expect(alert).toContain('Client id: Give the client id.');
    expect(alert).toContain('Client secret: Give the client secret.');
    expect(addAs).not.toHaveBeenCalled();

    await fill(user, add.getByLabelText('Issuer'), 'https://as.example');
    await user.click(within(add.getByRole('group', { name: 'Where Tessera finds its endpoints' })).getByRole('radio', { name: 'I enter the endpoints' }));
    await fill(user, add.getByLabelText('Token endpoint'), 'ftp://as.example/token');
    await user.selectOptions(add.getByRole('combobox', { name: 'How Tessera proves who it is' }), 'client_secret_post');
    await fill(user, add.getByLabelText('Client id'), 'tessera');
    await fill(user, add.getByLabelText('Client secret'), 's3cret-value');
    await trust();
    expect(add.getByRole('alert').textContent).toBe('Token endpoint: Only http(s) addresses.');
    await fill(user, add.getByLabelText('Token endpoint'), 'https://as.example/token');
    await trust();
    expect(addAs).toHaveBeenCalledWith({ issuer: 'https://as.example', tokenEndpoint: 'https://as.example/token', authMethod: 'client_secret_post', clientId: 'tessera', clientSecret: 's3cret-value' });
    expect(add.queryByRole('alert')).toBeNull();
    expect(add.getByRole('status').textContent).toContain('Trusted https://as.example.');
    expect(add.getByLabelText<HTMLInputElement>('Client secret').value).toBe('');
    expect(document.body.innerHTML).not.toContain('s3cret-value');
  });

  it('Change… opens the form with the settings as they are (no secret) and saves them again', async () => {
    const trusted = { issuer: 'https://as.example', label: 'Lab AS', clientId: 'tessera', registration: 'static' as const, setup: { tokenEndpoint: 'https://as.example/token', authMethod: 'client_secret_post' as const } };
    const addAs = vi.fn(async () => ({ ...base(), trusted: [trusted] }));
    const { user } = await mount({ ...base(), trusted: [trusted] }, { addAs });
    await goConnections();
    expect(within(screen.getByRole('listitem', { name: 'Lab AS' })).getByText('Endpoints entered by hand (token endpoint https://as.example/token). Client authentication: client_secret_post.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Change Lab AS…' }));
    const change = form('Change Lab AS');
    expect(change.getByLabelText<HTMLInputElement>('Issuer').value).toBe('https://as.example');
    expect(change.getByLabelText<HTMLInputElement>('Token endpoint').value).toBe('https://as.example/token');
    expect(change.getByRole<HTMLSelectElement>('combobox', { name: 'How Tessera proves who it is' }).value).toBe('client_secret_post');
    expect(change.getByLabelText<HTMLInputElement>('Client secret').value).toBe('');
    await fill(user, change.getByLabelText('Client secret'), 'new-secret');
    await user.click(change.getByRole('button', { name: 'Save changes' }));
    expect(addAs).toHaveBeenCalledWith({ issuer: 'https://as.example', label: 'Lab AS', tokenEndpoint: 'https://as.example/token', authMethod: 'client_secret_post', clientId: 'tessera', clientSecret: 'new-secret' });
    expect(screen.getByRole('form', { name: 'Add an authorization server' })).toBeTruthy();
  });

  it("a refusal of the core lands next to the field it names, and a private key goes as pasted", async () => {
    const addAs = vi.fn(async () => { throw new ApiError('invalid_input', 'privateKey: Give the private key (JWK or PEM)', 'This is a bug in the Tessera page; reload it.'); });
    const { user, container } = await mount(base(), { addAs });
    await goConnections();
    const add = form('Add an authorization server');
    await fill(user, add.getByLabelText('Issuer'), 'https://as.example');
    await user.selectOptions(add.getByRole('combobox', { name: 'How Tessera proves who it is' }), 'private_key_jwt');
    await fill(user, add.getByLabelText('Client id'), 'tessera-jwt');
    await fill(user, add.getByLabelText('Private key (JWK or PEM)'), '{"kty":"EC"}');
    await user.click(add.getByRole('button', { name: 'Trust this authorization server' }));
    expect(addAs).toHaveBeenCalledWith({ issuer: 'https://as.example', authMethod: 'private_key_jwt', clientId: 'tessera-jwt', privateKey: '{"kty":"EC"}' });
    // The refusal describes the field it is about (after the field's help).
    expect(add.getByRole('textbox', { name: 'Private key (JWK or PEM)', description: 'Kept in the vault, never shown again. Give the private key (JWK or PEM).' })).toBeTruthy();
    expect(container.textContent).not.toContain('bug in the Tessera page');
    expect(alertsOutside(screen.getByRole('form', { name: 'Add an authorization server' }))).toHaveLength(0);
  });

  it("the server check's refusal sits at the issuer field (described by it, focused), userinfo is refused before sending, and a passed check says what was checked", async () => {
    const addAs = vi.fn()
      .mockRejectedValueOnce(new ApiError('invalid_input', 'issuer: This server does not offer the UMA grant (its metadata does not list urn:ietf:params:oauth:grant-type:uma-ticket); it may be a sign-in provider, not an authorization server.', 'Give the address of the UMA authorization server.'))
      .mockResolvedValueOnce({ ...base(), trusted: [{ issuer: 'https://as.example', registration: 'static' as const, clientId: 'tessera' }], check: { source: 'discovery', issuer: 'https://as.example', tokenEndpoint: 'https://as.example/token', umaGrant: 'listed' } });
    const { user } = await mount(base(), { addAs });
    await goConnections();
    const add = form('Add an authorization server');
    const trust = () => user.click(add.getByRole('button', { name: 'Trust this authorization server' }));
    await fill(user, add.getByLabelText('Issuer'), 'https://kate:secret@as.example');
    await user.selectOptions(add.getByRole('combobox', { name: 'How Tessera proves who it is' }), 'none');
    await fill(user, add.getByLabelText('Client id'), 'tessera');
    await trust();
    expect(addAs).not.toHaveBeenCalled();
    const issuer = add.getByRole('textbox', { name: 'Issuer' });
    expect(add.getByRole('textbox', { name: 'Issuer', description: /No user name or password in the address/ })).toBe(issuer);

    await fill(user, issuer, 'https://as.example');
    await trust();
    await act(async () => { await new Promise((r) => setTimeout(r, 5)); });
    expect(issuer.getAttribute('aria-invalid')).toBe('true');
    expect(add.getByRole('textbox', { name: 'Issuer', description: /This server does not offer the UMA grant/ })).toBe(issuer);
    expect(document.activeElement).toBe(issuer);
    // The summary is at the top of the form, before the first field (not below the button).
    const alert = add.getByRole('alert');
    expect(alert.compareDocumentPosition(issuer) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    await trust();
    expect(add.queryByRole('alert')).toBeNull();
    expect(add.getByRole('status').textContent).toBe('Trusted https://as.example: Tessera read its metadata — the issuer matches, the token endpoint is https://as.example/token, and it offers the UMA grant.');
  });

  it('Stop trusting asks first; Keep trusting it changes nothing', async () => {
    const trusted = { issuer: 'https://as.example', label: 'Lab AS', clientId: 'tessera', registration: 'static' as const };
    const untrustAs = vi.fn(async () => ({ ...base(), trusted: [] }));
    const { user } = await mount({ ...base(), trusted: [trusted] }, { untrustAs });
    await goConnections();
    await user.click(screen.getByRole('button', { name: 'Stop trusting…' }));
    expect(untrustAs).not.toHaveBeenCalled();
    const dialog = screen.getByRole('alertdialog', { name: /Stop trusting Lab AS\?/ });
    await user.click(within(dialog).getByRole('button', { name: 'Keep trusting it' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(untrustAs).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Stop trusting…' }));
    await user.click(screen.getByRole('button', { name: 'Yes, stop trusting Lab AS' }));
    expect(untrustAs).toHaveBeenCalledWith({ issuer: 'https://as.example' });
  });
});

describe('the DPoP switch in Connections', () => {
  it('sends the chosen DPoP setting, and nothing when it is left as it was', async () => {
    const trusted = { issuer: 'https://as.example', label: 'Lab AS', clientId: 'tessera', registration: 'static' as const, setup: { authMethod: 'none' as const, dpop: 'on' as const } };
    const addAs = vi.fn(async () => ({ ...base(), trusted: [trusted] }));
    const { user } = await mount({ ...base(), trusted: [trusted] }, { addAs });
    await goConnections();
    const add = form('Add an authorization server');
    await fill(user, add.getByLabelText('Issuer'), 'https://as2.example');
    await user.selectOptions(add.getByRole('combobox', { name: 'How Tessera proves who it is' }), 'none');
    await fill(user, add.getByLabelText('Client id'), 'tessera');
    await user.selectOptions(add.getByRole('combobox', { name: 'Sender-constrained tokens (DPoP)' }), 'off');
    await user.click(add.getByRole('button', { name: 'Trust this authorization server' }));
    expect(addAs).toHaveBeenLastCalledWith({ issuer: 'https://as2.example', authMethod: 'none', clientId: 'tessera', dpop: 'off' });
    // Changing the AS that requires DPoP: the form shows it; saving without touching it sends none.
    await user.click(screen.getByRole('button', { name: 'Change Lab AS…' }));
    const change = form('Change Lab AS');
    expect(change.getByRole<HTMLSelectElement>('combobox', { name: 'Sender-constrained tokens (DPoP)' }).value).toBe('on');
    await user.click(change.getByRole('button', { name: 'Save changes' }));
    expect(addAs).toHaveBeenLastCalledWith(expect.not.objectContaining({ dpop: expect.anything() }));
  });
});
