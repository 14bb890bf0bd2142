/**
 * The I/O edge of the output: comparing the in-memory output with the disk, and writing it.
 * The compiler owns whole directories (each app's directory, or the whole outdir, and the
 * CRD directory): a file there that the output does not contain is stale and is removed.
 *
 * @packageDocumentation
 */
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
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

/** Every file under `dir` (relative to `root`); none when the directory does not exist. */
const filesUnder = async (root: string, dir: string): Promise<string[]> => {
  try {
    const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => toPosix(relative(root, join(e.parentPath, e.name))));
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
  const onDisk = new Set((await Promise.all(owned.map((d) => filesUnder(root, d)))).flat());
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

/**
 * Makes the owned directories hold exactly the output: writes files whose content differs,
 * removes stale ones, and removes directories left empty. Unchanged files are not touched.
 */
export const writeOutput = async (
  root: string,
  files: readonly OutputFile[],
  owned: readonly string[],
): Promise<WriteReport> => {
  const drift = await plan(root, files, owned);
  const content = new Map(files.map((f) => [f.path, f.content]));
  const written: string[] = [];
  const removed: string[] = [];
  for (const d of drift) {
    const abs = join(root, d.path);
    if (d.kind === 'extra') {
      await rm(abs, { force: true });
      removed.push(d.path);
      await removeEmptyParents(root, dirname(d.path), owned);
    } else {
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, content.get(d.path) ?? '');
      written.push(d.path);
    }
  }
  return { written, removed, unchanged: files.length - written.length };
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
