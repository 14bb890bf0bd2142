/**
 * `kelos new <dir>`: creates a GitOps repository ready to use (package.json, tsconfig.json,
 * cdk8s.yaml, one app, the operator install and the Argo CD objects as bundles,
 * kelos.policy.yaml, pre-commit hooks, a CI workflow, .gitignore and a README). Named `new`, not `init`: upstream's `kelos init` writes the CLI's
 * `~/.kelos/config.yaml`, and that meaning is kept free for compatibility. With `--existing` it
 * adds Kelos to a repository that has files: it writes only the files that are not there and
 * says what to add to those that are, so no file of the user's is ever changed.
 *
 * @packageDocumentation
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Command } from 'commander';
import { unusableDirectory } from '../files.ts';
import type { CommandFactory } from '../io.ts';
import { ExitCode, UsageError } from '../io.ts';
import { keptAdvice, shellWord } from '../scaffold/existing.ts';
import { scaffoldFiles } from '../scaffold/templates.ts';
import { packageVersion } from '../version.ts';

/** An npm package name made from a directory name: lower case, URL-safe. */
export const packageNameOf = (dir: string): string =>
  basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '') || 'kelos-gitops';

/**
 * The local path a `--kelos-version` names (`file:…`, a path, or a bare tarball name), if it
 * names one: npm reads `./x`, `../x`, `/x` and `~/x` as paths too.
 */
const localPath = (spec: string): string | undefined =>
  /^file:/i.test(spec)
    ? spec.slice('file:'.length)
    : /^\.\.?[/\\]|^~?[/\\]|^[^/\\:@#]+\.(?:tgz|tar\.gz|tar)$/i.test(spec)
      ? spec
      : undefined;

/** Where on disk a local `--kelos-version` points (`~/` expanded), if it names a local path. */
const localTarget = (spec: string, cwd: string): string | undefined => {
  const path = localPath(spec);
  return path === undefined || path === ''
    ? undefined
    : resolve(cwd, path.replace(/^~(?=$|[/\\])/, homedir()));
};

/**
 * Why a local `--kelos-version` cannot be installed, if it cannot: npm would fail only at
 * `npm install`, after the project was written (`file:` alone linked the project to itself).
 */
const missingLocal = (spec: string, cwd: string): string | undefined => {
  const path = localPath(spec);
  if (path === undefined) return undefined;
  if (path === '') return `--kelos-version ${spec} names no path (e.g. file:../kelos-ts-0.2.0.tgz)`;
  const at = localTarget(spec, cwd) ?? path;
  return existsSync(at)
    ? undefined
    : `--kelos-version ${spec}: ${at} does not exist (a relative path is read from the current directory)`;
};

/**
 * The dependency npm is to install for a `--kelos-version` that is not a tarball (a tarball
 * is copied into the project instead), as written into the new project's `package.json`. npm resolves a relative `file:` path (or a bare path: `./x.tgz`, `../x.tgz`,
 * `x.tgz`) against the package that declares it, not against the directory the user typed it
 * in, so such a path is taken from `cwd` and rewritten relative to `root`. Relative rather than
 * absolute: `package.json` and `package-lock.json` are committed, and an absolute path would name
 * one machine's directories; a relative one works in every clone that keeps the tarball at the
 * same place beside the project, and is what `npm install ../x.tgz` itself writes. Anything
 * else (a range, a tag, `npm:`, git, a URL, an absolute or `~/` path) is returned as given.
 *
 * @param spec The `--kelos-version` value.
 * @param cwd The directory `kelos new` runs in.
 * @param root The new project's directory.
 */
export const dependencySpec = (spec: string, cwd: string, root: string): string => {
  const path = localPath(spec);
  if (path === undefined || path === '' || isAbsolute(path) || /^[/\\~]/.test(path)) return spec;
  const fromRoot = relative(root, resolve(cwd, path));
  // On Windows a path on another drive has no relative form: relative() returns it absolute.
  return `file:${isAbsolute(fromRoot) ? fromRoot : fromRoot.split(sep).join('/') || '.'}`;
};

/** What `kelos new` does with each file it would write, decided before it writes any. */
interface Plan {
  /** The files to write, in the scaffold's order. */
  readonly write: readonly string[];
  /** The files that exist and are kept, with their content (undefined: the tarball, not read). */
  readonly kept: ReadonlyMap<string, string | undefined>;
}

/**
 * Sorts the files `kelos new` would write into those to write and those that exist, reading
 * the latter; throws naming every path that would make a write fail (a directory where a file
 * goes, a file where a directory goes, a file that cannot be read), so a failure writes nothing.
 *
 * @param root The project's directory.
 * @param paths The files to write, relative to `root`.
 * @param unread The paths whose content is not needed (a tarball).
 * @param dir The project's directory as the user named it, for the error.
 */
const planFiles = async (
  root: string,
  paths: readonly string[],
  unread: ReadonlySet<string>,
  dir: string,
): Promise<Plan> => {
  const problems = new Set<string>();
  const write: string[] = [];
  const kept = new Map<string, string | undefined>();
  const exists = (path: string) =>
    lstat(join(root, path)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        // ENOTDIR: a parent is a file, which the loop over the parents names.
        if (err.code !== 'ENOTDIR') problems.add(`cannot read ${path}: ${err.message}`);
        return undefined;
      },
    );
  for (const path of paths) {
    const parents = path.split('/').slice(0, -1);
    let blocked = false;
    for (let i = 1; i <= parents.length && !blocked; i++) {
      const parent = parents.slice(0, i).join('/');
      if (!(await exists(parent))) break;
      const isDir = await stat(join(root, parent)).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!isDir) {
        problems.add(`${parent} is a file, where kelos new makes a directory (for ${path})`);
        blocked = true;
      }
    }
    if (blocked) continue;
    const there = await exists(path);
    if (there === false) write.push(path);
    if (there !== true) continue;
    const info = await stat(join(root, path)).catch((err: Error) => err);
    if (info instanceof Error) problems.add(`cannot read ${path}: ${info.message}`);
    else if (info.isDirectory()) problems.add(`${path} is a directory, where kelos new writes a file`);
    else if (!info.isFile()) problems.add(`${path} is not a regular file, where kelos new writes one`);
    else if (unread.has(path)) kept.set(path, undefined);
    else
      await readFile(join(root, path), 'utf8').then(
        (text) => kept.set(path, text),
        (err: Error) => problems.add(`cannot read ${path}: ${err.message}`),
      );
  }
  if (problems.size > 0)
    throw new UsageError(`cannot write into ${dir}, so nothing was written: ${[...problems].join('; ')}`);
  return { write, kept };
};

/** The `kelos new` command. */
export const newCommand: CommandFactory = (io, done) =>
  new Command('new')
    .description(
      'create a GitOps repository in <dir>: an issue-worker app, the operator install and Argo CD objects, policy config, pre-commit hooks and a CI workflow; then npm install && npx kelos synth',
    )
    .argument('<dir>', 'directory to create (it must not exist, or be empty but for .git, unless --existing)')
    .option(
      '--kelos-version <range>',
      'version range of kelos-ts in package.json (default: ^ this version); a relative file: path is read from the current directory',
    )
    .option(
      '--repo-url <url>',
      'the git repository Argo CD syncs dist/ from, written into deploy/argocd.ts (default: a placeholder to replace)',
    )
    .option(
      '--existing',
      'add Kelos to a repository that has files: write each file of the scaffold it lacks, keep every file it has and say what to add to it',
    )
    .action(async (dir: string, flags: { kelosVersion?: string; repoUrl?: string; existing?: boolean }) => {
      if (dir.trim() === '') throw new UsageError('kelos new needs the name of the directory to create');
      // What npm takes as a dependency: a version or range, a tag, or a file:, npm:, git or URL specifier.
      if (
        flags.kelosVersion !== undefined &&
        !/^[\w.^~<>=*|:/@#+ -]*\w[\w.^~<>=*|:/@#+ -]*$/.test(flags.kelosVersion)
      )
        throw new UsageError(
          `--kelos-version ${JSON.stringify(flags.kelosVersion)} is not a version range npm reads (e.g. ^0.2.0, 0.2.x, latest, file:../kelos-ts-0.2.0.tgz, a path from the current directory)`,
        );
      const missing = flags.kelosVersion === undefined ? undefined : missingLocal(flags.kelosVersion, io.cwd);
      if (missing) throw new UsageError(missing);
      const root = resolve(io.cwd, dir);
      const existing = await readdir(root).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw unusableDirectory(dir, err);
      });
      // A fresh clone of an empty repository holds only .git: the usual way into one's own repository.
      const other = existing.filter((e) => e !== '.git');
      if (other.length > 0 && !flags.existing)
        throw new UsageError(
          `${dir} is not empty (${other.slice(0, 3).join(', ')}${other.length > 3 ? ', …' : ''}); kelos new writes into a new directory, or one that holds only .git; to add Kelos to an existing repository: kelos new ${shellWord(dir)} --existing`,
        );
      const name = packageNameOf(root);
      const repoURL = flags.repoUrl ?? `https://github.com/my-org/${name}.git`;
      // The URL lands in a TypeScript string literal; refuse what would break out of it.
      if (!/^[\w.+-]+:\/\/[^\s'"`\\]+$|^[\w.-]+@[\w.-]+:[^\s'"`\\]+$/.test(repoURL))
        throw new UsageError(
          `--repo-url ${JSON.stringify(repoURL)} is not a git URL (expected https://host/org/repo.git or git@host:org/repo.git)`,
        );
      // deploy/argocd.ts and the README are committed: a token or password in the URL would be
      // published with them (Argo CD takes credentials from a repository Secret instead).
      if (/^https?:\/\/[^/?#]*@|^[\w.+-]+:\/\/[^/?#@]*:[^/?#@]*@/i.test(repoURL))
        throw new UsageError(
          `--repo-url must not carry credentials: it is written into deploy/argocd.ts and README.md, which are committed; give Argo CD the repository's credentials as a repository Secret in its namespace (label argocd.argoproj.io/secret-type: repository) and pass the URL without them`,
        );
      // A tarball outside the project exists only on this machine: the generated CI's `npm ci`
      // would fail on it. Copied in and named by its place there, it is committed with the rest,
      // as the README's `npm install ./kelos-ts-0.2.0.tgz` would leave it.
      const target = flags.kelosVersion === undefined ? undefined : localTarget(flags.kelosVersion, io.cwd);
      const tarball = target !== undefined && statSync(target).isFile() ? target : undefined;
      const files = scaffoldFiles({
        name,
        kelosVersion:
          flags.kelosVersion === undefined
            ? `^${packageVersion()}`
            : tarball
              ? `file:${basename(tarball)}`
              : dependencySpec(flags.kelosVersion, io.cwd, root),
        repoURL,
      });
      if (tarball && files.has(basename(tarball)))
        throw new UsageError(
          `--kelos-version ${flags.kelosVersion}: the tarball is copied into the project, where ${basename(tarball)} is a file kelos new writes; rename the tarball (e.g. kelos-ts-${packageVersion()}.tgz)`,
        );
      const tgz = tarball === undefined ? undefined : basename(tarball);
      const plan = await planFiles(
        root,
        [...files.keys(), ...(tgz ? [tgz] : [])],
        new Set(tgz ? [tgz] : []),
        dir,
      );
      for (const path of plan.write) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        if (path === tgz && tarball) await copyFile(tarball, join(root, path));
        else await writeFile(join(root, path), files.get(path) ?? '');
      }
      const next = `${root === io.cwd ? '' : `  cd ${shellWord(dir)}\n`}  npm install\n  npx kelos synth && npx kelos check\n`;
      if (!flags.existing) io.stdout(`created ${dir} (${plan.write.length} files). Next:\n${next}`);
      else {
        // Paths as the user reaches them from here: `kelos new . --existing` names them bare.
        const shown = (path: string) => join(dir, path);
        io.stdout(plan.write.map((path) => `wrote ${shown(path)}\n`).join(''));
        if (plan.kept.size > 0) io.stdout('kept (exists):\n');
        for (const [path, text] of plan.kept) {
          const advice =
            path === tgz
              ? [`not copied over; file:${tgz} in package.json installs this one`]
              : keptAdvice(
                  path,
                  text ?? '',
                  files.get(path) ?? '',
                  root === io.cwd ? undefined : shellWord(dir),
                );
          const [first, ...rest] = advice;
          io.stdout(
            `  ${shown(path)}${first === undefined ? '' : `: ${first}`}\n${rest.map((l) => `    ${l}\n`).join('')}`,
          );
        }
        io.stdout(`Next:\n${next}`);
      }
      if (tgz && plan.write.includes(tgz))
        io.stdout(
          plan.kept.has('package.json')
            ? `${tgz} was copied into ${dir}: install kelos-ts from it as said above (file:${tgz}) and commit it with the rest, so the CI workflow's npm ci finds it.\n`
            : `${tgz} was copied into ${dir} and package.json installs kelos-ts from it (file:${tgz}): commit it with the rest, so the CI workflow's npm ci finds it.\n`,
        );
      else if (target !== undefined)
        io.stdout(
          `package.json installs kelos-ts from ${target}, outside the repository: the CI workflow's npm ci cannot. Pack it (npm pack) and pass the tarball instead.\n`,
        );
      if (!flags.repoUrl)
        io.stdout(
          `Argo CD will read ${repoURL}: set repoURL in deploy/argocd.ts (or pass --repo-url) before you deploy.\n`,
        );
      done(ExitCode.Ok);
    });
