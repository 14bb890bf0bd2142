import { describe, expect, test } from 'vitest';
import type { Task } from '../../../../src/api/index.ts';
import { slackReport } from '../../../../src/operator/webhook/slack-report.ts';

const task = (annotations: Record<string, string>, status: Task['status'] = {}): Task =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Task',
    metadata: { name: 's-slack-abc', namespace: 'team-a', annotations },
    spec: {},
    status,
  }) as Task;

const thread = { 'kelos.dev/slack-channel': 'C0ENG00001', 'kelos.dev/slack-thread-ts': '1763712000.000100' };

describe('Slack thread reports', () => {
  test('a Task from no Slack thread is owed nothing', () => {
    expect(slackReport(task({}))).toBeUndefined();
  });

  test('a new Task is reported accepted, once', () => {
    expect(slackReport(task(thread))).toEqual({
      channel: 'C0ENG00001',
      threadTs: '1763712000.000100',
      phase: 'accepted',
      text: ':robot_face: Task `s-slack-abc` has been *accepted*.',
    });
    expect(slackReport(task({ ...thread, 'kelos.dev/slack-report-phase': 'accepted' }))).toBeUndefined();
  });

  test('the result follows, with the pull request or the reason of the failure', () => {
    const posted = { ...thread, 'kelos.dev/slack-report-phase': 'accepted' };
    expect(
      slackReport(
        task(posted, { phase: 'Succeeded', results: { pr: 'https://github.com/acme/widgets/pull/8' } }),
      )?.text,
    ).toBe(
      ':white_check_mark: Task `s-slack-abc` has *succeeded*.\nPull request: https://github.com/acme/widgets/pull/8',
    );
    expect(slackReport(task(posted, { phase: 'Failed', message: 'agent exited 1' }))?.text).toBe(
      ':x: Task `s-slack-abc` has *failed*.\n> agent exited 1',
    );
  });

  test('a slash command Task whose thread was never recorded gets its result in the channel', () => {
    const r = slackReport(
      task(
        { 'kelos.dev/slack-channel': 'C0ENG00001', 'kelos.dev/slack-report-phase': 'accepted' },
        { phase: 'Succeeded' },
      ),
    );
    expect(r).toEqual({
      channel: 'C0ENG00001',
      threadTs: '',
      phase: 'succeeded',
      text: ':white_check_mark: Task `s-slack-abc` has *succeeded*.',
    });
  });
});
