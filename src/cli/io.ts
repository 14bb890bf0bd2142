/**
 * What a command may touch of the outside world, passed in so commands run in-process
 * in tests with captured output.
 *
 * @packageDocumentation
 */

import { WriteStream } from 'node:tty';
import type { Command } from 'commander';
import { decodeManifest } from '../validate/manifest-files.ts';
import { InputTooLarge } from '../validate/yaml-limits.ts';

/** Output streams and environment of one CLI invocation. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Working directory paths are resolved against. */
  readonly cwd: string;
  /** Whether stdout is a terminal (colour, grouping). */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Reads standard input to the end (for `-` arguments); given a limit, rejects with
   * `InputTooLarge` (the text read so far) once more bytes than that came, and reads no more.
   */
  readonly readStdin: (limit?: number) => Promise<string>;
}

/**
 * Whether to colour what `io` writes to standard output, by the conventions Node's own
 * `util.styleText` follows: `FORCE_COLOR` decides when set (`0` off; `1`, `2`, `3` or empty on,
 * in a pipe too), else only a terminal is coloured, and not with `NO_COLOR` or `TERM=dumb`.
 * Node's reading of the environment is asked with the invocation's `env`, not the process's.
 */
export const colourOutput = (io: Pick<CliIo, 'isTTY' | 'env'>): boolean => {
  // getColorDepth reads only its argument (and the platform), never its stream.
  const depth = WriteStream.prototype.getColorDepth({ ...io.env });
  return (io.env['FORCE_COLOR'] !== undefined || io.isTTY) && depth > 2;
};

/** Exit codes of every command. Only `main.ts` turns them into the process exit code. */
export const ExitCode = {
  /** Everything passed. */
  Ok: 0,
  /** Bad usage, unreadable input, or a runtime failure. */
  Error: 1,
  /** The input was read but has violations (validation errors, policy errors, drift). */
  Violations: 2,
} as const;
/** One of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error caused by how the command was called; printed without a stack trace, exit 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Exit code of a process whose reader went away: what a shell reports for a process killed by
 * SIGPIPE (128 + 13), which Node ignores in favour of an EPIPE error.
 */
const CLOSED_PIPE_EXIT = 141;

/**
 * A writer to `stream` that ends the process once the reader has gone, as other command-line
 * tools end by SIGPIPE: `kelos crds | head -1` closes the pipe after one line, and the next
 * write's EPIPE was an unhandled `error` event with a stack trace; `kelos logs -f | grep -m1`
 * must end when grep does rather than follow in silence. Any other write error (a full disk)
 * is said once, in a line, exit 1.
 */
const pipeWriter = (stream: NodeJS.WriteStream, name: string): ((text: string) => void) => {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(CLOSED_PIPE_EXIT);
    if (name !== 'stderr') process.stderr.write(`kelos: cannot write to ${name}: ${err.message}\n`);
    process.exit(1);
  });
  return (text) => void stream.write(text);
};

/** The process's own streams. */
export const processIo = (): CliIo => ({
  stdout: pipeWriter(process.stdout, 'stdout'),
  stderr: pipeWriter(process.stderr, 'stderr'),
  cwd: process.cwd(),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  readStdin: async (limit = Number.POSITIVE_INFINITY) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      // Leaving the loop destroys the stream: a producer that never stops is not waited for.
      if (size > limit)
        throw new InputTooLarge({
          head: decodeManifest(Buffer.concat(chunks).subarray(0, limit)),
          bytes: undefined,
        });
    }
    // Decoded as a manifest file is: `cat utf16.yaml | kelos validate -` reads as the file does.
    return decodeManifest(Buffer.concat(chunks));
  },
});

/**
 * A command module: builds its commander `Command`. The action reports its exit code
 * through `done` instead of exiting, so the program can run in-process.
 */
export type CommandFactory = (io: CliIo, done: (code: ExitCode) => void) => Command;

/**
 * What every `--timeout` (and every other duration flag, `kelos operator --resync` as
 * `--default-active-deadline`) makes of a number without a unit: seconds, as upstream's
 * bare-seconds form; said in each `--timeout`'s help, where `e.g. 30m` alone leaves it a guess.
 */
export const BARE_NUMBER_SECONDS = 'a bare number is seconds';
