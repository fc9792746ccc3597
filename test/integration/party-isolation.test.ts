/**
 * Tokens belong to a requesting party (UMA Grant §1.3, §3.3.1): against the demo's real IdP, AS and
 * RS, one store shared by several people never lets one person's RPT, PCT or claims be sent while
 * acting for another — sequentially, concurrently, through the CLI, and for records written before
 * tokens were bound to a party.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { startDemo, type DemoHandle } from '../../src/demo';
import { MemoryStore } from '../../packages/uma/src/kernel/store';
import { createAgent } from '../../packages/uma/src/uma/agent';
import { ID_TOKEN_FORMAT, type ClaimsSource } from '../../packages/uma/src/uma/ports';
import { openVault } from '../../src/vault';
import { signIn } from '../fixtures/demo-people';

let demo: DemoHandle;
const tokens: Record<string, string> = {};
const dirs: string[] = [];
beforeAll(async () => {
  demo = await startDemo({ memory: true, ports: { idp: 0, as: 0, rs: 0 }, pollInterval: 1, introspectionCacheMs: 0 });
  for (const who of ['alice', 'mallory', 'sam', 'insurer']) tokens[who] = String((await signIn(demo.config, who)).id_token);
});
afterAll(async () => {
  await demo.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const url = (name: string) => demo.config.rs.resources.find((r) => r.name === name)?.url ?? '';
const party = (who: string) => `${demo.config.idp.issuer}#${who}`;

/** Hands out each person's own ID token, and records which tokens were asked for and for whom. */
function claimsOfEveryone(asked: string[]): ClaimsSource {
  return {
    claimTokenFor: async ({ party: p }) => {
      const who = Object.keys(tokens).find((w) => party(w) === p);
      asked.push(p);
      return who ? { claim_token: tokens[who]!, claim_token_format: ID_TOKEN_FORMAT, identity: party(who) } : undefined;
    },
  };
}

function agentOn(store: MemoryStore, asked: string[] = []) {
  return createAgent({
    store,
    trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] },
    defaultClient: { clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret },
    claims: claimsOfEveryone(asked),
  });
}

/** The Authorization header each RS request of a flow carried (as the transcript's fingerprint). */
const rsAuth = (steps: { kind: string; request: { headers: Record<string, string> } }[]) => steps.filter((s) => s.kind === 'resource').map((s) => s.request.headers.authorization ?? null);

describe('one store, several people', () => {
  it("Alice's RPT is never presented when acting as Mallory or as nobody; switching back reuses it", async () => {
    const store = new MemoryStore();
    const agent = agentOn(store);
    const alice = await agent.fetch(url('prescriptions'), { party: party('alice') });
    expect(alice).toMatchObject({ outcome: 'granted', access: 'issued', party: party('alice') });
    const aliceRpt = (await store.list('rpt'))[0]?.fingerprint;

    const mallory = await agent.fetch(url('prescriptions'), { party: party('mallory') });
    expect(mallory.outcome).toBe('denied');
    expect(mallory.body).not.toContain('prescriptions"');
    expect(rsAuth(mallory.steps)).toEqual([null]);

    const nobody = await agent.fetch(url('prescriptions'), { party: 'nobody' });
    expect(nobody.outcome).not.toBe('granted');
    expect(rsAuth(nobody.steps)).toEqual([null]);

    const again = await agent.fetch(url('prescriptions'), { party: party('alice') });
    expect(again).toMatchObject({ outcome: 'granted', access: 'held' });
    expect(again.steps.map((s) => s.kind)).toEqual(['resource']);
    expect(again.steps[0]?.tokens?.map((t) => t.fingerprint)).toContain(aliceRpt);
  });

  it('concurrent fetches for Alice and Mallory keep their tokens apart (single-flight per party)', async () => {
    const store = new MemoryStore();
    const agent = agentOn(store);
    const runs = await Promise.all([
      ...Array.from({ length: 4 }, () => agent.fetch(url('prescriptions'), { party: party('alice') })),
      ...Array.from({ length: 4 }, () => agent.fetch(url('prescriptions'), { party: party('mallory') })),
    ]);
    expect(runs.slice(0, 4).map((r) => r.outcome)).toEqual(['granted', 'granted', 'granted', 'granted']);
    expect(runs.slice(4).map((r) => r.outcome)).toEqual(['denied', 'denied', 'denied', 'denied']);
    for (const r of runs.slice(4)) expect(rsAuth(r.steps).every((a) => a === null)).toBe(true);
    const rpts = await store.list('rpt');
    expect(rpts.map((m) => m.identity)).toEqual([party('alice')]);
  });

  it("acting as Sam pushes Sam's ID token although the insurer's PCT is held; a PCT is only sent for its own party", async () => {
    const store = new MemoryStore();
    const asked: string[] = [];
    const agent = agentOn(store, asked);
    expect((await agent.fetch(url('bills'), { party: party('insurer') })).outcome).toBe('granted');
    const pcts = await store.list('pct');
    expect(pcts.map((m) => m.identity)).toEqual([party('insurer')]);
    const sam = await agent.fetch(url('prescriptions'), { party: party('sam') });
    expect(sam.outcome).toBe('granted');
    const token = sam.steps.find((s) => s.kind === 'token');
    const sent = new URLSearchParams(token?.request.body ?? '');
    expect(sent.has('pct')).toBe(false); // the insurer's PCT stayed home
    expect(token?.tokens?.some((t) => t.jwt?.claims.sub === 'sam')).toBe(true);
    expect(token?.tokens?.some((t) => t.jwt?.claims.sub === 'insurer')).toBe(false);
    expect(new Set(asked)).toEqual(new Set([party('insurer'), party('sam')]));
  });

  it('records written before tokens were bound to a party are kept and listed, never presented', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-migrate-'));
    dirs.push(home);
    // Today's format of the previous release: RPT keyed by (AS, RS origin), PCT keyed by a label.
    const seed = createAgent({ store: new MemoryStore(), trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] }, defaultClient: { clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret }, claims: claimsOfEveryone([]) });
    const granted = await seed.fetch(url('prescriptions'), { party: party('alice') });
    expect(granted.outcome).toBe('granted');
    const rawRpt = granted.steps.find((s) => s.kind === 'resource' && s.status === 200)?.tokens?.[0]?.fingerprint;
    const vault = await openVault({ home, passphrase: 'migrate-pass', backends: ['passphrase'], scryptCost: { N: 1024, r: 8, p: 1 } });
    const held = (await seed.rpts.held(new URL(url('prescriptions')).origin, party('alice'), () => true))[0]!;
    await vault.put('rpt', `${demo.config.as.issuer} ${new URL(url('prescriptions')).origin}`, held.value, { issuer: demo.config.as.issuer, rsOrigin: new URL(url('prescriptions')).origin, fingerprint: rawRpt ?? 'fp' });
    await vault.put('pct', `${demo.config.as.issuer} default tessera`, { pct: 'old-pct' }, { issuer: demo.config.as.issuer, identity: 'default', clientId: 'tessera' });
    const agent = createAgent({ store: vault, trust: { authorizationServers: [{ issuer: demo.config.as.issuer }] }, defaultClient: { clientId: demo.config.as.tesseraClient.client_id, clientSecret: demo.config.as.tesseraClient.client_secret }, claims: claimsOfEveryone([]) });
    const mallory = await agent.fetch(url('prescriptions'), { party: party('mallory') });
    expect(mallory.outcome).toBe('denied');
    expect(rsAuth(mallory.steps)).toEqual([null]);
    const nobody = await agent.fetch(url('prescriptions'));
    expect(rsAuth(nobody.steps)).toEqual([null]);
    const token = mallory.steps.find((s) => s.kind === 'token');
    expect(new URLSearchParams(token?.request.body ?? '').has('pct')).toBe(false);
    // Nothing was lost: the old records are still there, listed with no party.
    const listed = await agent.tokens();
    expect(listed.find((m) => m.key === `${demo.config.as.issuer} ${new URL(url('prescriptions')).origin}`)?.identity).toBeUndefined();
    expect(listed.some((m) => m.kind === 'pct' && m.identity === 'default')).toBe(true);
    await vault.close();
  });
});

describe('tessera fetch with two people’s claim tokens on one TESSERA_HOME', () => {
  it("Alice's token, then Mallory's: Mallory is denied and gets no RS data", async () => {
    const home = await mkdtemp(join(tmpdir(), 'tessera-two-'));
    dirs.push(home);
    await writeFile(join(home, 'alice.jwt'), tokens.alice!);
    await writeFile(join(home, 'mallory.jwt'), tokens.mallory!);
    const run = async (args: string[]) => {
      let stdout = '';
      const code = await main(args, { env: { TESSERA_HOME: home, TESSERA_PASSPHRASE: 'two-people', TESSERA_VAULT_BACKENDS: 'passphrase' }, stdout: (t) => void (stdout += t), stderr: () => {} });
      return { code, json: JSON.parse(stdout) as { outcome: string; body: string | null; party: string; steps: { kind: string; request: { headers: Record<string, string> } }[] } };
    };
    const creds = ['--trust', demo.config.as.issuer, '--client-id', demo.config.as.tesseraClient.client_id, '--client-secret', demo.config.as.tesseraClient.client_secret, '--json', '--no-interaction'];
    const a = await run(['fetch', url('prescriptions'), '--claim-token', join(home, 'alice.jwt'), ...creds]);
    expect(a.code).toBe(0);
    expect(a.json.party).toBe(party('alice'));
    const m = await run(['fetch', url('prescriptions'), '--claim-token', join(home, 'mallory.jwt'), ...creds]);
    expect(m.json.outcome).toBe('denied');
    expect(m.code).toBe(2);
    expect(m.json.party).toBe(party('mallory'));
    expect(m.json.body ?? '').not.toContain('prescriptions"');
    expect(rsAuth(m.json.steps)).toEqual([null]);
    // Alice again: her RPT from the vault is used, no new grant.
    const again = await run(['fetch', url('prescriptions'), '--claim-token', join(home, 'alice.jwt'), ...creds]);
    expect(again.json.outcome).toBe('granted');
    expect(again.json.steps.map((s) => s.kind)).toEqual(['resource']);
  });
});
