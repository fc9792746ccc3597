/** `tessera logout [IDENTITY | --all]`: revoke the refresh token at the provider where possible, forget the identity. */
import { parseArgs } from 'node:util';
import { tesseraHome } from '../../app/config';
import { TesseraError } from '../../kernel/errors';
import { Identities } from '../../identity/identities';
import { revokeAtProvider } from '../../identity/oidc';
import { EXIT, type CliCommand } from '../command';
import { openCliStore } from '../store';

const usage = 'usage: tessera logout [IDENTITY | --all] [--json]   (IDENTITY: issuer#sub, email or issuer; see tessera whoami)';

const command: CliCommand = {
  summary: 'sign out: revoke at the provider where it can, then forget the identity',
  usage,
  async run(argv, io) {
    let parsed;
    try { parsed = parseArgs({ args: argv, allowPositionals: true, options: { all: { type: 'boolean' }, json: { type: 'boolean' } } }); } catch (error) { throw new TesseraError('usage', (error as Error).message, usage); }
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
      const out: { identity: string; revocation: string }[] = [];
      for (const t of targets) {
        const revocation = t.refreshToken ? await revokeAtProvider({ issuer: t.issuer, clientId: t.clientId, ...(t.clientSecret ? { clientSecret: t.clientSecret } : {}) }, t.refreshToken) : 'no_refresh_token';
        await identities.remove(t.key);
        out.push({ identity: t.key, revocation });
      }
      if (values.json) io.stdout(`${JSON.stringify(out)}\n`);
      else for (const o of out) io.stdout(`Signed out ${o.identity} (${o.revocation === 'revoked' ? 'refresh token revoked at the provider' : o.revocation === 'no_endpoint' ? 'the provider has no revocation endpoint' : o.revocation === 'failed' ? 'revocation at the provider failed; forgotten locally' : 'nothing to revoke'}).\n`);
      return EXIT.granted;
    } finally {
      await opened.close?.();
    }
  },
};

export default command;
