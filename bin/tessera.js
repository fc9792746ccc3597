#!/usr/bin/env node
// The `tessera` command. Runs the TypeScript sources through tsx so that `npm ci` is the only
// build step (README). Exit codes and output are defined in src/cli.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The repository's tsconfig.json maps `@tessera/uma` to the engine package's TypeScript entry (its
// `source` export condition); pinned here so `tessera` works from any working directory.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
