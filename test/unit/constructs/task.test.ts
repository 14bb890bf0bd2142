import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { AgentConfig, KelosValidationError, Task, Workspace } from '../../../constructs/index.ts';
import { apiKey, chart, synth, thrown, validationErrors } from './helpers.ts';

describe('Task', () => {
  test('renders the preferred worker form', () => {
    // GIVEN
    const c = chart();
    // WHEN
    new Task(c, 'hello', {
      metadata: { name: 'hello' },
      worker: { type: 'codex', credentials: apiKey },
      prompt: 'hi',
    });
    // THEN
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Task',
        metadata: { name: 'hello' },
        spec: {
          prompt: 'hi',
          worker: {
            credentials: { secretRef: { name: 'anthropic-api-key' }, type: 'api-key' },
            type: 'codex',
          },
        },
      },
    ]);
  });

  test('moves the deprecated top-level fields into worker', () => {
    const c = chart();
    const task = new Task(c, 't', {
      metadata: { name: 't' },
      type: 'claude-code',
      credentials: apiKey,
      model: 'claude-sonnet-4-5',
      effort: 'high',
      image: 'example.com/agent:1',
      podOverrides: { serviceAccountName: 'agent' },
      prompt: 'p',
    });
    expect(task.spec).toStrictEqual({
      prompt: 'p',
      worker: {
        credentials: apiKey,
        effort: 'high',
        image: 'example.com/agent:1',
        model: 'claude-sonnet-4-5',
        podOverrides: { serviceAccountName: 'agent' },
        type: 'claude-code',
      },
    });
  });

  test('a worker field wins over its deprecated twin, as the operator resolves them', () => {
    const c = chart();
    const task = new Task(c, 't', {
      worker: { type: 'gemini', credentials: apiKey, model: 'new' },
      model: 'old',
      image: 'legacy-image',
      prompt: 'p',
    });
    expect(task.spec.worker?.model).toBe('new');
    expect(task.spec.worker?.image).toBe('legacy-image');
    expect(task.spec).not.toHaveProperty('model');
  });

  test('renders references to constructs and imports as names', () => {
    const c = chart();
    const ws = new Workspace(c, 'ws', { metadata: { name: 'repo' }, repo: 'https://github.com/a/b.git' });
    const cfg = new AgentConfig(c, 'cfg', { metadata: { name: 'cfg' }, agentsMD: 'x' });
    const shared = AgentConfig.fromAgentConfigName(c, 'shared', 'shared-config');
    const first = new Task(c, 'first', {
      metadata: { name: 'first' },
      worker: { type: 'codex', credentials: apiKey },
      prompt: 'a',
    });
    const external = Task.fromTaskName(c, 'ext', 'elsewhere');
    const second = new Task(c, 'second', {
      metadata: { name: 'second' },
      worker: { type: 'codex', credentials: apiKey, workspace: ws, agentConfigs: [cfg, shared] },
      dependsOn: [first, external],
      branch: 'feature/x',
      prompt: 'b',
    });
    expect(second.spec).toStrictEqual({
      branch: 'feature/x',
      dependsOn: ['first', 'elsewhere'],
      prompt: 'b',
      worker: {
        agentConfigRefs: [{ name: 'cfg' }, { name: 'shared-config' }],
        credentials: apiKey,
        type: 'codex',
        workspaceRef: { name: 'repo' },
      },
    });
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('exposes the resolved execution settings', () => {
    const c = chart();
    const ws = Workspace.fromWorkspaceName(c, 'ws', 'repo');
    const task = new Task(c, 't', {
      credentials: apiKey,
      type: 'opencode',
      worker: undefined,
      prompt: 'p',
      ttlSecondsAfterFinished: 60,
    });
    expect(task.agentType).toBe('opencode');
    expect(task.credentials).toStrictEqual(apiKey);
    expect(task.ttlSecondsAfterFinished).toBe(60);
    expect(task.activeDeadlineSeconds).toBeUndefined();
    expect(task.workspace).toBeUndefined();
    const other = new Task(c, 'u', {
      worker: {
        type: 'cursor',
        credentials: apiKey,
        workspace: ws,
        podOverrides: { activeDeadlineSeconds: 900 },
      },
      prompt: 'p',
    });
    expect(other.workspace).toBe(ws);
    expect(other.activeDeadlineSeconds).toBe(900);
    expect(other.agentConfigs).toStrictEqual([]);
    expect(other.dependencies).toStrictEqual([]);
  });

  test('objects a Task names are rendered before it', () => {
    const c = chart();
    const ws = new Workspace(c, 'ws', { metadata: { name: 'repo' }, repo: 'https://github.com/a/b.git' });
    // The Task is added to the tree first, the Workspace it depends on second.
    const later = new Workspace(c, 'later', {
      metadata: { name: 'later' },
      repo: 'https://github.com/a/c.git',
    });
    new Task(c, 't', {
      metadata: { name: 't' },
      worker: { type: 'codex', credentials: apiKey, workspace: later },
      prompt: 'p',
    });
    const order = synth(c).map((o) => (o['metadata'] as { name: string }).name);
    expect(order.indexOf('later')).toBeLessThan(order.indexOf('t'));
    expect(order).toContain(ws.name);
  });

  test('generates a name from the construct path when none is given', () => {
    const c = chart();
    const task = new Task(c, 'my-task', { worker: { type: 'codex', credentials: apiKey }, prompt: 'p' });
    expect(task.name).toMatch(/^test-my-task-[0-9a-f]{8}$/);
  });

  test('is a plain ApiObject: cdk8s synth writes it', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'kelos-cdk8s-'));
    try {
      const app = new App({ outdir });
      const c = new Chart(app, 'plain');
      new Task(c, 't', {
        metadata: { name: 't' },
        worker: { type: 'codex', credentials: apiKey },
        prompt: 'p',
      });
      app.synth();
      const [file] = readdirSync(outdir);
      expect(file).toBe('plain.k8s.yaml');
      expect(parse(readFileSync(join(outdir, file as string), 'utf8'))).toStrictEqual({
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Task',
        metadata: { name: 't' },
        spec: { prompt: 'p', worker: { credentials: apiKey, type: 'codex' } },
      });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  describe('eager validation', () => {
    const build = (props: ConstructorParameters<typeof Task>[2], metadata = { name: 'bad' }) =>
      thrown(() => new Task(chart(), 'bad', { metadata, ...props }));

    test('api-key credentials without secretRef', () => {
      expect(build({ worker: { type: 'codex', credentials: { type: 'api-key' } }, prompt: 'p' })).toBe(
        'Task bad /spec/worker: credentials.secretRef is required for api-key and oauth credential types',
      );
    });

    test('deprecated credentials without secretRef', () => {
      expect(build({ type: 'codex', credentials: { type: 'oauth' }, prompt: 'p' })).toBe(
        'Task bad /spec/credentials: secretRef is required for api-key and oauth credential types',
      );
    });

    test('credentials of type none need no secret', () => {
      expect(
        () =>
          new Task(chart(), 't', { worker: { type: 'codex', credentials: { type: 'none' } }, prompt: 'p' }),
      ).not.toThrow();
    });

    test('both the worker and the deprecated form', () => {
      expect(build({ worker: { type: 'codex', credentials: apiKey }, type: 'codex', prompt: 'p' })).toBe(
        'Task bad /spec: worker is mutually exclusive with legacy type/credentials fields',
      );
    });

    test('workerPoolRef with an inline worker', () => {
      expect(
        build({
          workerPoolRef: { name: 'pool' },
          worker: { type: 'codex', credentials: apiKey },
          prompt: 'p',
        }),
      ).toBe(
        'Task bad /spec: workerPoolRef is mutually exclusive with inline worker (per-task overrides not yet supported)',
      );
    });

    test('workerPoolRef with the deprecated type', () => {
      expect(build({ workerPoolRef: { name: 'pool' }, type: 'codex', prompt: 'p' })).toBe(
        'Task bad /spec: workerPoolRef is mutually exclusive with inline type/credentials',
      );
    });

    test('workerPoolRef with fields a pool does not take', () => {
      expect(
        build({
          workerPoolRef: { name: 'pool' },
          image: 'x',
          branch: 'b',
          ttlSecondsAfterFinished: 1,
          dependsOn: [],
          prompt: 'p',
        }),
      ).toBe(
        [
          'Task bad /spec: image is not supported with workerPoolRef',
          'Task bad /spec: branch is not supported with workerPoolRef',
          'Task bad /spec: ttlSecondsAfterFinished is not supported with workerPoolRef',
        ].join('\n'),
      );
    });

    test('no way to run the agent', () => {
      expect(build({ prompt: 'p' })).toBe(
        'Task bad /spec: either workerPoolRef, worker with type, or type with credentials is required',
      );
    });

    test('the deprecated type without credentials', () => {
      expect(build({ type: 'codex', prompt: 'p' })).toBe(
        'Task bad /spec: either workerPoolRef, worker with type, or type with credentials is required',
      );
    });

    test('a worker without credentials', () => {
      expect(build({ worker: { type: 'codex' }, prompt: 'p' })).toBe(
        'Task bad /spec: worker.credentials is required for inline execution',
      );
    });

    test('a FailIndex pod failure policy', () => {
      expect(
        build({
          worker: { type: 'codex', credentials: apiKey },
          podFailurePolicy: {
            rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [1] } }],
          },
          prompt: 'p',
        }),
      ).toBe(
        'Task bad /spec/podFailurePolicy: FailIndex action is not supported (Task Jobs are not indexed)',
      );
    });

    test('reserved volume and container names', () => {
      expect(
        build({
          worker: {
            type: 'codex',
            credentials: apiKey,
            podOverrides: {
              volumes: [{ name: 'workspace' }, { name: 'cache' }, { name: 'cache' }],
              extraContainers: [{ name: 'kelos-db' }],
              extraInitContainers: [{ name: 'git-clone' }],
            },
          },
          prompt: 'p',
        }),
      ).toBe(
        [
          "Task bad /spec/worker/podOverrides/extraContainers: extraContainers names must not start with 'kelos-' or use a built-in init container name (git-clone, remote-setup, branch-setup, workspace-files, plugin-setup, skills-install)",
          "Task bad /spec/worker/podOverrides/extraInitContainers: extraInitContainers names must not start with 'kelos-' or use a built-in init container name (git-clone, remote-setup, branch-setup, workspace-files, plugin-setup, skills-install)",
          "Task bad /spec/worker/podOverrides/volumes: volume names must not start with 'kelos-' or be 'workspace'",
          'Task bad /spec/worker/podOverrides/volumes: volume names must be unique',
        ].join('\n'),
      );
    });

    test('a reference into another namespace', () => {
      const c = chart();
      const ws = Workspace.fromWorkspaceName(c, 'ws', 'repo', 'team-b');
      expect(
        thrown(
          () =>
            new Task(c, 't', {
              metadata: { name: 't', namespace: 'team-a' },
              worker: { type: 'codex', credentials: apiKey, workspace: ws },
              prompt: 'p',
            }),
        ),
      ).toBe(
        'Task team-a/t /spec/worker/workspaceRef: workspace Workspace team-b/repo is in namespace team-b but this object is in team-a; references must stay in one namespace',
      );
    });

    // TypeScript refuses these, but synth runs apps without type checking: a name where a
    // construct belongs rendered as no dependency at all (`dependsOn: []`), and the Task ran
    // without waiting.
    test('a name, or an object of another kind, where a construct belongs', () => {
      const c = chart();
      const ws = Workspace.fromWorkspaceName(c, 'ws', 'repo');
      const props = {
        metadata: { name: 'deploy' },
        worker: { type: 'codex', credentials: apiKey, workspace: 'repo', agentConfigs: [ws] },
        prompt: 'p',
        dependsOn: ['build', ws],
      } as unknown as ConstructorParameters<typeof Task>[2];
      expect(thrown(() => new Task(c, 't', props))).toBe(
        [
          'Task deploy /spec/dependsOn/1: dependency must be a Task, not Workspace repo',
          'Task deploy /spec/dependsOn/0: expected a Task construct, or Task.fromTaskName(scope, id, name) for one defined elsewhere; got the string "build"',
          'Task deploy /spec/worker/agentConfigRefs/0: agentConfig must be an AgentConfig, not Workspace repo',
          'Task deploy /spec/worker/workspaceRef: expected a Workspace construct, or Workspace.fromWorkspaceName(scope, id, name) for one defined elsewhere; got the string "repo"',
        ].join('\n'),
      );
    });

    test("the manifest's workspaceRef and agentConfigRefs in worker are refused with the props that take them, not dropped", () => {
      const props = {
        metadata: { name: 't' },
        prompt: 'p',
        worker: {
          type: 'codex',
          credentials: apiKey,
          workspaceRef: { name: 'repo' },
          agentConfigRefs: [{ name: 'a' }],
        },
      } as unknown as ConstructorParameters<typeof Task>[2];
      expect(thrown(() => new Task(chart(), 't', props))).toBe(
        [
          "Task t /spec/worker/workspaceRef: worker.workspaceRef is the manifest's field; the construct takes worker.workspace: a Workspace construct, or Workspace.fromWorkspaceName(scope, id, name) for one defined elsewhere",
          "Task t /spec/worker/agentConfigRefs: worker.agentConfigRefs is the manifest's field; the construct takes worker.agentConfigs: a list of AgentConfig constructs, or of AgentConfig.fromAgentConfigName(scope, id, name) for ones defined elsewhere",
        ].join('\n'),
      );
    });

    test('a list prop of references given no list, or holding null, is refused at its field', () => {
      const props = {
        metadata: { name: 't' },
        prompt: 'p',
        worker: { type: 'codex', credentials: apiKey, agentConfigs: 'x' },
        dependsOn: [null],
      } as unknown as ConstructorParameters<typeof Task>[2];
      expect(thrown(() => new Task(chart(), 't', props))).toBe(
        [
          'Task t /spec/dependsOn/0: expected a Task construct, or Task.fromTaskName(scope, id, name) for one defined elsewhere; got object null',
          'Task t /spec/worker/agentConfigRefs: agentConfigs takes a list of AgentConfig constructs; got the string "x"',
        ].join('\n'),
      );
      const notAList = {
        ...props,
        worker: { type: 'codex', credentials: apiKey },
        dependsOn: 'build',
      } as unknown as ConstructorParameters<typeof Task>[2];
      expect(thrown(() => new Task(chart(), 't', notAList))).toBe(
        'Task t /spec/dependsOn: dependsOn takes a list of Task constructs; got the string "build"',
      );
    });

    test('a misspelt prop that a rule then misses is named with the field it was meant to be', () => {
      const props = {
        metadata: { name: 't' },
        prompt: 'p',
        worker: { type: 'claude-code', credentials: { type: 'oauth', secretref: { name: 'x' } } },
      } as unknown as ConstructorParameters<typeof Task>[2];
      expect(thrown(() => new Task(chart(), 't', props))).toBe(
        [
          'Task t /spec/worker: credentials.secretRef is required for api-key and oauth credential types',
          'Task t /spec/worker/credentials/secretref: unknown field "spec.worker.credentials.secretref"; did you mean "secretRef"?',
        ].join('\n'),
      );
    });

    // TypeScript refuses these, but synth runs apps without type checking: the worker rendered
    // as one unknown field per character, and null props failed on a destructuring.
    test('a string where the worker, its credentials or its overrides belong is refused once, at its field', () => {
      const props = (worker: unknown) =>
        ({ metadata: { name: 't' }, prompt: 'p', worker }) as unknown as ConstructorParameters<
          typeof Task
        >[2];
      expect(thrown(() => new Task(chart(), 't', props('claude-code')))).toBe(
        `Task t /spec/worker: worker must be an object ({ type: 'claude-code', … }); got a string "claude-code"`,
      );
      expect(
        thrown(
          () => new Task(chart(), 't', props({ type: 'codex', credentials: 'api-key', podOverrides: 'x' })),
        ),
      ).toBe(
        [
          `Task t /spec/worker/credentials: credentials must be an object ({ type: 'api-key', … }); got a string "api-key"`,
          'Task t /spec/worker/podOverrides: podOverrides must be an object; got a string "x"',
        ].join('\n'),
      );
      const legacy = { metadata: { name: 't' }, prompt: 'p', type: 'codex', credentials: 'key' };
      expect(
        thrown(() => new Task(chart(), 't', legacy as unknown as ConstructorParameters<typeof Task>[2])),
      ).toBe('Task t /spec/credentials: credentials must be an object; got a string "key"');
    });

    test('props that are no object are refused by name', () => {
      for (const [props, got] of [
        [null, 'null'],
        [undefined, 'undefined'],
        ['hello', 'a string "hello"'],
      ] as const) {
        expect(
          thrown(() => new Task(chart(), 't', props as unknown as ConstructorParameters<typeof Task>[2])),
        ).toMatch(new RegExp(`^Task test-t-[0-9a-f]{8}: props must be an object; got ${got}$`));
      }
    });

    test('a dependency listed twice, and the Task itself', () => {
      const c = chart();
      const dep = Task.fromTaskName(c, 'dep', 'dep');
      const self = Task.fromTaskName(c, 'self', 'bad');
      expect(
        thrown(
          () =>
            new Task(c, 'bad', {
              metadata: { name: 'bad' },
              worker: { type: 'codex', credentials: apiKey },
              dependsOn: [dep, dep, self],
              prompt: 'p',
            }),
        ),
      ).toBe(
        [
          'Task bad /spec/dependsOn: a Task cannot depend on itself',
          'Task bad /spec/dependsOn: dependsOn lists Task dep more than once',
        ].join('\n'),
      );
    });

    test('throws a KelosValidationError carrying the violations', () => {
      let error: unknown;
      try {
        new Task(chart(), 'bad', { metadata: { name: 'bad', namespace: 'ns' }, prompt: 'p' });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(KelosValidationError);
      expect((error as KelosValidationError).resource).toStrictEqual({
        kind: 'Task',
        namespace: 'ns',
        name: 'bad',
      });
      expect((error as KelosValidationError).violations).toStrictEqual([
        {
          path: '/spec',
          message: 'either workerPoolRef, worker with type, or type with credentials is required',
        },
      ]);
    });
  });
});
