/**
 * Real Keycloak vs the demo AS, side by side in one run, same load generator (bench/load.ts):
 * 50 concurrent keep-alive clients in a closed loop, each UMA grant with a fresh permission ticket
 * (minted beforehand through each AS's permission endpoint) and Alice's pushed ID token (issued by
 * that AS's own IdP: Hospital ID for the demo, the realm itself for Keycloak). Then Tessera's engine
 * against both: the full loop (401 → grant → 200, discovery cached) and access with a cached RPT.
 * Skips with one line when there is no JDK/Maven. Figures on this shared 2-core box are judged as ratios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { MemoryStore, storeKeys } from '../packages/uma/src/kernel/store';
import { startKeycloakDemo, type KeycloakDemoHandle } from '../src/demo/keycloak/demo';
import { ensureKeycloak, KeycloakUnavailable } from '../src/demo/keycloak/dist';
import { freePort, KEYCLOAK_CLIENTS } from '../src/demo/keycloak/server';
import { USERS } from '../src/demo/seed';
import type { DemoConfig } from '../src/demo';
import { createAgent } from '../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT } from '../packages/uma/src/uma/ports';
import { signIn } from '../test/fixtures/demo-people';
import { keycloakSignIn } from '../test/fixtures/keycloak-people';
import { closedLoop, Connection, pct, type LoadRow } from './load';
import type { BenchReport } from './run';

const CONCURRENCY = 50;
const SECONDS = 5;
const LOOP_ROUNDS = 30;

interface Target {
  label: string;
  port: number;
  tokenPath: string;
  permissionPath: string;
  pat: { basic: string; body: string };
  tessera: string;
  idToken: string;
  resourceId: string;
}

const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');
const form = 'Content-Type: application/x-www-form-urlencoded\r\n';

async function grantLoad(t: Target, ticketCount: number, warmRounds: number): Promise<LoadRow> {
  const setup = new Connection(t.port);
  await setup.ready;
  const patResponse = await setup.send('POST', t.tokenPath, `${form}Authorization: Basic ${t.pat.basic}\r\n`, t.pat.body);
  setup.close();
  const pat = (JSON.parse(patResponse.body) as { access_token: string }).access_token;
  const permissionHeaders = `Content-Type: application/json\r\nAuthorization: Bearer ${pat}\r\n`;
  const permissionBody = JSON.stringify([{ resource_id: t.resourceId, resource_scopes: ['read'] }]);
  const permission = async (c: Connection) => {
    const r = await c.send('POST', t.permissionPath, permissionHeaders, permissionBody);
    if (r.status !== 201) throw new Error(`${t.label}: permission endpoint answered ${r.status} ${r.body.slice(0, 200)}`);
    return (JSON.parse(r.body) as { ticket: string }).ticket;
  };
  const grantHeaders = `${form}Authorization: Basic ${t.tessera}\r\n`;
  const pushed = `&claim_token=${t.idToken}&claim_token_format=${encodeURIComponent(ID_TOKEN_FORMAT)}`;
  const grant = (c: Connection, ticket: string) => c.send('POST', t.tokenPath, grantHeaders, `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:uma-ticket')}&ticket=${ticket}${pushed}`);
  const connections = await Promise.all(Array.from({ length: CONCURRENCY }, async () => { const c = new Connection(t.port); await c.ready; return c; }));
  try {
    const first = await grant(connections[0] as Connection, await permission(connections[0] as Connection));
    if (first.status !== 200) throw new Error(`${t.label}: a single grant answered ${first.status} ${first.body.slice(0, 200)}`);
    for (let i = 0; i < warmRounds; i++) await Promise.all(connections.map(async (c) => grant(c, await permission(c))));
    const tickets: string[] = [];
    for (let i = 0; i < Math.ceil(ticketCount / CONCURRENCY); i++) tickets.push(...(await Promise.all(connections.map(permission))));
    return await closedLoop(`${t.label}: UMA grants, ${CONCURRENCY} clients, closed loop`, connections, SECONDS, tickets, grant);
  } finally {
    for (const c of connections) c.close();
  }
}

/** Tessera's engine: full loop (RPT dropped before each round; discovery stays cached) and cached access. */
async function engineLoop(label: string, asIssuer: string, url: string, client: { clientId: string; clientSecret: string }, idToken: string) {
  const store = new MemoryStore();
  const agent = createAgent({
    store,
    trust: { authorizationServers: [{ issuer: asIssuer }] },
    defaultClient: client,
    party: 'alice',
    claims: { claimTokenFor: async () => ({ claim_token: idToken, claim_token_format: ID_TOKEN_FORMAT, identity: 'alice' }) },
  });
  const key = storeKeys.rpt(asIssuer, new URL(url).origin, 'alice');
  const full: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < 5; i++) await agent.fetch(url); // warm
  let failures = 0;
  for (let i = 0; i < LOOP_ROUNDS; i++) {
    await store.delete('rpt', key);
    let t0 = performance.now();
    const a = await agent.fetch(url);
    full.push(performance.now() - t0);
    t0 = performance.now();
    const b = await agent.fetch(url);
    cached.push(performance.now() - t0);
    if (a.outcome !== 'granted' || b.outcome !== 'granted' || b.steps.length !== 1) failures++;
  }
  full.sort((x, y) => x - y);
  cached.sort((x, y) => x - y);
  return { phase: `${label}: Tessera engine`, 'full loop p50 ms': +pct(full, 0.5).toFixed(1), 'full loop p99 ms': +pct(full, 0.99).toFixed(1), 'cached p50 ms': +pct(cached, 0.5).toFixed(1), 'cached p99 ms': +pct(cached, 0.99).toFixed(1), failures };
}

async function startDemoChild(): Promise<{ child: ChildProcess; ports: [number, number, number] }> {
  const ports: [number, number, number] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/cli.ts', '--memory', '--idp-port', String(ports[0]), '--as-port', String(ports[1]), '--rs-port', String(ports[2]), '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('running')) resolve(); });
    child.on('exit', (code) => reject(new Error(`demo exited ${code}`)));
  });
  return { child, ports };
}

export default async function bench(): Promise<BenchReport> {
  const name = 'real Keycloak vs demo AS — UMA grants (50 concurrent clients) and Tessera loop';
  try {
    await ensureKeycloak({ log: (line) => process.stderr.write(`${line}\n`) });
  } catch (error) {
    if (!(error instanceof KeycloakUnavailable)) throw error;
    process.stdout.write(`skipped: the Keycloak benchmark needs a JDK and Maven (${error.message})\n`);
    return { name, rows: [], targets: [{ name: 'Keycloak benchmark ran', ok: false, detail: `skipped: ${error.message}` }] };
  }
  let kc: KeycloakDemoHandle | undefined;
  let demo: { child: ChildProcess; ports: [number, number, number] } | undefined;
  try {
    kc = await startKeycloakDemo({ log: (line) => process.stderr.write(`${line}\n`) });
    const handle = kc.keycloak;
    const rssStart = handle?.rssKb();
    demo = await startDemoChild();
    const [idp, as, rs] = demo.ports.map((p) => `http://127.0.0.1:${p}`) as [string, string, string];
    const demoConfig = { idp: { issuer: idp, tesseraClient: { client_id: 'tessera', redirect_uri: '' } }, as: { issuer: as, dashboardUrl: '', tesseraClient: { client_id: 'tessera', client_secret: '', token_endpoint_auth_method: 'client_secret_basic', claims_redirect_uris: [] } }, rs: { url: rs, resources: [] }, users: USERS } satisfies DemoConfig;
    const demoIdToken = String((await signIn(demoConfig, 'alice')).id_token);
    const demoResources = (await (await fetch(`${rs}/`)).json()) as { resources: { id: string; name: string; url: string }[] };
    const demoRx = demoResources.resources.find((r) => r.name === 'prescriptions');
    const kcIdToken = (await keycloakSignIn(kc.config.keycloak.issuer, 'alice', 'tessera')).idToken;
    const kcRx = kc.config.rs.resources.find((r) => r.name === 'prescriptions');
    if (!demoRx || !kcRx) throw new Error('no prescriptions resource');
    const kcPort = Number(new URL(kc.config.keycloak.url).port);

    // Keycloak first while the box is otherwise as quiet as it gets; its JIT needs more warm-up rounds.
    const keycloakRow = await grantLoad({
      label: `Keycloak ${kc.config.keycloak.version}`, port: kcPort,
      tokenPath: '/realms/kate/protocol/openid-connect/token', permissionPath: '/realms/kate/authz/protection/permission',
      pat: { basic: basic(KEYCLOAK_CLIENTS.rs.client_id, KEYCLOAK_CLIENTS.rs.client_secret), body: 'grant_type=client_credentials' },
      tessera: basic(KEYCLOAK_CLIENTS.tessera.client_id, KEYCLOAK_CLIENTS.tessera.client_secret), idToken: kcIdToken, resourceId: kcRx.id,
    }, 4000, 20);
    const rssAfter = handle?.rssKb();
    const demoRow = await grantLoad({
      label: 'demo AS', port: demo.ports[1],
      tokenPath: '/token', permissionPath: '/uma/permission',
      pat: { basic: basic('health-records-rs', 'health-records-rs-demo-secret'), body: 'grant_type=client_credentials&scope=uma_protection' },
      tessera: basic('tessera', 'tessera-demo-secret'), idToken: demoIdToken, resourceId: demoRx.id,
    }, 13_000, 4);
    const kcLoop = await engineLoop(`Keycloak ${kc.config.keycloak.version}`, kc.config.keycloak.issuer, kcRx.url, { clientId: KEYCLOAK_CLIENTS.tessera.client_id, clientSecret: KEYCLOAK_CLIENTS.tessera.client_secret }, kcIdToken);
    const demoLoop = await engineLoop('demo AS', as, demoRx.url, { clientId: 'tessera', clientSecret: 'tessera-demo-secret' }, demoIdToken);
    const ratio = demoRow['per second'] / Math.max(1, keycloakRow['per second']);
    const mb = (kb: number | undefined) => (kb ? Math.round(kb / 1024) : NaN);
    return {
      name,
      rows: [keycloakRow, demoRow, kcLoop, demoLoop, { phase: `Keycloak ${kc.config.keycloak.version} on JDK ${kc.config.keycloak.jdk ?? '?'}`, 'start-up ms': kc.config.keycloak.startupMs ?? NaN, 'RSS MB after start': mb(rssStart), 'RSS MB after load': mb(rssAfter) }],
      targets: [
        { name: 'both ASes answer every grant', ok: keycloakRow.errors === 0 && demoRow.errors === 0 && kcLoop.failures === 0 && demoLoop.failures === 0, detail: `errors: Keycloak ${keycloakRow.errors}, demo ${demoRow.errors}; engine failures: ${kcLoop.failures}, ${demoLoop.failures}` },
        { name: 'demo AS vs Keycloak (grants/s, same generator)', ok: true, detail: `demo ${demoRow['per second']}/s (p50 ${demoRow['p50 ms']} ms, p99 ${demoRow['p99 ms']} ms) vs Keycloak ${keycloakRow['per second']}/s (p50 ${keycloakRow['p50 ms']} ms, p99 ${keycloakRow['p99 ms']} ms): ratio ${ratio.toFixed(2)}×` },
      ],
    };
  } finally {
    demo?.child.kill('SIGTERM');
    await kc?.close();
  }
}
