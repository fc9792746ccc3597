/**
 * `npm run demo` — starts Hospital ID, Kate's AS and her RS, prints where they are, who can sign in,
 * and the client credentials Tessera uses. `--print-config` prints the same as JSON and exits.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS, parseDpopNonce, startDemo, type DemoConfig } from './index';
import { describeKeycloakDemo, startKeycloakDemo } from './keycloak/demo';

const HELP = `Usage: npm run demo -- [options]

  --data-dir DIR     keep state here (default: $TESSERA_DEMO_DIR or .tessera-demo)
  --memory           keep state in memory only (gone at exit)
  --idp-port N       Hospital ID port (default ${DEFAULT_PORTS.idp}; 0 = any free port)
  --as-port N        authorization server port (default ${DEFAULT_PORTS.as})
  --rs-port N        resource server port (default ${DEFAULT_PORTS.rs})
  --as demo|keycloak which authorization server: the built-in demo AS (default) or a real
                     Keycloak (fetched with Maven into .cache/keycloak; needs a JDK; the RS port
                     is then --rs-port, default any free port; TESSERA_KEYCLOAK_URL reuses a running one)
  --dpop-nonce WHERE as, rs or both: DPoP proofs must carry that server's nonce
                     (RFC 9449 §8/§9; default: none; also TESSERA_DEMO_DPOP_NONCE)
  --reset            put Kate's records back as the demo tells them (a PUT changes them for good)
  --print-config     start, print the configuration as JSON, stop
  --quiet            do not log requests problems
  -h, --help         this help`;

function port(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number (0-65535), not "${value}"`);
  return n;
}

export function describe(config: DemoConfig): string {
  const lines = [
    'Tessera demo servers are running:',
    `  Hospital ID (IdP)        ${config.idp.issuer}`,
    `  Kate's AS (UMA)          ${config.as.issuer}`,
    `  Kate's dashboard         ${config.as.dashboardUrl}`,
    `  Health records (RS)      ${config.rs.url}`,
    '',
    "Kate's records:",
    ...config.rs.resources.map((r) => `  ${r.title.padEnd(28)} ${r.url}`),
    '',
    'People (username / password):',
    ...config.users.map((u) => `  ${`${u.username} / ${u.password}`.padEnd(26)} ${u.at === 'as' ? 'AS dashboard' : 'Hospital ID '}  ${u.story}`),
    '',
    'Tessera clients:',
    `  at Hospital ID: client_id ${config.idp.tesseraClient.client_id} (public, PKCE, redirect ${config.idp.tesseraClient.redirect_uri} on any port)`,
    `  at Kate's AS:   client_id ${config.as.tesseraClient.client_id}, client_secret ${config.as.tesseraClient.client_secret} (client_secret_basic; claims redirect ${config.as.tesseraClient.claims_redirect_uris.join(', ')} on any port)`,
    '',
    `Try: npx tessera fetch ${config.rs.resources[0]?.url ?? config.rs.url} --trust ${config.as.issuer}`,
    config.dataDir ? `State is kept in ${config.dataDir}. Ctrl-C stops.` : 'State is in memory only. Ctrl-C stops.',
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: {
      'data-dir': { type: 'string' }, memory: { type: 'boolean' }, 'idp-port': { type: 'string' }, 'as-port': { type: 'string' }, 'rs-port': { type: 'string' },
      'print-config': { type: 'boolean' }, reset: { type: 'boolean' }, as: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      'dpop-nonce': { type: 'string' },
    } }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) { process.stdout.write(`${HELP}\n`); return 0; }
  if (values.as !== undefined && values.as !== 'demo' && values.as !== 'keycloak') {
    process.stderr.write(`--as must be demo or keycloak, not "${values.as}"\n`);
    return 2;
  }
  let dpopNonce;
  try {
    dpopNonce = parseDpopNonce(values['dpop-nonce'] ?? process.env.TESSERA_DEMO_DPOP_NONCE);
  } catch (error) {
    process.stderr.write(`${values['dpop-nonce'] !== undefined ? '--dpop-nonce' : 'TESSERA_DEMO_DPOP_NONCE'} ${(error as Error).message}\n`);
    return 2;
  }
  let ports;
  try {
    ports = { idp: port(values['idp-port'], 'idp-port', DEFAULT_PORTS.idp), as: port(values['as-port'], 'as-port', DEFAULT_PORTS.as), rs: port(values['rs-port'], 'rs-port', DEFAULT_PORTS.rs) };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const dataDir = resolve(values['data-dir'] ?? process.env.TESSERA_DEMO_DIR ?? '.tessera-demo');
  const log = values.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  if (values.as === 'keycloak') return keycloakMain(values['rs-port'] === undefined ? 0 : ports.rs, values['print-config'] === true, log);
  let demo;
  try {
    demo = await startDemo({ ...(values.memory ? { memory: true } : { dataDir }), ports, log, ...(dpopNonce ? { dpopNonce } : {}) });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') process.stderr.write(`A demo port is already in use (${e.message}). Is the demo already running? Choose other ports with --idp-port/--as-port/--rs-port.\n`);
    else process.stderr.write(`The demo could not start: ${e.message}\n`);
    return 1;
  }
  if (values.reset) process.stdout.write(`Kate's ${await demo.resetRecords()} records are back as the demo tells them.\n`);
  if (values['print-config']) {
    process.stdout.write(`${JSON.stringify(demo.config, null, 2)}\n`);
    await demo.close();
    return 0;
  }
  // Listen for Ctrl-C before saying it works: a script may send SIGINT as soon as it reads the line.
  const stopped = untilStopped();
  process.stdout.write(`${describe(demo.config)}\n`);
  await stopped;
  process.stdout.write('Stopping…\n');
  await demo.close();
  return 0;
}

function untilStopped(): Promise<void> {
  let forced = false;
  return new Promise<void>((done) => {
    const stop = () => {
      if (forced) process.exit(130);
      forced = true; // a second Ctrl-C while closing forces the exit
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** `--as keycloak`: a real Keycloak (started here, fetched if needed) and the RS against it. */
async function keycloakMain(rsPort: number, printConfig: boolean, log: (line: string) => void): Promise<number> {
  const stopped = untilStopped();
  let demo;
  try {
    demo = await startKeycloakDemo({ rsPort, log });
  } catch (error) {
    process.stderr.write(`The Keycloak demo could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (printConfig) {
    process.stdout.write(`${JSON.stringify(demo.config, null, 2)}\n`);
    await demo.close();
    return 0;
  }
  process.stdout.write(`${describeKeycloakDemo(demo.config)}\n`);
  await stopped;
  process.stdout.write('Stopping…\n');
  await demo.close();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('src/demo/cli.ts')) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => { process.stderr.write(`${String(error)}\n`); process.exit(1); });
}
