/**
 * The first step is obvious (jsdom, over a fake API): acting as nobody, Resources says what to do
 * first — sign in at the provider, with the button right there — and what opening a record as nobody
 * will do, before it happens (the Open buttons are described by it); "Acting as" offers sign-in too
 * (with several providers one "Sign in at…" that lists them);
 * a request the person cancelled reads "Cancelled", not "Error".
 */
import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { AppState } from '../../src/app/api';
import { appState, flowView, mountApp } from './support';

const RX = 'http://127.0.0.1:4403/patients/kate/prescriptions';
const IDP = 'http://127.0.0.1:4401';
const alice = { key: `${IDP}#alice`, issuer: IDP, sub: 'alice', name: 'Dr. Alice Moreau', expiresAt: Date.now() + 3600_000, refreshable: true };
const base = (over: Partial<AppState> = {}): AppState => appState({
  resources: [{ url: RX, title: "Kate's prescriptions", origin: 'http://127.0.0.1:4403', fromDemo: true }],
  providers: [{ issuer: IDP, clientId: 'tessera', label: 'Hospital ID (demo)', scope: 'openid profile' }],
  demo: { dashboardUrl: 'http://127.0.0.1:4402/dashboard', dashboardLabel: "Kate's AS", idpLabel: 'Hospital ID', people: [] },
  ...over,
});
const firstStep = () => screen.getByRole('region', { name: "Sign in at Hospital ID to reach Kate's records" });

describe('the first step', () => {
  it('as nobody, Resources says to sign in at Hospital ID to reach Kate\'s records, with the button, and explains Open before it happens', async () => {
    const signIn = vi.fn(async () => alice);
    const { user } = await mountApp(base(), { signIn });
    expect(within(firstStep()).getByRole('heading').textContent).toBe("Sign in at Hospital ID to reach Kate's records");
    await user.click(within(firstStep()).getByRole('button', { name: 'Sign in at Hospital ID (demo)' }));
    expect(signIn).toHaveBeenCalledWith({ issuer: IDP, clientId: 'tessera', scope: 'openid profile' });
    expect(screen.getByRole('button', { name: "Open Kate's prescriptions", description: /its authorization server may open its own page in your browser to ask for claims about you/ })).toBeTruthy();
  });

  it('signed in, the first step is gone; "Acting as" still offers sign-in (as someone else: prompt=login)', async () => {
    const signIn = vi.fn(async () => alice);
    const { user } = await mountApp(base({ identities: [alice], actingAs: { party: alice.key, label: 'Dr. Alice Moreau', issuer: IDP } }), { signIn });
    expect(screen.queryByRole('region', { name: /^Sign in at/ })).toBeNull();
    expect(screen.getByRole('button', { name: "Open Kate's prescriptions", description: '' })).toBeTruthy();
    await user.click(within(screen.getByRole('banner')).getByRole('button', { name: 'Sign in…' }));
    expect(signIn).toHaveBeenCalledWith({ issuer: IDP, clientId: 'tessera', scope: 'openid profile', switchUser: true });
  });

  it('several providers: "Acting as" offers one "Sign in at…" that lists them (the header stays one line), Escape closes it', async () => {
    const signIn = vi.fn(async () => alice);
    const UNI = 'https://id.university.example';
    const { user } = await mountApp(base({ providers: [...base().providers, { issuer: UNI, clientId: 'tessera', label: 'University ID', scope: 'openid' }] }), { signIn });
    const header = within(screen.getByRole('banner'));
    expect(header.queryAllByRole('button', { name: /^Sign in( \(|…)/ })).toEqual([]);
    const menu = header.getByRole('button', { name: 'Sign in at…', expanded: false });
    await user.click(menu);
    const list = within(header.getByRole('list', { name: 'Sign in at' }));
    expect(list.getAllByRole('button').map((b) => b.textContent)).toEqual(['Hospital ID', 'University ID']);
    await user.keyboard('{Escape}');
    expect(header.queryByRole('list', { name: 'Sign in at' })).toBeNull();
    await user.click(menu);
    await user.click(within(header.getByRole('list', { name: 'Sign in at' })).getByRole('button', { name: 'University ID' }));
    expect(signIn).toHaveBeenCalledWith({ issuer: UNI, clientId: 'tessera', scope: 'openid' });
    expect(header.queryByRole('list', { name: 'Sign in at' })).toBeNull();
  });

  it('a cancelled request reads "Cancelled", not "Error"', async () => {
    const cancelled = flowView({ url: RX, outcome: 'error', status: undefined, error: { code: 'aborted', message: 'The request was cancelled.', hint: 'Run it again when ready.' } });
    await mountApp(base({ flows: [cancelled] }));
    const card = screen.getByRole('listitem', { name: "Kate's prescriptions" });
    expect(card.textContent).toContain('Cancelled');
    expect(card.textContent).not.toContain('Error');
  });

  it('a sign-in that reused someone else\'s provider session asks first: Continue as Mallory, or sign in as someone else (prompt=login)', async () => {
    const mallory = { key: `${IDP}#mallory`, issuer: IDP, sub: 'mallory', name: 'Mallory Moss', email: 'mallory@example.test', expiresAt: Date.now() + 3600_000, refreshable: true };
    const signIn = vi.fn(async () => ({ ...mallory, confirm: {} }));
    const actAs = vi.fn(async () => base({ identities: [mallory], actingAs: { party: mallory.key, label: 'Mallory Moss', issuer: IDP } }));
    const { user } = await mountApp(base(), { signIn, actAs });
    await user.click(within(firstStep()).getByRole('button', { name: 'Sign in at Hospital ID (demo)' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Continue as Mallory Moss?', description: /without showing its sign-in form/ });
    expect(actAs).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Sign in as someone else' }));
    expect(signIn).toHaveBeenLastCalledWith({ issuer: IDP, clientId: 'tessera', scope: 'openid profile', switchUser: true });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(actAs).not.toHaveBeenCalled();
    // Another sign-in reuses Mallory's session again; this time the person continues as her.
    await user.click(within(firstStep()).getByRole('button', { name: 'Sign in at Hospital ID (demo)' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Continue as Mallory Moss' }));
    expect(actAs).toHaveBeenCalledWith({ party: mallory.key });
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });
});
