/**
 * The I/O edge of the output: comparing the in-memory output with the disk, and writing it.
 * The compiler owns whole directories (each app's directory, or the whole outdir, and the
 * CRD directory): a file there that the output does not contain is stale and is removed.
 *
 * Writing never follows a symbolic link: a link anywhere on the way to a file it would write
 * or remove (the owned directory itself included) stops the run with an error naming it, as
 * a link in `dist/` could otherwise make synth overwrite a file outside the repository.
 * Writing is as close to all-or-nothing as the filesystem allows: every changed file is first
 * written to a temporary name in its own directory, and only when all of them are written
 * are they renamed into place (each rename is atomic) and stale files removed. A failure
 * while writing removes the temporary files and leaves the old tree as it was.
 *
 * @packageDocumentation
 */
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, sep } from 'node:path';
import type { OutputFile } from './render.ts';

/** How a file on disk differs from the output. */
export type DriftKind = 'modified' | 'missing' | 'extra';

/** One file that differs. */
export interface Drift {
  /** Path relative to the project root. */
  readonly path: string;
  /** `modified`: content differs; `missing`: not on disk; `extra`: on disk but not in the output. */
  readonly kind: DriftKind;
}

/** What a write did. */
export interface WriteReport {
  /** Files created or changed. */
  readonly written: readonly string[];
  /** Stale files removed. */
  readonly removed: readonly string[];
  /** Files whose content was already right (left untouched, mtime included). */
  readonly unchanged: number;
}

const toPosix = (p: string): string => p.split(sep).join(posix.sep);

/** A symbolic link where the output would be written; synth refuses to write through it. */
export class SymlinkInOutputError extends Error {
  override readonly name = 'SymlinkInOutputError';
  /** The link, relative to the project root. */
  readonly path: string;
  constructor(path: string) {
    super(
      `${path} is a symbolic link; kelos synth never writes through one (it could overwrite a file outside the project): remove it and run again`,
    );
    this.path = path;
  }
}

/** Throws for the first existing component of `path` (relative to `root`) that is a symbolic link. */
const refuseLinks = async (root: string, path: string, checked: Set<string>): Promise<void> => {
  let prefix = '';
  for (const segment of toPosix(path).split('/')) {
    prefix = prefix ? `${prefix}/${segment}` : segment;
    if (checked.has(prefix)) continue;
    checked.add(prefix);
    try {
      if ((await lstat(join(root, prefix))).isSymbolicLink()) throw new SymlinkInOutputError(prefix);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }
};

/** Every file (and symbolic link) under `dir` (relative to `root`); none when the directory does not exist. */
const filesUnder = async (root: string, dir: string): Promise<string[]> => {
  try {
    const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => toPosix(relative(root, join(e.parentPath, e.name))));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
};

const readOrUndefined = async (file: string): Promise<string | undefined> => {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
};

/** Current state of the owned directories against the output. */
const plan = async (root: string, files: readonly OutputFile[], owned: readonly string[]) => {
  const wanted = new Map(files.map((f) => [f.path, f.content]));
  const checked = new Set<string>();
  for (const dir of owned) await refuseLinks(root, dir, checked);
  const onDisk = new Set((await Promise.all(owned.map((d) => filesUnder(root, d)))).flat());
  for (const path of [...onDisk, ...wanted.keys()].sort()) await refuseLinks(root, path, checked);
  const drift: Drift[] = [];
  for (const f of files) {
    const current = onDisk.has(f.path) ? await readOrUndefined(join(root, f.path)) : undefined;
    if (current === undefined) drift.push({ path: f.path, kind: 'missing' });
    else if (current !== f.content) drift.push({ path: f.path, kind: 'modified' });
  }
  for (const path of onDisk) if (!wanted.has(path)) drift.push({ path, kind: 'extra' });
  return drift.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};

/**
 * Compares the output with the owned directories on disk.
 *
 * @param owned Directories (relative to `root`) the output owns entirely.
 * @returns every differing, missing and extra file, sorted by path.
 */
export const compareOutput = (
  root: string,
  files: readonly OutputFile[],
  owned: readonly string[],
): Promise<Drift[]> => plan(root, files, owned);

/** Suffix of the temporary files a write puts next to their targets. */
const TEMP_SUFFIX = '.kelos-tmp';

/**
 * Makes the owned directories hold exactly the output: writes files whose content differs,
 * removes stale ones, and removes directories left empty. Unchanged files are not touched.
 *
 * @throws SymlinkInOutputError when a path it would write or remove goes through a symbolic link.
 */
export const writeOutput = async (
  root: string,
  files: readonly OutputFile[],
  owned: readonly string[],
): Promise<WriteReport> => {
  const drift = await plan(root, files, owned);
  const content = new Map(files.map((f) => [f.path, f.content]));
  const changed = drift.filter((d) => d.kind !== 'extra').map((d) => d.path);
  const temps = new Map<string, string>();
  const madeDirs: string[] = [];
  try {
    for (const path of changed) {
      const abs = join(root, path);
      const made = await mkdir(dirname(abs), { recursive: true });
      if (made) madeDirs.push(made);
      const temp = join(dirname(abs), `.${basename(abs)}.${process.pid}${TEMP_SUFFIX}`);
      temps.set(path, temp);
      // `wx`: never open an existing name, so not a link planted between the check and the write.
      await writeFile(temp, content.get(path) ?? '', { flag: 'wx' });
    }
  } catch (err) {
    // Best effort: the error that stopped the write is the one to report.
    const quietly = (p: Promise<void>) => p.catch(() => undefined);
    await Promise.all([...temps.values()].map((t) => quietly(rm(t, { force: true }))));
    for (const dir of madeDirs.reverse()) await quietly(rm(dir, { recursive: true, force: true }));
    throw err;
  }
  for (const path of changed) await rename(temps.get(path) ?? '', join(root, path));
  const removed: string[] = [];
  for (const d of drift) {
    if (d.kind !== 'extra') continue;
    await rm(join(root, d.path), { force: true });
    removed.push(d.path);
    await removeEmptyParents(root, dirname(d.path), owned);
  }
  return { written: changed, removed, unchanged: files.length - changed.length };
};

/** Removes `dir` and its parents while empty, stopping at the owned directory. */
const removeEmptyParents = async (root: string, dir: string, owned: readonly string[]): Promise<void> => {
  let current = toPosix(dir);
  while (owned.some((o) => current.startsWith(`${o}/`))) {
    try {
      await rmdir(join(root, current));
    } catch {
      return;
    }
    current = posix.dirname(current);
  }
};
