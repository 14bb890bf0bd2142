/**
 * `kelos new <dir>`: creates a GitOps repository ready to use (package.json, tsconfig.json,
 * cdk8s.yaml, one app, the operator install and the Argo CD objects as bundles,
 * kelos.policy.yaml, pre-commit hooks, a CI workflow, .gitignore and a README). Named `new`, not `init`: upstream's `kelos init` writes the CLI's
 * `~/.kelos/config.yaml`, and that meaning is kept free for compatibility.
 *
 * @packageDocumentation
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Command } from 'commander';
import type { CommandFactory } from '../io.ts';
import { ExitCode, UsageError } from '../io.ts';
import { scaffoldFiles } from '../scaffold/templates.ts';
import { packageVersion } from '../version.ts';

/** `text` as one shell word, so the `cd` line the next steps print can be pasted as it is. */
const shellWord = (text: string): string =>
  /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;

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

/** The `kelos new` command. */
export const newCommand: CommandFactory = (io, done) =>
  new Command('new')
    .description(
      'create a GitOps repository in <dir>: an issue-worker app, the operator install and Argo CD objects, policy config, pre-commit hooks and a CI workflow; then npm install && npx kelos synth',
    )
    .argument('<dir>', 'directory to create (it must not exist, or be empty but for .git)')
    .option(
      '--kelos-version <range>',
      'version range of kelos-ts in package.json (default: ^ this version); a relative file: path is read from the current directory',
    )
    .option(
      '--repo-url <url>',
      'the git repository Argo CD syncs dist/ from, written into deploy/argocd.ts (default: a placeholder to replace)',
    )
    .action(async (dir: string, flags: { kelosVersion?: string; repoUrl?: string }) => {
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
        throw new UsageError(`cannot use ${dir}: ${err.message}`);
      });
      // A fresh clone of an empty repository holds only .git: the usual way into one's own repository.
      const other = existing.filter((e) => e !== '.git');
      if (other.length > 0)
        throw new UsageError(
          `${dir} is not empty (${other.slice(0, 3).join(', ')}${other.length > 3 ? ', …' : ''}); kelos new writes into a new directory, or one that holds only .git`,
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
      for (const [path, text] of files) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), text);
      }
      if (tarball) await copyFile(tarball, join(root, basename(tarball)));
      const written = files.size + (tarball ? 1 : 0);
      io.stdout(
        `created ${dir} (${written} files). Next:\n${root === io.cwd ? '' : `  cd ${shellWord(dir)}\n`}  npm install\n  npx kelos synth && npx kelos check\n`,
      );
      if (tarball)
        io.stdout(
          `${basename(tarball)} was copied into ${dir} and package.json installs kelos-ts from it (file:${basename(tarball)}): commit it with the rest, so the CI workflow's npm ci finds it.\n`,
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
