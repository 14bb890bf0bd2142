import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Task, TaskSpawner } from '../../../src/api/index.ts';
import { colours } from '../../../src/cli/cluster/colour.ts';
import {
  manualItem,
  parseEnvFlags,
  planFromSpawner,
  planRun,
  randomSuffix,
  shortTimeoutWarning,
  tasksUsingSecret,
} from '../../../src/cli/cluster/run-task.ts';
import { readValues, summary } from '../../../src/cli/commands/run.ts';
import { imageTag } from '../../../src/cli/commands/version.ts';
import { UsageError } from '../../../src/cli/io.ts';
import { kelos } from '../validate/run-cli.ts';

describe('planRun', () => {
  it('defaults to claude-code with an api-key Secret, and puts every flag where the Task wants it', () => {
    const { task, prerequisites } = planRun(
      { secret: 's', timeout: '90s', branch: 'b' },
      'do it',
      undefined,
      'ns',
      'task-x',
    );
    expect(prerequisites).toEqual([]);
    expect(task).toEqual({
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'Task',
      metadata: { name: 'task-x', namespace: 'ns' },
      spec: {
        prompt: 'do it',
        worker: {
          type: 'claude-code',
          credentials: { type: 'api-key', secretRef: { name: 's' } },
          podOverrides: { activeDeadlineSeconds: 90 },
        },
        branch: 'b',
      },
    });
  });

  it('turns the config file into a kelos-credentials Secret and a kelos-workspace, under the flags', () => {
    const { task, prerequisites } = planRun(
      { model: 'flag-model', env: ['LEVEL=info'] },
      'p',
      {
        oauthToken: 'tok',
        model: 'config-model',
        effort: 'high',
        workspace: { repo: 'https://github.com/o/r.git', ref: 'main', token: 'ghp' },
        agentConfig: 'rules',
        env: [
          { name: 'LEVEL', value: 'debug' },
          { name: 'KEEP', value: '1' },
        ],
      },
      'ns',
      't',
    );
    expect(prerequisites.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/kelos-credentials',
      'Secret/kelos-workspace-credentials',
      'Workspace/kelos-workspace',
    ]);
    // Under data, so server-side apply owns each key and drops one the config file no longer has.
    expect((prerequisites[0] as unknown as { data: object }).data).toEqual({
      CLAUDE_CODE_OAUTH_TOKEN: Buffer.from('tok').toString('base64'),
    });
    expect(task.spec.worker).toEqual({
      type: 'claude-code',
      credentials: { type: 'oauth', secretRef: { name: 'kelos-credentials' } },
      model: 'flag-model',
      effort: 'high',
      workspaceRef: { name: 'kelos-workspace' },
      agentConfigRefs: [{ name: 'rules' }],
      podOverrides: {
        env: [
          { name: 'LEVEL', value: 'info' },
          { name: 'KEEP', value: '1' },
        ],
      },
    });
  });

  it('retires kelos-credentials once a config file has no oauthToken or apiKey, unless this run names it', () => {
    const retired = (flags: Parameters<typeof planRun>[0], config: Parameters<typeof planRun>[2]) =>
      (planRun(flags, 'p', config, 'ns', 't').retired ?? []).map((r) => r.name);
    expect(retired({}, { secret: 's' })).toEqual(['kelos-credentials']);
    expect(retired({ credentialType: 'none' }, {})).toEqual(['kelos-credentials']);
    expect(retired({}, { apiKey: 'k' })).toEqual([]);
    // Another Secret for this run only: the config file still has its key.
    expect(retired({ secret: 'other' }, { oauthToken: 'o' })).toEqual([]);
    expect(retired({ secret: 'kelos-credentials' }, {})).toEqual([]);
    // No config file read: nothing it asked for to take back.
    expect(retired({ secret: 's' }, undefined)).toEqual([]);
    expect(retired({}, { secret: 's', workspace: { repo: 'https://github.com/o/r.git' } })).toEqual([
      'kelos-credentials',
      'kelos-workspace-credentials',
    ]);
  });

  it('counts an unfinished Task whose credentials name the Secret as using it', () => {
    const task = (name: string, secret: string, phase?: string, legacy = false) =>
      ({
        metadata: { name },
        spec: legacy
          ? { prompt: 'p', type: 'codex', credentials: { type: 'api-key', secretRef: { name: secret } } }
          : {
              prompt: 'p',
              worker: { type: 'codex', credentials: { type: 'api-key', secretRef: { name: secret } } },
            },
        ...(phase ? { status: { phase } } : {}),
      }) as unknown as Task;
    expect(
      tasksUsingSecret(
        [
          task('b', 'kelos-credentials', 'Running'),
          task('a', 'kelos-credentials', undefined, true),
          task('done', 'kelos-credentials', 'Succeeded'),
          task('failed', 'kelos-credentials', 'Failed'),
          task('other', 's'),
        ],
        'kelos-credentials',
      ),
    ).toEqual(['a', 'b']);
  });

  it('warns of a bare --timeout under a minute as seconds, and only of that', () => {
    expect(shortTimeoutWarning('5')).toBe(
      '--timeout 5 is 5 seconds, which stops the agent almost at once; write 5m for minutes',
    );
    expect(shortTimeoutWarning('1')).toBe(
      '--timeout 1 is 1 second, which stops the agent almost at once; write 1m for minutes',
    );
    expect(shortTimeoutWarning(' 59 ')).toBe(
      '--timeout 59 is 59 seconds, which stops the agent almost at once; write 59m for minutes',
    );
    expect(['60', '3600', '5s', '5m', '30m', '0', ''].map(shortTimeoutWarning)).toStrictEqual(
      Array(7).fill(undefined),
    );
    expect(planRun({ secret: 's', timeout: '30' }, 'p', undefined, 'ns', 't').warnings).toStrictEqual([
      '--timeout 30 is 30 seconds, which stops the agent almost at once; write 30m for minutes',
    ]);
    expect(planRun({ secret: 's', timeout: '30m' }, 'p', undefined, 'ns', 't').warnings).toBe(undefined);
  });

  it('refuses bad flags with the expected form', () => {
    const plan = (flags: Parameters<typeof planRun>[0]) => () =>
      planRun({ secret: 's', ...flags }, 'p', undefined, 'ns', 't');
    expect(plan({ type: 'copilot' })).toThrow(/--type must be one of claude-code, codex/);
    expect(plan({ credentialType: 'token' })).toThrow(
      /--credential-type must be one of api-key, oauth, none/,
    );
    expect(plan({ timeout: '0s' })).toThrow(/--timeout must be a duration of at least 1s/);
    expect(plan({ timeout: 'soon' })).toThrow(UsageError);
    expect(() => planRun({}, 'p', undefined, 'ns', 't')).toThrow(
      /^an api-key credential needs a Secret: pass --secret/,
    );
    expect(
      planRun({ credentialType: 'none' }, 'p', undefined, 'ns', 't').task.spec.worker?.credentials,
    ).toEqual({ type: 'none' });
  });

  it('parses --env, later values winning, values keeping their = signs', () => {
    expect(parseEnvFlags(['A=1', 'B=x=y', 'A=2'])).toEqual([
      { name: 'A', value: '2' },
      { name: 'B', value: 'x=y' },
    ]);
    expect(() => parseEnvFlags(['NOVALUE'])).toThrow(/NAME=VALUE/);
    expect(() => parseEnvFlags(['1A=x'])).toThrow(/NAME=VALUE/);
  });

  it('random names are five characters of [a-z0-9]', () => {
    expect(randomSuffix()).toMatch(/^[a-z0-9]{5}$/);
    expect(randomSuffix(5, () => 0.999)).toBe('99999');
  });
});

describe('--from taskspawner', () => {
  const spawner = {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name: 'triage', namespace: 'ns', uid: 'u1' },
    spec: {
      when: { cron: { schedule: '0 * * * *' } },
      taskTemplate: {
        worker: { type: 'claude-code', credentials: { type: 'none' } },
        promptTemplate: 'Fix #{{.Number}}: {{.Title}} ({{.Labels}})',
        branch: 'kelos/{{.Number}}',
      },
    },
  } as unknown as TaskSpawner;
  const now = new Date('2026-02-03T04:05:06.789Z');

  it('renders the template over the values (any case), without owner reference or spawner label', () => {
    const task = planFromSpawner(
      spawner,
      { number: '7', TITLE: 'crash', Labels: ['bug', 'p1'] },
      'triage-manual-x',
      now,
    );
    expect(task.spec.prompt).toBe('Fix #7: crash (bug, p1)');
    expect(task.spec.branch).toBe('kelos/7');
    expect(task.metadata.ownerReferences).toBeUndefined();
    expect(task.metadata.labels).toEqual({});
    expect(task.metadata.annotations).toEqual({
      'kelos.dev/created-from-taskspawner': 'triage',
      'kelos.dev/trigger-type': 'manual',
      'kelos.dev/trigger-time': '2026-02-03T04:05:06Z',
    });
  });

  it('refuses a value no template reads, and bad numbers, naming what it expected', () => {
    expect(() => planFromSpawner(spawner, { Titel: 'x' }, 'n', now)).toThrow(
      '-f Titel: no template of taskspawner/triage reads .Titel; expected one of ID, Number, Title, Body, URL, Labels, Comments, Kind, Branch, ReviewState, ReviewComments, Time, Schedule, Context, or a variable its templates read',
    );
    expect(() => manualItem({ Number: 'seven' }, now)).toThrow(/-f Number: expected an integer/);
  });

  it('a cron run stands for a tick now, with the schedule, unless -f says otherwise', () => {
    const cron = {
      ...spawner,
      spec: {
        ...spawner.spec,
        taskTemplate: {
          ...spawner.spec.taskTemplate,
          promptTemplate: 'tick {{.Time}} of {{.Schedule}}',
        },
      },
    } as TaskSpawner;
    expect(planFromSpawner(cron, {}, 'n', now).spec.prompt).toBe('tick 2026-02-03T04:05:06Z of 0 * * * *');
    expect(planFromSpawner(cron, { time: '2026-01-01T00:00:00Z' }, 'n', now).spec.prompt).toMatch(
      /^tick 2026-01-01T00:00:00Z of/,
    );
  });

  it("a generic webhook spawner's fieldMapping variables are set with -f, as the values file's keys", () => {
    const hook = {
      ...spawner,
      spec: {
        when: { webhook: { source: 'sentry', fieldMapping: { id: '$.id', level: '$.level' } } },
        taskTemplate: {
          worker: spawner.spec.taskTemplate.worker,
          promptTemplate: '[{{.level}}] {{.Title}} {{.ID}}',
        },
      },
    } as unknown as TaskSpawner;
    expect(planFromSpawner(hook, { Title: 'Hello', level: 'error', ID: 'z9' }, 'n', now).spec.prompt).toBe(
      '[error] Hello z9',
    );
  });

  it('reads -f as key=value pairs and YAML files, merged in order', async () => {
    const io = { cwd: '/', readStdin: async () => 'Title: from stdin\nNumber: 3\n' } as Parameters<
      typeof readValues
    >[1];
    expect(await readValues(['Body=a=b', '-', 'Number=4'], io)).toEqual({
      Body: 'a=b',
      Title: 'from stdin',
      Number: '4',
    });
    await expect(readValues(['/does/not/exist.yaml'], io)).rejects.toThrow(
      /neither key=value nor a readable YAML\/JSON file/,
    );
  });

  it('refuses -f files and standard input past 32 MiB, nested too deep or of two documents, naming them; __proto__ is a variable', async () => {
    const io = (stdin: string) =>
      ({ cwd: '/', readStdin: async () => stdin }) as unknown as Parameters<typeof readValues>[1];
    await expect(readValues(['/dev/zero'], io(''))).rejects.toMatchObject({
      name: 'UsageError',
      message:
        '-f /dev/zero: neither key=value nor a readable YAML/JSON file (more than 32 MiB, the most kelos reads of one file)',
    });
    await expect(
      readValues(['-'], io(`Title: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`)),
    ).rejects.toMatchObject({
      name: 'UsageError',
      message:
        '-:1:136: the file nests mappings and lists more than 128 levels deep (too deep to parse); no Kubernetes object does',
    });
    await expect(readValues(['-'], io('Title: a\n---\nTitle: b\n'))).rejects.toMatchObject({
      name: 'UsageError',
      message: '-f -: expected a mapping of template variables (Title, Body, …)',
    });
    const values = await readValues(['-'], io('__proto__: {Title: polluted}\nBody: b\n'));
    expect(Object.entries(values)).toStrictEqual([
      ['__proto__', { Title: 'polluted' }],
      ['Body', 'b'],
    ]);
    expect(values['Title']).toBeUndefined();
  });
});

describe('imageTag', () => {
  it('reads the tag of an image reference, including registries with ports', () => {
    expect(imageTag('ghcr.io/kelos-ts/kelos-operator:0.1.0')).toBe('0.1.0');
    expect(imageTag('localhost:5000/kelos-operator')).toBe('latest');
    expect(imageTag('r/x@sha256:abc')).toBe('sha256:abc');
  });
});

describe('the summary of a watched run', () => {
  const plain = colours({ isTTY: false, env: {} });
  it('names the outcome, duration, PR, branch and cost of a success', () => {
    const task = {
      metadata: { name: 'fix' },
      spec: { prompt: 'p' },
      status: {
        phase: 'Succeeded',
        startTime: '2026-01-01T10:00:00Z',
        completionTime: '2026-01-01T10:02:30Z',
        results: { pr: 'https://x/pull/9', branch: 'kelos/fix' },
        usage: { costUSD: '0.12' },
      },
    } as unknown as Task;
    expect(summary(task, plain)).toBe(
      'task/fix Succeeded in 2m30s\n  PR:     https://x/pull/9\n  branch: kelos/fix\n  cost:   $0.12\n',
    );
  });

  it('gives the reason of a failure', () => {
    const task = {
      metadata: { name: 'f' },
      spec: { prompt: 'p' },
      status: { phase: 'Failed', message: 'agent exited 1' },
    } as unknown as Task;
    expect(summary(task, plain)).toBe('task/f Failed\n  reason: agent exited 1\n');
    expect(summary(task, colours({ isTTY: true, env: { TERM: 'xterm' } }))).toContain(
      '\u001b[31mFailed\u001b[39m',
    );
  });
});

describe('--dry-run without a kubeconfig', () => {
  /** Runs the CLI in a directory and a HOME with no kubeconfig, no KUBECONFIG, not in a Pod. */
  const offline = (...argv: string[]) => {
    const home = mkdtempSync(join(tmpdir(), 'kelos-offline-'));
    return kelos(argv, { cwd: home, env: { HOME: home } }).then((r) => ({ ...r, home }));
  };

  it('kelos run and kelos create print the objects, in the namespace of -n or default', async () => {
    const run = await offline(
      'run',
      '-p',
      'Fix it',
      '--secret',
      'anthropic',
      '--name',
      'fix',
      '-n',
      'agents',
      '--dry-run',
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('kind: Task\nmetadata:\n  name: fix\n  namespace: agents\n');
    const ws = await offline('create', 'ws', 'api', '--repo', 'https://github.com/acme/api.git', '--dry-run');
    expect(ws).toMatchObject({ code: 0, stderr: '' });
    expect(ws.stdout).toContain('kind: Workspace\nmetadata:\n  name: api\n  namespace: default\n');
  });

  it('a dry run that reads the cluster (--from) still says the kubeconfig is missing, exit 1', async () => {
    const run = await offline('run', '--from', 'taskspawner/nightly', '--dry-run');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `kelos: no kubeconfig: KUBECONFIG is not set and ${join(run.home, '.kube', 'config')} does not exist; pass --kubeconfig, set KUBECONFIG, or run in a cluster (this command reads the cluster even with --dry-run)\n`,
    );
  });

  it('without --dry-run a missing kubeconfig is an error before anything else', async () => {
    const run = await offline('run', '-p', 'Fix it', '--secret', 'anthropic');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `kelos: no kubeconfig: KUBECONFIG is not set and ${join(run.home, '.kube', 'config')} does not exist; pass --kubeconfig, set KUBECONFIG, or run in a cluster\n`,
    );
  });

  it('a dry run refuses, naming the flag, what the API server would refuse; nothing is printed', async () => {
    const run = await offline('run', '--dry-run', '-p', 'x', '--secret', 's', '--name', 'My_Task');
    expect([run.code, run.stdout]).toStrictEqual([1, '']);
    expect(run.stderr).toBe(
      `kelos: what these flags make would be refused or could not run, so nothing was printed or created:\n  error Task default/My_Task /metadata/name: must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character; got "My_Task" (set by --name) [schema/pattern]\n`,
    );
    // A name the API server takes but no Job can: the Task would fail once created.
    const long = await offline('run', '--dry-run', '-p', 'x', '--secret', 's', '--name', 'a'.repeat(70));
    expect([long.code, long.stdout]).toStrictEqual([1, '']);
    expect(long.stderr).toContain(
      `error Task default/${'a'.repeat(70)} /metadata/name: Task name is 70 characters; its Job needs a name of at most 63 (Job names become a Pod label value): the API server accepts the Task and the operator fails it (set by --name) [task/name-too-long]`,
    );
    const ws = await offline(
      'create',
      'ws',
      'api',
      '--repo',
      'https://user:hunter2@github.com/a/b.git',
      '--dry-run',
    );
    expect([ws.code, ws.stdout]).toStrictEqual([1, '']);
    expect(ws.stderr).toContain(
      "/spec/repo: repo must not contain credentials (user info before '@'); put the token in the Secret named by secretRef (set by --repo) [cel/rule]",
    );
    expect(ws.stderr).not.toContain('hunter2');
  });

  it('refuses what kelos validate refuses beyond the schema (a branch git refuses, a Task that waits for itself), naming the flag', async () => {
    const branch = await offline(
      'run',
      '--dry-run',
      '-p',
      'x',
      '--credential-type',
      'none',
      '--branch',
      'bad branch',
    );
    expect([branch.code, branch.stdout]).toStrictEqual([1, '']);
    expect(branch.stderr).toContain(
      `/spec/branch: branch "bad branch" is no name git takes: it holds a space (no git name holds white space, a control character or any of ~ ^ : ? * [ \\); the API server accepts it, and the checkout fails when the agent's Pod runs (set by --branch) [git/ref-name]`,
    );
    const cycle = await offline(
      'run',
      '--dry-run',
      '-p',
      'x',
      '--secret',
      's',
      '--name',
      'a',
      '--depends-on',
      'a',
    );
    expect([cycle.code, cycle.stdout]).toStrictEqual([1, '']);
    expect(cycle.stderr).toContain('/spec/dependsOn/0: dependsOn forms a cycle: a → a');
    expect(cycle.stderr).toContain('(set by --depends-on) [ref/cycle]');
    const ref = await offline(
      'create',
      'ws',
      'api',
      '--repo',
      'https://github.com/a/b.git',
      '--ref',
      'a..b',
      '--dry-run',
    );
    expect([ref.code, ref.stdout]).toStrictEqual([1, '']);
    expect(ref.stderr).toContain('(set by --ref) [git/ref-name]');
  });

  it('--timeout as a bare number under a minute is warned of as seconds, and the Task still gets it', async () => {
    const run = await offline(
      'run',
      '--dry-run',
      '-p',
      'x',
      '--secret',
      's',
      '--name',
      't',
      '--timeout',
      '5',
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'warning: --timeout 5 is 5 seconds, which stops the agent almost at once; write 5m for minutes\n',
    );
    expect(run.stdout).toContain('    podOverrides:\n      activeDeadlineSeconds: 5\n');
    // With a unit, or a bare number of a minute or more, the seconds were meant: no warning.
    for (const timeout of ['5s', '60', '90']) {
      const quiet = await offline('run', '--dry-run', '-p', 'x', '--secret', 's', '--timeout', timeout);
      expect([quiet.code, quiet.stderr]).toStrictEqual([0, '']);
    }
  });

  it('a KUBECONFIG whose files do not exist is named, not called unset', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kelos-offline-'));
    const one = await kelos(['get', 'tasks'], { cwd: home, env: { HOME: home, KUBECONFIG: '/nonexist' } });
    expect(one.code).toBe(1);
    expect(one.stderr).toBe(
      'kelos: no kubeconfig: KUBECONFIG names a file that does not exist (/nonexist); pass --kubeconfig, correct KUBECONFIG, or run in a cluster\n',
    );
    const two = await kelos(['run', '--from', 'taskspawner/nightly', '--dry-run'], {
      cwd: home,
      env: { HOME: home, KUBECONFIG: '/a:/b' },
    });
    expect(two.stderr).toBe(
      'kelos: no kubeconfig: KUBECONFIG names no file that exists (/a, /b); pass --kubeconfig, correct KUBECONFIG, or run in a cluster (this command reads the cluster even with --dry-run)\n',
    );
  });
});
