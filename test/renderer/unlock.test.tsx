/**
 * The vault's door in the UI (jsdom, over a fake API): creating a passphrase (strength hint, repeat,
 * "cannot be recovered"), keeping nothing on purpose, unlocking with a clear message after a wrong
 * passphrase and a wait instead of a lock-out, "Start a new vault" behind a confirmation; the
 * passphrase is sent once and not kept in the page. The status banner speaks to a person, once.
 */
import { act, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../src/app/api';
import { passphraseStrength } from '../../renderer/components/Unlock';
import { useUi } from '../../renderer/store';
import { appState, mountApp, person } from './support';

beforeEach(() => { useUi.setState({ screen: 'resources', notice: undefined, flows: {}, busy: {} }); });

/** The password field a label names (password fields have no ARIA role, so by label). */
const field = (label: string) => screen.getByLabelText<HTMLInputElement>(label);
/** Replaces what is in the field labelled `label` by typing `value`, as a person does. */
async function fill(user: ReturnType<typeof person>, label: string, value: string): Promise<void> {
  await user.clear(field(label));
  await user.type(field(label), value);
}
const button = (name: string) => screen.getByRole<HTMLButtonElement>('button', { name });
const heading = () => screen.getByRole('heading', { level: 2 }).textContent;
const PASS_OLD = 'the old passphrase';
const locked = (lock: AppState['lock']): AppState => appState({ vault: { backend: 'locked' }, ...(lock ? { lock } : {}) });

describe('creating the vault on a first run', () => {
  it('asks for a passphrase twice, says it cannot be recovered, hints strength, and sends it once', async () => {
    const opened = appState({ vault: { backend: 'passphrase' } });
    const createVault = vi.fn(async () => opened);
    const { user, container } = await mountApp(locked({ state: 'create', file: '/home/p/.tessera/vault.json' }), { createVault });
    expect(heading()).toBe('Protect what Tessera keeps');
    // Only the door: no screens to wander into while locked.
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(container.textContent).toContain('It cannot be recovered.');
    await fill(user, 'New passphrase', 'abc');
    expect(screen.getByText(/Too short/)).toBeTruthy();
    await fill(user, 'New passphrase', 'maple orbit canyon velvet');
    expect(screen.getByText('Strong.')).toBeTruthy();
    await fill(user, 'Repeat the passphrase', 'maple orbit canyon');
    await user.click(button('Create the vault'));
    expect(screen.getByRole('alert').textContent).toContain('not the same');
    expect(createVault).not.toHaveBeenCalled();
    await fill(user, 'Repeat the passphrase', 'maple orbit canyon velvet');
    await user.click(button('Create the vault'));
    expect(createVault).toHaveBeenCalledTimes(1);
    expect(createVault).toHaveBeenCalledWith({ passphrase: 'maple orbit canyon velvet' });
    // Not kept in the page after it was sent.
    expect(field('New passphrase').value).toBe('');
    expect(JSON.stringify(useUi.getState())).not.toContain('maple orbit');
  });

  it('"Don\'t keep anything" is a choice, and the banner then says what it means, once, dismissible', async () => {
    const memory = appState({ vault: { backend: 'memory', warning: 'x', memoryChosen: true } });
    const keepNothing = vi.fn(async () => { useUi.setState({ app: memory }); return memory; });
    const { user } = await mountApp(locked({ state: 'create', file: '/h/vault.json' }), { keepNothing });
    await user.click(button("Don't keep anything"));
    expect(keepNothing).toHaveBeenCalledWith({});
    const banners = screen.getAllByRole('region', { name: 'Storage' });
    expect(banners).toHaveLength(1);
    expect(banners[0]?.textContent).toContain('Nothing is kept after Tessera closes.');
    expect(banners[0]?.textContent).not.toMatch(/TESSERA_|--/);
    await user.click(within(banners[0] as HTMLElement).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('region', { name: 'Storage' })).toBeNull();
  });

  it('the strength hint grows with length and variety', () => {
    expect(passphraseStrength('short').level).toBe('short');
    expect(passphraseStrength('aaaaaaaa').level).toBe('weak');
    expect(passphraseStrength('abcdefgh12').level).toBe('fair');
    expect(passphraseStrength('correct horse battery staple').level).toBe('strong');
  });
});

describe('unlocking', () => {
  it('a wrong passphrase: a clear message, the field cleared for a retry, a wait instead of a lock-out', async () => {
    const wrong = locked({ state: 'unlock', file: '/h/vault.json', error: { code: 'wrong_passphrase', message: 'x' }, retryAt: Date.now() + 4_000 });
    const unlock = vi.fn(async () => { useUi.setState({ app: wrong }); return wrong; });
    const { user, container } = await mountApp(locked({ state: 'unlock', file: '/h/vault.json' }), { unlock });
    expect(heading()).toBe('Unlock Tessera');
    await fill(user, 'Passphrase', 'not it');
    await user.click(button('Unlock'));
    expect(unlock).toHaveBeenCalledWith({ passphrase: 'not it' });
    expect(screen.getByRole('alert').textContent).toMatch(/does not open your vault/);
    expect(field('Passphrase').value).toBe('');
    expect(container.textContent).toMatch(/try again in \d s/);
    expect(button('Unlock').disabled).toBe(true);
  });

  it('"Start a new vault" says the old one is kept (where), and asks before doing it', async () => {
    const startNewVault = vi.fn(async () => locked({ state: 'create', file: '/h/vault.json' }));
    const { user } = await mountApp(locked({ state: 'unlock', file: '/home/p/.tessera/vault.json' }), { startNewVault });
    const forgot = within(screen.getByRole('group'));
    expect(forgot.getByText('Forgot your passphrase?')).toBeTruthy();
    expect(forgot.getByText(/It cannot be recovered\./)).toBeTruthy();
    expect(forgot.getByText('/home/p/.tessera')).toBeTruthy();
    await user.click(button('Start a new vault…'));
    expect(startNewVault).not.toHaveBeenCalled();
    await user.click(within(screen.getByRole('group', { name: 'Confirm starting a new vault' })).getByRole('button', { name: 'Start a new vault' }));
    expect(startNewVault).toHaveBeenCalledWith({ confirm: true });
  });
});

describe('a key store that cannot give the key', () => {
  it('says why in a person\'s words, offers Try again and Start a new vault', async () => {
    const retryVault = vi.fn(async () => locked({ state: 'unavailable', file: '/h/vault.json', error: { code: 'key_missing', message: 'x' } }));
    const { user } = await mountApp(locked({ state: 'unavailable', file: '/h/vault.json', error: { code: 'key_missing', message: 'x' } }), { retryVault });
    expect(heading()).toBe('Tessera cannot open your vault');
    expect(screen.getByRole('alert').textContent).toContain('no longer in this computer\'s keyring');
    await user.click(button('Try again'));
    expect(retryVault).toHaveBeenCalledWith({});
    expect(button('Start a new vault…')).toBeTruthy();
  });
});

describe('changing how the vault is protected (Tokens screen)', () => {
  it('asks for the current passphrase, sends the new one once, offers the system keyring', async () => {
    const opened = appState({ vault: { backend: 'passphrase' } });
    const protectVault = vi.fn(async () => opened);
    const { user } = await mountApp(opened, { protectVault });
    await act(async () => { useUi.getState().go('tokens'); });
    expect(screen.getByText('What Tessera keeps is encrypted on this computer with your passphrase')).toBeTruthy();
    await fill(user, 'Current passphrase', PASS_OLD);
    await fill(user, 'New passphrase', 'brand new passphrase here');
    await fill(user, 'Repeat it', 'brand new passphrase here');
    await user.click(button('Change the passphrase'));
    expect(protectVault).toHaveBeenCalledWith({ to: 'passphrase', current: PASS_OLD, newPassphrase: 'brand new passphrase here' });
    expect(field('Current passphrase').value).toBe('');
    expect(screen.getAllByRole('status').map((s) => s.textContent)).toContain('Done: the new passphrase protects the vault now.');
    await fill(user, 'Current passphrase', PASS_OLD);
    await user.click(button('Use the system keyring instead'));
    expect(protectVault).toHaveBeenLastCalledWith({ to: 'keyring', current: PASS_OLD });
  });
});

describe('notices', () => {
  it('a damaged history kept aside is said once, with where it is; OK tells the core', async () => {
    const dismissNotice = vi.fn(async () => appState());
    const state = appState({ vault: { backend: 'passphrase' }, notices: [{ id: 'n1', code: 'history_damaged', path: '/h/history.damaged-2026.json', reason: 'a directory, not a file' }] });
    const { user } = await mountApp(state, { dismissNotice });
    const notices = screen.getAllByRole('region', { name: 'Kept aside' });
    expect(notices).toHaveLength(1);
    expect(notices[0]?.textContent).toContain('Your history could not be read (a directory, not a file)');
    expect(within(notices[0] as HTMLElement).getByText('/h/history.damaged-2026.json')).toBeTruthy();
    await user.click(within(notices[0] as HTMLElement).getByRole('button', { name: 'OK' }));
    expect(dismissNotice).toHaveBeenCalledWith({ id: 'n1' });
  });

  it('waiting requests that could not be read are said, with what to do', async () => {
    await mountApp(appState({ vault: { backend: 'passphrase' }, notices: [{ id: 'n2', code: 'watches_damaged', count: 2 }] }));
    expect(screen.getByRole('region', { name: 'Kept aside' }).textContent).toContain('2 waiting requests from the last run could not be read, so Tessera is not watching them.');
  });
});
