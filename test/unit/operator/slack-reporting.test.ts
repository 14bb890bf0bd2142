import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Labels, type Task, type TaskSpawner } from '../../../src/api/index.ts';
import { createOutboundFetch } from '../../../src/operator/outbound.ts';
import { matchDelivery } from '../../../src/operator/webhook/match.ts';
import {
  finishTask,
  NS,
  newTask,
  startTaskOperator,
  type TaskOperator,
} from '../../support/task-operator.ts';
import { delivery, spawnerWith } from '../../support/webhook-fixtures.ts';

describe('Slack result reports from the TaskSpawner pass', () => {
  let op: TaskOperator;
  const posted: string[][] = [];
  let failPosts = 0;
  let leading = true;
  beforeEach(async () => {
    posted.length = 0;
    failPosts = 0;
    leading = true;
    op = await startTaskOperator({
      spawners: {
        fetch: createOutboundFetch({ allowPrivate: true, allowInsecure: true }),
        slackPost: async (channel, text, thread) => {
          if (failPosts > 0) {
            failPosts--;
            throw new Error('slack said internal_error');
          }
          posted.push([channel, text, thread]);
        },
        leading: () => leading,
      },
    });
  });
  afterEach(async () => {
    await op.stop();
  });

  /** A Task as the Slack intake creates it: the match's annotations, "accepted" already posted. */
  const slackTask = async (name: string) => {
    const spawner = { ...spawnerWith({ slack: { channels: ['C0ENG00001'] } }), metadata: { name: 'chat' } };
    await op.create<TaskSpawner>('TaskSpawner', spawner as TaskSpawner);
    const m = matchDelivery(spawner as TaskSpawner, delivery('slack', 'message', 'message'));
    if (!m.matched) throw new Error(m.reason);
    const task = newTask(name, {}, { [Labels.TaskSpawner]: 'chat' });
    task.metadata.annotations = { ...m.annotations, 'kelos.dev/slack-report-phase': 'accepted' };
    await op.create<Task>('Task', task);
    await op.settle();
  };
  const finish = async (name: string, exitCode: number, message?: string) => {
    await finishTask(op, name, exitCode, message);
    await op.settle();
  };

  it('posts the result with the pull request in the thread once, and records the phase', async () => {
    await slackTask('chat-1');
    expect(posted).toEqual([]);
    await finish(
      'chat-1',
      0,
      '---KELOS_OUTPUTS_START---\npr: https://github.com/acme/widgets/pull/9\n---KELOS_OUTPUTS_END---\n',
    );
    expect(posted).toEqual([
      [
        'C0ENG00001',
        ':white_check_mark: Task `chat-1` has *succeeded*.\nPull request: https://github.com/acme/widgets/pull/9',
        '1763712000.000100',
      ],
    ]);
    expect(op.task('chat-1')?.metadata.annotations?.['kelos.dev/slack-report-phase']).toBe('succeeded');
    op.spawnerQueue?.add(`${NS}/chat`);
    await op.settle();
    expect(posted).toHaveLength(1);
  });

  it('posts nothing while this replica does not hold the leader Lease, and posts once it does', async () => {
    await slackTask('chat-3');
    leading = false;
    await finish('chat-3', 0);
    expect(posted).toEqual([]);
    expect(op.task('chat-3')?.metadata.annotations?.['kelos.dev/slack-report-phase']).toBe('accepted');
    leading = true;
    op.spawnerQueue?.add(`${NS}/chat`);
    await op.settle();
    expect(posted.map((p) => p[1])).toEqual([':white_check_mark: Task `chat-3` has *succeeded*.']);
  });

  it('a post that failed is retried on a later pass, and the failure is an Event on the spawner', async () => {
    await slackTask('chat-2');
    failPosts = 1;
    await finish('chat-2', 1);
    expect(posted).toEqual([]);
    expect(op.task('chat-2')?.metadata.annotations?.['kelos.dev/slack-report-phase']).toBe('accepted');
    expect(op.events('chat').join('\n')).toContain('Slack report not posted: slack said internal_error');
    op.spawnerQueue?.add(`${NS}/chat`);
    await op.settle();
    const why = op.task('chat-2')?.status?.message;
    expect(why).toBeTruthy();
    expect(posted.map((p) => p[1])).toEqual([`:x: Task \`chat-2\` has *failed*.\n> ${why}`]);
    expect(op.task('chat-2')?.metadata.annotations?.['kelos.dev/slack-report-phase']).toBe('failed');
  });
});
