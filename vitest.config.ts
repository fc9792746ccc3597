import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node against real servers on 127.0.0.1 (ephemeral ports).
// Renderer component tests run in jsdom. End-to-end tests drive Debian's Chromium (see .ci/run).
// `source`: the engine package (packages/uma) resolves to its TypeScript entry, not its built dist.
const conditions = ['source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          // Testing Library's cleanup after each test (its automatic cleanup needs vitest globals).
          setupFiles: ['test/renderer/setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Real Keycloak (JDK + Maven): one server per run, started by the globalSetup.
          name: 'keycloak',
          include: ['test/keycloak/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/keycloak/setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    passWithNoTests: false,
  },
});
