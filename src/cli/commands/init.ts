/**
 * `kelos init`: writes the config file template (`~/.kelos/config.yaml`, upstream's format)
 * for the user to fill in. Never overwrites one without `--force`; the file may hold tokens,
 * so it is created readable by its owner only.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { CONFIG_TEMPLATE, configPath } from '../cluster/config.ts';
import { type CommandFactory, ExitCode, UsageError } from '../io.ts';

export const initCommand: CommandFactory = (io, done) =>
  new Command('init')
    .description('write a Kelos config file (~/.kelos/config.yaml) with every setting explained')
    .option('-f, --force', 'overwrite an existing config file')
    .option('--config <path>', 'where to write it (default: ~/.kelos/config.yaml)')
    .action(async (flags: { force?: boolean; config?: string }) => {
      const path = configPath(flags.config, io.env, io.cwd);
      if (existsSync(path) && !flags.force) {
        throw new UsageError(
          `${path} already exists; edit it, or pass --force to replace it with the template`,
        );
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, CONFIG_TEMPLATE, { mode: 0o600 });
      io.stdout(
        `wrote ${path}\nnext: fill in a credential (oauthToken, apiKey or secret) and a workspace, then: kelos run -p "…" -w\n`,
      );
      done(ExitCode.Ok);
    });
