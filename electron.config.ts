/**
 * electron-builder configuration: AppImage and deb (Linux), dmg (macOS), nsis (Windows), with
 * Electron fuses set so the packaged app cannot be turned into a general Node runtime.
 * The asar holds the built app only — dist/renderer (the vite build), dist/electron/{main,preload}.cjs
 * and package.json — plus the production dependencies the main bundle requires at run time
 * (electron-builder adds them); the renderer-only, CLI-only and demo-store-only (lmdb) ones are filtered out.
 * Build on a machine with internet access and Node ≥ 22.12 (electron-builder downloads Electron):
 *   npm ci && npm run package        (or: npm run build && npx electron-builder --dir --config electron.config.ts)
 * @see https://www.electron.build/configuration
 * @see https://www.electronjs.org/docs/latest/tutorial/fuses
 */
import type { Configuration } from 'electron-builder';

/**
 * Bundled into dist/renderer by vite (react, zustand), only used by `npm start`/the CLI (tsx, esbuild,
 * open), or only by the demo servers' persistent store (lmdb and what only it needs: the packaged
 * app runs the demo in memory, src/main/options.ts; the main bundle loads lmdb only on demand).
 */
const NOT_AT_RUNTIME = ['react', 'react-dom', 'scheduler', 'zustand', 'tsx', 'esbuild', '@esbuild', 'open'];
export const DEMO_STORE_ONLY = ['lmdb', '@lmdb', 'msgpackr', 'msgpackr-extract', '@msgpackr-extract', 'ordered-binary', 'weak-lru-cache', 'node-gyp-build-optional-packages', 'node-addon-api', '@harperfast'];

const config: Configuration = {
  appId: 'org.tessera.uma-client',
  productName: 'Tessera',
  executableName: 'tessera',
  copyright: 'Copyright © 2026 Tessera developers',
  directories: { output: 'out', buildResources: 'build' },
  files: [
    'dist/renderer/**',
    'dist/electron/main.cjs',
    'dist/electron/preload.cjs',
    'package.json',
    '!**/*.map',
    ...[...NOT_AT_RUNTIME, ...DEMO_STORE_ONLY].map((name) => `!node_modules/${name}/**`),
  ],
  extraMetadata: { main: 'dist/electron/main.cjs' },
  asar: true,
  // @napi-rs/keyring ships native binaries: keep them unpacked.
  asarUnpack: ['**/node_modules/@napi-rs/**'],
  // It is a Node-API module with prebuilt binaries per platform (installed by `npm ci`) that
  // loads in Electron as it is: no rebuild against Electron's headers (that compiled lmdb and
  // msgpackr-extract from source into node_modules, ~4 minutes, and needs a C++ toolchain).
  npmRebuild: false,
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    // The renderer is served from app://tessera, not file://: file: keeps no extra privileges.
    grantFileProtocolExtraPrivileges: false,
  },
  linux: { target: ['AppImage', 'deb'], category: 'Development', maintainer: 'Tessera developers', icon: 'build/icons', synopsis: 'UMA 2.0 requesting-party client' },
  deb: { depends: ['libsecret-1-0'] },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools', hardenedRuntime: true, icon: 'build/icon.icns' },
  win: { target: ['nsis'], icon: 'build/icon.ico' },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true, installerIcon: 'build/icon.ico', uninstallerIcon: 'build/icon.ico' },
};

export default config;
