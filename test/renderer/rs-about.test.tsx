/**
 * An RS that names an AS the person does not trust yet: beside "Trust this AS" the Resources screen
 * shows what the RS's metadata (RFC 9728) says about itself — its name, its documentation (a link
 * only when https), the ASes it lists, and a warning when the AS it sent you to is not among them.
 */
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { RsMetadataView } from '../../src/app/api';
import { appState, flowView, mountApp } from './support';

const AS = 'https://as.unknown.example';
const RS = 'https://rs.example';
const untrusted = (rsMetadata: RsMetadataView | undefined) =>
  appState({
    resources: [{ url: `${RS}/r/1`, title: 'Record one', origin: RS, fromDemo: false }],
    flows: [flowView({ url: `${RS}/r/1`, outcome: 'untrusted_as', status: 401, error: { code: 'untrusted_as', message: `The resource server sends you to ${AS}, which you do not trust.`, hint: '', facts: { asIssuer: AS } }, ...(rsMetadata ? { rsMetadata } : {}) })],
  });

const region = () => screen.queryByRole('region', { name: 'What the resource server says about itself' });

describe('what the RS says about itself, beside "Trust this AS"', () => {
  it('shows the name, an https documentation link and the listed ASes next to the Trust button', async () => {
    await mountApp(untrusted({ resource: RS, name: 'Clinic records', documentation: 'https://docs.rs.example/', documentationIsLink: true, authorizationServers: [AS] }));
    const about = within(region() as HTMLElement);
    expect(about.getByText('Clinic records')).toBeTruthy();
    expect(about.getByRole('link', { name: 'https://docs.rs.example/' }).getAttribute('href')).toBe('https://docs.rs.example/');
    expect(within(screen.getByRole('list', { name: 'Authorization servers the resource server lists' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual([AS]);
    expect(screen.getByRole('button', { name: 'Trust this AS' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('documentation that is not https is text, not a link; an AS it does not list is called out', async () => {
    await mountApp(untrusted({ resource: RS, documentation: 'javascript:alert(1)', documentationIsLink: false, authorizationServers: ['https://as.other.example'] }));
    const about = within(region() as HTMLElement);
    expect(about.getByText('javascript:alert(1)')).toBeTruthy();
    expect(about.queryAllByRole('link')).toHaveLength(0);
    expect(screen.getByRole('alert').textContent).toBe('The server it sent you to is not among them.');
  });

  it('nothing extra when the RS publishes no metadata', async () => {
    await mountApp(untrusted(undefined));
    expect(region()).toBeNull();
    expect(screen.getByRole('button', { name: 'Trust this AS' })).toBeTruthy();
  });
});
