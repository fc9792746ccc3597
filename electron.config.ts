/**
 * electron-builder configuration: AppImage and deb (Linux), dmg (macOS), nsis (Windows), with
 * Electron fuses set so the packaged app cannot be turned into a general Node runtime.
 * The asar holds the built app only — dist/renderer (the vite build), dist/electron/{main,preload}.cjs
 * and package.json — plus the production dependencies the main bundle requires at run time
 * (electron-builder adds them); the renderer-only and CLI-only ones are filtered out.
 * Build on a machine with internet access and Node ≥ 22.12 (electron-builder downloads Electron):
 *   npm ci && npm run package        (or: npm run build && npx electron-builder --dir --config electron.config.ts)
 * @see https://www.electron.build/configuration
 * @see https://www.electronjs.org/docs/latest/tutorial/fuses
 */
import type { Configuration } from 'electron-builder';

/** Bundled into dist/renderer by vite (react, zustand) or only used by `npm start`/the CLI (tsx, esbuild, open). */
const NOT_AT_RUNTIME = ['react', 'react-dom', 'scheduler', 'zustand', 'tsx', 'esbuild', '@esbuild', 'open'];

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
    ...NOT_AT_RUNTIME.map((name) => `!node_modules/${name}/**`),
  ],
  extraMetadata: { main: 'dist/electron/main.cjs' },
  asar: true,
  // lmdb (the demo servers' store, with msgpackr-extract) and @napi-rs/keyring ship native binaries: keep them unpacked.
  asarUnpack: ['**/node_modules/lmdb/**', '**/node_modules/@lmdb/**', '**/node_modules/msgpackr-extract/**', '**/node_modules/@msgpackr-extract/**', '**/node_modules/@napi-rs/**'],
  // All three are Node-API modules with prebuilt binaries per platform (installed by `npm ci`), which
  // load in Electron as they are: no rebuild against Electron's headers (that compiled lmdb and
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
