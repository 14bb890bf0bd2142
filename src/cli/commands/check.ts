/**
 * `kelos check`: runs the budget, forecast, concurrency, security and hygiene policies over
 * manifests (YAML files or directories) or, with no paths, over the project's TypeScript apps
 * synthesized in memory; reports in text, JSON, SARIF, JUnit or GitHub workflow commands.
 *
 * Exit codes: 0 clean (warnings allowed), 2 errors (or warnings with `--strict`), 1 usage, I/O
 * or configuration errors.
 *
 * On paths it runs the policies only: schemas and CEL rules are `kelos validate`'s (the
 * pre-commit hooks and the GitHub Action run both). Validating here too was measured at 193 →
 * 556 ms for a one-file check (ajv's Task validator is 1.7 MB of code even when generated at
 * build time), past the 4x `node -e ''` a pre-commit hook may cost. With no paths the apps are
 * synthesized, which validates every object anyway, so its findings are reported here. Only the
 * engine, the rules and the YAML loader are imported up front; the compiler (cdk8s) loads only
 * when there are no paths.
 *
 * @packageDocumentation
 */

import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { policyFileModelNames } from '../../../policies/hygiene-model-name.ts';
import { BUILTIN_RULE_IDS, BUILTIN_RULES, checkDocuments } from '../../../policies/index.ts';
import { isClusterScoped } from '../../api/cluster-scoped.ts';
import type { AdmissionExemptions, KelosConfigSpec } from '../../api/kelos-config.ts';
import { KELOS_VERSION } from '../../api/version.ts';
import { appFailed } from '../../compiler/app-run.ts';
import {
  argocdTaskTtlDiagnostics,
  namespaceMissingDiagnostics,
  namespaceUnwatchedDiagnostics,
} from '../../compiler/argocd-paths.ts';
import { type FilesRepository, gitRepositoryOf, NOT_IN_REPOSITORY } from '../../compiler/git-remotes.ts';
import { checkRendered } from '../../compiler/policy-step.ts';
import type { SynthObject } from '../../compiler/render.ts';
import { namespaceNameProblem } from '../../install/watch-namespaces.ts';
import { ENGINE_RULES } from '../../policy/engine.ts';
import {
  ADMISSION_POLICY_DIR,
  besideSchemaErrors,
  compileAdmissionPolicies,
  formatReport,
  loadPolicyConfig,
  type PolicyConfig,
  type PolicyReport,
  policyFileElsewhere,
  type ReportFormat,
  renderAdmissionPolicies,
} from '../../policy/index.ts';
import { summaryLine } from '../../policy/reporters/common.ts';
import {
  argocdUnevaluatedPathDiagnostics,
  BUNDLES_UNEVALUATED,
  repositoryPath,
  repositoryRoot,
  TTL_UNEVALUATED,
} from '../../validate/argocd-paths.ts';
import {
  type Diagnostic,
  formatLocation,
  hasFailures,
  JSON_REPORT_VERSION,
  sortDiagnostics,
  withoutSchemaRepeats,
} from '../../validate/diagnostic.ts';
import {
  type Bundle,
  conflictsAcrossBundles,
  objectCount,
  uniqueDiagnostics,
} from '../../validate/kustomization.ts';
import { type LoadedDocument, sourceAt } from '../../validate/load.ts';
import { loadManifestPaths } from '../../validate/manifest-files.ts';
import { assertBesideUsable, loadWithBeside } from '../beside.ts';
import { writeFlagFile, writeIntoFlagDirectory } from '../files.ts';
import type { CommandFactory } from '../io.ts';
import { type CliIo, colourOutput, ExitCode, UsageError } from '../io.ts';
import { appTimeoutOption, fromWorkingDirectory, projectFor, synthesizeProject } from '../project-apps.ts';
import { reportFormat, reportFormatOption, reportOutputOption } from '../report-format.ts';

interface CheckFlags {
  readonly format?: ReportFormat;
  readonly output?: string;
  readonly config?: string;
  readonly strict?: boolean;
  readonly listRules?: boolean;
  readonly emitAdmissionPolicies?: string | true;
  readonly adminConfig?: string;
  readonly appTimeout: number;
  readonly beside?: string[];
  readonly namespace?: string;
}

/**
 * `doc` in `namespace` when it sets none (`-n`, as `kelos validate -n` reads it and as
 * `kubectl apply -n` or an Argo CD Application's destination namespace deploys it), so the rules
 * that group by namespace (budget coverage, the forecast, shared workspaces) see where it lands.
 */
const inNamespace = (doc: LoadedDocument, namespace: string | undefined): LoadedDocument => {
  const kind = doc.object['kind'];
  if (namespace === undefined || isClusterScoped(kind) || kind === 'KelosConfig') return doc;
  const metadata = (doc.object['metadata'] ?? {}) as Record<string, unknown>;
  if (typeof metadata !== 'object' || metadata['namespace']) return doc;
  return { ...doc, object: { ...doc.object, metadata: { ...metadata, namespace } } };
};

/** Each object of `bundles` once (a file two bundles hold is in both), with its document. */
const objectsOf = (bundles: readonly Bundle[]) =>
  [...new Set(bundles.flatMap((b) => b.documents))].map((doc) => ({
    object: doc.object,
    file: doc.file,
    doc,
  }));

/**
 * `argocd/task-ttl` on manifests, as synth reports it on what it writes: a Task with a TTL in a
 * directory an Argo CD Application or ApplicationSet among the paths (or `--beside` them) syncs
 * from the Task's repository (its git remotes; by the path alone when they cannot be told).
 * Argo CD syncs a kustomization root whole, so a Task there lies in the root's directory; a
 * loose manifest, in its own.
 */
const taskTtlUnderArgoCd = async (
  bundles: readonly Bundle[],
  beside: readonly Bundle[],
  cwd: string,
): Promise<Diagnostic[]> => {
  const roots = new Map<string, string | undefined>();
  const objects = [
    ...bundles.flatMap((b) =>
      // A loose manifest an Argo CD app syncs lies in its own directory, as one outside any.
      b.documents.map((doc) => ({ object: doc.object, file: doc.file, doc, root: b.syncedBy ? '' : b.name })),
    ),
    // Beside the paths, only the Argo CD objects count: their Tasks are not checked here.
    ...beside.flatMap((b) =>
      b.documents
        .filter((doc) => String(doc.object['apiVersion']).startsWith('argoproj.io/'))
        .map((doc) => ({ object: doc.object, file: doc.file, doc, root: b.name })),
    ),
  ];
  type Placed = (typeof objects)[number];
  const locate = (o: Placed, pointer: string) => o.doc.locate(pointer);
  const syncedFrom = (o: Placed) =>
    repositoryPath(o.root === '' || o.file === '-' ? dirname(o.file) : o.root, cwd, roots);
  // Inside a repository, syncedFrom is relative to its root: Argo CD's paths must name it whole.
  const inRepository = (o: Placed) =>
    o.file !== '-' && repositoryRoot(resolve(cwd, dirname(o.file)), roots) !== undefined;
  // git runs only for a Task a path syncs, once per repository.
  if (argocdTaskTtlDiagnostics(objects, locate, syncedFrom, undefined, inRepository).length === 0) return [];
  const asked = new Map<string, Promise<FilesRepository>>();
  const repositories = new Map<Placed, FilesRepository>();
  for (const o of objects) {
    if (o.object['kind'] !== 'Task') continue;
    const root = repositoryRoot(resolve(cwd, dirname(o.file)), roots);
    if (root === undefined) {
      repositories.set(o, NOT_IN_REPOSITORY);
      continue;
    }
    const repository = asked.get(root) ?? gitRepositoryOf(root);
    asked.set(root, repository);
    repositories.set(o, await repository);
  }
  return argocdTaskTtlDiagnostics(
    objects,
    locate,
    syncedFrom,
    (o) => repositories.get(o) ?? NOT_IN_REPOSITORY,
    inRepository,
  );
};

/**
 * The bundles as the namespace findings group them: each kustomization root, and the loose
 * manifests by directory (Argo CD syncs a directory, kubectl applies one), at the directory an
 * Argo CD path names.
 */
const deployedGroups = (bundles: readonly Bundle[], cwd: string, roots: Map<string, string | undefined>) => {
  const placed = (b: Bundle) => b.documents.map((doc) => ({ object: doc.object, file: doc.file, doc }));
  type Placed = ReturnType<typeof placed>[number];
  const groups = bundles.flatMap((b) => {
    if (b.name !== '' && b.syncedBy === undefined)
      return [
        {
          label: `kustomization ${b.name}`,
          path: b.name,
          apply: `kubectl apply -k ${b.name}`,
          objects: placed(b),
        },
      ];
    const byDirectory = new Map<string, Placed[]>();
    for (const o of placed(b)) {
      const dir = dirname(o.file);
      const same = byDirectory.get(dir);
      if (same) same.push(o);
      else byDirectory.set(dir, [o]);
    }
    return [...byDirectory].map(([dir, objects]) => ({
      label: `the directory ${dir}`,
      path: dir,
      apply: `kubectl apply -f ${dir}`,
      objects,
    }));
  });
  return groups.map((g) => ({
    label: g.label,
    dir: repositoryPath(g.path, cwd, roots),
    objects: g.objects,
    apply: g.apply,
    source: (first: Placed) => ({ file: first.file, ...first.doc.locate('/metadata/namespace') }),
  }));
};

/**
 * `argocd/namespace-missing` and `install/namespace-unwatched` on manifests, as synth reports
 * them on its apps (for each kustomization root, or directory of loose manifests): every
 * namespace its objects use that no Namespace among the paths or `--beside` them, no Argo CD
 * destination with `CreateNamespace=true` there and no `externalNamespaces` entry creates, at
 * the first object in it; and every Kelos object in a namespace the operator Deployment among
 * the paths or beside them (the rendered install) does not watch, at the object.
 */
const namespaceFindings = (
  bundles: readonly Bundle[],
  beside: readonly Bundle[],
  external: readonly string[],
  cwd: string,
): Diagnostic[] => {
  const roots = new Map<string, string | undefined>();
  const groups = deployedGroups(bundles, cwd, roots);
  const besideGroups = deployedGroups(beside, cwd, roots);
  return [
    ...namespaceMissingDiagnostics(groups, {
      external,
      beside: besideGroups.flatMap((g) => g.objects),
      manifests: true,
    }),
    ...namespaceUnwatchedDiagnostics(groups, {
      beside: besideGroups,
      manifests: true,
      locate: (o, pointer) => o.doc.locate(pointer),
    }),
  ];
};

/**
 * The admission exemptions of the KelosConfig in `file` (the cluster admin's), for the
 * compiled policies; none without a file. A file without a valid KelosConfig is a usage error.
 */
async function exemptionsFrom(io: CliIo, file: string | undefined): Promise<AdmissionExemptions | undefined> {
  if (!file) return undefined;
  const input = await loadManifestPaths([file], io.readStdin, io.cwd);
  // Imported here: a plain `kelos check` (pre-commit) does not pay for the validator.
  const { validateDocuments } = await import('../../validate/index.ts');
  const configs = input.documents.filter((d) => d.object['kind'] === 'KelosConfig');
  const problems = withoutSchemaRepeats([...input.diagnostics, ...validateDocuments(configs)]).filter(
    (d) => d.severity === 'error',
  );
  if (problems.length || configs.length !== 1) {
    const why =
      problems.map((d) => `${d.path}: ${d.message}`).join('; ') ||
      `found ${configs.length} KelosConfig objects`;
    throw new UsageError(`--admin-config ${file}: expected one valid KelosConfig (${why})`);
  }
  return ((configs[0]?.object['spec'] ?? {}) as KelosConfigSpec).admission;
}

/**
 * A policy report with what was found before the policies ran (`found`: an app that did not
 * run, what the validator said of the objects). Both ways of checking report through here, so
 * a manifest and an app fail alike; policy findings at a field the schema refused are left out
 * ({@link besideSchemaErrors}).
 */
const withFindings = (report: PolicyReport, found: readonly Diagnostic[]): PolicyReport => ({
  ...report,
  diagnostics: sortDiagnostics(
    uniqueDiagnostics([...found, ...besideSchemaErrors(report.diagnostics, found)]),
  ),
});

/**
 * The project's TypeScript apps, synthesized in memory (nothing is written), checked one app at
 * a time. Apps that fail to run and every error and warning synth found (a construct that
 * refused its props, an object the API server would refuse, a Secret name one letter off the
 * one the bundle has) are reported with the policy findings: an app that renders nothing, or
 * nothing valid, must not pass its check, and no other command of the apps' pre-commit hooks
 * or CI fails on a warning with `--strict` (`kelos synth --check` fails on stale output only).
 * Synth's infos (kinds left to the API server) stay with `kelos synth`.
 */
async function checkApps(io: CliIo, config: PolicyConfig, appTimeoutMs: number): Promise<PolicyReport> {
  const project = projectFor(io, 'check');
  // Synth validated every object it rendered: its errors are the validation's, not run again.
  const result = await synthesizeProject(
    io,
    project,
    { externalSecrets: config.externalSecrets, externalNamespaces: config.externalNamespaces },
    appTimeoutMs,
  );
  const { atAppSource, renderedDocument } = await import('../../compiler/synth.ts');
  const { propSites } = await import('../../compiler/prop-sites.ts');
  const { withoutBrokenIncludes } = await import('../../compiler/included-yaml.ts');
  const rendered = checkRendered(withoutBrokenIncludes(result.objects, result.included), config, (o) =>
    renderedDocument(o as SynthObject),
  );
  // As synth reports them: at the app line that made the object or wrote the prop (or the YAML
  // file an Include read it from), the rendered file after it.
  const report = {
    ...rendered,
    diagnostics: fromWorkingDirectory(
      atAppSource(rendered.diagnostics, result.objects, result.included, propSites(project.root)),
      project.root,
      io.cwd,
    ),
  };
  return withFindings(
    report,
    fromWorkingDirectory(
      result.diagnostics.filter((d) => d.severity !== 'info' || d.code.startsWith('synth/')),
      project.root,
      io.cwd,
    ),
  );
}

/**
 * The rule list `--list-rules` prints: a table, or JSON, with the severity `config` gives each
 * rule (`off` for one it turns off). The engine's own codes (opt-outs, a rule that threw) come
 * last: they are findings a report can hold, though no config sets them.
 */
const ruleList = (format: ReportFormat, config: PolicyConfig): string => {
  const configured = (r: (typeof BUILTIN_RULES)[number]) => {
    const settings = config.rules[r.id];
    return settings?.enabled === false ? 'off' : (settings?.severity ?? r.severity);
  };
  const rules = [
    ...BUILTIN_RULES.map((r) => ({
      ...r,
      severity: configured(r),
      admission: r.admission !== undefined,
      engine: false,
    })),
    ...ENGINE_RULES.map((r) => ({ ...r, admission: false, engine: true })),
  ];
  if (format === 'json') {
    const list = rules.map(({ id, severity, description, admission, engine }) => ({
      id,
      severity,
      description,
      admission,
      ...(engine && { engine }),
    }));
    return `${JSON.stringify({ version: JSON_REPORT_VERSION, rules: list }, null, 2)}\n`;
  }
  if (format !== 'text') throw new UsageError(`--list-rules prints text or json, not ${format}`);
  const width = Math.max(...rules.map((r) => r.id.length));
  return rules
    .map(
      (r) =>
        `${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.description}${r.admission ? ' (admission)' : ''}${r.engine ? ' (engine: not configurable)' : ''}\n`,
    )
    .join('');
};

/** The `kelos check` command. */
export const checkCommand: CommandFactory = (io, done) =>
  new Command('check')
    .description(
      'check budget, forecast, concurrency, security and hygiene policies (exit 0 clean, 2 violations, 1 usage or config error)',
    )
    .argument(
      '[paths...]',
      'manifest files, directories or - for stdin; none: the TypeScript apps of the cdk8s.yaml in the working directory or the nearest parent up to the git root, synthesized in memory',
    )
    .addOption(reportFormatOption())
    .addOption(reportOutputOption())
    .option(
      '-c, --config <file>',
      'policy configuration (default: kelos.policy.yaml, else the policy section of cdk8s.yaml, in the working directory or the nearest parent up to the git root that holds either)',
    )
    .option('--strict', 'fail on warnings too')
    .option(
      '-n, --namespace <namespace>',
      'with paths: namespace of objects that do not set metadata.namespace (default: default; install/namespace-unwatched judges such an object only when -n is given or an Argo CD object syncing its directory names one)',
    )
    .option(
      '--beside <paths...>',
      "with paths: manifests deployed beside them (the rendered apps, dist/), read for the rules across bundles (a TaskBudget there covers a spawner here), their Argo CD Applications and ApplicationSets bundling the paths' loose manifests as among the paths; not reported on",
    )
    .option(
      '--list-rules',
      'list the rules with their ids, severities (as the policy configuration sets them) and descriptions',
    )
    .addOption(appTimeoutOption('without paths, when the apps run'))
    .option(
      '--emit-admission-policies [dir]',
      `compile the CEL-expressible rules into ValidatingAdmissionPolicies and bindings in dir (default ${ADMISSION_POLICY_DIR})`,
    )
    .option(
      '--admin-config <file>',
      "with --emit-admission-policies: the cluster's KelosConfig, whose spec.admission grants where opt-out annotations are honoured (default: nowhere)",
    )
    .action(async (paths: string[], flags: CheckFlags) => {
      if (flags.adminConfig !== undefined && flags.emitAdmissionPolicies === undefined) {
        throw new UsageError(
          '--admin-config is read only with --emit-admission-policies (offline, kelos check honours opt-out annotations everywhere)',
        );
      }
      if (flags.listRules) {
        if (paths.length > 0) throw new UsageError('--list-rules lists the rules; it checks no paths');
        const list = ruleList(
          reportFormat(flags.format, flags.output),
          await loadPolicyConfig(io.cwd, BUILTIN_RULE_IDS, flags.config),
        );
        if (flags.output) await writeFlagFile('-o', flags.output, io.cwd, list);
        else io.stdout(list);
        done(ExitCode.Ok);
        return;
      }
      const config = await loadPolicyConfig(io.cwd, BUILTIN_RULE_IDS, flags.config);

      if (flags.emitAdmissionPolicies !== undefined) {
        const exemptions = await exemptionsFrom(io, flags.adminConfig);
        const files = renderAdmissionPolicies(compileAdmissionPolicies(BUILTIN_RULES, config, exemptions));
        const dir = await writeIntoFlagDirectory(
          '--emit-admission-policies',
          flags.emitAdmissionPolicies === true ? ADMISSION_POLICY_DIR : flags.emitAdmissionPolicies,
          io.cwd,
          files,
        );
        io.stdout(`wrote ${files.size} files to ${dir}\n`);
        done(ExitCode.Ok);
        return;
      }

      assertBesideUsable(flags.beside, paths, 'check', 'checked');
      if (flags.namespace !== undefined) {
        const bad = namespaceNameProblem(flags.namespace);
        if (bad) throw new UsageError(`-n: ${bad}`);
        if (paths.length === 0)
          throw new UsageError('-n sets the namespace of manifests the paths name; the apps set their own');
      }
      let report: PolicyReport;
      if (paths.length > 0) {
        // Each kustomization root is checked as its own bundle, as Argo CD deploys it.
        const { loaded, context } = await loadWithBeside(paths, flags.beside, io);
        const input = {
          ...loaded,
          bundles: loaded.bundles.map((b) => ({
            ...b,
            documents: b.documents.map((d) => inNamespace(d, flags.namespace)),
          })),
        };
        const besideBundles = context.map((b) => ({
          ...b,
          documents: b.documents.map((d) => inNamespace(d, flags.namespace)),
        }));
        const beside = besideBundles.flatMap((b) => b.documents.map((d) => d.object));
        // No bundle reports on what is beside: a rule tells its finding about one of them (a
        // TaskBudget's forecast) at the paths' objects, naming where it is defined.
        const besideOnly = new Map<unknown, string>(
          besideBundles.flatMap((b) =>
            b.documents.map((d) => [d.object, formatLocation(sourceAt(d, ''))] as const),
          ),
        );
        const reports = input.bundles.map((b) =>
          checkDocuments(
            b.documents,
            config,
            [
              ...input.bundles
                .filter((other) => other !== b)
                .flatMap((other) => other.documents.map((d) => d.object)),
              ...beside,
            ],
            besideOnly,
          ),
        );
        const rules = reports[0]?.rules ?? checkDocuments([], config).rules;
        // Manifests that do not parse are reported with the policy findings: they were not checked.
        const ttl = await taskTtlUnderArgoCd(input.bundles, besideBundles, io.cwd);
        // The loader says when an ApplicationSet leaves loose manifests unbundled by its directories.
        const unbundled = input.diagnostics.some(
          (d) => d.code === 'argocd/path-not-evaluated' && d.message.includes(BUNDLES_UNEVALUATED),
        );
        const unevaluated = [
          // Among the paths, one info says both what the rules and the bundles leave out.
          ...argocdUnevaluatedPathDiagnostics(
            objectsOf(input.bundles),
            (o, pointer) => o.doc.locate(pointer),
            unbundled ? [TTL_UNEVALUATED, BUNDLES_UNEVALUATED] : [TTL_UNEVALUATED],
          ),
          // Beside the paths too: an ApplicationSet there leaves the paths' directories
          // unjudged, and their loose manifests unbundled as well, since it bundles them.
          ...argocdUnevaluatedPathDiagnostics(
            objectsOf(besideBundles),
            (o, pointer) => o.doc.locate(pointer),
            unbundled ? [TTL_UNEVALUATED, BUNDLES_UNEVALUATED] : [TTL_UNEVALUATED],
          ),
        ];
        report = withFindings(
          {
            diagnostics: [
              // The loader's own say of those recomputed here, once; what only it can tell stays.
              ...input.diagnostics.filter(
                (d) =>
                  !unevaluated.some(
                    (u) => u.code === d.code && u.path === d.path && u.source?.file === d.source?.file,
                  ),
              ),
              ...reports.flatMap((r) => r.diagnostics),
              ...conflictsAcrossBundles(input.bundles, 'default', besideBundles),
              ...ttl,
              ...namespaceFindings(input.bundles, besideBundles, config.externalNamespaces, io.cwd),
              ...policyFileModelNames(config),
              ...unevaluated,
            ],
            suppressions: reports.flatMap((r) => r.suppressions),
            rules,
            objects: objectCount(input.bundles),
          },
          [],
        );
      } else {
        report = await checkApps(io, config, flags.appTimeout * 1000);
      }
      const policyFile = policyFileElsewhere(config, flags.config);
      if (policyFile !== undefined) report = { ...report, policyFile };
      const format = reportFormat(flags.format, flags.output);
      const color = format === 'text' && !flags.output && colourOutput(io);
      const root = repositoryRoot(io.cwd, new Map());
      const text = formatReport(report, format, {
        cwd: io.cwd,
        ...(root !== undefined && { root }),
        color,
        strict: flags.strict === true,
        toolVersion: KELOS_VERSION,
      });
      if (flags.output) {
        await writeFlagFile('-o', flags.output, io.cwd, text);
        io.stdout(`${summaryLine(report)}\n`);
      } else {
        io.stdout(text);
      }
      // An app that could not run is a runtime error (exit 1), as for kelos synth.
      done(
        appFailed(report.diagnostics)
          ? ExitCode.Error
          : hasFailures(report.diagnostics, flags.strict === true)
            ? ExitCode.Violations
            : ExitCode.Ok,
      );
    });
