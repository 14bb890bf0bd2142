/**
 * Reads the manifest paths the user named (files, directories, `-`) for `kelos validate` and
 * `kelos check`, deciding what to do with symbolic links.
 *
 * @packageDocumentation
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Diagnostic } from './diagnostic.ts';
import { type LoadedDocument, type ParseResult, parseManifests } from './load.ts';
import { type CutText, InputTooLarge, MAX_READ_BYTES } from './yaml-limits.ts';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/** What {@link manifestFiles} found under a directory. */
export interface Listing {
  readonly files: string[];
  /** Symbolic links that were not followed, each with the reason. */
  readonly skipped: Diagnostic[];
  /** The files among `files` that are symbolic links, with the real path of each target. */
  readonly links: Map<string, string>;
}

/**
 * Directories a listing does not enter: hidden ones (`.git`, `.github`), which an Argo CD
 * ApplicationSet's git directory generator skips too (the repo-server's
 * `reposerver.include.hidden.directories` is off by default), and `node_modules`, which holds
 * packages, never a manifest to sync (`kelos validate .` in a project read every `package.json`
 * in it). Named, they are read.
 */
const SKIPPED_DIR = /^(?:\..+|node_modules)$/;

/**
 * The policy configuration `kelos check` and `kelos validate` read from the working directory.
 * Named here, where the listing skips it: it is the tool's own file, never a manifest.
 */
export const POLICY_CONFIG_FILE = 'kelos.policy.yaml';

/**
 * Files a listing leaves out by name: the tools' own files of a repository `kelos new` makes
 * (the policy configuration, synth's record, npm's and TypeScript's JSON), never a manifest.
 * `kelos validate .` at such a repository's root read them as broken manifests (10 errors,
 * `package.json`'s `name` taken for a name dedented out of metadata).
 */
const TOOL_FILE =
  /^(?:kelos\.policy\.yaml|\.kelos-synth\.json|package\.json|package-lock\.json|npm-shrinkwrap\.json|(?:ts|js)config(?:\..+)?\.json)$/;

/**
 * Every manifest file under `dir`, recursively, sorted by path so output is stable. Paths are
 * returned as `dir` was written (relative stays relative); `cwd` resolves them for reading.
 *
 * Hidden directories and `node_modules` are not entered (see {@link SKIPPED_DIR}), and the
 * tools' own files ({@link TOOL_FILE}: the policy configuration, `package.json`, …) are not listed.
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
  const links = new Map<string, string>();
  const real = await realpath(resolve(cwd, dir));
  if (seen.has(real)) return { files, skipped, links };
  seen.add(real);
  const entries = await readdir(resolve(cwd, dir), { withFileTypes: true }).catch((err: unknown) => {
    throw new Error(`cannot read ${dir}: ${readProblem(err)}`, { cause: err });
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const skip = (
    path: string,
    why: string,
    hint = "pass the link's target as a path of its own to validate it",
  ) =>
    skipped.push({
      severity: 'warning',
      code: 'manifest/symlink',
      message: `${path} is a symbolic link ${why}; it was not read`,
      path: '',
      source: { file: path },
      hint,
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
        skip(path, 'whose target does not exist', 'point the link at a manifest that exists, or remove it');
        continue;
      }
      if (target !== top && !target.startsWith(`${top}${sep}`)) {
        skip(path, `to ${target}, outside ${dir === '.' ? 'the directory given' : top}`);
        continue;
      }
      const info = await stat(target);
      isDir = info.isDirectory();
      isFile = info.isFile();
      if (isFile) links.set(path, target);
    }
    if (isDir) {
      if (SKIPPED_DIR.test(entry.name)) continue;
      const below = await manifestFiles(path, cwd, top, seen);
      files.push(...below.files);
      skipped.push(...below.skipped);
      for (const [k, v] of below.links) links.set(k, v);
    } else if (isFile && MANIFEST_FILE.test(entry.name) && !TOOL_FILE.test(entry.name)) files.push(path);
  }
  return { files, skipped, links };
}

const isDirectory = async (path: string): Promise<boolean> => {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
};

/** How a path argument was read. */
export interface LoadResult extends ParseResult {
  /** Files read, in order (`-` for standard input). */
  readonly files: string[];
}

/** Code of the warning on a file the user named, or standard input, that holds no object. */
export const EMPTY_INPUT = 'manifest/empty';

/**
 * The warning for a file named on the command line (or `-`) that holds no object. Named, it was
 * meant to hold manifests: an empty file or pipe is most likely a mistake (a generator that
 * failed, a wrong redirect, a file not saved yet). A warning, not an error: pre-commit names
 * every staged file, and an empty placeholder there must not block a commit; `--strict` fails
 * on it.
 */
const emptyInput = (file: string, text: string): Diagnostic => {
  const what = file === '-' ? 'standard input (-)' : file;
  const why =
    text.trim() === '' ? 'it is empty' : 'it holds only comments, document separators or empty documents';
  return {
    severity: 'warning',
    code: EMPTY_INPUT,
    message: `${what} holds no Kubernetes object (${why}); ${file === '-' ? 'input' : 'a file'} named on the command line should hold at least one`,
    path: '',
    source: { file },
    hint:
      file === '-'
        ? 'check the command that pipes into kelos: it wrote nothing (did it fail?)'
        : 'name the manifest you meant, or leave this file out',
  };
};

/**
 * The text of the manifest file at `file` (absolute): UTF-8, or UTF-16 when the file starts
 * with its byte order mark, as kubectl's YAML reader (and Argo CD's) decodes it; read as UTF-8, a
 * UTF-16 file was one string of NUL-separated characters and refused as no mapping. A file of
 * more than {@link MAX_READ_BYTES} bytes (or a device or pipe that gives more) is read no further
 * than that: its head and size, which {@link parseManifests} reports as too large.
 */
export const readManifestText = (file: string): string | CutText => {
  const fd = openSync(file, 'r');
  try {
    const info = fstatSync(fd);
    if (info.isFile() && info.size <= MAX_READ_BYTES) {
      // Read as UTF-8 first, which Node decodes without a Buffer: either byte order mark is two
      // bytes no UTF-8 text starts with, decoded as two replacement characters, and only then
      // are the bytes read again.
      const text = readFileSync(fd, 'utf8');
      return text.charCodeAt(0) === 0xfffd && text.charCodeAt(1) === 0xfffd
        ? decodeManifest(readFileSync(file))
        : text;
    }
    // Only the head of a file too large; a device or pipe is read until it passes the limit.
    const want = info.isFile() ? Math.min(info.size, MAX_READ_BYTES) + 1 : 64 * 1024;
    let buffer = Buffer.allocUnsafe(want);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_READ_BYTES) break;
        const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_READ_BYTES + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length <= MAX_READ_BYTES) return decodeManifest(buffer.subarray(0, length));
    const head = decodeManifest(buffer.subarray(0, MAX_READ_BYTES));
    return { head, bytes: info.isFile() ? Math.max(info.size, length) : undefined };
  } finally {
    closeSync(fd);
  }
};

/** The text of manifest bytes (standard input, a file): UTF-16 after its byte order mark, else UTF-8. */
export const decodeManifest = (bytes: Uint8Array): string => {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
};

/** Why a file or directory could not be read, in words rather than a system call's. */
const readProblem = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT'
    ? 'no such file or directory'
    : code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : String((err as Error).message);
};

/**
 * The text of the file at `path` (the head of one too large), or `undefined` when `path` is a
 * directory.
 *
 * @throws Error naming the path when it does not exist or cannot be read.
 */
const readOrDirectory = (path: string, cwd: string): string | CutText | undefined => {
  try {
    return readManifestText(resolve(cwd, path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') return undefined;
    throw new Error(`cannot read ${path}: ${readProblem(err)}`, { cause: err });
  }
};

/** Standard input, or the head of one that passed {@link MAX_READ_BYTES}, not read further. */
const readStdinBounded = async (
  readStdin: (limit?: number) => Promise<string>,
): Promise<string | CutText> => {
  try {
    return await readStdin(MAX_READ_BYTES);
  } catch (err) {
    if (err instanceof InputTooLarge) return err.cut;
    throw err;
  }
};

/** Code of the note on the files of synth's preview a directory held, which were not read. */
export const PREVIEW_SKIPPED = 'manifest/preview';

/**
 * What the header line of each file of synth's preview says of it (`src/compiler/preview.ts`):
 * the Jobs its Tasks become and a sample Task of each spawner, written for review outside
 * every app's kustomization. Argo CD never applies them, so read as manifests they were
 * objects nothing deploys: a sample Task's Secret warnings repeated its spawner's, and its
 * name could clash with a real Task's.
 */
export const PREVIEW_NOTE = '(preview: what the operator will run; not applied)';

/** Whether `text` is a file of synth's preview: its first line, a comment, says so. */
const isPreview = (text: string): boolean => {
  if (!text.startsWith('# ')) return false;
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).includes(PREVIEW_NOTE);
};

/** The note on the preview files found under the directories given (see {@link PREVIEW_NOTE}). */
const previewSkipped = (files: readonly string[]): Diagnostic => ({
  severity: 'info',
  code: PREVIEW_SKIPPED,
  message: `${files.length === 1 ? 'this file is' : `this file and ${files.length - 1} more are`} synth's preview, what the operator will run and nothing applies, so ${files.length === 1 ? 'it was not read as a manifest' : 'they were not read as manifests'}`,
  path: '',
  source: { file: files[0] ?? '' },
  hint: 'name a preview file to validate it',
});

/** Code of the note on the YAML files found under a directory that hold no object and were not read. */
export const NOT_MANIFEST = 'manifest/not-manifest';

/**
 * Whether a YAML file found under a directory is one Argo CD's directory source ignores, and
 * that is no manifest: it holds no object ({@link parseManifests} read none and refused some
 * document), and neither `apiVersion:` nor `kind:` is in its text. Argo CD's repo-server skips a
 * YAML file that does not decode unless its text holds all of `apiVersion:`, `kind:` and
 * `metadata:` ("it might be an unrelated YAML file"), so a CI configuration at the root of a
 * repository (`.gitlab-ci.yml`, `.pre-commit-config.yaml`) is no broken manifest. A file with
 * one of the two is still read and its errors reported: it is most likely a manifest missing
 * the other, which Argo CD would skip without a word. JSON files are always read: Argo CD
 * refuses one that is no object.
 */
const argoCdIgnores = (file: string, text: string, result: ParseResult): boolean =>
  !/\.json$/i.test(file) &&
  result.documents.length === 0 &&
  result.diagnostics.some((d) => d.severity === 'error') &&
  !/\b(?:apiVersion|kind)["']?\s*:/.test(text);

/** The note on the YAML files found under the directories given that Argo CD ignores ({@link argoCdIgnores}). */
const notManifests = (files: readonly string[]): Diagnostic => ({
  severity: 'info',
  code: NOT_MANIFEST,
  message: `${files.length === 1 ? 'this file holds' : `this file and ${files.length - 1} more (${files.slice(1, 4).join(', ')}${files.length > 4 ? ', …' : ''}) hold`} no Kubernetes object (neither apiVersion nor kind), so ${files.length === 1 ? 'it was not read as a manifest' : 'they were not read as manifests'}: Argo CD ignores such YAML files in a directory it syncs`,
  path: '',
  source: { file: files[0] ?? '' },
  hint: 'name a file to validate it as a manifest',
});

/**
 * Loads manifests from files, directories (every `*.yaml`, `*.yml` and `*.json` below them,
 * sorted) and `-` (standard input), each file once. A file named in `paths` (not found under a
 * directory) or standard input that holds no object gets a {@link EMPTY_INPUT} warning. A file
 * of synth's preview found under a directory is not read ({@link PREVIEW_SKIPPED}), nor is a
 * YAML file there that Argo CD ignores ({@link NOT_MANIFEST}); named, both are.
 *
 * @param paths Paths as given by the user; they are used as-is in diagnostics.
 * @param readStdin Reads standard input to the end, or given a limit, rejects with
 *   {@link InputTooLarge} once more bytes than that came (an unbounded stream is not read to its end).
 * @param cwd Directory relative paths are read from; diagnostics keep them as given.
 * @param listed Paths in `paths` the caller found by listing a directory, not named by the
 *   user: holding no object, they get no warning.
 * @throws Error naming the path when a path does not exist or cannot be read, or when no
 *   manifest file (not even one of synth's preview) is found under the paths.
 */
export async function loadManifestPaths(
  paths: readonly string[],
  readStdin: (limit?: number) => Promise<string>,
  cwd: string = process.cwd(),
  listed: ReadonlySet<string> = new Set(),
): Promise<LoadResult> {
  const documents: LoadedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const previews: string[] = [];
  const ignored: string[] = [];
  const add = (text: string | CutText, file: string, named: boolean) => {
    if (!named && typeof text === 'string' && isPreview(text)) {
      previews.push(file);
      return;
    }
    const result = parseManifests(text, file);
    if (!named && typeof text === 'string' && argoCdIgnores(file, text, result)) {
      ignored.push(file);
      return;
    }
    documents.push(...result.documents);
    diagnostics.push(...result.diagnostics);
    files.push(file);
    // A file whose documents did not parse already says what is wrong with it.
    if (
      named &&
      typeof text === 'string' &&
      result.documents.length === 0 &&
      !result.diagnostics.some((d) => d.severity === 'error')
    )
      diagnostics.push(emptyInput(file, text));
  };
  // One file named twice, or named and found under a directory named too (`m m/task.yaml`,
  // `./m/a.yaml m/a.yaml`), or reached through a symbolic link to its directory (`m mlink`) or
  // a link found in a listing or named, is read once: its objects are not duplicates of themselves.
  // Files are keyed by their directory's real path, resolved once per directory rather than
  // once per file (a pre-commit run names thousands), and a listed link by its target.
  const taken = new Set<string>();
  const realDirs = new Map<string, string>();
  const realDir = (dir: string): string => {
    let real = realDirs.get(dir);
    if (real === undefined) {
      try {
        real = realpathSync.native(dir);
      } catch {
        real = dir;
      }
      realDirs.set(dir, real);
    }
    return real;
  };
  // A named file that is itself a symbolic link (`b.yaml -> a.yaml`) is keyed by its target.
  // Which names are links is read once per directory, from its listing: a stat of each named
  // file would cost a system call per file of a pre-commit run.
  const linksIn = new Map<string, ReadonlySet<string>>();
  const isLink = (abs: string): boolean => {
    const dir = dirname(abs);
    let links = linksIn.get(dir);
    if (links === undefined) {
      const found = new Set<string>();
      try {
        for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isSymbolicLink()) found.add(e.name);
      } catch {
        // Unreadable: the read of the file itself says why.
      }
      linksIn.set(dir, found);
      links = found;
    }
    return links.has(basename(abs));
  };
  const realFile = (abs: string): string => {
    try {
      return realpathSync.native(abs);
    } catch {
      return abs;
    }
  };
  const first = (path: string, target?: string, named = false): boolean => {
    const abs = resolve(cwd, path);
    const key =
      path === '-'
        ? '-'
        : (target ?? (named && isLink(abs) ? realFile(abs) : join(realDir(dirname(abs)), basename(abs))));
    if (taken.has(key)) return false;
    taken.add(key);
    return true;
  };
  for (const path of paths) {
    if (!first(path, undefined, !listed.has(path))) continue;
    if (path === '-') {
      add(await readStdinBounded(readStdin), '-', true);
      continue;
    }
    // Read first, list on EISDIR: a run names thousands of small files, and a stat before each
    // read was a tenth of the reading (10,000 files: 180 ms of 2.6 s of CPU). Synchronous: each
    // asynchronous call is a round trip through the thread pool that costs more than the read.
    const text = readOrDirectory(path, cwd);
    if (text !== undefined) {
      add(text, path, !listed.has(path));
      continue;
    }
    const listing = await manifestFiles(path, cwd, await realpath(resolve(cwd, path)), new Set());
    diagnostics.push(...listing.skipped);
    for (const file of listing.files) {
      if (!first(file, listing.links.get(file))) continue;
      const text = readOrDirectory(file, cwd);
      // A listed name that turned into a directory since the listing holds nothing to read.
      if (text !== undefined) add(text, file, false);
    }
  }
  // Only previews or other YAML found is not nothing found: the note says what was not read, and why.
  if (ignored.length > 0) diagnostics.push(notManifests(ignored));
  if (previews.length > 0) diagnostics.push(previewSkipped(previews));
  else if (files.length === 0 && ignored.length === 0) {
    throw new Error(
      `no manifest files (*.yaml, *.yml, *.json) under ${paths.join(', ')}${diagnostics.length > 0 ? ` (${diagnostics.length} symbolic links not followed)` : ''}`,
    );
  }
  return { documents, diagnostics, files };
}
