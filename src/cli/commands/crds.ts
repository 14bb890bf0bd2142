/**
 * `kelos crds`: prints or writes the CustomResourceDefinitions of every served kind, or checks
 * them against older CRDs (`--check-against`): the upgrade check, for a release against the
 * previous one and for a user against what their cluster runs
 * (`kubectl get crd -l app.kubernetes.io/part-of=kelos -o yaml > installed.yaml`).
 *
 * @packageDocumentation
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { crdFileName, generateCrds } from '../../crd/generate.ts';
import { plural } from '../../policy/reporters/common.ts';
import { type CrdLike, type CrdMigration, crdNarrowings } from '../../validate/crd-compat.ts';
import {
  countSeverities,
  type Diagnostic,
  formatDiagnosticBlock,
  hasFailures,
} from '../../validate/diagnostic.ts';
import { configDocuments } from '../../validate/yaml-errors.ts';
import { writeIntoFlagDirectory } from '../files.ts';
import type { CommandFactory } from '../io.ts';
import { ExitCode, UsageError } from '../io.ts';
import { packageVersion } from '../version.ts';

/** YAML options that keep long descriptions on one line, so diffs stay readable. */
const YAML_OPTIONS = { lineWidth: 0, minContentWidth: 0 } as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every document of a YAML file (or of each `.yaml`/`.yml` file in a directory). */
async function readDocuments(path: string): Promise<{ file: string; docs: unknown[] }[]> {
  const info = await stat(path).catch(() => {
    throw new UsageError(`${path}: no such file or directory`);
  });
  const files = info.isDirectory()
    ? (await readdir(path))
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  return Promise.all(
    files.map(async (file) => {
      try {
        return { file, docs: configDocuments(await readFile(file, 'utf8'), file) };
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }),
  );
}

/** The CRDs in files written by `kelos crds -o` or `kubectl get crd -o yaml` (a List). */
async function readCrds(path: string): Promise<CrdLike[]> {
  const crds: CrdLike[] = [];
  for (const { docs } of await readDocuments(path)) {
    for (const doc of docs) {
      const items =
        isRecord(doc) && doc['kind'] === 'List' && Array.isArray(doc['items']) ? doc['items'] : [doc];
      for (const item of items) {
        if (isRecord(item) && item['kind'] === 'CustomResourceDefinition')
          crds.push(item as unknown as CrdLike);
      }
    }
  }
  if (crds.length === 0) throw new UsageError(`${path}: holds no CustomResourceDefinition`);
  return crds;
}

/** The `migrations` list of a migrations file, each entry checked for its three fields. */
async function readMigrations(path: string): Promise<CrdMigration[]> {
  const [{ docs } = { docs: [] }] = await readDocuments(path);
  const list = isRecord(docs[0]) ? docs[0]['migrations'] : undefined;
  if (!Array.isArray(list)) throw new UsageError(`${path}: expected a mapping with a "migrations" list`);
  return list.map((entry, i) => {
    const ok =
      isRecord(entry) &&
      ['crd', 'path', 'reason'].every((k) => typeof entry[k] === 'string' && entry[k] !== '');
    if (!ok)
      throw new UsageError(
        `${path}: /migrations/${i}: expected crd, path and reason, each a non-empty string`,
      );
    return entry as unknown as CrdMigration;
  });
}

/**
 * The deliberate incompatible changes of this version, with their reasons, as the package ships
 * them (package.json `files`): found through the package's self-reference, which names the
 * repository root from source and the installed package from `node_modules`, so the upgrade
 * check of `npx kelos crds --check-against` knows them without a clone of the repository.
 * Resolved when asked, not when the CLI loads: no other command depends on it.
 */
export const packagedMigrations = (): string =>
  fileURLToPath(new URL('release/crd-migrations.yaml', import.meta.resolve('kelos-ts/package.json')));

/** A path to show: relative to `cwd` when under it, else absolute. */
const shown = (path: string, cwd: string): string => {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
};

/**
 * The last line of the upgrade check: what its findings mean for the objects the older CRDs
 * accept. A listed migration still refuses or prunes what it is about (its reason says why that
 * is safe), so the check says "every object is still accepted" only when nothing changed.
 */
export const checkSummary = (
  crdCount: number,
  against: string,
  migrationsFile: string,
  findings: readonly Diagnostic[],
): string => {
  const { errors, warnings, info: listed } = countSeverities(findings);
  const defaults = warnings > 0 ? `; ${plural(warnings, 'changed default')}` : '';
  const head = `${plural(crdCount, 'CRD')} checked against ${against}`;
  if (errors > 0)
    return `${head}: ${plural(errors, 'incompatible change')} not listed in ${migrationsFile}${
      listed > 0 ? ` (and ${listed} listed)` : ''
    }${defaults}: objects the older CRDs accept may be refused or pruned`;
  if (listed > 0)
    return `${head}: ${plural(listed, 'incompatible change')}, all listed migrations (${migrationsFile}): an object that uses one of those fields is refused or pruned, as each reason explains; every other object they accept is still accepted${defaults}`;
  return `${head}: every object they accept is still accepted${defaults}`;
};

export const crdsCommand: CommandFactory = (io, done) =>
  new Command('crds')
    .description(
      'print the CustomResourceDefinitions of every kelos.dev kind (or write one file per CRD with --output, or check them against older CRDs with --check-against)',
    )
    .option('-o, --output <dir>', 'write one file per CRD into this directory instead of printing')
    .option(
      '--check-against <path>',
      'report every change that would refuse or prune an object the CRDs in this file or directory accept (kubectl get crd -l app.kubernetes.io/part-of=kelos -o yaml > installed.yaml); exit 2 when one is not a listed migration',
    )
    .option(
      '--migrations <file>',
      "with --check-against: deliberate changes to let pass, each with its reason (default: this version's release/crd-migrations.yaml, shipped in the package)",
    )
    .action(async (opts: { output?: string; checkAgainst?: string; migrations?: string }) => {
      const crds = generateCrds();
      if (opts.checkAgainst) {
        const previous = await readCrds(resolve(io.cwd, opts.checkAgainst));
        const migrationsFile = opts.migrations ? resolve(io.cwd, opts.migrations) : packagedMigrations();
        const migrations = await readMigrations(migrationsFile);
        const migrationsShown = opts.migrations ?? shown(migrationsFile, io.cwd);
        io.stderr(
          `migrations: ${migrationsShown} (${
            opts.migrations
              ? '--migrations'
              : `kelos-ts ${packageVersion()}'s; --migrations <file> uses another`
          }), ${migrations.length} entries\n`,
        );
        const findings = crdNarrowings(previous, crds, migrations);
        for (const d of findings) io.stdout(`${formatDiagnosticBlock(d)}\n`);
        const failed = hasFailures(findings);
        io.stderr(`${checkSummary(previous.length, opts.checkAgainst, migrationsShown, findings)}\n`);
        done(failed ? ExitCode.Violations : ExitCode.Ok);
        return;
      }
      if (!opts.output) {
        io.stdout(crds.map((crd) => stringify(crd, YAML_OPTIONS)).join('---\n'));
        done(ExitCode.Ok);
        return;
      }
      await writeIntoFlagDirectory(
        '-o',
        opts.output,
        io.cwd,
        crds.map((crd) => [crdFileName(crd), stringify(crd, YAML_OPTIONS)] as const),
      );
      io.stderr(`wrote ${crds.length} CRDs to ${opts.output}\n`);
      done(ExitCode.Ok);
    });
