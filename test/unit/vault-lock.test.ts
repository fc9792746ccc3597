/**
 * The vault lock's rules on a real file system (issue 12, items 1 and 13): a lock left without owner
 * info costs a short grace, not 5 s; a holder releases only its own lock; dead holders and dead
 * claimants are taken over by the claim protocol. Clocks are injected where time matters.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withFileLock, type LockEvent } from '../../src/vault/files';
import { VaultError } from '../../src/vault';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function lockPath() {
  const d = await mkdtemp(join(tmpdir(), 'tessera-lock-'));
  dirs.push(d);
  return { dir: d, lock: join(d, 'vault.lock') };
}
/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}
const owner = (pid: number, token: string) => JSON.stringify({ v: 1, token, pid, host: hostname() });
const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('vault lock', () => {
  it('a lock left with no owner info (writer killed between create and write) is taken over after a short grace, not 5 s', async () => {
    const { lock } = await lockPath();
    // The state the previous lock left when its writer died between O_EXCL create and writing the pid.
    await writeFile(lock, '');
    const twoSecondsAgo = new Date(Date.now() - 2_000);
    await utimes(lock, twoSecondsAgo, twoSecondsAgo);
    // Well within the old 5 s path: the old lock times out here, the new one takes over at once.
    await expect(withFileLock(lock, async () => 'ran', 1_500)).resolves.toBe('ran');
  });

  it('an owner-less lock is left alone during the grace and taken over as soon as it passes (injected clock)', async () => {
    const { dir, lock } = await lockPath();
    // A slot whose owner info is unreadable: Tessera never makes one (the owner is written before the
    // slot appears), a foreign tool or a crashed file system might. (An *empty* directory is simply
    // replaced by the atomic rename on POSIX.)
    await mkdir(lock);
    await writeFile(join(lock, 'owner'), '');
    await utimes(lock, new Date(), new Date());
    let clock = (await stat(lock)).mtimeMs;
    const events: LockEvent[] = [];
    const waited = deferred();
    let ran = false;
    const p = withFileLock(
      lock,
      async () => {
        ran = true;
      },
      {
        now: () => clock,
        incompleteGraceMs: 1_000,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'waiting' && e.attempts === 5) waited.resolve();
        },
      },
    );
    await waited.promise;
    expect(ran).toBe(false);
    expect(events.some((e) => e.type === 'takeover')).toBe(false);
    clock += 1_001;
    await p;
    expect(ran).toBe(true);
    const takeover = events.find((e) => e.type === 'takeover');
    expect(takeover).toEqual({ type: 'takeover', reason: 'incomplete' });
    expect(events.at(-1)).toEqual({ type: 'released' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a holder releases only its own lock, never the one that replaced it', async () => {
    const { dir, lock } = await lockPath();
    const inA = deferred();
    const endA = deferred();
    const a = withFileLock(lock, async () => {
      inA.resolve();
      await endA.promise;
    });
    await inA.promise;
    // A's lock disappears from under it (moved away); B takes the free lock and holds it.
    await rename(lock, join(dir, 'moved-away'));
    const inB = deferred();
    const endB = deferred();
    const b = withFileLock(lock, async () => {
      inB.resolve();
      await endB.promise;
    });
    await inB.promise;
    endA.resolve();
    await a;
    // B must still hold the lock: a third contender times out instead of getting in.
    const err = await withFileLock(lock, async () => 'got in', 300).then(
      (v) => v,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).code).toBe('locked');
    endB.resolve();
    await b;
    await expect(withFileLock(lock, async () => 'after B', 1_000)).resolves.toBe('after B');
  });

  it('takes over a dead holder at the first attempt, and breaks a claim whose claimant died too', async () => {
    const { dir, lock } = await lockPath();
    const [holder, claimant] = [await deadPid(), await deadPid()];
    const holderToken = `${holder}-00000000000000aa`;
    await mkdir(lock);
    await writeFile(join(lock, 'owner'), owner(holder, holderToken));
    // A contender that died while holding the claim to take over `holder`'s lock.
    const claim = `${lock}.break-${holderToken}`;
    await mkdir(claim);
    await writeFile(join(claim, 'owner'), owner(claimant, `${claimant}-00000000000000bb`));
    // Leftovers of killed contenders: a prepared slot never renamed into place, a half-removed one.
    await mkdir(`${lock}.${claimant}-00000000000000cc.prep`);
    await mkdir(`${lock}.${claimant}-00000000000000dd.gone`);
    const events: LockEvent[] = [];
    await expect(withFileLock(lock, async () => 'ran', { onEvent: (e) => events.push(e) })).resolves.toBe('ran');
    expect(events).toEqual([{ type: 'takeover', reason: 'dead', holderPid: holder }, { type: 'acquired', attempts: 1 }, { type: 'released' }]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a lock with this process\'s pid but a token it never made is a leftover of an earlier process (pid reuse)', async () => {
    const { lock } = await lockPath();
    await mkdir(lock);
    await writeFile(join(lock, 'owner'), owner(process.pid, `${process.pid}-00000000000000ee`));
    const events: LockEvent[] = [];
    await withFileLock(lock, async () => undefined, { onEvent: (e) => events.push(e) });
    expect(events[0]).toEqual({ type: 'takeover', reason: 'dead', holderPid: process.pid });
  });

  it('a lock from another host name is respected until it is foreignStaleMs old (injected clock)', async () => {
    const { lock } = await lockPath();
    await mkdir(lock);
    // A pid that is dead here says nothing about a process on another machine.
    const pid = await deadPid();
    await writeFile(join(lock, 'owner'), JSON.stringify({ v: 1, token: `${pid}-00000000000000ff`, pid, host: `not-${hostname()}` }));
    const mtime = (await stat(lock)).mtimeMs;
    const err = await withFileLock(lock, async () => 'in', { now: () => mtime + 59_000, timeoutMs: 0 }).then(
      (v) => v,
      (e: unknown) => e,
    );
    expect((err as VaultError).code).toBe('locked');
    const events: LockEvent[] = [];
    await expect(withFileLock(lock, async () => 'in', { now: () => mtime + 61_000, onEvent: (e) => events.push(e) })).resolves.toBe('in');
    expect(events[0]).toEqual({ type: 'takeover', reason: 'dead', holderPid: pid });
  });

  it('a legacy lock file naming a dead pid is taken over at once', async () => {
    const { dir, lock } = await lockPath();
    const pid = await deadPid();
    await writeFile(lock, `${pid}\n`);
    const events: LockEvent[] = [];
    await withFileLock(lock, async () => undefined, { onEvent: (e) => events.push(e) });
    expect(events.slice(0, 2)).toEqual([{ type: 'takeover', reason: 'dead', holderPid: pid }, { type: 'acquired', attempts: 1 }]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('many contenders in one process get the lock one at a time', async () => {
    const { lock } = await lockPath();
    let inside = 0;
    let max = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          inside++;
          max = Math.max(max, inside);
          await new Promise((r) => setTimeout(r, 1));
          inside--;
          done++;
        }),
      ),
    );
    expect({ max, done }).toEqual({ max: 1, done: 20 });
  });
});
