/** `tessera login`: sign in at a requesting party's OpenID provider in the system browser. */
import { parseArgs } from 'node:util';
import { tesseraHome } from '../../app/config';
import { TesseraError, Identities, DEFAULT_SCOPE, signIn } from '@tessera/uma';
import { isSecureOrLoopback } from '@tessera/uma/portable';
import { EXIT, type CliCommand } from '../command';
import { cliOpener } from '../opener';
import { openCliStore } from '../store';

const usage = `usage: tessera login --issuer URL --client-id ID [--client-secret S] [--scope SCOPES] [--timeout SECONDS] [--prompt login] [--switch] [--json]

Opens the provider's sign-in page in your browser (BROWSER, else the system opener; the address is
also printed) and waits for the redirect on 127.0.0.1 (a free port, path /oidc/callback).
Authorization code + PKCE; the ID token is verified (signature, issuer, audience, expiry, nonce) and
kept with the refresh token in the encrypted vault. Default scope: "${DEFAULT_SCOPE}".
--switch signs in as someone else: the provider is asked to show its sign-in page again
(prompt=login, max_age=0) even when the browser is still signed in there.`;

const command: CliCommand = {
  summary: 'sign in at your OpenID provider (system browser, PKCE) to push ID-token claims',
  usage,
  async run(argv, io) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { issuer: { type: 'string' }, 'client-id': { type: 'string' }, 'client-secret': { type: 'string' }, scope: { type: 'string' }, timeout: { type: 'string' }, prompt: { type: 'string' }, switch: { type: 'boolean' }, json: { type: 'boolean' } } }));
    } catch (error) {
      throw new TesseraError('usage', (error as Error).message, 'Run tessera help login.');
    }
    if (!values.issuer || !values['client-id']) throw new TesseraError('usage', 'login needs --issuer and --client-id.', usage);
    let issuer: URL;
    try { issuer = new URL(values.issuer); } catch { throw new TesseraError('usage', `--issuer "${values.issuer}" is not a URL.`, 'Give the provider issuer, e.g. https://id.example.com'); }
    if (!isSecureOrLoopback(issuer)) throw new TesseraError('usage', 'The provider must use https (plain http only on this machine).', 'Use the https issuer URL.');
    const timeout = values.timeout !== undefined ? Number(values.timeout) : 300;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new TesseraError('usage', '--timeout must be a positive number of seconds.', usage);
    // The issuer exactly as given: it is compared character for character with the provider's (OIDC Discovery §4.3).
    const provider = { issuer: values.issuer, clientId: values['client-id'], ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}), scope: values.scope ?? DEFAULT_SCOPE };
    const opened = await openCliStore(io.env, tesseraHome(io.env), { makeFingerprintKey: true });
    if (opened.warning && !values.json) io.stderr(`${opened.warning}\n`);
    try {
      const signed = await signIn(provider, { opener: cliOpener(io), timeoutMs: timeout * 1000, ...(values.prompt ? { prompt: values.prompt } : {}), ...(values.switch ? { switchUser: true } : {}) });
      const record = await new Identities(opened.store).save(provider, signed);
      await new Identities(opened.store).setActingAs(`${record.issuer}#${record.sub}`);
      const summary = { identity: `${record.issuer}#${record.sub}`, issuer: record.issuer, sub: record.sub, ...record.claims, expiresAt: new Date(record.idTokenExpiresAt).toISOString(), refreshable: Boolean(record.refreshToken) };
      if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else io.stdout(`Signed in as ${record.claims.name ?? record.sub}${record.claims.email ? ` <${record.claims.email}>` : ''} at ${record.issuer} (ID token valid until ${summary.expiresAt}${record.refreshToken ? ', refreshable' : ''}).\n`);
      return EXIT.granted;
    } finally {
      await opened.close?.();
    }
  },
};

export default command;
