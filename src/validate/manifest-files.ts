/**
 * Lists the manifest files under a directory the user named, for `kelos validate` and
 * `kelos check`, deciding what to do with symbolic links.
 *
 * @packageDocumentation
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Diagnostic } from './diagnostic.ts';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** What {@link manifestFiles} found under a directory. */
export interface Listing {
  readonly files: string[];
  /** Symbolic links that were not followed, each with the reason. */
  readonly skipped: Diagnostic[];
}

/**
 * Every manifest file under `dir`, recursively, sorted by path so output is stable. Paths are
 * returned as `dir` was written (relative stays relative); `cwd` resolves them for reading.
 *
 * A symbolic link is followed when its target lies inside the directory the user named (`top`,
 * resolved), so a tree that links shared manifests into place is read whole; a link that leaves
 * that tree, dangles or loops is not read, and is reported as a warning naming it, never
 * skipped in silence.
 */
export async function manifestFiles(
  dir: string,
  cwd: string,
  top: string,
  seen: Set<string>,
): Promise<Listing> {
  const files: string[] = [];
  const skipped: Diagnostic[] = [];
  const real = await realpath(resolve(cwd, dir));
  if (seen.has(real)) return { files, skipped };
  seen.add(real);
  const entries = await readdir(resolve(cwd, dir), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const skip = (path: string, why: string) =>
    skipped.push({
      severity: 'warning',
      code: 'manifest/symlink',
      message: `${path} is a symbolic link ${why}; it was not read`,
      path: '',
      source: { file: path },
      hint: `pass the link's target as a path of its own to validate it`,
    });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      if (!MANIFEST_FILE.test(entry.name) && !(await isDirectory(resolve(cwd, path)))) continue;
      let target: string;
      try {
        target = await realpath(resolve(cwd, path));
      } catch {
        skip(path, 'whose target does not exist');
        continue;
      }
      if (target !== top && !target.startsWith(`${top}${sep}`)) {
        skip(path, `to ${target}, outside ${dir === '.' ? 'the directory given' : top}`);
        continue;
      }
      const info = await stat(target);
      isDir = info.isDirectory();
      isFile = info.isFile();
    }
    if (isDir) {
      const below = await manifestFiles(path, cwd, top, seen);
      files.push(...below.files);
      skipped.push(...below.skipped);
    } else if (isFile && MANIFEST_FILE.test(entry.name)) files.push(path);
  }
  return { files, skipped };
}

const isDirectory = async (path: string): Promise<boolean> => {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
};
