/**
 * Benchmark of `kelos check`.
 *
 * 1. In-process, on a generated app of 10,000 mixed objects (one YAML file): load (parse with
 *    source positions) plus every built-in rule, median of `--runs`. Reference measured in the
 *    same run: a plain `yaml.parseAllDocuments` + `toJS` of the same text, the floor any
 *    YAML-reading checker pays.
 * 2. Whole process, as a pre-commit hook runs it: `node src/cli/main.ts check <one small file>`,
 *    median of `--latency-runs` (default 15) against the 300 ms target. Reference measured in
 *    the same run: `node -e ''`, the bare start-up of the same Node binary.
 *
 * Usage: `node bench/check.ts [--objects N] [--runs N] [--latency-runs N] [--json]`
 *
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { BUILTIN_RULES } from '../policies/index.ts';
import { DEFAULT_POLICY_CONFIG } from '../src/policy/config.ts';
import { runPolicies } from '../src/policy/engine.ts';
import { loadManifestPaths } from '../src/validate/manifest-files.ts';
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

/** Runs both measurements and prints them. */
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-bench-check-'));
  try {
    const count = Number(flags.objects);
    const objects = generateApp(count);
    const bigFile = join(dir, 'app.yaml');
    const text = objects.map((o) => `---\n${stringify(o)}`).join('');
    writeFileSync(bigFile, text);

    // 1. In-process on the large app.
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

    // 2. Whole process on one small file, as pre-commit runs it.
    const smallFile = join(dir, 'task.yaml');
    writeFileSync(
      smallFile,
      objects
        .slice(0, 20)
        .map((o) => `---\n${stringify(o)}`)
        .join(''),
    );
    const node = process.execPath;
    const time = (args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync(node, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
      const elapsed = performance.now() - t0;
      if (r.status !== 0 && r.status !== 2)
        throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      return elapsed;
    };
    time([CLI, 'check', smallFile]); // warm the file system cache
    const latency: number[] = [];
    const startup: number[] = [];
    for (let r = 0; r < Number(flags['latency-runs']); r++) {
      latency.push(time([CLI, 'check', smallFile]));
      startup.push(time(['-e', '']));
    }

    const result = {
      objects: objects.length,
      diagnostics,
      checkMs: median(checkRuns),
      yamlFloorMs: median(floorRuns),
      objectsPerSecond: Math.round((objects.length * 1000) / median(checkRuns)),
      latencyMs: median(latency),
      nodeStartupMs: median(startup),
      latencyTargetMs: LATENCY_TARGET_MS,
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const print = (line: string) => process.stdout.write(`${line}\n`);
      print(
        `kelos check: ${result.objects.toLocaleString('en-US')} objects in one file, ${result.diagnostics} findings`,
      );
      print(
        `  in-process (load + ${BUILTIN_RULES.length} rules), median of ${flags.runs}: ${ms(result.checkMs)} (${result.objectsPerSecond.toLocaleString('en-US')} objects/s)`,
      );
      print(`  reference: yaml.parseAllDocuments + toJS of the same text: ${ms(result.yamlFloorMs)}`);
      print(`  ratio  kelos check / yaml parse = ${(result.checkMs / result.yamlFloorMs).toFixed(2)}x`);
      print(`kelos check <one file of 20 objects>, whole process, median of ${flags['latency-runs']}:`);
      print(
        `  ${ms(result.latencyMs)} (target < ${LATENCY_TARGET_MS} ms: ${result.latencyMs < LATENCY_TARGET_MS ? 'met' : 'missed'})`,
      );
      print(`  reference: node -e '' start-up: ${ms(result.nodeStartupMs)}`);
      print(
        `  ratio  kelos check / node start-up = ${(result.latencyMs / result.nodeStartupMs).toFixed(2)}x`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
