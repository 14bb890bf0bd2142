/**
 * Benchmark of `kelos check`.
 *
 * 1. In-process, on a generated app of 10,000 mixed objects (one YAML file): load (parse with
 *    source positions) plus every built-in rule, median of `--runs`. Reference measured in the
 *    same run: a plain `yaml.parseAllDocuments` + `toJS` of the same text, the floor any
 *    YAML-reading checker pays.
 * 2. Start-up, whole process, as a pre-commit hook runs it: `kelos check <one small file>`
 *    as installed (the package's bin running `lib/`) and from source, each in a project with and
 *    without a `kelos.policy.yaml`, median of `--latency-runs` (default 15) rounds. Reference
 *    measured in the same rounds: `node -e ''`, the bare start-up of the same Node binary
 *    (target: at most 4x it, issue 18), and the 300 ms target of issue 4.
 *
 * Usage: `node bench/check.ts [--objects N] [--runs N] [--latency-runs N] [--startup-only] [--rebuild] [--json]`
 * (`--rebuild` builds `lib/` again first; without it an existing `lib/` is used).
 *
 * @packageDocumentation
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { BUILTIN_RULES } from '../policies/index.ts';
import { DEFAULT_POLICY_CONFIG } from '../src/policy/config.ts';
import { runPolicies } from '../src/policy/engine.ts';
import { loadManifestPaths } from '../src/validate/manifest-files.ts';
import {
  installedPackage,
  measureStartup,
  STARTUP_TARGET_RATIO,
  type StartupFigures,
  startupProjects,
} from './lib/startup.ts';
import { median, formatMillis as ms } from './lib/stats.ts';

/** Target of issue 4 for the whole-process latency on one small file. */
export const LATENCY_TARGET_MS = 300;

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'src/cli/main.ts');

const { values: flags } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    'latency-runs': { type: 'string', default: '15' },
    'startup-only': { type: 'boolean', default: false },
    rebuild: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const API = 'kelos.dev/v1alpha2';
const worker = (i: number, extra: Record<string, unknown> = {}) => ({
  type: i % 3 === 0 ? 'codex' : 'claude-code',
  model: i % 3 === 0 ? 'gpt-5-codex' : i % 7 === 0 ? 'claude-3-opus' : 'claude-sonnet-4-5',
  credentials: { type: 'api-key', secretRef: { name: 'model-key' } },
  workspaceRef: { name: `ws-${Math.floor(i / 20)}` },
  ...(i % 5 !== 0 && { podOverrides: { activeDeadlineSeconds: i % 11 === 0 ? 86_400 : 3600 } }),
  ...extra,
});

/**
 * Teams of 20 objects (Workspace, AgentConfig, TaskBudget, 3 TaskSpawners, 14 Tasks) over 20
 * namespaces, with a share of violations so every rule has work: missing deadlines, models off
 * the allowlist, open GitHub triggers, shared workspaces.
 */
export function generateApp(count: number): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (let i = 0; objects.length < count; i++) {
    const team = Math.floor(i / 20);
    const namespace = `team-${team % 20}`;
    const meta = (name: string, labels: Record<string, string> = {}) => ({ name, namespace, labels });
    const labels = { team: `t${team}` };
    switch (i % 20) {
      case 0:
        objects.push({
          apiVersion: API,
          kind: 'Workspace',
          metadata: meta(`ws-${team}`),
          spec: { repo: `https://github.com/acme/repo-${team}` },
        });
        break;
      case 1:
        objects.push({
          apiVersion: API,
          kind: 'AgentConfig',
          metadata: meta(`cfg-${team}`),
          spec: {
            agentsMD: 'Be careful.',
            mcpServers: [
              {
                name: 'gh',
                type: 'http',
                url: 'https://mcp.example.com',
                headers: i % 40 === 1 ? { Authorization: 'Bearer x' } : {},
              },
            ],
          },
        });
        break;
      case 2:
        objects.push({
          apiVersion: API,
          kind: 'TaskBudget',
          metadata: meta(`budget-${team}`),
          spec: {
            taskSelector: { matchLabels: labels },
            period: { type: team % 2 ? 'Daily' : 'Weekly' },
            maxCostUSD: '500',
          },
        });
        break;
      case 3:
      case 4:
      case 5:
        objects.push({
          apiVersion: API,
          kind: 'TaskSpawner',
          metadata: meta(`spawner-${i}`),
          spec: {
            when:
              i % 20 === 3
                ? {
                    githubIssues: {
                      labels: ['bug'],
                      pollInterval: i % 3 ? '5m' : '20s',
                      commentPolicy: { triggerComment: '/kelos', minimumPermission: 'write' },
                    },
                  }
                : i % 20 === 4
                  ? { githubPullRequests: { excludeAuthors: ['kelos-bot'] } }
                  : { cron: { schedule: '*/30 * * * *' } },
            taskTemplate: {
              worker: worker(i),
              ttlSecondsAfterFinished: 3600,
              metadata: { labels },
              ...(i % 20 === 3 && { branch: 'kelos/{{.Number}}' }),
            },
            maxConcurrency: 1 + (i % 4),
            ...(i % 2 === 0 && { maxTotalTasks: 100 }),
          },
        });
        break;
      default:
        objects.push({
          apiVersion: API,
          kind: 'Task',
          metadata: meta(`task-${i}`, i % 9 === 0 ? {} : labels),
          spec: {
            prompt: `Do step ${i}.`,
            worker: worker(i),
            ...(i % 4 !== 0 && { ttlSecondsAfterFinished: 600 }),
          },
        });
    }
  }
  return objects;
}

const print = (line: string) => process.stdout.write(`${line}\n`);
const load = (): string => loadavg()[0]?.toFixed(2) ?? 'n/a';

/** 1. In-process on the large app: load plus every rule, against the plain YAML parse. */
async function inProcess(dir: string, objects: readonly Record<string, unknown>[]) {
  const bigFile = join(dir, 'app.yaml');
  const text = objects.map((o) => `---\n${stringify(o)}`).join('');
  writeFileSync(bigFile, text);
  const checkRuns: number[] = [];
  const floorRuns: number[] = [];
  let diagnostics = 0;
  for (let r = 0; r < Number(flags.runs); r++) {
    const t0 = performance.now();
    const loaded = await loadManifestPaths([bigFile], async () => '');
    const report = runPolicies(loaded.documents, { config: DEFAULT_POLICY_CONFIG, rules: BUILTIN_RULES });
    checkRuns.push(performance.now() - t0);
    diagnostics = report.diagnostics.length;
    const t1 = performance.now();
    for (const doc of parseAllDocuments(text)) doc.toJS();
    floorRuns.push(performance.now() - t1);
  }
  const checkMs = median(checkRuns);
  return {
    objects: objects.length,
    diagnostics,
    checkMs,
    yamlFloorMs: median(floorRuns),
    objectsPerSecond: Math.round((objects.length * 1000) / checkMs),
  };
}

/** 2. Start-up of a one-file check, whole process, against `node -e ''` in the same rounds. */
function startup(dir: string, objects: readonly Record<string, unknown>[]): StartupFigures[] {
  const file = objects
    .slice(0, 20)
    .map((o) => `---\n${stringify(o)}`)
    .join('');
  const { plain, configured } = startupProjects(dir, file, join(REPO, 'kelos.policy.yaml'));
  const bin = installedPackage(REPO, join(dir, 'installed'), flags.rebuild);
  return measureStartup(
    [
      { label: "node -e ''", args: ['-e', ''], cwd: plain },
      { label: 'installed, no policy file', args: [bin, 'check', 'task.yaml'], cwd: plain },
      { label: 'installed, kelos.policy.yaml', args: [bin, 'check', 'task.yaml'], cwd: configured },
      { label: 'from source, no policy file', args: [CLI, 'check', 'task.yaml'], cwd: plain },
      { label: 'from source, kelos.policy.yaml', args: [CLI, 'check', 'task.yaml'], cwd: configured },
    ],
    Number(flags['latency-runs']),
  );
}

/** Runs the measurements and prints them. */
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-bench-check-'));
  try {
    const objects = generateApp(Number(flags.objects));
    const loadBefore = load();
    const big = flags['startup-only'] ? undefined : await inProcess(dir, objects);
    const figures = startup(dir, objects);
    const [node, ...kelos] = figures;
    if (!node) throw new Error('no reference');
    const ratio = (f: StartupFigures) => f.wallMs / node.wallMs;
    const cpuRatio = (f: StartupFigures) =>
      f.cpuMs !== undefined && node.cpuMs ? f.cpuMs / node.cpuMs : undefined;
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ ...big, startup: figures.map((f) => ({ ...f, ratio: ratio(f), cpuRatio: cpuRatio(f) })), latencyTargetMs: LATENCY_TARGET_MS, startupTargetRatio: STARTUP_TARGET_RATIO, load: [loadBefore, load()] }, null, 2)}\n`,
      );
      return;
    }
    print(`bench/check: node ${process.version}, load average ${loadBefore} at the start`);
    if (big) {
      print(
        `kelos check: ${big.objects.toLocaleString('en-US')} objects in one file, ${big.diagnostics} findings`,
      );
      print(
        `  in-process (load + ${BUILTIN_RULES.length} rules), median of ${flags.runs}: ${ms(big.checkMs)} (${big.objectsPerSecond.toLocaleString('en-US')} objects/s)`,
      );
      print(`  reference: yaml.parseAllDocuments + toJS of the same text: ${ms(big.yamlFloorMs)}`);
      print(`  ratio  kelos check / yaml parse = ${(big.checkMs / big.yamlFloorMs).toFixed(2)}x`);
    }
    print(
      `kelos check <one file of 20 objects>, whole process, median of ${flags['latency-runs']} rounds (load average now ${load()}):`,
    );
    const cpu = (f: StartupFigures) => (f.cpuMs !== undefined ? `, CPU ${ms(f.cpuMs)}` : '');
    print(`  reference  ${node.label}: ${ms(node.wallMs)}${cpu(node)}`);
    for (const f of kelos) {
      const r = ratio(f);
      const c = cpuRatio(f);
      print(
        `  ${f.label}: ${ms(f.wallMs)}${cpu(f)}; ratio to node -e '' ${r.toFixed(2)}x${c !== undefined ? ` (CPU ${c.toFixed(2)}x)` : ''}; target <= ${STARTUP_TARGET_RATIO}x ${r <= STARTUP_TARGET_RATIO ? 'met' : 'missed'}, < ${LATENCY_TARGET_MS} ms ${f.wallMs < LATENCY_TARGET_MS ? 'met' : 'missed'}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
