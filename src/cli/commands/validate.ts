/**
 * `kelos validate`: checks manifests offline, as the API server would and more: strict schemas
 * (unknown fields are errors), every CEL rule of the CRDs, and references across the bundle.
 * With no paths it validates what the project's apps render, as `kelos check` with no paths
 * checks them.
 *
 * @packageDocumentation
 */
import { setFlagsFromString } from 'node:v8';
import { Command } from 'commander';
import { BUILTIN_RULE_IDS } from '../../../policies/index.ts';
import { KELOS_VERSION } from '../../api/version.ts';
import { appFailed } from '../../compiler/app-run.ts';
import { namespaceNameProblem } from '../../install/watch-namespaces.ts';
import { loadPolicyConfig, policyFileElsewhere } from '../../policy/load-config.ts';
import { formatReport, type ReportFormat, type ReportOptions } from '../../policy/reporters/index.ts';
import { repositoryRoot } from '../../validate/argocd-paths.ts';
import {
  aggregateNotValidated,
  countSeverities,
  type Diagnostic,
  formatDiagnosticBlock,
  hasFailures,
  JSON_REPORT_VERSION,
  limitPerCode,
  type SeverityCounts,
  sortDiagnostics,
  type ValidateOptions,
  validateDocuments,
  withoutSchemaRepeats,
} from '../../validate/index.ts';
import {
  bundleLabel,
  conflictsAcrossBundles,
  objectCount,
  uniqueDiagnostics,
} from '../../validate/kustomization.ts';
import { bundlesBeside, cyclesAcrossBundles } from '../../validate/references.ts';
import { assertBesideUsable, loadWithBeside } from '../beside.ts';
import { writeFlagFile } from '../files.ts';
import type { CliIo, CommandFactory } from '../io.ts';
import { ExitCode, UsageError } from '../io.ts';
import { appTimeoutOption, fromWorkingDirectory, projectFor, synthesizeProject } from '../project-apps.ts';
import { reportFormat, reportFormatOption, reportOutputOption } from '../report-format.ts';

interface ValidateFlags {
  readonly format?: ReportFormat;
  readonly output?: string;
  readonly strict?: boolean;
  readonly strictRefs?: boolean;
  readonly namespace?: string;
  readonly config?: string;
  readonly appTimeout: number;
  readonly beside?: string[];
}

/**
 * Counts of one run, printed as the last line (text) or the `summary` member (JSON), named as
 * `kelos check` names them.
 */
export interface ValidateSummary extends SeverityCounts {
  readonly files: number;
  readonly objects: number;
}

const summarize = (files: number, objects: number, diagnostics: readonly Diagnostic[]): ValidateSummary => ({
  files,
  objects,
  ...countSeverities(diagnostics),
});

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The last line of the text report, and what `-o` prints: `3 objects, 1 error, 0 warnings`. */
const summaryLine = (summary: ValidateSummary, policyFile?: string): string =>
  `${plural(summary.objects, 'object')}, ${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}${policyFile === undefined ? '' : `; policy from ${policyFile}`}`;

/**
 * One run's report in `format`: text and JSON are validate's own; SARIF, JUnit and GitHub
 * workflow commands are `kelos check`'s formatters, with validate's findings as the report's
 * diagnostics and no rules or suppressions (validate has neither).
 */
export const formatValidation = (
  format: ReportFormat,
  summary: ValidateSummary,
  diagnostics: readonly Diagnostic[],
  options: ReportOptions,
  /** The policy file read, when not the working directory's: the summary line names it. */
  policyFile?: string,
): string => {
  switch (format) {
    case 'json':
      // The shape of `kelos check --format json`, so one reader reads both; every finding, as a
      // machine reads them all (check's has no cap either).
      return `${JSON.stringify({ version: JSON_REPORT_VERSION, summary, diagnostics }, null, 2)}\n`;
    case 'text':
      // Counts cover everything; a person reads at most MAX_PER_CODE findings of one code.
      // Nothing is written: a project's findings say where the object would be rendered.
      return [
        ...limitPerCode(diagnostics).map((d) => formatDiagnosticBlock(d, false)),
        summaryLine(summary, policyFile),
      ]
        .map((line) => `${line}\n`)
        .join('');
    default: {
      // JUnit lists a suite per rule that ran; validate's checks are no rules, so a clean run
      // would be an empty report, which CI test viewers read as no tests at all.
      const rules =
        format === 'junit' && diagnostics.length === 0
          ? [
              {
                id: 'validate',
                severity: 'error' as const,
                description: 'kelos validate',
                rationale: '',
                hint: '',
              },
            ]
          : [];
      return formatReport({ diagnostics, suppressions: [], rules, objects: summary.objects }, format, {
        ...options,
        tool: 'kelos validate',
        summary: summaryLine(summary, policyFile),
      });
    }
  }
};

/** What one run validated, before it is reported. */
interface Validated {
  /** Every finding, sorted. */
  readonly diagnostics: readonly Diagnostic[];
  readonly files: number;
  readonly objects: number;
}

/** Validates manifest paths: each kustomization root is its own bundle, as Argo CD deploys it. */
async function validatePaths(
  io: CliIo,
  paths: readonly string[],
  options: ValidateOptions,
  besidePaths?: readonly string[],
): Promise<Validated> {
  // Memory: V8 sizes its heap for throughput; on the benchmark's 10,000 files (about 95 MiB
  // live at the end) that grew the process to 375-390 MiB. Measured on those files, each flag
  // against the others (load 6-20, 2 cores, output identical; bench/README.md has the table):
  // - Maglev, V8's mid tier, kept about 210 MiB of compiler memory for the large generated
  //   schema validators (500 MiB with it, 290 MiB without) at no measurable gain in time;
  //   Turbofan still optimises the hot code.
  // - The young generation grows from its start size (2x per step by default) up to 16 MiB
  //   per semi-space; kept at its start size, peak RSS falls to 270-295 MiB.
  // - The old generation may then grow to 1.2x its live size between collections (V8
  //   otherwise allows up to 4x): 255-265 MiB.
  // Together they cost 0.3-0.5 s of about 4 s of CPU (more scavenges and mark-compacts).
  // Only the heap's sizing and the JIT tiers change, never a result. The semi-space size
  // itself cannot be changed once the process runs; its growth factor can.
  setFlagsFromString('--no-maglev');
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=20');
  const { loaded, context } = await loadWithBeside(paths, besidePaths, io);
  // A reference to what another kustomization root of the tree deploys resolves there.
  const besideOf =
    loaded.bundles.length + context.length > 1
      ? bundlesBeside(
          [...loaded.bundles, ...context].map((b) => ({ label: bundleLabel(b), documents: b.documents })),
          options.namespace,
        )
      : undefined;
  // A file beside that does not parse may hold what a reference names, as one of the bundle's may.
  const besideUnread = context.flatMap((b) => b.unread ?? []);
  return {
    diagnostics: sortDiagnostics(
      withoutSchemaRepeats(
        uniqueDiagnostics([
          ...loaded.diagnostics,
          ...loaded.bundles.flatMap((b) => {
            const unread = [...new Set([...(b.unread ?? []), ...besideUnread])];
            return validateDocuments(b.documents, {
              ...options,
              ...besideOf?.(bundleLabel(b)),
              ...(unread.length > 0 && { unreadFiles: unread }),
              ...(b.leftOut !== undefined && { leftOut: b.leftOut }),
            });
          }),
          ...conflictsAcrossBundles(loaded.bundles, options.namespace, context),
          ...cyclesAcrossBundles(loaded.bundles, options.namespace),
        ]),
      ),
    ),
    files: loaded.files.length,
    objects: objectCount(loaded.bundles),
  };
}

/**
 * Validates the project's apps, synthesized in memory as `kelos check` without paths reads
 * them; synth validates what it renders (an app that fails is an error too), so this reports
 * synth's findings, at the app line that made each object. The files are the rendered ones
 * holding the objects, which are never written.
 */
async function validateProject(
  io: CliIo,
  options: ValidateOptions,
  appTimeoutMs: number,
): Promise<Validated> {
  const project = projectFor(io, 'validate');
  const result = await synthesizeProject(io, project, options, appTimeoutMs);
  return {
    diagnostics: fromWorkingDirectory(result.diagnostics, project.root, io.cwd),
    files: new Set(result.objects.map((o) => o.file)).size,
    objects: result.objects.length,
  };
}

/** The `kelos validate` command. */
export const validateCommand: CommandFactory = (io, done) =>
  new Command('validate')
    .description(
      'validate kelos.dev manifests offline: strict schemas, CEL rules and references across the bundle (exit 0 valid, 2 violations, 1 usage or I/O error)',
    )
    .argument(
      '[paths...]',
      'manifest files, directories (every *.yaml, *.yml and *.json below them) or - for stdin; none: the TypeScript apps of the cdk8s.yaml in the working directory or the nearest parent up to the git root, synthesized in memory',
    )
    .addOption(reportFormatOption())
    .addOption(reportOutputOption())
    .option(
      '--strict',
      'fail on warnings too (a reference or Secret outside the bundle, an object two bundles share, an empty file named, ...)',
    )
    .option(
      '--strict-refs',
      'every reference must resolve inside the bundle: to a Workspace, AgentConfig or Task, and to a Secret unless externalSecrets lists it',
    )
    // No commander default: without -n, a reference of an object that names no namespace is
    // told to exist where kubectl -n or the Argo CD destination puts it, not in "default". The
    // help says what the flag does: no flag can know the namespace a later apply picks.
    .option(
      '-n, --namespace <namespace>',
      'namespace of the objects that set no metadata.namespace (and are in no kustomization, nor Argo CD app directory, that sets one): their references resolve and duplicates collide there, and a reference outside the bundle must exist there (default: "default", where such a reference is said to be needed in whatever namespace the object is applied to)',
    )
    .option(
      '-c, --config <file>',
      'policy configuration whose externalSecrets list the Secrets that exist outside git (default: kelos.policy.yaml, else the policy section of cdk8s.yaml, in the working directory or the nearest parent up to the git root that holds either)',
    )
    .option(
      '--beside <paths...>',
      "with paths: manifests deployed beside them (the rendered apps, dist/), read so a reference to their objects resolves there, their Argo CD Applications and ApplicationSets bundling the paths' loose manifests as among the paths; not validated",
    )
    .addOption(appTimeoutOption('without paths, when the apps run'))
    .action(async (paths: string[], flags: ValidateFlags) => {
      assertBesideUsable(flags.beside, paths, 'validate', 'validated');
      const badNamespace = flags.namespace === undefined ? undefined : namespaceNameProblem(flags.namespace);
      if (badNamespace) throw new UsageError(`-n: ${badNamespace}`);
      const config = await loadPolicyConfig(io.cwd, BUILTIN_RULE_IDS, flags.config);
      const { externalSecrets, externalNamespaces } = config;
      const policyFile = policyFileElsewhere(config, flags.config);
      const options: ValidateOptions = {
        requireRefs: flags.strictRefs === true,
        externalSecrets,
        externalNamespaces,
        ...(flags.namespace ? { namespace: flags.namespace } : {}),
      };
      const run =
        paths.length > 0
          ? await validatePaths(io, paths, options, flags.beside)
          : await validateProject(io, options, flags.appTimeout * 1000);
      const diagnostics = aggregateNotValidated(run.diagnostics);
      const summary = summarize(run.files, run.objects, diagnostics);
      const root = repositoryRoot(io.cwd, new Map());
      const report = formatValidation(
        reportFormat(flags.format, flags.output),
        summary,
        diagnostics,
        {
          cwd: io.cwd,
          ...(root !== undefined && { root }),
          strict: flags.strict === true,
          toolVersion: KELOS_VERSION,
        },
        policyFile,
      );
      if (flags.output) {
        await writeFlagFile('-o', flags.output, io.cwd, report);
        io.stdout(`${summaryLine(summary, policyFile)}\n`);
      } else {
        io.stdout(report);
      }
      // An app that could not run is a runtime error (exit 1), as for kelos synth.
      done(
        appFailed(diagnostics)
          ? ExitCode.Error
          : hasFailures(diagnostics, flags.strict === true)
            ? ExitCode.Violations
            : ExitCode.Ok,
      );
    });
