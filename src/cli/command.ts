/** What every `tessera <command>` module exports. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  debug: boolean;
}

export interface CliCommand {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes of the CLI contract (issue #2). */
export const EXIT = { granted: 0, error: 1, denied: 2, need_info: 3, pending: 4, untrusted_as: 5, as_unreachable: 1 } as const;
