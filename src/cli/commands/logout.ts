/** `tessera logout [IDENTITY | --all]`: revoke the refresh token at the provider where possible, forget the identity. */
import { parseArgs } from 'node:util';
import { tesseraHome } from '../../app/config';
import { TesseraError, Identities, endSessionAtProvider, revokeAtProvider } from '@tessera/uma';
import { EXIT, type CliCommand } from '../command';
import { cliOpener } from '../opener';
import { openCliStore } from '../store';

const usage = `usage: tessera logout [IDENTITY | --all] [--local] [--json]   (IDENTITY: issuer#sub, email or issuer; see tessera whoami)

Revokes the refresh token at the provider (RFC 7009), ends the session there too when the provider
offers RP-initiated logout (its end-session page opens in your browser), and forgets the identity.
--local skips the provider's end-session page.`;

const command: CliCommand = {
  summary: 'sign out: revoke at the provider where it can, then forget the identity',
  usage,
  async run(argv, io) {
    let parsed;
    try { parsed = parseArgs({ args: argv, allowPositionals: true, options: { all: { type: 'boolean' }, local: { type: 'boolean' }, json: { type: 'boolean' } } }); } catch (error) { throw new TesseraError('usage', (error as Error).message, usage); }
    const { values, positionals } = parsed;
    const opened = await openCliStore(io.env, tesseraHome(io.env));
    try {
      const identities = new Identities(opened.store);
      const all = await identities.all();
      let targets = all;
      if (!values.all) {
        const hint = positionals[0];
        if (hint) targets = await identities.find(hint).then((found) => all.filter((a) => found.some((f) => f.key === a.key)));
        else if (all.length > 1) throw new TesseraError('usage', 'Several identities are signed in.', `Name one (tessera whoami lists them) or pass --all. ${usage}`);
        if (targets.length === 0) throw new TesseraError('identity_not_found', hint ? `No signed-in identity matches "${hint}".` : 'Nobody is signed in.', 'Run tessera whoami.');
      }
      const out: { identity: string; revocation: string; providerSession: string }[] = [];
      for (const t of targets) {
        const provider = { issuer: t.issuer, clientId: t.clientId, ...(t.clientSecret ? { clientSecret: t.clientSecret } : {}) };
        const revocation = t.refreshToken ? await revokeAtProvider(provider, t.refreshToken) : 'no_refresh_token';
        const providerSession = values.local ? 'kept' : await endSessionAtProvider(provider, t.idToken, { opener: cliOpener(io) });
        await identities.remove(t.key);
        out.push({ identity: t.key, revocation, providerSession });
      }
      if (values.json) io.stdout(`${JSON.stringify(out)}\n`);
      else for (const o of out) io.stdout(`Signed out ${o.identity} (${o.revocation === 'revoked' ? 'refresh token revoked at the provider' : o.revocation === 'no_endpoint' ? 'the provider has no revocation endpoint' : o.revocation === 'failed' ? 'revocation at the provider failed; forgotten locally' : 'nothing to revoke'}${o.providerSession === 'opened' ? '; the provider\'s sign-out page was opened in your browser' : o.providerSession === 'no_endpoint' ? '; the provider offers no sign-out page' : o.providerSession === 'failed' ? '; could not open the provider\'s sign-out page' : ''}).\n`);
      return EXIT.granted;
    } finally {
      await opened.close?.();
    }
  },
};

export default command;
