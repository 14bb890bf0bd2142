/**
 * `kelos crds`: prints or writes the CustomResourceDefinitions of every served kind.
 *
 * @packageDocumentation
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { crdFileName, generateCrds } from '../../crd/generate.ts';
import type { CommandFactory } from '../io.ts';
import { ExitCode } from '../io.ts';

/** YAML options that keep long descriptions on one line, so diffs stay readable. */
const YAML_OPTIONS = { lineWidth: 0, minContentWidth: 0 } as const;

export const crdsCommand: CommandFactory = (io, done) =>
  new Command('crds')
    .description(
      'print the CustomResourceDefinitions of every kelos.dev kind (or write one file per CRD with --output)',
    )
    .option('-o, --output <dir>', 'write one file per CRD into this directory instead of printing')
    .action(async (opts: { output?: string }) => {
      const crds = generateCrds();
      if (!opts.output) {
        io.stdout(crds.map((crd) => stringify(crd, YAML_OPTIONS)).join('---\n'));
        done(ExitCode.Ok);
        return;
      }
      const dir = resolve(io.cwd, opts.output);
      await mkdir(dir, { recursive: true });
      for (const crd of crds) await writeFile(resolve(dir, crdFileName(crd)), stringify(crd, YAML_OPTIONS));
      io.stderr(`wrote ${crds.length} CRDs to ${opts.output}\n`);
      done(ExitCode.Ok);
    });
