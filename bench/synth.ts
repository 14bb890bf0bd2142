/**
 * Benchmark of `kelos synth`: a generated cdk8s app of 10,000 mixed objects (see
 * `lib/fleet.ts`) synthesized and validated the way `kelos synth` does it, in-process
 * through the compiler's `synthesize` (which runs the app in its forked runner, renders,
 * validates every object: schema, CEL rules, references, and runs the policy step the CLI
 * passes it), and end to end as the
 * `kelos synth --stdout` process. Reports wall time (median of `--runs`), peak RSS and
 * objects/s against the target of 5,000 objects/s.
 *
 * The in-process synth runs twice per round: from this repository's TypeScript, and as users
 * run it, from the package as npm installs it (`lib/`, built by `npm run build` at the start,
 * laid out in a temporary `node_modules/kelos-ts`), with the same fleet importing `kelos-ts`.
 * Type stripping of the repository's own modules is what separates the two.
 *
 * References measured in the same run on the same rendered YAML:
 * - the floor: `yaml.parse` + `JSON.stringify` of every rendered file, in-process;
 * - cdk8s alone: the same objects as plain `ApiObject`s rendered by cdk8s in a process of its
 *   own, as the runner is, less the time it takes to read them (see `lib/cdk8s-alone.ts`): the
 *   least any cdk8s app with these objects costs before validation;
 * - kubeconform (built from the Go module proxy, schemas from our CRDs, `-strict`) against
 *   the `kelos validate FILES` process on the same files, from source and as installed (the
 *   package's bundled CLI with the validators compiled at build time), when kubeconform can be
 *   built.
 *
 * Usage: `node bench/synth.ts [--objects N] [--runs N] [--no-kubeconform] [--in-process] [--keep] [--json]`
 * (`--in-process` measures only the in-process synths and the floor, e.g. under `--cpu-prof`).
 *
 * @packageDocumentation
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'yaml';
import * as sourceCommand from '../src/cli/commands/synth.ts';
import type { SynthResult } from '../src/compiler/synth.ts';
import * as sourceCompiler from '../src/compiler/synth.ts';
import { generateCrds } from '../src/crd/generate.ts';
import { buildKubeconform, kubeconformArgs, writeSchemas } from './lib/kubeconform.ts';
import { DescendantPeaks, peakRss, resetPeakRss } from './lib/memory.ts';
import { childrenCpuMs, type MeasuredRun, runMeasured } from './lib/process.ts';
import { printRatio, printRows, printTitle } from './lib/report.ts';
import { installedPackage } from './lib/startup.ts';
import { formatBytes, formatMillis, formatRate, median, perSecond } from './lib/stats.ts';

/** The target of issue 2: synth plus validation of at least this many objects per second. */
export const TARGET_OBJECTS_PER_SECOND = 5000;

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'src/cli/main.ts');
const FLEET = pathToFileURL(join(REPO, 'bench/lib/fleet.ts')).href;
const CDK8S_ALONE = join(REPO, 'bench/lib/cdk8s-alone.ts');
const APP = 'fleet';

const { values: flags } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    'no-kubeconform': { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const objects = Number(flags.objects);
const runs = Number(flags.runs);
if (!Number.isInteger(objects) || objects < 1 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('bench/synth: --objects and --runs must be positive integers\n');
  process.exit(1);
}

/**
 * A throwaway project: `cdk8s.yaml` naming one module app that builds the fleet, imported
 * from `fleet` (a URL or a path relative to the app).
 */
const makeProject = async (root: string, fleet: string): Promise<void> => {
  await mkdir(join(root, APP), { recursive: true });
  // The app lives outside the repo; "type": "module" makes Node read it as ESM TypeScript.
  await writeFile(join(root, 'package.json'), '{ "type": "module", "private": true }\n');
  await writeFile(
    join(root, 'cdk8s.yaml'),
    `app: node ${APP}/main.ts\nkelos:\n  apps: [${APP}/main.ts]\n  outdir: dist\n  crds: false\n  runApp: false\n`,
  );
  await writeFile(
    join(root, APP, 'main.ts'),
    `import type { Construct } from 'constructs';
import { buildFleet } from '${fleet}';

export default function fleet(scope: Construct): void {
  buildFleet(scope, { count: ${objects} });
}
`,
  );
};

/** What a synth run calls: the compiler's `synthesize` and the CLI's policy step, from one copy. */
interface SynthApi {
  readonly synthesize: typeof sourceCompiler.synthesize;
  readonly synthPolicyStep: typeof sourceCommand.synthPolicyStep;
}

/**
 * The package as installed in `dir` (see `installedPackage`), `lib/` built afresh, and a
 * project there whose fleet imports `kelos-ts`; returns the installed CLI and its synth.
 */
const installedProject = async (dir: string): Promise<{ bin: string; api: SynthApi }> => {
  const bin = installedPackage(REPO, dir, true);
  const source = await readFile(join(REPO, 'bench/lib/fleet.ts'), 'utf8');
  const fleet = source.replace("from '../../constructs/index.ts'", "from 'kelos-ts'");
  if (fleet === source) fail('bench/lib/fleet.ts no longer imports ../../constructs/index.ts');
  await makeProject(dir, './fleet.ts');
  await writeFile(join(dir, APP, 'fleet.ts'), fleet);
  const lib = join(dir, 'node_modules/kelos-ts/lib/src');
  const compiler = (await import(
    pathToFileURL(join(lib, 'compiler/synth.js')).href
  )) as typeof sourceCompiler;
  const command = (await import(
    pathToFileURL(join(lib, 'cli/commands/synth.js')).href
  )) as typeof sourceCommand;
  return { bin, api: { synthesize: compiler.synthesize, synthPolicyStep: command.synthPolicyStep } };
};

/** One in-process synth run. */
interface SynthRun {
  readonly wallMs: number;
  readonly timings: SynthResult['timings'];
  /** Peak RSS of this process during the run. */
  readonly selfPeak: number | undefined;
  /** Peak RSS of the forked app runner. */
  readonly runnerPeak: number | undefined;
  /** CPU time of this process and of the app runner, when `/proc` tells the runner's. */
  readonly cpuMs: number | undefined;
}

/**
 * A full collection, so a run starts from a heap without the previous run's garbage and its
 * peak RSS is its own. `gc` is exposed at run time; `node bench/synth.ts` needs no flags.
 */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const synthOnce = async (root: string, api: SynthApi): Promise<{ run: SynthRun; result: SynthResult }> => {
  collectGarbage();
  const resettable = resetPeakRss();
  const runner = new DescendantPeaks().start(2);
  const cpu0 = process.cpuUsage();
  const children0 = childrenCpuMs();
  const started = performance.now();
  // The policy step `kelos synth` plugs in, so the in-process run does all the CLI does
  // except printing. A loaded machine can slow the app past the default timeout; this measures
  // throughput, so it waits.
  const result = await api.synthesize({ root, policyStep: api.synthPolicyStep(root), appTimeoutMs: 600_000 });
  const wallMs = performance.now() - started;
  const runnerPeak = runner.stop();
  const cpu = process.cpuUsage(cpu0);
  const children1 = childrenCpuMs();
  const cpuMs =
    children0 !== undefined && children1 !== undefined
      ? (cpu.user + cpu.system) / 1000 + children1 - children0
      : undefined;
  const run = {
    wallMs,
    timings: result.timings,
    selfPeak: resettable ? peakRss() : undefined,
    runnerPeak,
    cpuMs,
  };
  return { run, result };
};

/** A broken benchmark run: the report would be meaningless, so none is printed. */
class BenchError extends Error {}

const fail = (message: string): never => {
  throw new BenchError(message);
};

const checkResult = (result: SynthResult): void => {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (result.status !== 'ok' || errors.length > 0) {
    fail(
      `synth of the generated app did not succeed (${result.status}, ${errors.length} errors); first: ${errors[0]?.message ?? 'none'}`,
    );
  }
  if (result.objects.length !== objects)
    fail(`expected ${objects} objects, synth rendered ${result.objects.length}`);
};

const checkRun = (label: string, run: MeasuredRun): void => {
  if (run.code !== 0) fail(`${label} exited with ${run.code}: ${run.stderr.trim().slice(-2000)}`);
};

/** `n` measured process runs. */
const repeat = async (n: number, once: () => Promise<MeasuredRun>, label: string): Promise<MeasuredRun[]> => {
  const out: MeasuredRun[] = [];
  for (let i = 0; i < n; i += 1) {
    const run = await once();
    checkRun(label, run);
    out.push(run);
  }
  return out;
};

const maxOf = (values: ReadonlyArray<number | undefined>): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
};

/** The 1-minute load average: a busy machine slows every figure, the references included. */
const loadText = (): string => loadavg()[0]?.toFixed(2) ?? 'n/a';

/** Median wall time and largest peak RSS of measured runs; undefined for none. */
const summarize = (
  measured: readonly MeasuredRun[],
): { medianMs: number; peakRss: number | undefined } | undefined =>
  measured.length > 0
    ? { medianMs: median(measured.map((r) => r.wallMs)), peakRss: maxOf(measured.map((r) => r.peakRss)) }
    : undefined;

const bytes = (b: number | undefined): string => (b === undefined ? 'not measured' : formatBytes(b));

const root = await mkdtemp(join(tmpdir(), 'kelos-bench-synth-'));
try {
  await makeProject(root, FLEET);
  const installed = await installedProject(join(root, 'installed'));
  process.stdout.write(
    `bench/synth: ${objects.toLocaleString('en-US')} objects, ${runs} runs, node ${process.version}, ${availableParallelism()} cores, load ${loadText()}, project ${root}\n`,
  );

  // 1. In-process synth, as `kelos synth` runs it, from source and as installed, each round
  //    followed by a run of the floor (parse every rendered object file and serialize it,
  //    nothing else), so all three see the same load. The first round also pays for compiling
  //    the validator's schemas and CEL programs; it counts in the median like every other.
  const variants = [
    {
      label: 'from source',
      root,
      api: { synthesize: sourceCompiler.synthesize, synthPolicyStep: sourceCommand.synthPolicyStep },
    },
    { label: 'as installed', root: join(root, 'installed'), api: installed.api },
  ];
  const synthRuns = variants.map((): SynthRun[] => []);
  const floorMs: number[] = [];
  const floorCpuMs: number[] = [];
  const cdk8sAloneMs: number[] = [];
  const objectsJson = join(root, 'objects.json');
  let texts: string[] | undefined;
  let sink = 0;
  // Only the last result is kept: holding every run's 10,000 objects would inflate the later
  // runs' garbage collection and peak RSS.
  let last: SynthResult | undefined;
  for (let i = 0; i < runs; i += 1) {
    const line: string[] = [];
    for (const [v, variant] of variants.entries()) {
      last = undefined;
      const { run, result } = await synthOnce(variant.root, variant.api);
      checkResult(result);
      last = result;
      synthRuns[v]?.push(run);
      line.push(
        `${variant.label} ${formatMillis(run.wallMs)}${run.cpuMs !== undefined ? ` (CPU ${formatMillis(run.cpuMs)})` : ''}`,
      );
    }
    if (!last) throw new BenchError('no synth run');
    if (!texts) {
      const content = new Map(last.files.map((f) => [f.path, f.content]));
      texts = last.objects.map((o) => content.get(o.file) ?? '');
      await writeFile(objectsJson, JSON.stringify(last.objects.map((o) => o.object)));
    }
    collectGarbage();
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    for (const text of texts) sink += JSON.stringify(parse(text)).length;
    floorMs.push(performance.now() - started);
    const cpu = process.cpuUsage(cpu0);
    floorCpuMs.push((cpu.user + cpu.system) / 1000);
    // The runner's own V8 flag, so the reference's garbage collection is sized as the runner's.
    const alone = await runMeasured(
      process.execPath,
      ['--max-semi-space-size=16', CDK8S_ALONE, objectsJson],
      {
        stdout: 'capture',
      },
    );
    checkRun('cdk8s alone', alone);
    const { readMs } = JSON.parse(alone.stdout) as { readMs: number };
    cdk8sAloneMs.push(alone.wallMs - readMs);
    process.stdout.write(
      `  round ${i + 1}: synth ${line.join(', ')}; floor ${formatMillis(floorMs.at(-1) ?? 0)}; cdk8s alone ${formatMillis(cdk8sAloneMs.at(-1) ?? 0)}; load ${loadText()}\n`,
    );
  }
  if (!last) throw new BenchError('no synth run');
  if (sink === 0) fail('the floor parsed nothing');
  /** Median figures of one variant's runs. */
  const figures = (runsOf: readonly SynthRun[]) => {
    const cpuRuns = runsOf.flatMap((r) => (r.cpuMs !== undefined ? [r.cpuMs] : []));
    return {
      wallMs: median(runsOf.map((r) => r.wallMs)),
      cpuMs: cpuRuns.length > 0 ? median(cpuRuns) : undefined,
      phase: (key: keyof SynthResult['timings']) => median(runsOf.map((r) => r.timings[key])),
      coldMs: runsOf[0]?.wallMs ?? 0,
      selfPeak: maxOf(runsOf.map((r) => r.selfPeak)),
      runnerPeak: maxOf(runsOf.map((r) => r.runnerPeak)),
    };
  };
  const [fromSource, asInstalled] = synthRuns.map(figures);
  if (!fromSource || !asInstalled) throw new BenchError('no synth run');
  const kinds = new Map<string, number>();
  for (const o of last.objects)
    kinds.set(String(o.object['kind']), (kinds.get(String(o.object['kind'])) ?? 0) + 1);
  const warnings = last.diagnostics.filter((d) => d.severity === 'warning').length;

  // 2. Write the rendered YAML where synth would, for the processes.
  for (const f of last.files) {
    await mkdir(join(root, dirname(f.path)), { recursive: true });
    await writeFile(join(root, f.path), f.content);
  }
  // Both validators get the same list of object files (relative to the project), not the
  // directory: its kustomization.yaml is not a manifest.
  const objectFiles = last.objects.map((o) => o.file);

  // 3. The `kelos synth --stdout` process, end to end.
  const node = process.execPath;
  const processes = !flags['in-process'];
  const cliRuns = processes
    ? await repeat(
        runs,
        () => runMeasured(node, [CLI, 'synth', '--stdout'], { cwd: root }),
        'kelos synth --stdout',
      )
    : [];
  // 4. The `kelos validate FILES` process on the rendered YAML, to set against kubeconform.
  const validateRuns = processes
    ? await repeat(
        runs,
        () => runMeasured(node, [CLI, 'validate', ...objectFiles], { cwd: root }),
        'kelos validate',
      )
    : [];

  // 4b. The same as installed from npm: the bundled CLI, with the validators compiled at build time.
  const installedRuns = processes
    ? await repeat(
        runs,
        () => runMeasured(node, [installed.bin, 'validate', ...objectFiles], { cwd: root }),
        'kelos validate (installed)',
      )
    : [];

  // 5. kubeconform on the same files.
  let kubeconform: { runs: MeasuredRun[]; args: string[] } | { error: string } = {
    error: processes ? 'skipped (--no-kubeconform)' : 'skipped (--in-process)',
  };
  if (processes && !flags['no-kubeconform']) {
    const binary = await buildKubeconform();
    if ('error' in binary) kubeconform = { error: `could not be built: ${binary.error}` };
    else {
      const schemaDir = join(root, 'schemas');
      const withSchemas = new Set(await writeSchemas(generateCrds(), schemaDir));
      const skip = [...kinds.keys()].filter((k) => !withSchemas.has(k));
      const args = kubeconformArgs(schemaDir, skip, objectFiles);
      const kcRuns = await repeat(
        runs,
        () => runMeasured(binary.bin, args, { cwd: root, stdout: 'capture' }),
        'kubeconform',
      );
      const summary = JSON.parse(kcRuns.at(-1)?.stdout ?? '{}') as { summary?: { valid?: number } };
      if (summary.summary?.valid !== objects) {
        fail(`kubeconform validated ${summary.summary?.valid ?? 'no'} resources, expected ${objects}`);
      }
      kubeconform = { runs: kcRuns, args };
    }
  }

  // Report.
  const rate = perSecond(objects, asInstalled.wallMs);
  const cli = summarize(cliRuns);
  const validate = summarize(validateRuns);
  const validateInstalled = summarize(installedRuns);
  const kc = 'error' in kubeconform ? undefined : summarize(kubeconform.runs);
  const floor = median(floorMs);
  const cdk8sAlone = median(cdk8sAloneMs);
  printTitle(`kelos synth, ${objects.toLocaleString('en-US')} objects (median of ${runs})`);
  printRows([
    ['mix', [...kinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ')],
    ['diagnostics', `0 errors, ${warnings} warnings (Secrets outside the bundle)`],
    ...(
      [
        ['as installed', asInstalled],
        ['from source', fromSource],
      ] as const
    ).flatMap(
      ([label, f]): Array<[string, string]> => [
        [`in-process wall, ${label}`, formatMillis(f.wallMs)],
        ['  CPU (with the app runner)', f.cpuMs !== undefined ? formatMillis(f.cpuMs) : 'not measured'],
        [
          '  phases',
          `run app ${formatMillis(f.phase('run'))}, render ${formatMillis(f.phase('render'))}, validate ${formatMillis(f.phase('validate'))}, policies ${formatMillis(f.phase('policy'))}`,
        ],
        ['  first run (cold)', formatMillis(f.coldMs)],
        ['  peak RSS synth', bytes(f.selfPeak)],
        ['  peak RSS app runner', bytes(f.runnerPeak)],
      ],
    ),
    ['objects/s (in-process, as installed)', formatRate(rate, 'objects')],
    [
      'kelos synth --stdout process',
      cli
        ? `${formatMillis(cli.medianMs)}, peak RSS ${bytes(cli.peakRss)}, ${formatRate(perSecond(objects, cli.medianMs), 'objects')}`
        : 'skipped (--in-process)',
    ],
    [
      'target',
      `${formatRate(TARGET_OBJECTS_PER_SECOND, 'objects')}: ${rate >= TARGET_OBJECTS_PER_SECOND ? 'met' : `MISSED (${((rate / TARGET_OBJECTS_PER_SECOND) * 100).toFixed(0)}% of target)`}`,
    ],
  ]);

  printTitle('references, same rendered YAML, same run');
  process.stdout.write(`  (load average now ${loadText()} on ${availableParallelism()} cores)\n`);
  printRows([
    ['yaml.parse + JSON.stringify (floor)', formatMillis(floor)],
    ['cdk8s alone (plain ApiObjects, own process)', formatMillis(cdk8sAlone)],
    [
      'kelos validate FILES process',
      validate
        ? `${formatMillis(validate.medianMs)}, peak RSS ${bytes(validate.peakRss)}`
        : 'skipped (--in-process)',
    ],
    [
      'kelos validate FILES, installed package',
      validateInstalled
        ? `${formatMillis(validateInstalled.medianMs)}, peak RSS ${bytes(validateInstalled.peakRss)}`
        : 'skipped (--in-process)',
    ],
    [
      'kubeconform -strict FILES process',
      'error' in kubeconform || !kc
        ? String((kubeconform as { error?: string }).error)
        : `${formatMillis(kc.medianMs)}, peak RSS ${bytes(kc.peakRss)} (schema only: no CEL rules, no references; 4 goroutines on ${availableParallelism()} cores)`,
    ],
  ]);
  printRatio('kelos synth (in-process, as installed)', asInstalled.wallMs, 'yaml floor', floor);
  printRatio('kelos synth (in-process, from source)', fromSource.wallMs, 'yaml floor', floor);
  if (asInstalled.cpuMs !== undefined)
    printRatio(
      'kelos synth CPU, as installed (this process + app runner)',
      asInstalled.cpuMs,
      'yaml floor CPU',
      median(floorCpuMs),
    );
  printRatio('cdk8s alone', cdk8sAlone, 'yaml floor', floor);
  printRatio('kelos synth (in-process, as installed)', asInstalled.wallMs, 'cdk8s alone', cdk8sAlone);
  printRatio('validate phase (in-process, as installed)', asInstalled.phase('validate'), 'yaml floor', floor);
  if (kc && validate) printRatio('kelos validate FILES', validate.medianMs, 'kubeconform', kc.medianMs);
  if (kc && validateInstalled)
    printRatio('kelos validate FILES (installed)', validateInstalled.medianMs, 'kubeconform', kc.medianMs);
  if (kc && cli) printRatio('kelos synth --stdout', cli.medianMs, 'kubeconform', kc.medianMs);

  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        bench: 'synth',
        objects,
        runs,
        synth: Object.fromEntries(
          (
            [
              ['installed', asInstalled],
              ['source', fromSource],
            ] as const
          ).map(([key, f]) => [
            key,
            {
              medianMs: f.wallMs,
              objectsPerSecond: perSecond(objects, f.wallMs),
              cpuMs: f.cpuMs,
              phasesMs: {
                run: f.phase('run'),
                render: f.phase('render'),
                validate: f.phase('validate'),
                policy: f.phase('policy'),
              },
              peakRss: f.selfPeak,
              runnerPeakRss: f.runnerPeak,
            },
          ]),
        ),
        cli,
        validate,
        installed: validateInstalled,
        floorMs: floor,
        floorCpuMs: median(floorCpuMs),
        cdk8sAloneMs: cdk8sAlone,
        load: loadText(),
        kubeconform:
          'error' in kubeconform
            ? { error: kubeconform.error }
            : { ...kc, args: kubeconform.args.slice(0, -objectFiles.length) },
        targetObjectsPerSecond: TARGET_OBJECTS_PER_SECOND,
      })}\n`,
    );
  }
} catch (err) {
  if (!(err instanceof BenchError)) throw err;
  process.stderr.write(`bench/synth: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  if (flags.keep) process.stdout.write(`kept ${root}\n`);
  else await rm(root, { recursive: true, force: true });
}
