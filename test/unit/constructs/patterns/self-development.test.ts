import { describe, expect, test } from 'vitest';
import {
  AgentConfig,
  DEFAULT_SCHEDULES,
  SELF_DEVELOPMENT_ROLES,
  SelfDevelopment,
  type SelfDevelopmentProps,
  Workspace,
} from '../../../../constructs/index.ts';
import { apiKey, chart, synth, thrown, validationErrors } from '../helpers.ts';

const setup = (overrides: Partial<SelfDevelopmentProps> = {}) => {
  const c = chart();
  const workspace = new Workspace(c, 'ws', {
    metadata: { name: 'repo' },
    repo: 'https://github.com/a/b.git',
  });
  const agentConfig = new AgentConfig(c, 'cfg', { metadata: { name: 'dev' }, agentsMD: 'Be careful.' });
  const fleet = new SelfDevelopment(c, 'fleet', {
    workspace,
    agentConfig,
    botLogin: 'kelos-bot',
    maintainers: ['alice'],
    credentials: apiKey,
    ...overrides,
  });
  return { c, fleet };
};

describe('SelfDevelopment', () => {
  test('stamps out the seven spawners from one AgentConfig and one Workspace (snapshot)', () => {
    const { c, fleet } = setup();
    const objects = synth(c);
    expect(objects).toMatchSnapshot();
    expect(validationErrors(c)).toStrictEqual([]);
    expect(Object.keys(fleet.spawners)).toStrictEqual([...SELF_DEVELOPMENT_ROLES]);
    for (const role of SELF_DEVELOPMENT_ROLES) {
      const spawner = fleet.spawners[role];
      expect(spawner.name).toBe(`kelos-${role}`);
      expect(spawner.spec.taskTemplate.worker?.workspaceRef).toStrictEqual({ name: 'repo' });
      expect(spawner.spec.taskTemplate.worker?.agentConfigRefs).toStrictEqual([{ name: 'dev' }]);
      expect(spawner.spec.taskTemplate.metadata?.labels).toStrictEqual({
        'app.kubernetes.io/component': role,
        'app.kubernetes.io/part-of': 'kelos',
      });
      expect(spawner.maxConcurrency).toBeGreaterThanOrEqual(1);
    }
  });

  test('wires each role to its trigger', () => {
    const { fleet } = setup();
    const s = fleet.spawners;
    expect(s.workers.spec.when.githubIssues?.labels).toStrictEqual(['kelos/agent']);
    expect(s.workers.spec.when.githubIssues?.commentPolicy?.allowedUsers).toStrictEqual(['alice']);
    expect(s['pr-responder'].spec.when.githubPullRequests?.author).toBe('kelos-bot');
    expect(s.triage.spec.when.githubIssues?.excludeLabels).toStrictEqual(['kelos/triaged']);
    expect(s.triage.spec.when.githubIssues?.excludeAuthors).toStrictEqual(['kelos-bot']);
    expect(s.triage.maxConcurrency).toBe(1);
    for (const role of ['planner', 'fake-user', 'fake-strategist', 'self-update'] as const) {
      expect(s[role].spec.when.cron?.schedule).toBe(DEFAULT_SCHEDULES[role]);
    }
  });

  test('takes a prefix, a namespace, labels and schedules', () => {
    const { fleet } = setup({
      namePrefix: 'acme',
      namespace: 'agents',
      labels: { agent: 'ai' },
      schedules: { planner: '0 5 * * *' },
      workerConcurrency: 4,
    });
    expect(fleet.spawners.workers.name).toBe('acme-workers');
    expect(fleet.spawners.workers.namespace).toBe('agents');
    expect(fleet.spawners.workers.spec.when.githubIssues?.labels).toStrictEqual(['ai']);
    expect(fleet.spawners.workers.maxConcurrency).toBe(4);
    expect(fleet.spawners.planner.spec.when.cron?.schedule).toBe('0 5 * * *');
  });

  test('a misspelled prop is refused, not dropped', () => {
    expect(thrown(() => setup({ maintainer: ['x'] } as Partial<SelfDevelopmentProps>))).toBe(
      'TaskSpawner kelos-workers: SelfDevelopment has no prop "maintainer"; did you mean "maintainers"?',
    );
  });

  test('rejects a fleet nobody can hand work to', () => {
    expect(thrown(() => setup({ maintainers: [] }))).toBe(
      'TaskSpawner kelos-workers /spec/when/githubIssues/commentPolicy/allowedUsers: maintainers must name at least one GitHub login whose commands count',
    );
  });
});
