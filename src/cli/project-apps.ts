/**
 * The project's apps, synthesized in memory: what `kelos check` and `kelos validate` read when
 * they are given no paths. One way for both, so the two commands agree on what "the project"
 * is and on when there is none.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { CONFIG_FILE, ConfigError } from '../compiler/config.ts';
import { DEFAULT_APP_TIMEOUT_MS } from '../compiler/run-apps.ts';
import type { SynthResult } from '../compiler/synth.ts';
import type { ValidateOptions } from '../validate/index.ts';
import { type CliIo, UsageError } from './io.ts';

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
 * Without `cdk8s.yaml` in the working directory this is a usage error: synth would fall back to
 * its default app glob, which in any other directory matches nothing, and a check over nothing
 * must not pass.
 *
 * @param command The command asking (`check`, `validate`), named in the usage error.
 * @param validate Validator options, as the command's flags set them.
 * @param appTimeoutMs How long one app may run ({@link appTimeoutOption}).
 * @throws UsageError when there is no `cdk8s.yaml`, or it cannot be used.
 */
export async function synthesizeProject(
  io: CliIo,
  command: string,
  validate: ValidateOptions,
  appTimeoutMs: number,
): Promise<SynthResult> {
  if (!existsSync(join(io.cwd, CONFIG_FILE))) {
    throw new UsageError(
      `no paths given, and ${io.cwd} has no ${CONFIG_FILE}: kelos ${command} reads manifest paths (files, directories or - for stdin) or, without them, the apps of the ${CONFIG_FILE} in the working directory`,
    );
  }
  const { synthesize } = await import('../compiler/synth.ts');
  try {
    return await synthesize({ root: io.cwd, validate, appTimeoutMs, appOutput: (t) => io.stderr(t) });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
