/**
 * `--default-active-deadline`: the Job of a Task that sets no deadline gets the operator's, a
 * Task's own `podOverrides.activeDeadlineSeconds` wins, and a TaskBudget reserves for the
 * deadline the Job got, not for the one hour it assumes of a Task without any.
 */
import { describe, expect, it } from 'vitest';
import type { HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { budget, create, task, useOperator, waitFor, waitForPhase, waitForTask } from './operator-helpers.ts';

/** Two hours: claude-code at the default 6 USD/h reserves 12 USD for it. */
const DEFAULT_DEADLINE_SECONDS = 7_200;

const jobDeadline = async (c: HttpKubeClient, ns: string, name: string): Promise<number | undefined> => {
  let deadline: number | undefined;
  await waitFor(`Job ${ns}/${name}`, async () => {
    const job = await c.get<{ spec?: { activeDeadlineSeconds?: number } } & { metadata: object }>(
      Resources.Job,
      ns,
      name,
    );
    deadline = job?.spec?.activeDeadlineSeconds;
    return job !== undefined;
  });
  return deadline;
};

describe('operator: --default-active-deadline', () => {
  let c: HttpKubeClient;
  let ns: string;

  useOperator(
    'op-deadline',
    (s) => ({ c, ns } = s),
    () => ({ defaultActiveDeadlineSeconds: DEFAULT_DEADLINE_SECONDS }),
  );

  it("gives the Job of a Task without a deadline the operator's; a Task's own wins", async () => {
    await create(c, ns, 'Task', task('no-deadline'));
    await create(
      c,
      ns,
      'Task',
      task('own-deadline', {
        worker: {
          type: 'claude-code',
          credentials: { type: 'none' },
          podOverrides: { activeDeadlineSeconds: 600 },
        },
      }),
    );
    expect(await jobDeadline(c, ns, 'no-deadline')).toBe(DEFAULT_DEADLINE_SECONDS);
    expect(await jobDeadline(c, ns, 'own-deadline')).toBe(600);
  });

  it('reserves budget for the default deadline of a Task that sets none', async () => {
    await create(
      c,
      ns,
      'TaskBudget',
      budget('team-d', { taskSelector: { matchLabels: { team: 'd' } }, maxCostUSD: '10' }),
    );
    await create(c, ns, 'Task', task('d-first', {}, { team: 'd' }));
    await waitForTask(c, ns, 'd-first', 'admitted', (t) => !!t.status?.jobName);
    // Without the default, d-first (not started) would reserve 1 h, 6 USD, and d-second start.
    await create(c, ns, 'Task', task('d-second', {}, { team: 'd' }));
    const held = await waitForPhase(c, ns, 'd-second', 'Waiting');
    expect(held.status?.message).toMatch(
      /^Budget "team-d" is held by running Tasks: cost 12 USD reached maxCostUSD 10/,
    );
  });
});
