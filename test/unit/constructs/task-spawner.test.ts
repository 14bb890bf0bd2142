import { describe, expect, test } from 'vitest';
import {
  AgentConfig,
  Task,
  TaskSpawner,
  type TaskSpawnerProps,
  Workspace,
} from '../../../constructs/index.ts';
import { apiKey, chart, synth, thrown, validationErrors } from './helpers.ts';

describe('TaskSpawner', () => {
  test('renders a cron spawner in the worker form', () => {
    const c = chart();
    const spawner = new TaskSpawner(c, 's', {
      metadata: { name: 'nightly' },
      when: { cron: { schedule: '0 3 * * *' } },
      taskTemplate: {
        worker: { type: 'claude-code', credentials: apiKey },
        promptTemplate: 'Tidy up ({{.Time}}).',
        ttlSecondsAfterFinished: 600,
      },
    });
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskSpawner',
        metadata: { name: 'nightly' },
        spec: {
          taskTemplate: {
            promptTemplate: 'Tidy up ({{.Time}}).',
            ttlSecondsAfterFinished: 600,
            worker: { credentials: apiKey, type: 'claude-code' },
          },
          when: { cron: { schedule: '0 3 * * *' } },
        },
      },
    ]);
    expect({
      source: spawner.source,
      maxConcurrency: spawner.maxConcurrency,
      maxTotalTasks: spawner.maxTotalTasks,
      suspend: spawner.suspend,
      pollInterval: spawner.pollInterval,
      agentType: spawner.agentType,
    }).toStrictEqual({
      source: 'cron',
      maxConcurrency: 0,
      maxTotalTasks: 0,
      suspend: false,
      pollInterval: undefined,
      agentType: 'claude-code',
    });
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('moves the deprecated template fields into worker', () => {
    const spawner = new TaskSpawner(chart(), 's', {
      when: { cron: { schedule: '@daily' } },
      taskTemplate: { type: 'codex', credentials: apiKey, model: 'gpt-5', image: 'img' },
    });
    expect(spawner.spec.taskTemplate).toStrictEqual({
      worker: { credentials: apiKey, image: 'img', model: 'gpt-5', type: 'codex' },
    });
  });

  test('renders a GitHub issues spawner with references as names', () => {
    const c = chart();
    const ws = new Workspace(c, 'ws', { metadata: { name: 'repo' }, repo: 'https://github.com/a/b.git' });
    const cfg = new AgentConfig(c, 'cfg', { metadata: { name: 'cfg' }, agentsMD: 'x' });
    const spawner = new TaskSpawner(c, 's', {
      metadata: { name: 'issues' },
      when: { githubIssues: { labels: ['bug'] } },
      taskTemplate: {
        worker: { type: 'codex', credentials: apiKey, model: 'gpt-5', workspace: ws, agentConfigs: [cfg] },
        branch: 'fix-{{.Number}}',
      },
      maxConcurrency: 3,
      suspend: true,
    });
    expect(spawner.spec).toStrictEqual({
      maxConcurrency: 3,
      suspend: true,
      taskTemplate: {
        branch: 'fix-{{.Number}}',
        worker: {
          agentConfigRefs: [{ name: 'cfg' }],
          credentials: apiKey,
          model: 'gpt-5',
          type: 'codex',
          workspaceRef: { name: 'repo' },
        },
      },
      when: { githubIssues: { labels: ['bug'] } },
    });
    expect([spawner.pollInterval, spawner.maxConcurrency, spawner.suspend, spawner.workspace]).toStrictEqual([
      '5m',
      3,
      true,
      ws,
    ]);
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('spawner-level credentials satisfy an inline template without its own', () => {
    const c = chart();
    new TaskSpawner(c, 's', {
      metadata: { name: 'pool' },
      when: { cron: { schedule: '* * * * *' } },
      credentials: [{ name: 'a', type: 'api-key', secretRef: { name: 'key-a' } }],
      taskTemplate: { worker: { type: 'claude-code' } },
    });
    expect(validationErrors(c)).toStrictEqual([]);
  });

  describe('eager validation', () => {
    const worker = { type: 'claude-code' as const, credentials: apiKey };
    const base: TaskSpawnerProps = {
      metadata: { name: 'bad' },
      when: { cron: { schedule: '* * * * *' } },
      taskTemplate: { worker },
    };
    const build = (overrides: Partial<TaskSpawnerProps>) =>
      thrown(() => new TaskSpawner(chart(), 's', { ...base, ...overrides }));

    test('when with no source, and with two', () => {
      expect(build({ when: {} })).toBe(
        'TaskSpawner bad /spec/when: exactly one source must be set in when (got none)',
      );
      expect(
        build({
          when: {
            cron: { schedule: '* * * * *' },
            jira: { baseUrl: 'https://j.test', project: 'P', secretRef: { name: 'j' } },
          },
        }),
      ).toBe('TaskSpawner bad /spec/when: exactly one source must be set in when (got cron, jira)');
    });

    test('a template dependency given as a name, or in another namespace', () => {
      const c = chart();
      const elsewhere = Task.fromTaskName(c, 'dep', 'build', 'team-b');
      const taskTemplate = {
        worker,
        dependsOn: ['build', elsewhere],
      } as unknown as TaskSpawnerProps['taskTemplate'];
      expect(thrown(() => new TaskSpawner(c, 's', { ...base, taskTemplate }))).toBe(
        [
          'TaskSpawner bad /spec/taskTemplate/dependsOn/1: dependency Task team-b/build is in namespace team-b but this object is in <default>; references must stay in one namespace',
          'TaskSpawner bad /spec/taskTemplate/dependsOn/0: expected a Task construct, or Task.fromTaskName(scope, id, name) for one defined elsewhere; got the string "build"',
        ].join('\n'),
      );
    });

    test('a GitHub source without a workspace', () => {
      expect(build({ when: { githubPullRequests: {} } })).toBe(
        'TaskSpawner bad /spec: a workspace source is required when using githubIssues, githubPullRequests, githubWebhook, or linearWebhook source (set taskTemplate.workspaceRef, taskTemplate.worker.workspaceRef, or taskTemplate.workerPoolRef — a pool satisfies this because it carries its own workspace)',
      );
    });

    test('an inline template without credentials anywhere', () => {
      expect(build({ taskTemplate: { worker: { type: 'codex' } } })).toBe(
        'TaskSpawner bad /spec: inline task templates require taskTemplate credentials or spec.credentials',
      );
    });

    test('spawner credentials beside template credentials', () => {
      expect(build({ credentials: [{ name: 'a', type: 'oauth', secretRef: { name: 's' } }] })).toBe(
        'TaskSpawner bad /spec: spec.credentials is mutually exclusive with taskTemplate credentials and workerPoolRef',
      );
    });

    test('a template with no way to run the agent', () => {
      expect(build({ taskTemplate: { promptTemplate: 'x' } })).toBe(
        [
          'TaskSpawner bad /spec: inline task templates require taskTemplate credentials or spec.credentials',
          'TaskSpawner bad /spec/taskTemplate: either workerPoolRef, worker with type, or type is required',
        ].join('\n'),
      );
    });

    test('the worker and the deprecated form in one template', () => {
      expect(build({ taskTemplate: { worker, type: 'codex' } })).toBe(
        'TaskSpawner bad /spec/taskTemplate: worker is mutually exclusive with legacy type/credentials fields',
      );
    });

    test('check-run reporting on an issues source', () => {
      const ws = Workspace.fromWorkspaceName(chart(), 'ws', 'repo');
      expect(
        build({
          when: { githubIssues: { reporting: { checks: {} } } },
          taskTemplate: { worker: { ...worker, workspace: ws } },
        }),
      ).toBe(
        'TaskSpawner bad /spec/when/githubIssues/reporting: checks reporting is not supported for githubIssues source',
      );
    });

    test('check-run reporting on a webhook without pull request events', () => {
      const ws = Workspace.fromWorkspaceName(chart(), 'ws', 'repo');
      expect(
        build({
          when: { githubWebhook: { events: ['issues', 'push'], reporting: { checks: {} } } },
          taskTemplate: { worker: { ...worker, workspace: ws } },
        }),
      ).toBe(
        'TaskSpawner bad /spec/when/githubWebhook: checks reporting requires at least one pull-request event type',
      );
    });

    test('a generic webhook without an id mapping, and filters with both or neither of value and pattern', () => {
      expect(
        build({
          when: {
            webhook: {
              source: 'sentry',
              fieldMapping: { title: '$.title' },
              filters: [{ field: '$.a', value: 'x', pattern: 'y' }],
              excludeFilters: [{ field: '$.b' }],
            },
          },
        }),
      ).toBe(
        [
          'TaskSpawner bad /spec/when/webhook/excludeFilters/0: exactly one of value or pattern must be set',
          "TaskSpawner bad /spec/when/webhook/fieldMapping: fieldMapping must include an 'id' key for deduplication and task naming",
          'TaskSpawner bad /spec/when/webhook/filters/0: exactly one of value or pattern must be set',
        ].join('\n'),
      );
    });

    test('context sources with one name twice, or no source kind', () => {
      expect(
        build({
          taskTemplate: {
            worker,
            contextSources: [{ name: 'a', http: { url: 'https://x.test' } }, { name: 'a' }],
          },
        }),
      ).toBe(
        [
          'TaskSpawner bad /spec/taskTemplate/contextSources: contextSources names must be unique',
          'TaskSpawner bad /spec/taskTemplate/contextSources/1: exactly one source kind must be set (currently only http is supported)',
        ].join('\n'),
      );
    });

    test('a string where the template worker belongs is refused once, at its field', () => {
      const taskTemplate = { worker: 'codex' } as unknown as TaskSpawnerProps['taskTemplate'];
      expect(build({ taskTemplate })).toBe(
        `TaskSpawner bad /spec/taskTemplate/worker: worker must be an object ({ type: 'codex', … }); got a string "codex"`,
      );
    });

    test('a missing template and when, or props that are no object, are refused by name', () => {
      const missing = { metadata: { name: 'bad' } } as TaskSpawnerProps;
      expect(thrown(() => new TaskSpawner(chart(), 's', missing))).toBe(
        [
          'TaskSpawner bad /spec/when: when is required',
          'TaskSpawner bad /spec/taskTemplate: taskTemplate is required',
        ].join('\n'),
      );
      expect(build({ when: 'cron' as unknown as TaskSpawnerProps['when'] })).toBe(
        'TaskSpawner bad /spec/when: when must be an object; got a string "cron"',
      );
      expect(thrown(() => new TaskSpawner(chart(), 's', null as unknown as TaskSpawnerProps))).toMatch(
        /^TaskSpawner test-s-[0-9a-f]{8}: props must be an object; got null$/,
      );
    });

    test('a WorkerPool template with fields a pool does not take', () => {
      expect(build({ taskTemplate: { workerPoolRef: { name: 'p' }, branch: 'b', podOverrides: {} } })).toBe(
        [
          'TaskSpawner bad /spec/taskTemplate: branch is not supported with workerPoolRef',
          'TaskSpawner bad /spec/taskTemplate: podOverrides is not supported with workerPoolRef',
        ].join('\n'),
      );
    });
  });
});
