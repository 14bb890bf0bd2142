/**
 * Files and directories a command-line flag names. What fails is a {@link UsageError} that names
 * the flag and the path as the user wrote them, and says what was expected there, instead of a
 * bare `EISDIR` or `EEXIST` from Node.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readManifestText } from '../validate/manifest-files.ts';
import { InputTooLarge, MAX_FILE_BYTES, mib, sizeProblem } from '../validate/yaml-limits.ts';
import { type CliIo, UsageError } from './io.ts';

/**
 * What a failed file operation means, in words (Node's message follows in parentheses). A path
 * to write that is missing cannot be made there (`/proc/x`), which "does not exist" misstates.
 */
const reason = (err: NodeJS.ErrnoException, expected: 'a file' | 'a directory', writing = false): string => {
  if (writing && err.code === 'ENOENT') return `cannot be created there (${err.message})`;
  const what =
    err.code === 'EISDIR'
      ? 'is a directory'
      : err.code === 'EEXIST' || err.code === 'ENOTDIR'
        ? expected === 'a directory'
          ? 'is a file, or is below one'
          : 'is below a file'
        : err.code === 'ENOENT'
          ? 'does not exist'
          : err.code === 'EACCES' || err.code === 'EPERM'
            ? 'is not permitted'
            : 'cannot be used';
  return `${what}; expected ${expected} (${err.message})`;
};

/** The error for a directory a command names (`kelos new <dir>`) that cannot be used as one. */
export const unusableDirectory = (path: string, err: unknown): UsageError =>
  new UsageError(`cannot use ${path}: ${reason(err as NodeJS.ErrnoException, 'a directory')}`);

/** The error for a path a flag names that cannot be read as a file. */
export const unreadableFile = (flag: string, path: string, err: unknown): UsageError =>
  new UsageError(`${flag} ${path}: ${reason(err as NodeJS.ErrnoException, 'a file')}`);

/**
 * The text of the file a flag names (`-` for standard input), read as a manifest is: UTF-16
 * after its byte order mark, and at most {@link MAX_FILE_BYTES}, so standard input that never
 * ends or `/dev/zero` is refused once past it instead of read until memory runs out.
 *
 * @throws UsageError naming the flag and the path when it cannot be read or is too large.
 */
export const readFlagFile = async (flag: string, path: string, io: Pick<CliIo, 'cwd' | 'readStdin'>) => {
  const tooLarge = () =>
    new UsageError(`${flag} ${path}: more than ${mib(MAX_FILE_BYTES)}, the most kelos reads of one file`);
  let text: string | undefined;
  try {
    if (path === '-') text = await io.readStdin(MAX_FILE_BYTES);
    else {
      const read = readManifestText(resolve(io.cwd, path));
      if (typeof read === 'string') text = read;
    }
  } catch (err) {
    if (err instanceof InputTooLarge) throw tooLarge();
    throw unreadableFile(flag, path, err);
  }
  if (text === undefined || sizeProblem(text) !== undefined) throw tooLarge();
  return text;
};

/**
 * Writes `files` (name → text) into the directory a flag names, creating it when missing.
 *
 * @param given The directory as the user wrote it, for the message.
 * @returns The directory, resolved against `cwd`.
 * @throws UsageError naming the flag when the directory cannot be made or written.
 */
export const writeIntoFlagDirectory = async (
  flag: string,
  given: string,
  cwd: string,
  files: Iterable<readonly [name: string, text: string]>,
): Promise<string> => {
  const dir = resolve(cwd, given);
  try {
    await mkdir(dir, { recursive: true });
    for (const [name, text] of files) await writeFile(join(dir, name), text);
  } catch (err) {
    throw new UsageError(`${flag} ${given}: ${reason(err as NodeJS.ErrnoException, 'a directory', true)}`);
  }
  return dir;
};

/**
 * Writes `text` to the file a flag names, creating its directory when missing.
 *
 * @throws UsageError naming the flag when the file cannot be written.
 */
export const writeFlagFile = async (
  flag: string,
  given: string,
  cwd: string,
  text: string,
): Promise<void> => {
  const file = resolve(cwd, given);
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  } catch (err) {
    throw new UsageError(`${flag} ${given}: ${reason(err as NodeJS.ErrnoException, 'a file', true)}`);
  }
};
