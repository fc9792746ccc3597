/**
 * The vault's door in the UI (jsdom, over a fake API): creating a passphrase (strength hint, repeat,
 * "cannot be recovered"), keeping nothing on purpose, unlocking with a clear message after a wrong
 * passphrase and a wait instead of a lock-out, "Start a new vault" behind a confirmation; the
 * passphrase is sent once and not kept in the page. The status banner speaks to a person, once.
 */
import { act } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../src/app/api';
import { passphraseStrength } from '../../renderer/components/Unlock';
import { useUi } from '../../renderer/store';
import { appState, mountApp } from './support';

beforeEach(() => { useUi.setState({ screen: 'resources', notice: undefined, flows: {}, busy: {} }); });

/** The input inside the label whose text starts with `text`. */
function field(el: HTMLElement, text: string): HTMLInputElement {
  const label = [...el.querySelectorAll('label')].find((l) => l.textContent?.trim().startsWith(text));
  const input = label?.querySelector('input');
  if (!input) throw new Error(`no field labelled ${text}`);
  return input;
}
function type(input: HTMLInputElement, value: string): void {
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
const button = (el: HTMLElement, name: string) => [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) as HTMLButtonElement | undefined;
const click = async (b: HTMLElement | undefined) => { if (!b) throw new Error('no such button'); await act(async () => { b.click(); }); };
const PASS_OLD = 'the old passphrase';
const locked = (lock: AppState['lock']): AppState => appState({ vault: { backend: 'locked' }, ...(lock ? { lock } : {}) });

describe('creating the vault on a first run', () => {
  it('asks for a passphrase twice, says it cannot be recovered, hints strength, and sends it once', async () => {
    const opened = appState({ vault: { backend: 'passphrase' } });
    const createVault = vi.fn(async () => opened);
    const { el } = await mountApp(locked({ state: 'create', file: '/home/p/.tessera/vault.json' }), { createVault });
    expect(el.querySelector('h2')?.textContent).toBe('Protect what Tessera keeps');
    // Only the door: no screens to wander into while locked.
    expect(el.querySelector('nav')).toBeNull();
    expect(el.textContent).toContain('It cannot be recovered.');
    type(field(el, 'New passphrase'), 'abc');
    expect(el.querySelector('.strength')?.textContent).toMatch(/Too short/);
    type(field(el, 'New passphrase'), 'maple orbit canyon velvet');
    expect(el.querySelector('.strength')?.textContent).toBe('Strong.');
    type(field(el, 'Repeat the passphrase'), 'maple orbit canyon');
    await click(button(el, 'Create the vault'));
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('not the same');
    expect(createVault).not.toHaveBeenCalled();
    type(field(el, 'Repeat the passphrase'), 'maple orbit canyon velvet');
    await click(button(el, 'Create the vault'));
    expect(createVault).toHaveBeenCalledTimes(1);
    expect(createVault).toHaveBeenCalledWith({ passphrase: 'maple orbit canyon velvet' });
    // Not kept in the page after it was sent.
    expect(field(el, 'New passphrase').value).toBe('');
    expect(JSON.stringify(useUi.getState())).not.toContain('maple orbit');
  });

  it('"Don\'t keep anything" is a choice, and the banner then says what it means, once, dismissible', async () => {
    const memory = appState({ vault: { backend: 'memory', warning: 'x', memoryChosen: true } });
    const keepNothing = vi.fn(async () => { useUi.setState({ app: memory }); return memory; });
    const { el } = await mountApp(locked({ state: 'create', file: '/h/vault.json' }), { keepNothing });
    await click(button(el, "Don't keep anything"));
    expect(keepNothing).toHaveBeenCalledWith({});
    const banners = el.querySelectorAll('[aria-label="Storage"]');
    expect(banners).toHaveLength(1);
    expect(banners[0]?.textContent).toContain('Nothing is kept after Tessera closes.');
    expect(banners[0]?.textContent).not.toMatch(/TESSERA_|--/);
    await click(button(el, 'Dismiss'));
    expect(el.querySelector('[aria-label="Storage"]')).toBeNull();
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
    const { el } = await mountApp(locked({ state: 'unlock', file: '/h/vault.json' }), { unlock });
    expect(el.querySelector('h2')?.textContent).toBe('Unlock Tessera');
    type(field(el, 'Passphrase'), 'not it');
    await click(button(el, 'Unlock'));
    expect(unlock).toHaveBeenCalledWith({ passphrase: 'not it' });
    expect(el.querySelector('[role="alert"]')?.textContent).toMatch(/does not open your vault/);
    expect(field(el, 'Passphrase').value).toBe('');
    expect(el.textContent).toMatch(/try again in \d s/);
    expect(button(el, 'Unlock')?.disabled).toBe(true);
  });

  it('"Start a new vault" says the old one is kept (where), and asks before doing it', async () => {
    const startNewVault = vi.fn(async () => locked({ state: 'create', file: '/h/vault.json' }));
    const { el } = await mountApp(locked({ state: 'unlock', file: '/home/p/.tessera/vault.json' }), { startNewVault });
    expect(el.textContent).toContain('It cannot be recovered.');
    expect(el.querySelector('details code')?.textContent).toBe('/home/p/.tessera');
    await click(button(el, 'Start a new vault…'));
    expect(startNewVault).not.toHaveBeenCalled();
    await click(button(el, 'Start a new vault'));
    expect(startNewVault).toHaveBeenCalledWith({ confirm: true });
  });
});

describe('a key store that cannot give the key', () => {
  it('says why in a person\'s words, offers Try again and Start a new vault', async () => {
    const retryVault = vi.fn(async () => locked({ state: 'unavailable', file: '/h/vault.json', error: { code: 'key_missing', message: 'x' } }));
    const { el } = await mountApp(locked({ state: 'unavailable', file: '/h/vault.json', error: { code: 'key_missing', message: 'x' } }), { retryVault });
    expect(el.querySelector('h2')?.textContent).toBe('Tessera cannot open your vault');
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('no longer in this computer\'s keyring');
    await click(button(el, 'Try again'));
    expect(retryVault).toHaveBeenCalledWith({});
    expect(button(el, 'Start a new vault…')).toBeDefined();
  });
});

describe('changing how the vault is protected (Tokens screen)', () => {
  it('asks for the current passphrase, sends the new one once, offers the system keyring', async () => {
    const opened = appState({ vault: { backend: 'passphrase' } });
    const protectVault = vi.fn(async () => opened);
    const { el } = await mountApp(opened, { protectVault });
    await act(async () => { useUi.getState().go('tokens'); });
    expect(el.querySelector('summary')?.textContent).toBe('What Tessera keeps is encrypted on this computer with your passphrase');
    type(field(el, 'Current passphrase'), PASS_OLD);
    type(field(el, 'New passphrase'), 'brand new passphrase here');
    type(field(el, 'Repeat it'), 'brand new passphrase here');
    await click(button(el, 'Change the passphrase'));
    expect(protectVault).toHaveBeenCalledWith({ to: 'passphrase', current: PASS_OLD, newPassphrase: 'brand new passphrase here' });
    expect(field(el, 'Current passphrase').value).toBe('');
    expect(el.textContent).toContain('Done: the new passphrase protects the vault now.');
    type(field(el, 'Current passphrase'), PASS_OLD);
    await click(button(el, 'Use the system keyring instead'));
    expect(protectVault).toHaveBeenLastCalledWith({ to: 'keyring', current: PASS_OLD });
  });
});

describe('notices', () => {
  it('a damaged history kept aside is said once, with where it is; OK tells the core', async () => {
    const dismissNotice = vi.fn(async () => appState());
    const state = appState({ vault: { backend: 'passphrase' }, notices: [{ id: 'n1', code: 'history_damaged', path: '/h/history.damaged-2026.json', reason: 'a directory, not a file' }] });
    const { el } = await mountApp(state, { dismissNotice });
    const notices = el.querySelectorAll('[aria-label="Kept aside"]');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.textContent).toContain('Your history could not be read (a directory, not a file)');
    expect(notices[0]?.querySelector('code')?.textContent).toBe('/h/history.damaged-2026.json');
    await click(button(el, 'OK'));
    expect(dismissNotice).toHaveBeenCalledWith({ id: 'n1' });
  });

  it('waiting requests that could not be read are said, with what to do', async () => {
    const { el } = await mountApp(appState({ vault: { backend: 'passphrase' }, notices: [{ id: 'n2', code: 'watches_damaged', count: 2 }] }));
    expect(el.querySelector('[aria-label="Kept aside"]')?.textContent).toContain('2 waiting requests from the last run could not be read, so Tessera is not watching them.');
  });
});
