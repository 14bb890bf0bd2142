import { describe, expect, test } from 'vitest';
import { AgentConfig, IssueWorker, type IssueWorkerProps, Workspace } from '../../../../constructs/index.ts';
import { apiKey, chart, synth, thrown, validationErrors } from '../helpers.ts';

const setup = (overrides: Partial<IssueWorkerProps> = {}) => {
  const c = chart();
  const workspace = new Workspace(c, 'ws', {
    metadata: { name: 'repo' },
    repo: 'https://github.com/a/b.git',
  });
  const worker = new IssueWorker(c, 'worker', {
    metadata: { name: 'issues' },
    workspace,
    botLogin: 'kelos-bot',
    credentials: apiKey,
    ...overrides,
  });
  return { c, worker };
};

describe('IssueWorker', () => {
  test('renders a safe spawner (snapshot)', () => {
    const { c } = setup();
    expect(synth(c)).toMatchSnapshot();
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('a misspelled prop is refused with the likely one, not dropped', () => {
    const typo = {
      modle: 'opus',
      maxConcurency: 5,
      lables: ['x'],
      prompt: 'Fix it',
    } as Partial<IssueWorkerProps>;
    expect(thrown(() => setup(typo))).toBe(
      [
        'TaskSpawner issues: IssueWorker has no prop "modle"; did you mean "model"?',
        'TaskSpawner issues: IssueWorker has no prop "maxConcurency"; did you mean "maxConcurrency"?',
        'TaskSpawner issues: IssueWorker has no prop "lables"; did you mean "labels"?',
        // The Task's field, where the pattern takes a template of it.
        'TaskSpawner issues: IssueWorker has no prop "prompt"; did you mean "promptTemplate"?',
      ].join('\n'),
    );
  });

  // An untyped app's string for a list was copied one character per entry: allowedUsers 'alice'
  // let the users a, l, i, c and e trigger the agent.
  test('a string or object where a list prop goes, or a list where an object goes, is refused, not copied', () => {
    const wrong = {
      allowedUsers: 'alice',
      labels: 'agent',
      excludeLabels: 'wontfix',
      priorityLabels: 'p0',
      excludeAuthors: { login: 'dependabot' },
      taskLabels: ['team'],
    } as unknown as Partial<IssueWorkerProps>;
    expect(thrown(() => setup(wrong))).toBe(
      [
        'TaskSpawner issues: IssueWorker prop allowedUsers must be a list; got a string "alice"',
        'TaskSpawner issues: IssueWorker prop labels must be a list; got a string "agent"',
        'TaskSpawner issues: IssueWorker prop excludeLabels must be a list; got a string "wontfix"',
        'TaskSpawner issues: IssueWorker prop priorityLabels must be a list; got a string "p0"',
        'TaskSpawner issues: IssueWorker prop excludeAuthors must be a list; got an object',
        'TaskSpawner issues: IssueWorker prop taskLabels must be an object; got a list of 1',
      ].join('\n'),
    );
  });

  test('applies safe defaults', () => {
    const { worker } = setup();
    expect({
      maxConcurrency: worker.maxConcurrency,
      excludeAuthors: worker.excludeAuthors,
      commentPolicy: worker.commentPolicy,
      ttl: worker.ttlSecondsAfterFinished,
      deadline: worker.activeDeadlineSeconds,
    }).toStrictEqual({
      maxConcurrency: 2,
      excludeAuthors: ['kelos-bot'],
      commentPolicy: {
        triggerComment: '/kelos pick-up',
        excludeComments: ['/kelos stop'],
        minimumPermission: 'write',
      },
      ttl: 3600,
      deadline: 7200,
    });
    const spec = worker.spawner.spec;
    expect(spec.maxConcurrency).toBe(2);
    expect(spec.when.githubIssues?.excludeAuthors).toStrictEqual(['kelos-bot']);
    expect(spec.taskTemplate.ttlSecondsAfterFinished).toBe(3600);
    expect(spec.taskTemplate.worker?.podOverrides?.activeDeadlineSeconds).toBe(7200);
    expect(spec.taskTemplate.branch).toBe('kelos/issue-{{.Number}}');
  });

  test('named users replace the permission rule; extra excluded authors join the bot, sorted', () => {
    const { worker } = setup({ allowedUsers: ['alice'], excludeAuthors: ['renovate[bot]', 'kelos-bot'] });
    expect(worker.commentPolicy).toStrictEqual({
      triggerComment: '/kelos pick-up',
      excludeComments: ['/kelos stop'],
      allowedUsers: ['alice'],
    });
    expect(worker.excludeAuthors).toStrictEqual(['kelos-bot', 'renovate[bot]']);
  });

  test('passes the agent settings and agent configs through', () => {
    const c = chart();
    const cfg = new AgentConfig(c, 'cfg', { metadata: { name: 'cfg' } });
    const worker = new IssueWorker(c, 'w', {
      workspace: Workspace.fromWorkspaceName(c, 'ws', 'repo'),
      botLogin: 'bot',
      credentials: apiKey,
      agent: 'codex',
      model: 'gpt-5',
      agentConfigs: [cfg],
      podOverrides: { activeDeadlineSeconds: 60, serviceAccountName: 'agent' },
      maxConcurrency: 5,
      maxTotalTasks: 100,
      ttlSecondsAfterFinished: 10,
    });
    expect(worker.spawner.spec.taskTemplate.worker).toStrictEqual({
      agentConfigRefs: [{ name: 'cfg' }],
      credentials: apiKey,
      model: 'gpt-5',
      podOverrides: { activeDeadlineSeconds: 60, serviceAccountName: 'agent' },
      type: 'codex',
      workspaceRef: { name: 'repo' },
    });
    expect([
      worker.spawner.spec.maxConcurrency,
      worker.spawner.spec.maxTotalTasks,
      worker.activeDeadlineSeconds,
    ]).toStrictEqual([5, 100, 60]);
  });

  test('rejects an unbounded worker, an empty bot login and an open comment policy', () => {
    const c = chart();
    expect(
      thrown(
        () =>
          new IssueWorker(c, 'w', {
            metadata: { name: 'issues' },
            workspace: Workspace.fromWorkspaceName(c, 'ws', 'repo'),
            botLogin: ' ',
            credentials: apiKey,
            maxConcurrency: 0,
            commentPolicy: { triggerComment: '/go' },
          }),
      ),
    ).toBe(
      [
        'TaskSpawner issues /spec/maxConcurrency: maxConcurrency must be at least 1 (got 0); a pattern never runs an unbounded number of agents',
        'TaskSpawner issues /spec/when/githubIssues/excludeAuthors: botLogin must name the GitHub login the agent acts as, so its own items are excluded',
        'TaskSpawner issues /spec/when/githubIssues/commentPolicy: commentPolicy must restrict who can trigger work (allowedUsers, allowedTeams or minimumPermission); otherwise anyone can start an agent',
      ].join('\n'),
    );
  });

  // TypeScript refuses these, but synth runs apps without type checking: a missing botLogin
  // failed inside the pattern with "Cannot read properties of undefined (reading 'trim')".
  test('a missing required prop, or props that are no object, are refused by name', () => {
    const c = chart();
    expect(thrown(() => new IssueWorker(c, 'iw', {} as IssueWorkerProps))).toBe(
      [
        'TaskSpawner test/iw: IssueWorker requires workspace (a Workspace construct)',
        'TaskSpawner test/iw: IssueWorker requires botLogin (a string)',
        'TaskSpawner test/iw: IssueWorker requires credentials (an object)',
      ].join('\n'),
    );
    const mistyped = {
      metadata: { name: 'issues' },
      workspace: Workspace.fromWorkspaceName(c, 'ws', 'repo'),
      botLogin: 7,
      credentials: 'key',
      modle: 'x',
    };
    expect(thrown(() => new IssueWorker(c, 'typed', mistyped as unknown as IssueWorkerProps))).toBe(
      [
        'TaskSpawner issues: IssueWorker has no prop "modle"; did you mean "model"?',
        'TaskSpawner issues: IssueWorker requires botLogin to be a string; got a number 7',
        'TaskSpawner issues: IssueWorker requires credentials to be an object; got a string "key"',
      ].join('\n'),
    );
    expect(thrown(() => new IssueWorker(c, 'none', null as unknown as IssueWorkerProps))).toBe(
      'TaskSpawner test/none: IssueWorker props must be an object; got null',
    );
  });

  test('pod overrides that are no object are refused by the spawner, not spread', () => {
    const podOverrides = 'x' as unknown as IssueWorkerProps['podOverrides'];
    expect(thrown(() => setup({ podOverrides }))).toBe(
      'TaskSpawner issues /spec/taskTemplate/worker/podOverrides: podOverrides must be an object; got a string "x"',
    );
  });
});
