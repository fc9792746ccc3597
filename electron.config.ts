/**
 * electron-builder configuration: AppImage and deb (Linux), dmg (macOS), nsis (Windows), with
 * Electron fuses set so the packaged app cannot be turned into a general Node runtime.
 * Build on a machine with internet access (electron-builder downloads Electron):
 *   npm ci && npm run build && npx electron-builder --config electron.config.ts
 * @see https://www.electron.build/configuration
 * @see https://www.electronjs.org/docs/latest/tutorial/fuses
 */
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'org.tessera.uma-client',
  productName: 'Tessera',
  directories: { output: 'out', buildResources: 'build' },
  files: ['dist/**', 'src/**', 'package.json', '!**/*.map', '!test/**', '!bench/**'],
  extraMetadata: { main: 'dist/electron/main.cjs' },
  asar: true,
  // lmdb (the demo servers' store) and @napi-rs/keyring ship native binaries: keep them unpacked.
  asarUnpack: ['**/node_modules/lmdb/**', '**/node_modules/@lmdb/**', '**/node_modules/@napi-rs/**'],
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: { target: ['AppImage', 'deb'], category: 'Development', maintainer: 'Tessera developers' },
  deb: { depends: ['libsecret-1-0'] },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools', hardenedRuntime: true },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
};

export default config;
