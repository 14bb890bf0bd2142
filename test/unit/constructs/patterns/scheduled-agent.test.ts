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

  test('rejects five fields out of range, which a field count would let through', () => {
    expect(
      thrown(
        () =>
          new ScheduledAgent(chart(), 'y', {
            metadata: { name: 'y' },
            schedule: '0 25 * * *',
            prompt: 'p',
            credentials: apiKey,
          }),
      ),
    ).toBe(
      'TaskSpawner y /spec/when/cron/schedule: invalid cron schedule "0 25 * * *": end of range (25) above maximum (23): 25',
    );
  });

  test('rejects a schedule the spawner cannot parse', () => {
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
        'TaskSpawner x /spec/when/cron/schedule: invalid cron schedule "0 2 * *": expected exactly 5 fields, found 4: 0 2 * *',
        'TaskSpawner x /spec/maxConcurrency: maxConcurrency must be at least 1 (got 0); a pattern never runs an unbounded number of agents',
      ].join('\n'),
    );
  });
});
