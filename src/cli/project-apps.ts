/**
 * The project's apps, synthesized in memory: what `kelos check` and `kelos validate` read when
 * they are given no paths. One way for both, so the two commands agree on what "the project"
 * is and on when there is none.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Option } from 'commander';
import { CONFIG_FILE, ConfigError } from '../compiler/config.ts';
import { DEFAULT_APP_TIMEOUT_MS } from '../compiler/run-apps.ts';
import type { SynthResult } from '../compiler/synth.ts';
import { parentsToGitRoot } from '../policy/load-config.ts';
import type { Diagnostic } from '../validate/diagnostic.ts';
import type { ValidateOptions } from '../validate/index.ts';
import { type CliIo, UsageError } from './io.ts';

/** The project a command without paths works on: the directory of its `cdk8s.yaml`. */
export interface Project {
  /** The directory holding `cdk8s.yaml`: what synth runs in and its paths are relative to. */
  readonly root: string;
  /** Its `cdk8s.yaml` as a path from the working directory, when that is not the root. */
  readonly elsewhere?: string;
}

/**
 * The nearest directory holding `cdk8s.yaml`: the working directory, else its nearest parent up
 * to the git repository's root (not above it, and outside a repository none), as the policy
 * file is looked up and as git finds its repository, so `cd apps && kelos check` checks the
 * project the directory is part of. `undefined` when there is none.
 */
export const findProject = (cwd: string): Project | undefined => {
  if (existsSync(join(cwd, CONFIG_FILE))) return { root: cwd };
  const root = parentsToGitRoot(cwd).find((dir) => existsSync(join(dir, CONFIG_FILE)));
  return root === undefined
    ? undefined
    : { root, elsewhere: join(relative(cwd, root), CONFIG_FILE).replaceAll('\\', '/') };
};

/**
 * The project `kelos <command>` without paths works on ({@link findProject}), said once on
 * standard error when it is above the working directory (stdout may be a report a machine
 * reads, or the manifests of `synth --stdout`).
 *
 * @param required Whether no `cdk8s.yaml` is a usage error (check, validate); without it (synth)
 *   the working directory is the project, its `cdk8s.yaml` defaulted.
 * @throws UsageError when `required` and there is no `cdk8s.yaml`.
 */
export const projectFor = (io: CliIo, command: string, required = true): Project => {
  const found = findProject(io.cwd);
  if (found === undefined) {
    if (!required) return { root: io.cwd };
    const gitRoot = parentsToGitRoot(io.cwd).at(-1);
    const where =
      gitRoot === undefined
        ? `${io.cwd} has no ${CONFIG_FILE}`
        : `neither ${io.cwd} nor a parent up to the git root ${gitRoot} has a ${CONFIG_FILE}`;
    throw new UsageError(
      `no paths given, and ${where}: kelos ${command} reads manifest paths (files, directories or - for stdin) or, without them, the apps of the ${CONFIG_FILE} in the working directory or the nearest parent up to the git root`,
    );
  }
  if (found.elsewhere !== undefined) io.stderr(`kelos ${command}: the project of ${found.elsewhere}\n`);
  return found;
};

/**
 * `diagnostics` of the project at `root`, whose files are named from `root`, with their files
 * named from `cwd` instead, as every other path a command prints is (the policy file found in
 * a parent: `../kelos.policy.yaml`); the CI formats make them relative to the repository root
 * from there.
 */
export const fromWorkingDirectory = (
  diagnostics: readonly Diagnostic[],
  root: string,
  cwd: string,
): Diagnostic[] => {
  if (root === cwd) return [...diagnostics];
  const moved = (file: string) => relative(cwd, resolve(root, file)).replaceAll('\\', '/');
  return diagnostics.map((d) =>
    d.source === undefined
      ? d
      : {
          ...d,
          source: {
            ...d.source,
            file: moved(d.source.file),
            ...(d.source.rendered && {
              rendered: { ...d.source.rendered, file: moved(d.source.rendered.file) },
            }),
          },
        },
  );
};

/** The longest timer Node can set, 2^31 - 1 ms, in whole seconds; a longer one fires at once. */
const MAX_APP_TIMEOUT_SECONDS = 2_147_483;

/**
 * `--app-timeout <seconds>`, for every command that runs the project's apps (synth, and check
 * and validate without paths), in seconds on the command line.
 *
 * @param when When the command runs apps, for the help (e.g. `without paths`).
 */
export const appTimeoutOption = (when?: string): Option =>
  new Option(
    '--app-timeout <seconds>',
    `stop an app that runs longer than this, and fail${when ? ` (${when})` : ''}`,
  )
    .default(DEFAULT_APP_TIMEOUT_MS / 1000)
    .argParser((v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > MAX_APP_TIMEOUT_SECONDS)
        throw new UsageError(
          `--app-timeout must be a number of seconds above 0 and at most ${MAX_APP_TIMEOUT_SECONDS} (about 24 days, the longest timer Node sets), got "${v}"`,
        );
      return n;
    });

/**
 * Runs the apps `cdk8s.yaml` names and validates what they render, writing nothing. The
 * compiler's pipeline (cdk8s, the constructs) is imported here, so a command given paths never
 * loads it.
 *
 * Without a `cdk8s.yaml` ({@link projectFor}) this is a usage error: synth would fall back to
 * its default app glob, which in any other directory matches nothing, and a check over nothing
 * must not pass. The result's paths are relative to `project.root`.
 *
 * @param project The project, as {@link projectFor} found it.
 * @param command The command asking (`check`, `validate`), named in errors.
 * @param validate Validator options, as the command's flags set them.
 * @param appTimeoutMs How long one app may run ({@link appTimeoutOption}).
 * @throws UsageError when its `cdk8s.yaml` cannot be used.
 */
export async function synthesizeProject(
  io: CliIo,
  project: Project,
  validate: ValidateOptions,
  appTimeoutMs: number,
): Promise<SynthResult> {
  const { synthesize } = await import('../compiler/synth.ts');
  try {
    return await synthesize({
      root: project.root,
      validate,
      appTimeoutMs,
      appOutput: (t) => io.stderr(t),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
