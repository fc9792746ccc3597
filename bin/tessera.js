#!/usr/bin/env node
// The `tessera` command. Runs the built CLI (dist/cli/, made by `npm ci`); in a checkout it is
// rebuilt first when a source changed since (bin/cli-bundle.js). Exit codes and output: src/cli.
import module from 'node:module';
import { pathToFileURL } from 'node:url';
import { ensureCliBundle } from './cli-bundle.js';

// Node 22.1+ keeps the compiled bundle on disk between runs (a no-op on Node 20).
module.enableCompileCache?.();
try {
  const { run } = await import(pathToFileURL(await ensureCliBundle()).href);
  await run(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
