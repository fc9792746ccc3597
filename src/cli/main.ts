/**
 * Entry point of the `tessera` command line (bin/tessera.js). Returns the process exit code.
 * The command set and exit codes are the contract in issue #2; see `tessera --help`.
 */
import { toErrorInfo } from '@tessera/uma/portable';
import { passedFlags, withCliAdvice } from './advice';
import type { CliIo } from './command';
import { commands } from './registry';

const HELP_FOOTER = `
env: TESSERA_HOME (config and token store dir, default ~/.tessera)
     TESSERA_PASSPHRASE (store key when no OS keyring)
     BROWSER (command that opens interaction URLs; the URL is always printed)
exit: 0 granted, 2 denied, 3 need_info unresolved, 4 pending, 5 untrusted AS, 1 any other error
`;

export async function main(argv: string[], io?: Partial<CliIo>): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const cli: CliIo = {
    env: io?.env ?? process.env,
    stdout: io?.stdout ?? ((t) => void process.stdout.write(t)),
    stderr: io?.stderr ?? ((t) => void process.stderr.write(t)),
    debug,
  };
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && commands[rest[0]]) {
      cli.stdout(`${(await commands[rest[0]]!.load()).default.usage}\n`);
      return 0;
    }
    const lines = ['usage: tessera <command> [options]', '', 'commands:'];
    for (const [cmd, { summary }] of Object.entries(commands)) lines.push(`  ${cmd.padEnd(10)} ${summary}`);
    cli.stdout(`${lines.join('\n')}\n${HELP_FOOTER}`);
    return 0;
  }
  const load = commands[name]?.load;
  if (!load) {
    cli.stderr(`tessera: unknown command "${name}". Run tessera --help.\n`);
    return 1;
  }
  const command = (await load()).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    cli.stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, cli);
  } catch (error) {
    const info = withCliAdvice(toErrorInfo(error), { passed: passedFlags(rest), command: name });
    // Scripts using --json always get one object, even when the command could not start.
    if (rest.includes('--json')) cli.stdout(`${JSON.stringify({ outcome: 'error', status: null, body: '', steps: [], error: info })}\n`);
    cli.stderr(`tessera: ${info.message} ${info.hint}\n`);
    if (debug && error instanceof Error && error.stack) cli.stderr(`${error.stack}\n`);
    return 1;
  }
}
