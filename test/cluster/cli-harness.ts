/**
 * Runs the `kelos` program in-process against the run's control plane, with output captured
 * and readable while a command still runs (`logs -f`), and a HOME of its own so no
 * `~/.kelos/config.yaml` of the machine leaks in.
 *
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo, ExitCode } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/program.ts';
import { kubeconfigPath } from './helpers.ts';

/** The end of one run. */
export interface KelosResult {
  readonly code: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
}

/** A run in progress. */
export interface KelosRun {
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  readonly done: Promise<KelosResult>;
}

const HOME = mkdtempSync(join(tmpdir(), 'kelos-cli-home-'));

/** `--kubeconfig <the run's admin kubeconfig>`. */
export const kc = (): string[] => ['--kubeconfig', kubeconfigPath()];

/** Starts `kelos <argv>`; `env` adds to a minimal environment. */
export function startKelos(argv: readonly string[], env: Record<string, string> = {}): KelosRun {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: process.cwd(),
    isTTY: false,
    env: { HOME, PATH: process.env['PATH'], ...env },
    readStdin: async () => '',
  };
  const done = runCli(argv, io).then((code) => ({ code, stdout, stderr }));
  return { stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs `kelos <argv>` to its end. */
export const kelos = (argv: readonly string[], env?: Record<string, string>): Promise<KelosResult> =>
  startKelos(argv, env).done;
