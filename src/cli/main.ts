/**
 * Entry point of the `tessera` command line (bin/tessera.js). Returns the process exit code.
 * The command set and exit codes are the contract in issue #2; see `tessera --help`.
 */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write('usage: tessera <command> [options]\n');
    return 0;
  }
  process.stderr.write(`tessera: unknown command "${argv[0]}". Run tessera --help.\n`);
  return 1;
}
