/**
 * The project's apps, synthesized in memory: what `kelos check` and `kelos validate` read when
 * they are given no paths. One way for both, so the two commands agree on what "the project"
 * is and on when there is none.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, ConfigError } from '../compiler/config.ts';
import type { SynthResult } from '../compiler/synth.ts';
import type { ValidateOptions } from '../validate/index.ts';
import { type CliIo, UsageError } from './io.ts';

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
 * @throws UsageError when there is no `cdk8s.yaml`, or it cannot be used.
 */
export async function synthesizeProject(
  io: CliIo,
  command: string,
  validate: ValidateOptions,
): Promise<SynthResult> {
  if (!existsSync(join(io.cwd, CONFIG_FILE))) {
    throw new UsageError(
      `no paths given, and ${io.cwd} has no ${CONFIG_FILE}: kelos ${command} reads manifest paths (files, directories or - for stdin) or, without them, the apps of the ${CONFIG_FILE} in the working directory`,
    );
  }
  const { synthesize } = await import('../compiler/synth.ts');
  try {
    return await synthesize({ root: io.cwd, validate });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}
