/**
 * Getting a real Keycloak server distribution: resolved with Maven from Maven Central only
 * (`org.keycloak:keycloak-quarkus-dist:VERSION:tar.gz`), verified against a pinned SHA-1 (and the
 * `.sha1` Maven fetched into ~/.m2), unpacked into an ignored cache folder and reused from there.
 * `KEYCLOAK_HOME` points at an existing unpacked server instead. The JDK is picked by version.
 *
 * @see https://www.keycloak.org/server/configuration
 * @see https://maven.apache.org/plugins/maven-dependency-plugin/copy-mojo.html
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned Keycloak version and the SHA-1 Maven Central publishes for its tar.gz. */
export const KEYCLOAK_VERSION = '26.7.3';
export const KEYCLOAK_DIST_SHA1 = '4ff244668809213a1c91ad2505390287203029d0';
const ARTIFACT = `org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:tar.gz`;
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy';

/**
 * Repository root (this file is src/demo/keycloak/dist.ts). In the Electron main bundle (CommonJS)
 * `import.meta.url` is empty: there the app runs from the repository, so the working directory is it.
 */
export const REPO_ROOT = import.meta.url ? resolve(dirname(fileURLToPath(import.meta.url)), '../../..') : process.cwd();
/** Ignored cache folder (.gitignore: `.cache/`). `TESSERA_KEYCLOAK_CACHE` moves it (CI caches it). */
export function cacheDir(): string {
  return resolve(process.env.TESSERA_KEYCLOAK_CACHE ?? join(REPO_ROOT, '.cache', 'keycloak'));
}

export class KeycloakUnavailable extends Error {
  override name = 'KeycloakUnavailable';
}

export interface Jdk {
  home: string;
  java: string;
  /** Feature version (17, 21, 25…). */
  major: number;
}

export interface KeycloakDist {
  home: string;
  version: string;
  jdk: Jdk;
  /** Where the distribution came from. */
  source: 'KEYCLOAK_HOME' | 'cache' | 'maven';
}

function javaMajor(java: string): number | undefined {
  const r = spawnSync(java, ['-XshowSettings:properties', '-version'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) return undefined;
  const m = /java\.specification\.version = (\d+)/.exec(`${r.stderr}${r.stdout}`);
  return m ? Number(m[1]) : undefined;
}

function jdkAt(home: string): Jdk | undefined {
  const java = join(home, 'bin', 'java');
  if (!existsSync(java)) return undefined;
  const major = javaMajor(java);
  return major ? { home, java, major } : undefined;
}

/**
 * Picks the JDK for a Keycloak version: `KEYCLOAK_JAVA_HOME`, then `JAVA_HOME` when set; otherwise
 * the best installed one — 25 for Keycloak 26.6+ (officially supported since 26.6.0), then 21 (the
 * documented baseline of 26.x), then 17 (deprecated, still working) — from /usr/lib/jvm and `java`
 * on PATH.
 */
export function pickJdk(version = KEYCLOAK_VERSION): Jdk {
  for (const name of ['KEYCLOAK_JAVA_HOME', 'JAVA_HOME'] as const) {
    const home = process.env[name];
    if (!home) continue;
    const jdk = jdkAt(home);
    if (!jdk) throw new KeycloakUnavailable(`${name}=${home} has no working bin/java`);
    if (jdk.major < 17) throw new KeycloakUnavailable(`${name}=${home} is Java ${jdk.major}; Keycloak ${version} needs 17 or newer (21 or 25 preferred)`);
    return jdk;
  }
  const found: Jdk[] = [];
  const root = '/usr/lib/jvm';
  if (existsSync(root)) {
    for (const entry of readdirSync(root).sort()) {
      const jdk = jdkAt(join(root, entry));
      if (jdk && !found.some((f) => f.major === jdk.major)) found.push(jdk);
    }
  }
  const onPath = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) {
    const major = javaMajor(onPath);
    if (major && !found.some((f) => f.major === major)) found.push({ home: resolve(dirname(onPath), '..'), java: onPath, major });
  }
  const [maj, min] = version.split('.').map(Number) as [number, number];
  const preference = maj > 26 || (maj === 26 && min >= 6) ? [25, 21, 17] : [21, 17, 25];
  for (const want of preference) {
    const jdk = found.find((f) => f.major === want);
    if (jdk) return jdk;
  }
  throw new KeycloakUnavailable(found.length ? `no supported JDK (found Java ${found.map((f) => f.major).join(', ')}; need 25, 21 or 17)` : 'no JDK found (install OpenJDK 21 or 25, or set KEYCLOAK_JAVA_HOME)');
}

async function sha1(file: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new KeycloakUnavailable(`${cmd} is not installed (needed to ${what})`);
  if (r.status !== 0) throw new KeycloakUnavailable(`${what} failed (${cmd} exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
}

/** True when the server at `home` looks like an unpacked Keycloak distribution. */
function isKeycloakHome(home: string): boolean {
  return existsSync(join(home, 'bin', 'kc.sh')) && existsSync(join(home, 'lib'));
}

function versionAt(home: string): string {
  try {
    return /Version\s+(\S+)/.exec(readFileSync(join(home, 'version.txt'), 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Resolves (and if needed fetches) the Keycloak distribution. Never downloads from anywhere but
 * Maven (the repositories configured in the user's Maven settings, Maven Central by default).
 */
export async function ensureKeycloak(options: { log?: (line: string) => void; fetch?: boolean } = {}): Promise<KeycloakDist> {
  const log = options.log ?? (() => {});
  const override = process.env.KEYCLOAK_HOME;
  if (override) {
    const home = resolve(override);
    if (!isKeycloakHome(home)) throw new KeycloakUnavailable(`KEYCLOAK_HOME=${home} is not a Keycloak distribution (no bin/kc.sh)`);
    const version = versionAt(home);
    return { home, version, jdk: pickJdk(version), source: 'KEYCLOAK_HOME' };
  }
  const jdk = pickJdk(KEYCLOAK_VERSION);
  const cache = cacheDir();
  const home = join(cache, `keycloak-${KEYCLOAK_VERSION}`);
  if (isKeycloakHome(home) && versionAt(home) === KEYCLOAK_VERSION) return { home, version: KEYCLOAK_VERSION, jdk, source: 'cache' };
  if (options.fetch === false) throw new KeycloakUnavailable(`Keycloak ${KEYCLOAK_VERSION} is not in ${cache} (run npm run keycloak:fetch)`);

  mkdirSync(cache, { recursive: true });
  const archive = join(cache, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.tar.gz`);
  if (!existsSync(archive) || (await sha1(archive)) !== KEYCLOAK_DIST_SHA1) {
    log(`keycloak: resolving ${ARTIFACT} with Maven…`);
    // mvn itself runs on any JDK; give it the one we picked so a missing default `java` does not matter.
    process.env.JAVA_HOME ??= jdk.home;
    run('mvn', ['-B', '-q', DEPENDENCY_PLUGIN, `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${cache}`], `resolve ${ARTIFACT} with Maven`);
  }
  const actual = await sha1(archive);
  if (actual !== KEYCLOAK_DIST_SHA1) {
    rmSync(archive, { force: true });
    throw new KeycloakUnavailable(`${archive}: SHA-1 ${actual} does not match the pinned ${KEYCLOAK_DIST_SHA1}`);
  }
  // Maven also stores the checksum it fetched from the repository; compare when present.
  const m2 = join(process.env.MAVEN_REPO ?? join(homedir(), '.m2', 'repository'), 'org/keycloak/keycloak-quarkus-dist', KEYCLOAK_VERSION, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.tar.gz.sha1`);
  if (existsSync(m2)) {
    const published = readFileSync(m2, 'utf8').trim().split(/\s+/)[0];
    if (published !== KEYCLOAK_DIST_SHA1) throw new KeycloakUnavailable(`${m2} says ${published}, the pinned SHA-1 is ${KEYCLOAK_DIST_SHA1}`);
  }
  const listing = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (listing.status !== 0 || !listing.stdout.split('\n').includes(`keycloak-${KEYCLOAK_VERSION}/bin/kc.sh`)) {
    throw new KeycloakUnavailable(`${archive} does not contain keycloak-${KEYCLOAK_VERSION}/bin/kc.sh`);
  }
  // Unpack next to the final folder and rename, so an interrupted unpack is never taken for a server.
  const staging = join(cache, `.unpack-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  run('tar', ['-xzf', archive, '-C', staging], `unpack ${archive}`);
  rmSync(home, { recursive: true, force: true });
  renameSync(join(staging, `keycloak-${KEYCLOAK_VERSION}`), home);
  rmSync(staging, { recursive: true, force: true });
  log(`keycloak: unpacked ${KEYCLOAK_VERSION} into ${home}`);
  return { home, version: KEYCLOAK_VERSION, jdk, source: 'maven' };
}
