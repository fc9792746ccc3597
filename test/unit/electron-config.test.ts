/**
 * The packaged build's configuration (electron-builder reads electron.config.ts; here it is loaded
 * as a module) and the checked-in icon set: only the built app in the asar, fuses, targets,
 * icons that exist and are what their names say, appId/author.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import config, { DEMO_STORE_ONLY } from '../../electron.config';
import { buildElectron } from '../../src/main/build';
import { encodeIcns, encodeIco, ICNS_TYPES, pngSize, PNG_SIGNATURE } from '../../src/main/icons';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { productName: string; main: string; author: { name: string }; scripts: Record<string, string>; dependencies: Record<string, string> };

describe('electron.config.ts', () => {
  it('ships only the built app (dist/renderer, main and preload bundles, package.json): no sources, tests, maps', () => {
    const files = config.files as string[];
    expect(files.filter((f) => !f.startsWith('!'))).toEqual(['dist/renderer/**', 'dist/electron/main.cjs', 'dist/electron/preload.cjs', 'package.json']);
    expect(files).toContain('!**/*.map');
    expect(files.some((f) => /^src|^test|^bench|^renderer/.test(f))).toBe(false);
    for (const name of ['react', 'react-dom', 'tsx', 'esbuild']) expect(files).toContain(`!node_modules/${name}/**`);
    // lmdb serves only the demo servers' persistent store, which the packaged app does not use.
    for (const name of ['lmdb', '@lmdb', 'msgpackr-extract', '@msgpackr-extract']) expect(files).toContain(`!node_modules/${name}/**`);
    for (const name of Object.keys(pkg.dependencies).filter((d) => ['jose', 'oauth4webapi', 'oidc-client-ts', 'oidc-provider', 'zod', '@napi-rs/keyring'].includes(d))) {
      expect(files.some((f) => f.startsWith('!') && f.includes(`/${name}/`)), name).toBe(false);
    }
    expect(config.extraMetadata).toEqual({ main: 'dist/electron/main.cjs' });
    expect(pkg.main).toBe('dist/electron/main.cjs');
  });

  it('the main bundle (built here) requires only production dependencies that ship', async () => {
    const outdir = join('dist', `electron-config-test-${process.pid}`);
    const main = await buildElectron(resolve('.'), resolve(outdir));
    const text = readFileSync(main, 'utf8');
    rmSync(outdir, { recursive: true, force: true });
    const required = [...text.matchAll(/(?:require|import)\("([^".][^"]*)"\)/g)].map((m) => m[1]!).filter((n) => !n.startsWith('node:') && n !== 'electron');
    // lmdb is required once, inside the lazily initialised demo-store module (openKv's dynamic import),
    // so the packaged app, whose demo runs in memory, starts without it.
    expect(required.filter((n) => n === 'lmdb')).toHaveLength(1);
    expect(text).toMatch(/var init_lmdb_kv = __esm\(\{\s*"src\/demo\/store\/lmdb-kv\.ts"\(\) \{[^}]*?require\("lmdb"\)/);
    for (const name of new Set(required.filter((n) => !DEMO_STORE_ONLY.includes(n)))) {
      expect(pkg.dependencies[name], `${name} must be a production dependency`).toBeDefined();
      expect((config.files as string[]).includes(`!node_modules/${name}/**`), `${name} must not be filtered out`).toBe(false);
    }
  }, 60_000);

  it('asar on, native modules unpacked; fuses: no run-as-node, no NODE_OPTIONS/inspect, asar integrity, asar only, no file:// privileges', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(['**/node_modules/@napi-rs/**']);
    expect(config.npmRebuild).toBe(false); // Node-API prebuilds: no compile step, node_modules untouched
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, enableEmbeddedAsarIntegrityValidation: true, onlyLoadAppFromAsar: true, grantFileProtocolExtraPrivileges: false, enableCookieEncryption: true });
  });

  it('targets, appId, product name, author', () => {
    expect(config.appId).toBe('org.tessera.uma-client');
    expect(config.productName).toBe('Tessera');
    expect(pkg.author.name).toBeTruthy();
    expect(pkg.productName).toBe('Tessera'); // Electron's app name → userData is …/Tessera in dev and packaged alike
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.deb?.depends).toContain('libsecret-1-0');
    expect(pkg.scripts.package).toMatch(/npm run build && electron-builder --config electron\.config\.ts/);
  });

  it('icons exist and are real: a 1024 px PNG, Linux PNG sizes, an ICO with 256 px, an ICNS with 512 and 1024 px', () => {
    expect(pngSize(readFileSync('build/icon.png'))).toEqual({ width: 1024, height: 1024 });
    const linuxDir = config.linux?.icon as string;
    for (const s of [16, 32, 48, 64, 128, 256, 512]) expect(pngSize(readFileSync(`${linuxDir}/${s}x${s}.png`))).toEqual({ width: s, height: s });

    const ico = readFileSync(config.win?.icon as string);
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const sizes: number[] = [];
    for (let i = 0; i < ico.readUInt16LE(4); i++) {
      const e = 6 + i * 16;
      const png = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8));
      const w = ico.readUInt8(e) || 256;
      expect(pngSize(png).width).toBe(w);
      sizes.push(w);
    }
    expect(sizes).toContain(256);

    const icns = readFileSync(config.mac?.icon as string);
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types = new Map<string, number>();
    for (let off = 8; off < icns.length;) {
      const type = icns.toString('latin1', off, off + 4);
      const len = icns.readUInt32BE(off + 4);
      const png = icns.subarray(off + 8, off + len);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      types.set(type, pngSize(png).width);
      off += len;
    }
    expect(types.get('ic09')).toBe(512);
    expect(types.get('ic10')).toBe(1024);
  });

  it('the encoders reject what the formats cannot hold', () => {
    const png = readFileSync('build/icons/512x512.png');
    expect(() => encodeIco([png])).toThrow(/at most 256/);
    expect(() => encodeIcns(new Map([[1024, png]]))).toThrow(/ic10 needs 1024/);
    expect(() => pngSize(Buffer.from('GIF89a'))).toThrow(/not a PNG/);
    expect(ICNS_TYPES.map(([t]) => t)).toContain('ic14');
  });
});
