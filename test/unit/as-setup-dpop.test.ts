/**
 * The app's per-AS DPoP switch (Connections, "Add an authorization server"): `on`/`off` written to
 * the config entry, `auto` (the default) leaves no trace, a change of something else keeps it, and
 * the form is prefilled from it.
 */
import { describe, expect, it } from 'vitest';
import { addAsInput } from '../../src/app/as-input';
import { asSetupView, prepareAddAs } from '../../src/app/as-setup';

const AS = 'https://as.example';
const trust = (entry?: Record<string, unknown>) => ({ authorizationServers: entry ? [{ issuer: AS, ...entry }] : [] });

describe('the DPoP switch of an AS added by hand', () => {
  it('writes on/off, removes the entry for auto, and keeps it when the form does not send it', async () => {
    const on = await prepareAddAs(addAsInput.parse({ issuer: AS, authMethod: 'none', clientId: 'x', dpop: 'on' }), trust());
    expect(on.entry.dpop).toBe('on');
    const kept = await prepareAddAs(addAsInput.parse({ issuer: AS, authMethod: 'none', clientId: 'x', label: 'renamed' }), trust({ dpop: 'off' }));
    expect(kept.entry.dpop).toBe('off');
    const auto = await prepareAddAs(addAsInput.parse({ issuer: AS, authMethod: 'none', clientId: 'x', dpop: 'auto' }), trust({ dpop: 'on' }));
    expect(auto.entry).not.toHaveProperty('dpop');
    expect(asSetupView({ issuer: AS, dpop: 'off' })?.dpop).toBe('off');
    expect(asSetupView({ issuer: AS })?.dpop).toBeUndefined();
  });
  it('refuses any other value', () => {
    expect(addAsInput.safeParse({ issuer: AS, authMethod: 'none', clientId: 'x', dpop: 'yes' }).success).toBe(false);
  });
});
