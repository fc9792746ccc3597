/**
 * A cross-process exclusive lock built from atomic file-system operations only (no native modules,
 * no flock), for Linux, macOS and Windows, on local and network file systems.
 *
 * The lock at `path` is a *slot*: a directory that contains an `owner` file naming its holder
 * (pid, host and a random token). The three rules that make it safe:
 *
 * 1. **Creation is atomic with its owner info.** A contender builds `path.<token>.prep/owner` first
 *    and then renames that directory to `path`; the rename fails if `path` exists. So a slot never
 *    exists without its owner, and a writer killed at any step leaves either no lock or a complete
 *    one (a stray `.prep` directory is swept later). This is what `proper-lockfile`'s `mkdir` lock
 *    cannot do: its directory carries no owner, so it must wait for an mtime threshold.
 * 2. **Only the owner releases, and only its own slot.** Release reads the owner file and renames the
 *    slot away only if it still carries the releaser's token.
 * 3. **Taking over a stale slot needs a claim that names it.** A slot whose holder is dead (same host,
 *    pid gone) is removed only by the contender that first creates the claim slot
 *    `path.break-<token of the dead holder>` (itself a slot, made by rule 1). Under the claim it
 *    re-reads the lock and removes it only if it still carries that dead token; since the dead holder
 *    cannot release and no one else holds the claim, nothing can change the lock between that check
 *    and the removal. Then it competes for the lock like everyone else. `proper-lockfile` (and the
 *    previous Tessera lock) remove a stale lock with a plain `rmdir`/`unlink`, so a second contender
 *    that judged the same lock stale deletes the first one's fresh lock: two holders.
 *
 * A claim whose own holder died is broken the same way (a claim on the claim). A slot without a
 * readable owner (only a foreign or legacy file, or a crash of the file system itself) is treated as
 * abandoned after a short grace measured by its mtime, again under a claim that names its inode and
 * mtime.
 *
 * Liveness is judged by pid on the same host; a lock from another host name (a shared home, or a
 * renamed machine) is taken over only when its mtime is older than `foreignStaleMs`. A pid equal to ours is alive only if this process created that
 * token (a leftover from an earlier process that had the same pid, e.g. in a container, is stale).
 *
 * @see https://github.com/moxystudio/node-proper-lockfile (mkdir + mtime design, compared above)
 * @see https://pubs.opengroup.org/onlinepubs/9799919799/functions/rename.html (rename onto a non-empty directory fails)
 */
import { hostname } from 'node:os';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { VaultError } from './errors';

const OWNER = 'owner';
const TOKEN = /^\d+-[0-9a-f]{16}$/;
const ownerSchema = z.object({
  v: z.literal(1),
  token: z.string().regex(TOKEN),
  pid: z.number().int().positive(),
  host: z.string().max(512),
});
type Owner = z.infer<typeof ownerSchema>;

/** What a contender saw at a slot path. */
type Observed =
  | { state: 'absent' }
  | { state: 'owned'; owner: Owner; ageMs: number }
  | { state: 'incomplete'; id: string; ageMs: number };

/** Things the lock did, for diagnostics and tests (no secrets in here). */
export type LockEvent =
  | { type: 'acquired'; attempts: number }
  | { type: 'waiting'; attempts: number; holderPid?: number }
  | { type: 'takeover'; reason: 'dead' | 'incomplete'; holderPid?: number }
  | { type: 'released' }
  | { type: 'not-ours' };

export interface FileLockOptions {
  /** Give up with a `locked` {@link VaultError} after this long (default 15 s). */
  timeoutMs?: number;
  /**
   * A slot without a readable owner counts as abandoned once its mtime is this old (default 1 s).
   * Tessera itself never leaves such a slot (rule 1); this covers foreign and legacy lock files.
   */
  incompleteGraceMs?: number;
  /**
   * A lock held from another host name is taken over only once its mtime is this old (default 60 s):
   * its pid cannot be checked here, and a host name can change under a running machine (macOS does).
   */
  foreignStaleMs?: number;
  /**
   * What the lock guards, in words for its timeout (default `the vault`): config.json has a lock of
   * its own, and a person told "the vault is locked" would look for the wrong process and file.
   */
  guards?: string;
  /** Clock for the grace above and the timeout (tests inject one). */
  now?: () => number;
  onEvent?: (event: LockEvent) => void;
}

/** Tokens of slots this process currently holds: a slot with our pid but another token is a leftover. */
const liveTokens = new Set<string>();
const myHost = hostname();

function newToken(): string {
  return `${process.pid}-${randomBytes(8).toString('hex')}`;
}

/** Whether a process with this pid exists on this machine (EPERM: it exists, under another user). The one copy. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isDead(owner: Owner): boolean {
  if (owner.pid === process.pid) return !liveTokens.has(owner.token);
  return !pidAlive(owner.pid);
}

const code = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;
/** Errors of rename(dir, path) that mean "path is taken" (POSIX: EEXIST/ENOTEMPTY, a file: ENOTDIR; Windows: EPERM). */
const TAKEN = new Set(['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EPERM', 'EACCES', 'EBUSY']);
/** Transient on Windows while another process has a file inside open. */
const BUSY = new Set(['EPERM', 'EACCES', 'EBUSY']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Slots {
  readonly dir: string;
  readonly base: string;
  readonly grace: number;
  readonly foreignStale: number;
  readonly now: () => number;
  readonly emit: (e: LockEvent) => void;
  lastHolderPid: number | undefined;

  constructor(
    readonly lockPath: string,
    options: FileLockOptions,
  ) {
    this.dir = dirname(lockPath);
    this.base = basename(lockPath);
    this.grace = options.incompleteGraceMs ?? 1_000;
    this.foreignStale = options.foreignStaleMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.emit = options.onEvent ?? (() => undefined);
  }

  claimPath(key: string) {
    return `${this.lockPath}.break-${key}`;
  }

  async observe(slot: string): Promise<Observed> {
    let s;
    try {
      s = await lstat(slot, { bigint: true });
    } catch (err) {
      if (code(err) === 'ENOENT') return { state: 'absent' };
      throw err;
    }
    const ageMs = this.now() - Number(s.mtimeMs);
    const incomplete = (): Observed => ({ state: 'incomplete', id: `${s.ino}-${s.mtimeNs}`, ageMs });
    if (!s.isDirectory()) {
      // Legacy lock file (`<pid>\n`, created with O_EXCL by earlier Tessera versions) or something foreign.
      const pid = Number.parseInt((await readFile(slot, 'utf8').catch(() => '')).trim(), 10);
      if (Number.isInteger(pid) && pid > 0) return { state: 'owned', owner: { v: 1, token: `legacy-${s.ino}-${s.mtimeNs}`, pid, host: myHost }, ageMs };
      return incomplete();
    }
    let raw: string;
    try {
      raw = await readFile(join(slot, OWNER), 'utf8');
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') {
        // Gone meanwhile, or a directory without owner (never made by this code).
        const again = await lstat(slot, { bigint: true }).catch(() => undefined);
        return again ? incomplete() : { state: 'absent' };
      }
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return incomplete();
    }
    const parsed = ownerSchema.safeParse(json);
    return parsed.success ? { state: 'owned', owner: parsed.data, ageMs } : incomplete();
  }

  stale(o: Observed): boolean {
    if (o.state === 'owned') return o.owner.host === myHost ? isDead(o.owner) : o.ageMs > this.foreignStale;
    return o.state === 'incomplete' && o.ageMs > this.grace;
  }

  /** Rule 1: prepare `slot.<token>.prep/owner`, then rename it to `slot`. Returns our token, or undefined if taken. */
  async create(slot: string): Promise<string | undefined> {
    const token = newToken();
    const prep = `${slot}.${token}.prep`;
    await mkdir(prep, { mode: 0o700 });
    const owner: Owner = { v: 1, token, pid: process.pid, host: myHost };
    liveTokens.add(token);
    try {
      await writeFile(join(prep, OWNER), JSON.stringify(owner), { mode: 0o600 });
      await rename(prep, slot);
      return token;
    } catch (err) {
      liveTokens.delete(token);
      await rm(prep, { recursive: true, force: true }).catch(() => undefined);
      if (TAKEN.has(code(err) ?? '')) return undefined;
      throw err;
    }
  }

  /** Renames `slot` to a unique `.gone` name and deletes it. The caller has checked it may. */
  async remove(slot: string): Promise<void> {
    const gone = `${this.lockPath}.${newToken()}.gone`;
    for (let i = 0; ; i++) {
      try {
        await rename(slot, gone);
        break;
      } catch (err) {
        if (code(err) === 'ENOENT') return;
        if (!BUSY.has(code(err) ?? '') || i >= 20) throw err;
        await sleep(5 + i * 5);
      }
    }
    await rm(gone, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Rule 2: removes `slot` only while it carries `token`. */
  async release(slot: string, token: string): Promise<boolean> {
    try {
      const o = await this.observe(slot);
      if (o.state !== 'owned' || o.owner.token !== token) return false;
      await this.remove(slot);
      return true;
    } finally {
      liveTokens.delete(token);
    }
  }

  /** Rule 3: removes the stale slot `slot` seen as `seen`, under the claim naming it. True if we removed it. */
  async break(slot: string, seen: Observed, depth: number): Promise<boolean> {
    if (seen.state === 'absent') return false;
    const key = seen.state === 'owned' ? seen.owner.token : `x${seen.id}`;
    const claim = this.claimPath(key);
    const claimToken = await this.take(claim, depth + 1);
    if (claimToken === undefined) return false;
    try {
      const now = await this.observe(slot);
      const same =
        (now.state === 'owned' && seen.state === 'owned' && now.owner.token === seen.owner.token) ||
        (now.state === 'incomplete' && seen.state === 'incomplete' && now.id === seen.id);
      if (!same) return false;
      await this.remove(slot);
      return true;
    } finally {
      await this.release(claim, claimToken).catch(() => undefined);
    }
  }

  /** One attempt at `slot`: create it, or take over a stale one. Never waits. */
  async take(slot: string, depth: number): Promise<string | undefined> {
    const token = await this.create(slot);
    if (token !== undefined) return token;
    const seen = await this.observe(slot);
    if (seen.state === 'absent') return this.create(slot);
    if (seen.state === 'owned') this.lastHolderPid = seen.owner.pid;
    if (!this.stale(seen) || depth > 4) return undefined;
    if (!(await this.break(slot, seen, depth))) return undefined;
    if (depth === 0) this.emit({ type: 'takeover', reason: seen.state === 'owned' ? 'dead' : 'incomplete', ...(seen.state === 'owned' ? { holderPid: seen.owner.pid } : {}) });
    return this.create(slot);
  }

  /** Removes what killed contenders left: `.gone` and dead `.prep` directories, dead claims (by rule 3). */
  async sweep(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const prefix = `${this.base}.`;
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const full = join(this.dir, name);
      const m = /\.(\d+)-[0-9a-f]{16}\.(prep|gone)$/.exec(name);
      if (m) {
        const pid = Number(m[1]);
        if (m[2] === 'gone' || (pid !== process.pid && !pidAlive(pid))) await rm(full, { recursive: true, force: true }).catch(() => undefined);
        continue;
      }
      if (name.startsWith(`${this.base}.break-`)) {
        const seen = await this.observe(full).catch(() => ({ state: 'absent' }) as Observed);
        if (this.stale(seen)) await this.break(full, seen, 1).catch(() => undefined);
      }
    }
  }
}

/**
 * Runs `fn` while holding the cross-process lock at `lockPath` (see the module comment for the
 * design). Same-process callers need not serialize themselves: every acquisition has its own token.
 * A holder that was killed is taken over at once by exactly one waiter; a lock held by a live process
 * makes waiters retry with backoff until `timeoutMs`, then throw a `locked` {@link VaultError}.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: number | FileLockOptions = {}): Promise<T> {
  const opts: FileLockOptions = typeof options === 'number' ? { timeoutMs: options } : options;
  const slots = new Slots(lockPath, opts);
  const deadline = slots.now() + (opts.timeoutMs ?? 15_000);
  let delay = 2;
  let attempts = 0;
  let token: string | undefined;
  for (;;) {
    attempts++;
    token = await slots.take(lockPath, 0);
    if (token !== undefined) break;
    if (slots.now() >= deadline) {
      const pid = slots.lastHolderPid;
      const guards = opts.guards ?? 'the vault';
      throw new VaultError(
        'locked',
        `${guards.charAt(0).toUpperCase()}${guards.slice(1)} is locked by another process`,
        `Another Tessera process (pid ${pid ?? '?'}) is holding the lock on ${guards}. Close it; if that process no longer exists on this machine, delete ${lockPath}.`,
        lockPath,
      );
    }
    slots.emit({ type: 'waiting', attempts, ...(slots.lastHolderPid !== undefined ? { holderPid: slots.lastHolderPid } : {}) });
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
  slots.emit({ type: 'acquired', attempts });
  try {
    await slots.sweep().catch(() => undefined);
    return await fn();
  } finally {
    const mine = await slots.release(lockPath, token).catch(() => false);
    slots.emit(mine ? { type: 'released' } : { type: 'not-ours' });
  }
}
