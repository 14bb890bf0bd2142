/**
 * `kelos synth`: renders the cdk8s apps into validated, deterministic manifests in `dist/`.
 *
 * @packageDocumentation
 */
import { relative } from 'node:path';
import { Command, Option } from 'commander';
import { BUILTIN_RULE_IDS } from '../../../policies/index.ts';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type SynthConfig } from '../../compiler/config.ts';
import { toYamlStream } from '../../compiler/render.ts';
import {
  AppSelectionError,
  type PolicyStep,
  runSynth,
  type SynthMode,
  type SynthOutcome,
} from '../../compiler/synth.ts';
import { outputDirs, watchSynth } from '../../compiler/watch.ts';
import { loadPolicyConfig } from '../../policy/load-config.ts';
import { aggregateNotValidated, type Diagnostic, formatDiagnosticBlock } from '../../validate/index.ts';
import type { CommandFactory } from '../io.ts';
import { type CliIo, ExitCode, UsageError } from '../io.ts';
import { appTimeoutOption, fromWorkingDirectory, projectFor } from '../project-apps.ts';

interface SynthFlags {
  readonly check?: boolean;
  readonly stdout?: boolean;
  readonly watch?: boolean;
  readonly app?: string[];
  readonly preview?: boolean;
  readonly format: 'text' | 'json';
  readonly verbose?: boolean;
  readonly appTimeout: number;
}

/** Warnings listed per code before the rest are only counted (all are listed with --verbose). */
export const WARNINGS_PER_CODE = 3;

/** The code of a reference to a Secret outside the bundle (and outside git). */
const SECRET_EXTERNAL = 'ref/secret-external';

/**
 * A `ref/secret-external` warning whose name is one edit or so from a Secret the bundle or the
 * policy file knows (references.ts adds `did you mean`): a likely typo, listed on its own rather
 * than summed into the Secrets to create, which would advise declaring the typo.
 */
const isCollapsedSecret = (d: Diagnostic): boolean =>
  d.code === SECRET_EXTERNAL && !d.message.includes('; did you mean "');

/**
 * The Secrets named by `ref/secret-external` warnings, as `namespace/name`, sorted: what a user
 * must create in the cluster (or declare under `externalSecrets` once it exists).
 */
export const externalSecretsOf = (diagnostics: readonly Diagnostic[]): string[] => {
  const names = new Set<string>();
  for (const d of diagnostics) {
    if (!isCollapsedSecret(d)) continue;
    // `namespace/name` when the object names its namespace; the bare name when the namespace
    // it lands in is decided at apply time (references.ts).
    const m = /Secret "([^"]+)".*?it must exist in namespace "([^"]+)"/.exec(d.message);
    const bare = /Secret "([^"]+)"/.exec(d.message);
    if (m) names.add(`${m[2]}/${m[1]}`);
    else if (bare) names.add(bare[1] as string);
  }
  return [...names].sort();
};

/**
 * The diagnostics a text report lists: every error and info, and the first
 * {@link WARNINGS_PER_CODE} warnings of each code; plus one line per code counting the rest.
 * References to Secrets outside git, dozens of identical warnings, are not listed one by one:
 * the report names the Secrets in one line instead, so the errors stay visible; objects of kinds
 * with no bundled schema are counted in one info.
 */
export const selectForText = (
  diagnostics: readonly Diagnostic[],
  verbose: boolean,
): { listed: Diagnostic[]; omitted: Array<{ code: string; count: number }> } => {
  if (verbose) return { listed: [...diagnostics], omitted: [] };
  const seen = new Map<string, number>();
  const listed: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.severity !== 'warning') {
      listed.push(d);
      continue;
    }
    if (isCollapsedSecret(d)) continue;
    const n = (seen.get(d.code) ?? 0) + 1;
    seen.set(d.code, n);
    if (n <= WARNINGS_PER_CODE) listed.push(d);
  }
  const omitted = [...seen.entries()]
    .filter(([, n]) => n > WARNINGS_PER_CODE)
    .map(([code, n]) => ({ code, count: n - WARNINGS_PER_CODE }))
    .sort((a, b) => a.code.localeCompare(b.code));
  // Objects of kinds with no bundled schema (Argo CD Applications) are counted in one line.
  return { listed: aggregateNotValidated(listed), omitted };
};

/**
 * The policy step of the synth pipeline: the built-in policies with the project's policy
 * config (`kelos.policy.yaml`, or the `policy:` section of cdk8s.yaml). Their findings count
 * like validation diagnostics, so synth writes nothing on a policy error.
 */
export const synthPolicyStep =
  (root: string): PolicyStep =>
  async (objects) =>
    (await import('../../compiler/policy-step.ts')).synthPolicyDiagnostics(root, objects);

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const count = (diagnostics: readonly Diagnostic[], severity: Diagnostic['severity']) =>
  diagnostics.filter((d) => d.severity === severity).length;

/** Exit code of one outcome. */
export const exitCodeOf = (outcome: SynthOutcome): ExitCode => {
  if (outcome.result.status === 'failed') return ExitCode.Error;
  if (outcome.result.status === 'violations') return ExitCode.Violations;
  if (outcome.drift && outcome.drift.length > 0) return ExitCode.Violations;
  return ExitCode.Ok;
};

/** The last line: what ran, what was written, what was found, how long it took. */
export const summaryLine = (outcome: SynthOutcome, mode: SynthMode): string => {
  const { result } = outcome;
  const d = result.diagnostics;
  const parts = [plural(result.apps.length, 'app'), plural(result.objects.length, 'object')];
  if (result.status !== 'ok') parts.push(`${plural(result.files.length, 'file')}, nothing written`);
  else if (outcome.write) {
    const w = outcome.write;
    parts.push(
      `${plural(result.files.length, 'file')} (${w.written.length} written, ${w.removed.length} removed, ${w.unchanged} unchanged)`,
    );
  } else if (outcome.drift) {
    parts.push(`${plural(result.files.length, 'file')} (${outcome.drift.length} differ)`);
  } else parts.push(plural(result.files.length, 'file'));
  parts.push(`${plural(count(d, 'error'), 'error')}, ${plural(count(d, 'warning'), 'warning')}`);
  const label = mode === 'check' ? 'synth --check' : 'synth';
  return `${label}: ${parts.join(', ')} in ${(result.timings.total / 1000).toFixed(2)}s`;
};

/** Prints one outcome; returns its exit code. */
export const report = (
  io: CliIo,
  outcome: SynthOutcome,
  mode: SynthMode,
  format: 'text' | 'json',
  verbose = false,
): ExitCode => {
  const { result } = outcome;
  const code = exitCodeOf(outcome);
  if (format === 'json') {
    io.stdout(
      `${JSON.stringify(
        {
          status: code === ExitCode.Ok ? 'ok' : result.status === 'ok' ? 'drift' : result.status,
          apps: result.apps.map((a) => ({
            name: a.name,
            source: a.source,
            dir: a.dir,
            objects: a.objects.length,
          })),
          objects: result.objects.length,
          files: result.files.map((f) => f.path),
          ...(outcome.write && { written: outcome.write.written, removed: outcome.write.removed }),
          ...(outcome.drift && { drift: outcome.drift }),
          diagnostics: result.diagnostics,
          timings: result.timings,
        },
        null,
        2,
      )}\n`,
    );
    return code;
  }
  // With --stdout the manifests own stdout; the report goes to stderr.
  const out = mode === 'stdout' ? io.stderr : io.stdout;
  // --stdout writes nothing, so it shows the rendered objects even when they have errors:
  // that is where the file:line of each diagnostic can be read.
  if (mode === 'stdout' && result.status !== 'failed') io.stdout(toYamlStream(result.objects));
  const { listed, omitted } = selectForText(result.diagnostics, verbose);
  const written = result.status === 'ok' || mode === 'stdout';
  for (const d of listed) out(`${formatDiagnosticBlock(d, written)}\n`);
  for (const o of omitted) out(`… and ${plural(o.count, 'more warning')} ${o.code} (--verbose lists them)\n`);
  const secrets = externalSecretsOf(result.diagnostics);
  if (!verbose && secrets.length > 0) {
    const refs = result.diagnostics.filter(isCollapsedSecret).length;
    out(
      `warning: ${plural(refs, 'reference')} to ${plural(secrets.length, 'Secret')} outside git; create them in the cluster, then list them under externalSecrets in kelos.policy.yaml: ${secrets.join(', ')} [${SECRET_EXTERNAL}] (--verbose lists them)\n`,
    );
  }
  for (const drift of outcome.drift ?? []) out(`${drift.path}: ${drift.kind}\n`);
  if (outcome.drift && outcome.drift.length > 0) {
    out(
      `dist/ is out of date: ${plural(outcome.drift.length, 'file')} differ from what kelos synth writes; run kelos synth, then commit dist/ and .kelos-synth.json (a pre-commit hook checks what is staged)\n`,
    );
  }
  if (result.status === 'violations' && mode !== 'stdout') {
    out('nothing was written; kelos synth --stdout prints the rendered objects the diagnostics point into\n');
  }
  out(`${summaryLine(outcome, mode)}\n`);
  return code;
};

/** The `kelos synth` command. */
export const synthCommand: CommandFactory = (io, done) =>
  new Command('synth')
    .description(
      // The default is the one of a cdk8s.yaml without kelos.apps (this repository's layout);
      // a project names its own apps, as the one kelos new writes does.
      `render the apps the cdk8s.yaml of the working directory (or the nearest parent up to the git root) lists under kelos.apps (the globs of your app modules: apps/*/main.ts into dist/apps/<app>/ in a project kelos new writes; when cdk8s.yaml sets no kelos.apps, ${DEFAULT_CONFIG.apps.join(', ')} into ${DEFAULT_CONFIG.outdir}/<app>/) and kelos.bundles into validated, deterministic manifests, plus the CRDs (kelos.crds, default ${DEFAULT_CONFIG.crdsDir}/); writes nothing when any error exists (exit 0 ok, 2 violations or drift, 1 usage or runtime error)`,
    )
    .option(
      '--check',
      'write nothing; exit 2 naming every file in dist/ that differs from what synth would write',
    )
    .option('--stdout', 'print the manifests as one YAML stream instead of writing dist/')
    .option(
      '--watch',
      'synthesize again whenever a source file of the project changes (apps and what they import, cdk8s.yaml, kelos.policy.yaml; not node_modules or the output directories)',
    )
    .option('--app <dir...>', 'only these apps (name, module path or directory)')
    .option(
      '--preview',
      'also write dist/preview/: the Job each Task becomes and a sample Task and Job per TaskSpawner (never applied; kelos.preview in cdk8s.yaml turns it on for good)',
    )
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json']).default('text'))
    .option(
      '--verbose',
      `list every warning (by default ${WARNINGS_PER_CODE} per code are listed and the rest counted)`,
    )
    .addOption(appTimeoutOption())
    .action(async (flags: SynthFlags) => {
      const modes = [flags.check && '--check', flags.stdout && '--stdout', flags.watch && '--watch'].filter(
        Boolean,
      );
      if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} cannot be combined`);
      if (flags.stdout && flags.format === 'json') {
        throw new UsageError('--stdout prints manifests; it cannot be combined with --format json');
      }
      const mode: SynthMode = flags.check ? 'check' : flags.stdout ? 'stdout' : 'write';
      // From a subdirectory, the project it is in, as check and validate find it.
      const { root } = projectFor(io, 'synth', false);
      const options = {
        root,
        mode,
        ...(flags.app && { apps: flags.app }),
        ...(flags.preview && { preview: true }),
        policyStep: synthPolicyStep(root),
        appTimeoutMs: flags.appTimeout * 1000,
        // The apps' own output (console.log while debugging one), on stderr: stdout is the report.
        appOutput: (text: string) => io.stderr(text),
      };
      const once = async (): Promise<ExitCode> => {
        try {
          // Read on every run: watch mode picks up a Secret declared since the last one.
          const { externalSecrets, externalNamespaces } = await loadPolicyConfig(root, BUILTIN_RULE_IDS);
          const outcome = await runSynth({ ...options, validate: { externalSecrets, externalNamespaces } });
          // Findings name their files from the working directory, as check's and validate's do;
          // the files synth writes stay named from the project root, as its record lists them.
          const diagnostics = fromWorkingDirectory(outcome.result.diagnostics, root, io.cwd);
          const shown = { ...outcome, result: { ...outcome.result, diagnostics } };
          return report(io, shown, mode, flags.format, flags.verbose === true);
        } catch (err) {
          if (err instanceof ConfigError || err instanceof AppSelectionError)
            throw new UsageError(err.message);
          throw err;
        }
      };
      if (!flags.watch) {
        done(await once());
        return;
      }
      let config: SynthConfig;
      try {
        config = await loadConfig(root);
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.message);
        throw err;
      }
      const handle = watchSynth({
        root,
        outputs: outputDirs(config),
        onError: (err) => io.stderr(`kelos: watch: ${err instanceof Error ? err.message : String(err)}\n`),
        run: async (changed) => {
          if (changed.length > 0) io.stdout(`changed: ${changed.map((c) => relative('.', c)).join(', ')}\n`);
          await once().catch((err: unknown) => {
            io.stderr(`kelos: ${err instanceof Error ? err.message : String(err)}\n`);
          });
        },
      });
      await handle.ready;
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await handle.close();
      done(ExitCode.Ok);
    });
