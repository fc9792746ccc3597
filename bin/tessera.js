#!/usr/bin/env node
// The `tessera` command. Runs the TypeScript sources through tsx so that `npm ci` is the only
// build step (README). Exit codes and output are defined in src/cli.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
