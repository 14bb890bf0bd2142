import { describe, expect, test } from 'vitest';
import { depResult, Pipeline, type PipelineProps, Task, Workspace } from '../../../../constructs/index.ts';
import { BUILTIN_RULES } from '../../../../policies/index.ts';
import { DEFAULT_POLICY_CONFIG } from '../../../../src/policy/config.ts';
import { runPolicies } from '../../../../src/policy/engine.ts';
import { documentFromObject } from '../../../../src/validate/load.ts';
import { apiKey, chart, synth, thrown, validationErrors } from '../helpers.ts';

/** The `kelos.dev/lifecycle` annotation a Task renders with. */
const lifecycleOf = (task: Task): string | undefined =>
  (task.toJson() as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.[
    'kelos.dev/lifecycle'
  ];

describe('Pipeline', () => {
  test('chains the steps on one branch, each depending on the previous (snapshot)', () => {
    const c = chart();
    const workspace = new Workspace(c, 'ws', {
      metadata: { name: 'repo' },
      repo: 'https://github.com/a/b.git',
    });
    const pipeline = new Pipeline(c, 'p', {
      workspace,
      branch: 'feature/x',
      credentials: apiKey,
      labels: { team: 'a' },
      steps: [
        { name: 'plan', prompt: 'Plan the change.' },
        {
          name: 'build',
          prompt: ({ previous }) =>
            `Build what ${previous?.name} planned on ${depResult(previous!, 'branch')}.`,
        },
        { name: 'review', prompt: ({ previous }) => `Review commit ${depResult(previous!, 'commit')}.` },
      ],
    });
    expect(synth(c)).toMatchSnapshot();
    expect(validationErrors(c)).toStrictEqual([]);
    expect(pipeline.tasks.map((t) => [t.name, t.spec.dependsOn, t.spec.branch])).toStrictEqual([
      ['plan', undefined, 'feature/x'],
      ['build', ['plan'], 'feature/x'],
      ['review', ['build'], 'feature/x'],
    ]);
    expect(pipeline.tasks[1]?.spec.prompt).toBe(
      'Build what plan planned on {{index .Deps "plan" "Results" "branch"}}.',
    );
  });

  test('its Tasks are kept in Git with no TTL, so Argo CD self-heal never runs a step again; a TTL given is kept', () => {
    const c = chart();
    const workspace = Workspace.fromWorkspaceName(c, 'ws', 'repo');
    const steps = [
      { name: 'plan', prompt: 'Plan.' },
      { name: 'build', prompt: 'Build.' },
    ];
    const gitops = new Pipeline(c, 'p', { workspace, branch: 'b', credentials: apiKey, steps });
    expect(gitops.tasks.map((t) => [lifecycleOf(t), t.spec.ttlSecondsAfterFinished])).toStrictEqual([
      ['git', undefined],
      ['git', undefined],
    ]);
    const report = runPolicies(
      synth(c).map((object) => documentFromObject(object)),
      {
        config: DEFAULT_POLICY_CONFIG,
        rules: BUILTIN_RULES.filter((r) => r.id === 'hygiene/ttl-seconds-after-finished'),
      },
    );
    expect(report.diagnostics).toStrictEqual([]);

    const applied = new Pipeline(chart(), 'q', {
      workspace: Workspace.fromWorkspaceName(c, 'ws2', 'repo'),
      branch: 'b',
      credentials: apiKey,
      ttlSecondsAfterFinished: 600,
      steps: [{ name: 'once', prompt: 'Once.' }],
    });
    expect(lifecycleOf(applied.tasks[0]!)).toBeUndefined();
    expect(applied.tasks[0]?.spec.ttlSecondsAfterFinished).toBe(600);
  });

  test('depResult quotes the name and key as Go template strings', () => {
    const task = Task.fromTaskName(chart(), 't', 'scaffold');
    expect(depResult(task, 'pr')).toBe('{{index .Deps "scaffold" "Results" "pr"}}');
  });

  /** A chart and a Pipeline's props on a Workspace of it, with `extra` over them. */
  const pipelineIn = (extra: Record<string, unknown>) => {
    const c = chart();
    const workspace = Workspace.fromWorkspaceName(c, 'ws', 'repo');
    return { c, props: { workspace, branch: 'b', credentials: apiKey, ...extra } };
  };

  test('a misspelled prop is refused, not dropped', () => {
    const { c, props } = pipelineIn({ steps: [{ name: 'a', prompt: 'x' }], efort: 'high' });
    expect(thrown(() => new Pipeline(c, 'p', props as PipelineProps))).toBe(
      'Task test/p: Pipeline has no prop "efort"; did you mean "effort"?',
    );
  });

  test("a step's misspelt prop is refused with the one meant, not dropped", () => {
    const { c, props } = pipelineIn({
      steps: [
        { name: 'one', prompt: 'do it', lables: { team: 'a' }, dependsOn: ['zero'] },
        { name: 'two', promt: 'again' },
        { name: 'three', prompt: 'last', labels: 'team-a' },
      ],
    });
    expect(thrown(() => new Pipeline(c, 'p', props as unknown as PipelineProps))).toBe(
      [
        'Task test/p: Pipeline step "one" has no prop "lables"; did you mean "labels"?',
        'Task test/p: Pipeline step "one" has no prop "dependsOn"',
        'Task test/p: Pipeline step "two" has no prop "promt"; did you mean "prompt"?',
        'Task test/p: Pipeline step "three" prop labels must be an object; got a string "team-a"',
      ].join('\n'),
    );
  });

  test('steps that are no list, or a missing branch, are refused by name', () => {
    const c = chart();
    const workspace = Workspace.fromWorkspaceName(c, 'ws', 'repo');
    const props = { workspace, credentials: apiKey, steps: 'build' };
    expect(thrown(() => new Pipeline(c, 'p', props as unknown as PipelineProps))).toBe(
      [
        'Task test/p: Pipeline requires branch (a string)',
        'Task test/p: Pipeline requires steps to be a list; got a string "build"',
      ].join('\n'),
    );
  });

  test('a step that is no object with a name is refused by its index, not a TypeError', () => {
    const c = chart();
    const workspace = Workspace.fromWorkspaceName(c, 'ws', 'repo');
    const props = { workspace, branch: 'b', credentials: apiKey, steps: [null, { prompt: 'p' }, 'x'] };
    expect(thrown(() => new Pipeline(c, 'p', props as unknown as PipelineProps))).toBe(
      [
        'Task test/p: steps[0] must be an object with a name and a prompt; got null',
        'Task test/p: steps[1] must be an object with a name and a prompt; got an object without a string name',
        'Task test/p: steps[2] must be an object with a name and a prompt; got a string',
      ].join('\n'),
    );
  });

  test('rejects no steps, repeated step names and an empty branch', () => {
    const c = chart();
    const workspace = Workspace.fromWorkspaceName(c, 'ws', 'repo');
    expect(
      thrown(() => new Pipeline(c, 'p', { workspace, branch: 'b', credentials: apiKey, steps: [] })),
    ).toBe('Task test/p /spec: a Pipeline needs at least one step');
    expect(
      thrown(
        () =>
          new Pipeline(c, 'q', {
            workspace,
            branch: ' ',
            credentials: apiKey,
            steps: [
              { name: 'a', prompt: 'x' },
              { name: 'a', prompt: 'y' },
            ],
          }),
      ),
    ).toBe(
      [
        'Task test/q /metadata/name: step name a is used more than once',
        'Task test/q /spec/branch: branch must not be empty: the steps of a Pipeline share one branch',
      ].join('\n'),
    );
  });
});
