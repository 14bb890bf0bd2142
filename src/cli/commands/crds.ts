/**
 * `kelos crds`: prints or writes the CustomResourceDefinitions of every served kind, or checks
 * them against older CRDs (`--check-against`): the upgrade check, for a release against the
 * previous one and for a user against what their cluster runs
 * (`kubectl get crd -l app.kubernetes.io/part-of=kelos -o yaml > installed.yaml`).
 *
 * @packageDocumentation
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { parseAllDocuments, stringify } from 'yaml';
import { crdFileName, generateCrds } from '../../crd/generate.ts';
import { type CrdLike, type CrdMigration, crdNarrowings } from '../../validate/crd-compat.ts';
import { formatDiagnosticBlock, hasFailures } from '../../validate/diagnostic.ts';
import { writeIntoFlagDirectory } from '../files.ts';
import type { CommandFactory } from '../io.ts';
import { ExitCode, UsageError } from '../io.ts';

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
      const docs = parseAllDocuments(await readFile(file, 'utf8'));
      for (const doc of docs) {
        if (doc.errors.length > 0) throw new UsageError(`${file}: ${doc.errors[0]!.message}`);
      }
      return { file, docs: docs.map((d) => d.toJS()) };
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

export const crdsCommand: CommandFactory = (io, done) =>
  new Command('crds')
    .description(
      'print the CustomResourceDefinitions of every kelos.dev kind (or write one file per CRD with --output, or check them against older CRDs with --check-against)',
    )
    .option('-o, --output <dir>', 'write one file per CRD into this directory instead of printing')
    .option(
      '--check-against <path>',
      'report every change that would refuse or prune an object the CRDs in this file or directory accept (exit 2)',
    )
    .option(
      '--migrations <file>',
      'with --check-against: deliberate changes to let pass, each with its reason',
    )
    .action(async (opts: { output?: string; checkAgainst?: string; migrations?: string }) => {
      const crds = generateCrds();
      if (opts.checkAgainst) {
        const previous = await readCrds(resolve(io.cwd, opts.checkAgainst));
        const migrations = opts.migrations ? await readMigrations(resolve(io.cwd, opts.migrations)) : [];
        const findings = crdNarrowings(previous, crds, migrations);
        for (const d of findings) io.stdout(`${formatDiagnosticBlock(d)}\n`);
        const failed = hasFailures(findings);
        io.stderr(
          `${previous.length} CRDs checked against ${opts.checkAgainst}: ${
            failed ? 'incompatible changes found' : 'every object they accept is still accepted'
          }\n`,
        );
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
