/**
 * The bundle's entry (bin/cli-bundle.js builds dist/cli/tessera.mjs from it): runs the command line
 * with this process's arguments and sets its exit code.
 */
import { main } from './main';

export async function run(argv: string[] = process.argv.slice(2)): Promise<number> {
  process.exitCode = await main(argv);
  return process.exitCode;
}
