/**
 * Runs `kelos` in-process with captured output, for the unit tests.
 */
import type { CliIo, ExitCode } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/program.ts';

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kelos <argv>` with `cwd`, optional standard input and environment (default none). */
export async function kelos(
  argv: readonly string[],
  options: { cwd?: string; stdin?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd: options.cwd ?? process.cwd(),
    isTTY: false,
    env: options.env ?? {},
    readStdin: async () => options.stdin ?? '',
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
