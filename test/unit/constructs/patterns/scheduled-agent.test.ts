import { describe, expect, test } from 'vitest';
import { ScheduledAgent, Workspace } from '../../../../constructs/index.ts';
import { apiKey, chart, synth, thrown, validationErrors } from '../helpers.ts';

describe('ScheduledAgent', () => {
  test('renders a cron spawner whose runs never overlap, each on its own branch, with a lifetime cap', () => {
    const c = chart();
    const agent = new ScheduledAgent(c, 'nightly', {
      metadata: { name: 'nightly' },
      schedule: '0 2 * * *',
      prompt: 'Update dependencies.',
      credentials: apiKey,
      workspace: Workspace.fromWorkspaceName(c, 'ws', 'repo'),
    });
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskSpawner',
        metadata: { name: 'nightly' },
        spec: {
          maxConcurrency: 1,
          maxTotalTasks: 100,
          taskTemplate: {
            branch: 'kelos/nightly-{{.ID}}',
            promptTemplate: 'Update dependencies.',
            ttlSecondsAfterFinished: 3600,
            worker: {
              credentials: apiKey,
              podOverrides: { activeDeadlineSeconds: 7200 },
              type: 'claude-code',
              workspaceRef: { name: 'repo' },
            },
          },
          when: { cron: { schedule: '0 2 * * *' } },
        },
      },
    ]);
    expect([agent.maxConcurrency, agent.ttlSecondsAfterFinished, agent.activeDeadlineSeconds]).toStrictEqual([
      1, 3600, 7200,
    ]);
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('rejects a schedule without five fields', () => {
    expect(
      thrown(
        () =>
          new ScheduledAgent(chart(), 'x', {
            metadata: { name: 'x' },
            schedule: '0 2 * *',
            prompt: 'p',
            credentials: apiKey,
            maxConcurrency: 0,
          }),
      ),
    ).toBe(
      [
        'TaskSpawner x /spec/when/cron/schedule: schedule must be a five-field cron expression (minute hour day-of-month month day-of-week), got "0 2 * *"',
        'TaskSpawner x /spec/maxConcurrency: maxConcurrency must be at least 1 (got 0); a pattern never runs an unbounded number of agents',
      ].join('\n'),
    );
  });
});
