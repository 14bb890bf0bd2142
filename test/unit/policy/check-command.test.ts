import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { BUILTIN_RULES } from '../../../policies/index.ts';
import { KIND_NAMES } from '../../../src/api/group.ts';
import { KINDS } from '../../../src/api/index.ts';
import { type CliIo, colourOutput } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/program.ts';
import { ROOT } from './fixtures.ts';

/** Runs `kelos <argv>` in-process with captured output. */
async function kelos(
  argv: readonly string[],
  options: {
    cwd?: string;
    stdin?: string;
    isTTY?: boolean;
    env?: Readonly<Record<string, string>>;
  } = {},
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: options.cwd ?? ROOT,
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    readStdin: async () => options.stdin ?? '',
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const fixture = (rule: string, file: 'pass' | 'fail') => `test/fixtures/policy/${rule}/${file}.yaml`;
const emptyProject = () => mkdtempSync(join(tmpdir(), 'kelos-check-'));

describe('kelos check', () => {
  test("another API's kinds named like Kelos's (a Tekton Task, a TaskSpawner of example.com) are not judged by the rules", async () => {
    const stdin = [
      'apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: build\nspec:\n  steps:\n    - name: build\n      image: golang\n',
      'apiVersion: example.com/v1\nkind: TaskSpawner\nmetadata:\n  name: other\nspec:\n  foo: bar\n',
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: agent\nspec:\n  prompt: hi\n  type: claude-code\n  credentials: {type: api-key, secretRef: {name: k}}\n',
    ].join('---\n');
    const run = await kelos(['check', '--format', 'json', '-'], { cwd: emptyProject(), stdin });
    const { diagnostics } = JSON.parse(run.stdout) as {
      diagnostics: Array<{ code: string; resource?: { apiVersion?: string; name?: string } }>;
    };
    // The Kelos Task is still judged; the others name no finding (no active deadline, no budget).
    expect(diagnostics.map((d) => `${d.resource?.apiVersion} ${d.resource?.name} ${d.code}`)).toContain(
      'kelos.dev/v1alpha2 agent budget/active-deadline',
    );
    expect(diagnostics.filter((d) => d.resource?.apiVersion !== 'kelos.dev/v1alpha2')).toStrictEqual([]);
    expect(run.code).toBe(2);
    // The engine knows the Kelos kinds by the light list; it must name every kind served.
    expect(KIND_NAMES).toStrictEqual(KINDS.map((k) => k.kind));
  });

  test('the forecast of a weekday cron under a Monthly budget counts the 23 weekdays 31 days hold, not 31 runs', async () => {
    const stdin = [
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: nightly\nspec:\n  maxConcurrency: 1\n  maxTotalTasks: 100\n  when:\n    cron: {schedule: "0 3 * * 1-5"}\n  taskTemplate:\n    ttlSecondsAfterFinished: 86400\n    metadata: {labels: {team: infra}}\n    worker:\n      type: claude-code\n      credentials: {type: api-key, secretRef: {name: k}}\n      podOverrides: {activeDeadlineSeconds: 3600}\n',
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata:\n  name: infra\nspec:\n  taskSelector: {matchLabels: {team: infra}}\n  period: {type: Monthly}\n  maxCostUSD: "100"\n',
    ].join('---\n');
    const run = await kelos(['check', '--format', 'json', '-'], { cwd: emptyProject(), stdin });
    const { diagnostics } = JSON.parse(run.stdout) as {
      diagnostics: Array<{ code: string; message: string }>;
    };
    expect(
      diagnostics.filter((d) => d.code === 'forecast/budget-worst-case').map((d) => d.message),
    ).toStrictEqual([
      'worst case $138.00/Monthly = 23 runs × 1h × $6.00/h (TaskSpawner nightly: claude-code default model, cron "0 3 * * 1-5"); limit $100.00',
    ]);
    expect(run.code).toBe(2);
  });

  test('a cron spawner whose schedule does not parse is left out of the forecast: it never runs, and kelos validate reports its schedule', async () => {
    const stdin = [
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: nightly\nspec:\n  maxConcurrency: 1\n  maxTotalTasks: 100\n  when:\n    cron: {schedule: "0 3 * * 1-8"}\n  taskTemplate:\n    ttlSecondsAfterFinished: 86400\n    metadata: {labels: {team: infra}}\n    worker:\n      type: claude-code\n      credentials: {type: api-key, secretRef: {name: k}}\n      podOverrides: {activeDeadlineSeconds: 3600}\n',
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata:\n  name: infra\nspec:\n  taskSelector: {matchLabels: {team: infra}}\n  period: {type: Monthly}\n  maxCostUSD: "200"\n',
    ].join('---\n');
    const run = await kelos(['check', '--format', 'json', '-'], { cwd: emptyProject(), stdin });
    const { diagnostics } = JSON.parse(run.stdout) as { diagnostics: Array<{ code: string }> };
    const forecast = (ds: Array<{ code: string }>) => ds.filter((d) => d.code.startsWith('forecast/'));
    expect(forecast(diagnostics)).toStrictEqual([]);
    expect(run.code).toBe(0);
    // With the schedule fixed, it is priced: 23 weekday runs of 1 h at $6.
    const fixed = await kelos(['check', '--format', 'json', '-'], {
      cwd: emptyProject(),
      stdin: stdin.replace('1-8', '1-5').replace('"200"', '"100"'),
    });
    expect(
      forecast((JSON.parse(fixed.stdout) as { diagnostics: Array<{ code: string }> }).diagnostics).map(
        (d) => d.code,
      ),
    ).toStrictEqual(['forecast/budget-worst-case']);
  });

  test('-n: objects that set no namespace land in it, as kelos validate -n reads them, so a TaskBudget there covers them', async () => {
    const cwd = emptyProject();
    writeFileSync(
      join(cwd, 'spawner.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: nightly\nspec:\n  when:\n    cron: {schedule: "0 3 * * *"}\n  maxConcurrency: 1\n  maxTotalTasks: 100\n  taskTemplate:\n    type: claude-code\n    credentials: {type: none}\n    promptTemplate: Tidy up.\n    ttlSecondsAfterFinished: 3600\n    podOverrides: {activeDeadlineSeconds: 600, resources: {limits: {memory: 1Gi}}}\n',
    );
    writeFileSync(
      join(cwd, 'budget.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata:\n  name: team-a-daily\n  namespace: team-a\nspec:\n  taskSelector: {}\n  period: {type: Daily, timezone: UTC}\n  maxCostUSD: "100"\n',
    );
    const without = await kelos(['check', '.'], { cwd });
    expect(without.stdout).toContain(
      "no TaskBudget in namespace default covers this spawner's Tasks, so nothing limits what they spend [budget/namespace-covered]",
    );
    expect(without.code).toBe(2);
    const inTeamA = await kelos(['check', '-n', 'team-a', '.'], { cwd });
    expect(inTeamA.stdout).toBe('0 errors, 0 warnings, 0 info in 2 objects (24 rules); 0 suppressed\n');
    expect(inTeamA.code).toBe(0);
    const bad = await kelos(['check', '-n', 'Team_A', '.'], { cwd });
    expect(bad.stderr).toContain('kelos: -n: "Team_A" is not a namespace name');
    expect(bad.code).toBe(1);
    const apps = await kelos(['check', '-n', 'team-a'], { cwd });
    expect(apps.stderr).toContain('kelos: -n sets the namespace of manifests the paths name');
    expect(apps.code).toBe(1);
  });

  test('--beside: a TaskBudget the rendered apps deploy covers a spawner of the paths; their own findings are not reported', async () => {
    const cwd = emptyProject();
    mkdirSync(join(cwd, 'manifests'));
    mkdirSync(join(cwd, 'dist'));
    writeFileSync(
      join(cwd, 'manifests', 'spawner.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: nightly\nspec:\n  when:\n    cron: {schedule: "0 3 * * *"}\n  maxConcurrency: 1\n  maxTotalTasks: 100\n  taskTemplate:\n    metadata: {labels: {team: platform}}\n    type: claude-code\n    credentials: {type: none}\n    promptTemplate: Tidy up.\n    ttlSecondsAfterFinished: 3600\n    podOverrides: {activeDeadlineSeconds: 600, resources: {limits: {memory: 1Gi}}}\n',
    );
    // The budget covers it; the Task beside it breaks rules of its own, which are its app's to report.
    writeFileSync(
      join(cwd, 'dist', 'objects.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata:\n  name: platform-daily\nspec:\n  taskSelector: {matchLabels: {team: platform}}\n  period: {type: Daily, timezone: UTC}\n  maxCostUSD: "100"\n---\napiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: bare\nspec:\n  prompt: p\n  worker: {type: codex, credentials: {type: none}}\n',
    );
    const alone = await kelos(['check', 'manifests/'], { cwd });
    expect(alone.stdout).toContain('[budget/namespace-covered]');
    expect(alone.code).toBe(2);
    const beside = await kelos(['check', 'manifests/', '--beside', 'dist/'], { cwd });
    expect(beside.stdout).toBe('0 errors, 0 warnings, 0 info in 1 object (24 rules); 0 suppressed\n');
    expect(beside.code).toBe(0);
    expect((await kelos(['check', '--beside', 'dist/'], { cwd })).stderr).toContain(
      'kelos: --beside reads manifests beside the paths checked',
    );
    // Written first, --beside takes the paths too: the message says so and how to write it.
    const swallowed = await kelos(['check', '--beside', 'dist/', 'manifests/'], { cwd });
    expect(swallowed.code).toBe(1);
    expect(swallowed.stderr).toContain(
      'kelos: --beside took every argument after it (dist/ manifests/), so no paths are left to be checked; name the paths before --beside (kelos check manifests/ --beside dist/), or write --beside=dist/',
    );
  });

  test('--beside: the forecast of a TaskBudget only beside the paths is reported at the spawner that exceeds it, naming the budget and its file', async () => {
    const cwd = emptyProject();
    mkdirSync(join(cwd, 'manifests'));
    mkdirSync(join(cwd, 'dist'));
    writeFileSync(
      join(cwd, 'manifests', 'spawner.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: hourly\nspec:\n  when:\n    cron: {schedule: "0 * * * *"}\n  maxConcurrency: 1\n  maxTotalTasks: 100\n  taskTemplate:\n    type: claude-code\n    credentials: {type: none}\n    promptTemplate: Tidy up.\n    ttlSecondsAfterFinished: 3600\n    podOverrides: {activeDeadlineSeconds: 3600, resources: {limits: {memory: 1Gi}}}\n',
    );
    writeFileSync(
      join(cwd, 'dist', 'budget.yaml'),
      '# rendered\napiVersion: kelos.dev/v1alpha2\nkind: TaskBudget\nmetadata:\n  name: spend\nspec:\n  taskSelector: {}\n  period: {type: Daily, timezone: UTC}\n  maxCostUSD: "1"\n',
    );
    const beside = await kelos(['check', 'manifests/', '--beside', 'dist/', '--format', 'json'], { cwd });
    const found = (
      JSON.parse(beside.stdout) as {
        diagnostics: {
          code: string;
          path: string;
          message: string;
          source: { file: string; line: number };
        }[];
      }
    ).diagnostics.filter((d) => d.code === 'forecast/budget-worst-case');
    expect(found.map((d) => `${d.source.file}:${d.source.line} ${d.path}: ${d.message}`)).toStrictEqual([
      'manifests/spawner.yaml:8 /spec/maxConcurrency: worst case $144.00/Daily = 1 concurrent × 24h × $6.00/h (TaskSpawner hourly: claude-code default model); limit $1.00 of TaskBudget default/spend (defined beside, at dist/budget.yaml:2:1)',
    ]);
    expect(beside.code).toBe(2);
    // Among the paths, the budget is checked itself: the finding stays on it, once.
    const both = await kelos(['check', 'manifests/', 'dist/', '--format', 'json'], { cwd });
    expect(
      (
        JSON.parse(both.stdout) as { diagnostics: { code: string; source: { file: string }; path: string }[] }
      ).diagnostics
        .filter((d) => d.code === 'forecast/budget-worst-case')
        .map((d) => `${d.source.file} ${d.path}`),
    ).toStrictEqual(['dist/budget.yaml /spec/maxCostUSD']);
  });

  test('errors exit 2', async () => {
    const run = await kelos(['check', fixture('budget-spawner-max-concurrency', 'fail')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'maxConcurrency is 50, over the ceiling of 10 [budget/spawner-max-concurrency]',
    );
  });

  test('warnings alone exit 0, and 2 with --strict', async () => {
    // A Task that only lacks ttlSecondsAfterFinished (a warning).
    const task = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: { name: t, namespace: a }
spec:
  prompt: hi
  worker:
    type: claude-code
    credentials: { type: api-key, secretRef: { name: k } }
    podOverrides: { activeDeadlineSeconds: 600, resources: { limits: { memory: 8Gi } } }
`;
    const lenient = await kelos(['check', '-'], { stdin: task });
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('0 errors, 1 warning, 0 info in 1 object (24 rules); 0 suppressed');
    expect((await kelos(['check', '--strict', '-'], { stdin: task })).code).toBe(2);
  });

  test('a model one or two letters off a known one is a warning in the policy file and in a Task; a new model or version is not', async () => {
    const cwd = emptyProject();
    const policy = [
      'allowlists:',
      '  models:',
      '    claude-code: [claude-sonet-4-5, claude-opus-4-6, in-house-model]',
      'rates:',
      '  claude-code:',
      '    claude-sonet-4-5: 8',
      'externalSecrets: [k]',
      '',
    ].join('\n');
    writeFileSync(join(cwd, 'kelos.policy.yaml'), policy);
    const task = (name: string, model: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: { name: ${name}, namespace: a }\nspec:\n  prompt: hi\n  ttlSecondsAfterFinished: 600\n  worker:\n    type: claude-code\n    model: ${model}\n    credentials: { type: api-key, secretRef: { name: k } }\n    podOverrides: { activeDeadlineSeconds: 600, resources: { limits: { memory: 8Gi } } }\n`;
    writeFileSync(
      join(cwd, 'tasks.yaml'),
      [task('typo', 'claude-sonet-4-5'), task('next', 'claude-opus-4-6'), task('own', 'in-house-model')].join(
        '---\n',
      ),
    );
    const run = await kelos(['check', 'tasks.yaml'], { cwd });
    expect(run.stdout).toBe(
      [
        'kelos.policy.yaml',
        '  warning allowlists.models.claude-code lists "claude-sonet-4-5", which is not a known claude-code model; did you mean "claude-sonnet-4-5"? [hygiene/model-name]',
        '          at kelos.policy.yaml:3:19',
        '          hint: Spell the model as its provider names it, here and wherever kelos.policy.yaml repeats it.',
        '  warning rates.claude-code prices "claude-sonet-4-5", which is not a known claude-code model; did you mean "claude-sonnet-4-5"? [hygiene/model-name]',
        '          at kelos.policy.yaml:6:5',
        '          hint: Spell the model as its provider names it, here and wherever kelos.policy.yaml repeats it.',
        '',
        'Task a/typo',
        '  warning /spec/worker/model: model "claude-sonet-4-5" is not a known claude-code model; did you mean "claude-sonnet-4-5"? [hygiene/model-name]',
        '          at tasks.yaml:9:5',
        '          hint: Spell the model as its provider names it, here and wherever kelos.policy.yaml repeats it.',
        '',
        '0 errors, 3 warnings, 0 info in 3 objects (24 rules); 0 suppressed',
        '',
      ].join('\n'),
    );
    expect(run.code).toBe(0);
    expect((await kelos(['check', '--strict', 'tasks.yaml'], { cwd })).code).toBe(2);

    // Turned off, the rule is silent in the policy file too.
    writeFileSync(join(cwd, 'kelos.policy.yaml'), `${policy}rules:\n  hygiene/model-name: off\n`);
    const off = await kelos(['check', 'tasks.yaml'], { cwd });
    expect(off.stdout).toBe('0 errors, 0 warnings, 0 info in 3 objects (23 rules); 0 suppressed\n');
  });

  test('a compliant app exits 0 with an empty report', async () => {
    const run = await kelos(['check', 'test/fixtures/policy/compliant.yaml']);
    expect(run).toStrictEqual({
      code: 0,
      stdout: '0 errors, 0 warnings, 0 info in 3 objects (24 rules); 0 suppressed\n',
      stderr: '',
    });
  });

  test('--format and --output write the report to a file and print the summary', async () => {
    const dir = emptyProject();
    const out = join(dir, 'reports/kelos.sarif');
    const run = await kelos([
      'check',
      fixture('budget-active-deadline', 'fail'),
      '--format',
      'sarif',
      '--output',
      out,
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^\d+ errors?, \d+ warnings?, 0 info in 2 objects \(24 rules\); 0 suppressed\n$/,
    );
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'budget/active-deadline')).toBe(
      true,
    );
  });

  test('github format prints workflow commands with paths relative to the working directory', async () => {
    const run = await kelos([
      'check',
      fixture('security-webhook-signing-secret', 'fail'),
      '--format',
      'github',
    ]);
    expect(run.stdout).toContain(
      '::error file=test/fixtures/policy/security-webhook-signing-secret/fail.yaml,line=8,col=5,title=security/webhook-signing-secret::TaskSpawner team-a/alerts /spec/when/webhook: generic webhook source "alertmanager" has no secretRef',
    );
  });

  test('an invalid config exits 1 naming the file and the key', async () => {
    const dir = emptyProject();
    writeFileSync(join(dir, 'kelos.policy.yaml'), 'thresholds:\n  maxConcurrency: lots\n');
    writeFileSync(join(dir, 'app.yaml'), '');
    const run = await kelos(['check', 'app.yaml'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'kelos: invalid policy configuration:\n  kelos.policy.yaml:2:3: thresholds.maxConcurrency: expected a positive integer up to 2147483647 (a TaskSpawner maxConcurrency is an int32), got "lots"\n',
    );
  });

  test('the config in the working directory sets thresholds and severities', async () => {
    const dir = emptyProject();
    writeFileSync(join(dir, 'kelos.policy.yaml'), 'thresholds: {maxConcurrency: 100}\n');
    const text = readFileSync(join(ROOT, fixture('budget-spawner-max-concurrency', 'fail')), 'utf8');
    const run = await kelos(['check', '-'], { cwd: dir, stdin: text });
    expect(run.stdout).not.toContain('over the ceiling');
    expect(run.stdout).toContain('set it between 1 and 100');
  });

  test('a field the schema refuses is not called unset: the policy says it cannot read it, and validate has the schema error', async () => {
    const dir = emptyProject();
    writeFileSync(
      join(dir, 'task.yaml'),
      `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: { name: t, namespace: a }
spec:
  prompt: hi
  worker:
    type: codex
    credentials: { type: none }
    podOverrides: { activeDeadlineSeconds: "3600" }
  ttlSecondsAfterFinished: 3600
`,
    );
    const check = await kelos(['check', 'task.yaml'], { cwd: dir });
    expect(check.code).toBe(2);
    expect(check.stdout).toContain(
      'activeDeadlineSeconds is "3600", not a number, so this policy cannot judge it; write it as a number (kelos validate reports the schema error)',
    );
    expect(check.stdout).not.toContain('is not set');
    // The schema is kelos validate's: check on files runs the policies only (start-up, issue 18).
    expect(check.stdout).not.toContain('[schema/type]');
    const validate = await kelos(['validate', 'task.yaml'], { cwd: dir });
    expect(validate.stdout).toContain(
      '/spec/worker/podOverrides/activeDeadlineSeconds: must be an integer; got a string "3600" [schema/type]',
    );
  });

  test('a spawner cap written as a string is reported as unreadable, not as missing', async () => {
    const dir = emptyProject();
    writeFileSync(
      join(dir, 'spawner.yaml'),
      `apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata: { name: s, namespace: a }
spec:
  maxConcurrency: "3"
  maxTotalTasks: "50"
  when: { cron: { schedule: "0 9 * * 1" } }
  taskTemplate:
    worker: { type: codex, credentials: { type: none }, podOverrides: { activeDeadlineSeconds: 3600 } }
    promptTemplate: hi
    ttlSecondsAfterFinished: 3600
`,
    );
    const run = await kelos(['check', 'spawner.yaml'], { cwd: dir });
    expect(run.stdout).toContain('maxConcurrency is "3", not a number');
    expect(run.stdout).toContain('maxTotalTasks is "50", not a number');
    expect(run.stdout).not.toContain('is not set');
  });

  test('a missing path exits 1', async () => {
    const run = await kelos(['check', 'no/such/file.yaml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('kelos: cannot read no/such/file.yaml: no such file or directory\n');
  });

  test('a flag naming a path of the wrong kind says which flag, which path and what was expected', async () => {
    const dir = emptyProject();
    writeFileSync(
      join(dir, 'task.yaml'),
      readFileSync(join(ROOT, fixture('budget-spawner-max-concurrency', 'pass')), 'utf8'),
    );
    const cases: Array<[string[], string]> = [
      [
        ['check', '-c', '.', 'task.yaml'],
        'kelos: invalid policy configuration:\n  .: cannot be read as the policy file: it is a directory',
      ],
      [['check', 'task.yaml', '-o', '.'], 'kelos: -o .: is a directory; expected a file'],
      // Nothing can be created under /proc: a file to write is not said to "not exist".
      [
        ['check', 'task.yaml', '-o', '/proc/kelos.sarif'],
        'kelos: -o /proc/kelos.sarif: cannot be created there',
      ],
      [
        ['check', '--emit-admission-policies', 'task.yaml'],
        'kelos: --emit-admission-policies task.yaml: is a file, or is below one; expected a directory',
      ],
      [
        ['crds', '-o', 'task.yaml/crds'],
        'kelos: -o task.yaml/crds: is a file, or is below one; expected a directory',
      ],
    ];
    for (const [argv, message] of cases) {
      const run = await kelos(argv, { cwd: dir });
      expect([argv.join(' '), run.code, run.stderr.split(' (')[0]]).toStrictEqual([
        argv.join(' '),
        1,
        message,
      ]);
    }
  });

  test('a TaskBudget of another kustomization root covers the spawners it selects in its namespace', async () => {
    const dir = emptyProject();
    const [budget, spawner] = readFileSync(
      join(ROOT, fixture('budget-namespace-covered', 'pass')),
      'utf8',
    ).split('\n---\n');
    const kustomization =
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [objects.yaml]\n';
    for (const [app, text] of [
      ['budgets', budget],
      ['work', spawner],
    ] as const) {
      mkdirSync(join(dir, app));
      writeFileSync(join(dir, app, 'kustomization.yaml'), kustomization);
      writeFileSync(join(dir, app, 'objects.yaml'), `${text}\n`);
    }
    const uncovered = (run: { stdout: string }) => run.stdout.includes('[budget/namespace-covered]');
    expect(uncovered(await kelos(['check', 'work', 'budgets'], { cwd: dir }))).toBe(false);
    expect(uncovered(await kelos(['check', 'work'], { cwd: dir }))).toBe(true);
  });

  test('--admin-config without --emit-admission-policies is refused, not ignored', async () => {
    const run = await kelos([
      'check',
      '--admin-config',
      'admin.yaml',
      fixture('budget-namespace-covered', 'pass'),
    ]);
    expect([run.code, run.stderr]).toStrictEqual([
      1,
      'kelos: --admin-config is read only with --emit-admission-policies (offline, kelos check honours opt-out annotations everywhere)\n',
    ]);
  });

  test('--list-rules prints every rule id with its severity, then the engine codes', async () => {
    const run = await kelos(['check', '--list-rules']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(BUILTIN_RULES.length + 6);
    expect(lines.slice(-6).map((l) => l.split(/\s+/)[0])).toStrictEqual([
      'policy/ignore-reason',
      'policy/ignore-unknown-rule',
      'policy/ignore-unknown-annotation',
      'policy/unknown-kind',
      'policy/unknown-version',
      'policy/rule-failed',
    ]);
    expect(lines.at(-1)).toMatch(
      /^policy\/rule-failed\s+error\s+Every rule runs to completion\. \(engine: not configurable\)$/,
    );
    expect(run.stdout).toMatch(
      /^budget\/spawner-max-concurrency\s+error\s+Every TaskSpawner sets maxConcurrency/,
    );
    expect(run.stdout).toMatch(
      /^hygiene\/agent-memory-limit\s+warning\s+Every Task and TaskSpawner task template sets podOverrides\.resources\.limits\.memory/m,
    );
  });

  test('--list-rules shows the severities the policy configuration gives, and refuses a config it cannot read', async () => {
    const dir = emptyProject();
    writeFileSync(
      join(dir, 'strict.yaml'),
      'rules:\n  budget/spawner-max-total-tasks: error\n  hygiene/ttl-seconds-after-finished: off\n',
    );
    const run = await kelos(['check', '--list-rules', '-c', 'strict.yaml'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^budget\/spawner-max-total-tasks\s+error\s/m);
    expect(run.stdout).toMatch(/^hygiene\/ttl-seconds-after-finished\s+off\s/m);
    const missing = await kelos(['check', '--list-rules', '-c', 'nope.yaml'], { cwd: dir });
    expect([missing.code, missing.stderr]).toStrictEqual([
      1,
      'kelos: cannot read the policy configuration:\n  nope.yaml: no such file\n',
    ]);
  });

  test('--list-rules --format json lists the same rules as JSON; a report-only format is refused', async () => {
    const text = await kelos(['check', '--list-rules']);
    const json = await kelos(['check', '--list-rules', '--format', 'json']);
    expect(json.code).toBe(0);
    const { version, rules } = JSON.parse(json.stdout) as {
      version: number;
      rules: Array<{ id: string; severity: string; admission: boolean }>;
    };
    expect(version).toBe(1);
    expect(rules.map((r) => `${r.id} ${r.severity}`)).toStrictEqual(
      text.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    );
    expect(rules.find((r) => r.id === 'budget/spawner-max-concurrency')?.admission).toBe(true);
    const sarif = await kelos(['check', '--list-rules', '--format', 'sarif']);
    expect([sarif.code, sarif.stderr]).toStrictEqual([
      1,
      'kelos: --list-rules prints text or json, not sarif\n',
    ]);
    const withPaths = await kelos(['check', '--list-rules', 'task.yaml']);
    expect([withPaths.code, withPaths.stderr]).toStrictEqual([
      1,
      'kelos: --list-rules lists the rules; it checks no paths\n',
    ]);
    const dir = emptyProject();
    const toFile = await kelos(['check', '--list-rules', '--format', 'json', '-o', 'rules.json'], {
      cwd: dir,
    });
    expect([toFile.code, toFile.stdout]).toStrictEqual([0, '']);
    expect(readFileSync(join(dir, 'rules.json'), 'utf8')).toBe(json.stdout);
  });

  test('--emit-admission-policies writes the policies and a kustomization', async () => {
    const dir = emptyProject();
    const run = await kelos(['check', '--emit-admission-policies', join(dir, 'policies')], { cwd: dir });
    expect(run.code).toBe(0);
    const files = readdirSync(join(dir, 'policies')).sort();
    expect(files).toContain('kustomization.yaml');
    expect(files).toContain('security-pod-security.yaml');
    expect(run.stdout).toBe(`wrote ${files.length} files to ${join(dir, 'policies')}\n`);
  });

  test('sarif, github and junit: paths are relative to the git repository root, not the working directory; text keeps them as typed', async () => {
    const repo = emptyProject();
    execFileSync('git', ['init', '-q'], { cwd: repo });
    mkdirSync(join(repo, 'manifests/team-12'), { recursive: true });
    writeFileSync(
      join(repo, 'manifests/team-12/task.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata: {name: t, namespace: team-12}\nspec:\n  prompt: p\n  worker: {type: codex, credentials: {type: none}}\n',
    );
    const cwd = join(repo, 'manifests');
    const sarif = JSON.parse((await kelos(['check', 'team-12', '--format', 'sarif'], { cwd })).stdout);
    expect(sarif.runs[0].originalUriBaseIds).toStrictEqual({
      '%SRCROOT%': { uri: pathToFileURL(repo).href.replace(/\/?$/, '/') },
    });
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toStrictEqual({
      uri: 'manifests/team-12/task.yaml',
      uriBaseId: '%SRCROOT%',
    });
    const github = (await kelos(['check', 'team-12', '--format', 'github'], { cwd })).stdout;
    expect(github).toMatch(/^::error file=manifests\/team-12\/task\.yaml,line=/m);
    expect(github).not.toMatch(/file=team-12/);
    const junit = (await kelos(['check', 'team-12', '--format', 'junit'], { cwd })).stdout;
    expect(junit).toContain(' file="manifests/team-12/task.yaml" line=');
    expect(junit).not.toContain('file="team-12/');
    // What a person reads keeps the path as typed, and so does the JSON report.
    expect((await kelos(['check', 'team-12'], { cwd })).stdout).toContain('at team-12/task.yaml:');
    const json = JSON.parse((await kelos(['check', 'team-12', '--format', 'json'], { cwd })).stdout);
    expect(json.diagnostics[0].source.file).toBe('team-12/task.yaml');
    // Outside a repository, the working directory is the base, as before.
    const bare = emptyProject();
    mkdirSync(join(bare, 'team-12'));
    writeFileSync(join(bare, 'team-12/task.yaml'), readFileSync(join(repo, 'manifests/team-12/task.yaml')));
    const outside = JSON.parse(
      (await kelos(['check', 'team-12', '--format', 'sarif'], { cwd: bare })).stdout,
    );
    expect(outside.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      'team-12/task.yaml',
    );
  });

  test('junit: a line break in an attribute is a character reference, and ESC, BEL, SOH are written as escapes, not dropped', async () => {
    const dir = emptyProject();
    writeFileSync(
      join(dir, 't.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: "fix\\nlogin\\e\\a\\x01"\n  namespace: team-a\nspec:\n  prompt: p\n  worker:\n    type: claude-code\n    model: "opuss\\n\\t\\r\\e"\n    credentials: { type: api-key, secretRef: { name: anthropic } }\n',
    );
    const run = await kelos(['check', 't.yaml', '--format', 'junit'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('name="Task team-a/fix&#10;login\\u001b\\u0007\\u0001 /spec/worker/model"');
    expect(run.stdout).toContain('message="model &quot;opuss&#10;&#9;&#13;\\u001b&quot; is not allowed');
    // In element content a line feed and a tab stay as they are; a carriage return does not survive parsing raw.
    expect(run.stdout).toContain('t.yaml:10:5: model &quot;opuss\n\t&#13;\\u001b&quot; is not allowed');
    // No attribute holds a raw line break, and nothing XML 1.0 cannot hold is written.
    for (const attr of run.stdout.matchAll(/="([^"]*)"/g)) expect(attr[1]).not.toMatch(/[\n\r\t]/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  test('colour as the conventions say: a terminal, unless NO_COLOR, FORCE_COLOR=0 or TERM=dumb; FORCE_COLOR=1, 2 or 3 in a pipe too', async () => {
    const path = fixture('budget-spawner-max-total-tasks', 'fail');
    const coloured = async (isTTY: boolean, env: Record<string, string>) =>
      (await kelos(['check', path], { isTTY, env })).stdout.includes('\u001b[');
    expect(await coloured(true, { TERM: 'xterm-256color' })).toBe(true);
    expect(await coloured(false, { TERM: 'xterm-256color' })).toBe(false);
    expect(await coloured(true, { TERM: 'xterm-256color', NO_COLOR: '1' })).toBe(false);
    expect(await coloured(true, { TERM: 'xterm-256color', FORCE_COLOR: '0' })).toBe(false);
    expect(await coloured(true, { TERM: 'dumb' })).toBe(false);
    for (const level of ['1', '2', '3']) expect(await coloured(false, { FORCE_COLOR: level })).toBe(true);
    // A report written to a file, or in a machine format, is never coloured.
    const dir = emptyProject();
    await kelos(['check', join(ROOT, path), '-o', join(dir, 'r.txt')], { env: { FORCE_COLOR: '1' } });
    expect(readFileSync(join(dir, 'r.txt'), 'utf8')).not.toContain('\u001b[');
  });

  test('colourOutput: the decision, as Node reads the environment', () => {
    const cases: [boolean, Record<string, string>, boolean][] = [
      [true, { TERM: 'xterm' }, true],
      [true, { TERM: 'dumb' }, false],
      [true, { TERM: 'xterm', NO_COLOR: '1' }, false],
      [true, { TERM: 'xterm', NO_COLOR: '' }, true],
      [true, { TERM: 'xterm', FORCE_COLOR: '0' }, false],
      [true, { TERM: 'dumb', FORCE_COLOR: '0' }, false],
      [false, { FORCE_COLOR: '1' }, true],
      [false, { FORCE_COLOR: '' }, true],
      [false, { FORCE_COLOR: '0' }, false],
      [false, { TERM: 'xterm' }, false],
    ];
    for (const [isTTY, env, on] of cases)
      expect([isTTY, env, colourOutput({ isTTY, env })]).toStrictEqual([isTTY, env, on]);
  });

  const cli = join(ROOT, 'src/cli/main.ts');
  // `script` (util-linux, Debian's bsdutils, which .ci/run installs) gives the CLI a real
  // pseudo-terminal; without it this test fails rather than skips.
  test('in a real terminal (script -qc): coloured with TERM=xterm, plain with FORCE_COLOR=0, TERM=dumb or NO_COLOR', () => {
    const path = join(ROOT, fixture('budget-spawner-max-total-tasks', 'fail'));
    const inTerminal = (env: Record<string, string>) =>
      spawnSync(
        'script',
        [
          '-qec',
          `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} check ${JSON.stringify(path)}`,
          '/dev/null',
        ],
        {
          env: { PATH: process.env['PATH'] ?? '', ...env },
          encoding: 'utf8',
        },
      ).stdout.includes('\u001b[');
    expect(inTerminal({ TERM: 'xterm' })).toBe(true);
    expect(inTerminal({ TERM: 'xterm', FORCE_COLOR: '0' })).toBe(false);
    expect(inTerminal({ TERM: 'dumb' })).toBe(false);
    expect(inTerminal({ TERM: 'xterm', NO_COLOR: '1' })).toBe(false);
  }, 30_000);

  test('in a real pipe: FORCE_COLOR=1 colours, nothing else does', () => {
    const path = join(ROOT, fixture('budget-spawner-max-total-tasks', 'fail'));
    const inPipe = (env: Record<string, string>) =>
      spawnSync(process.execPath, [cli, 'check', path], {
        env: { PATH: process.env['PATH'] ?? '', ...env },
        encoding: 'utf8',
      }).stdout.includes('\u001b[');
    expect(inPipe({ FORCE_COLOR: '1' })).toBe(true);
    expect(inPipe({ TERM: 'xterm' })).toBe(false);
  }, 30_000);
});
