import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { TaskSpawner } from '../../../../src/api/index.ts';
import { silentLogger } from '../../../../src/kube/log.ts';
import type { Delivery, MatchResult } from '../../../../src/operator/webhook/match.ts';
import { type IntakeOutcome, slackIntake } from '../../../../src/operator/webhook/slack-intake.ts';
import { delivery, spawnerWith } from '../../../support/webhook-fixtures.ts';

const named = (name: string, s: TaskSpawner): TaskSpawner => ({ ...s, metadata: { ...s.metadata, name } });

const setup = (outcomes: Record<string, IntakeOutcome>) => {
  const delivered: Array<[string, Readonly<Record<string, string>>]> = [];
  const posted: string[][] = [];
  const threads: string[][] = [];
  const announcing: Array<Promise<void>> = [];
  const intake = slackIntake({
    spawners: () => [
      named('eng', spawnerWith({ slack: { channels: ['C0ENG00001'] } })),
      named('ops', spawnerWith({ slack: { channels: ['C0OPS00001'] } })),
      named('gh', spawnerWith({ githubWebhook: { events: ['issues'] } })),
      named('all', spawnerWith({ slack: {} })),
    ],
    deliver: async (s: TaskSpawner, _d: Delivery, m: Extract<MatchResult, { matched: true }>) => {
      delivered.push([s.metadata.name ?? '', m.annotations]);
      return outcomes[s.metadata.name ?? ''] ?? { outcome: 'created', task: `${s.metadata.name}-${m.id}` };
    },
    post: async (channel, text, thread) => {
      posted.push([channel, text, thread]);
      return `1763712009.00000${posted.length}`;
    },
    recordThread: async (namespace, task, ts) => {
      threads.push([namespace, task, ts]);
    },
    log: silentLogger,
    announced: (done) => announcing.push(done),
  });
  // Resolves once the delivery's Tasks exist and its announcements are posted.
  const onDelivery = async (d: Delivery) => {
    try {
      await intake(d);
    } finally {
      await Promise.all(announcing);
    }
  };
  return { intake, onDelivery, delivered, posted, threads };
};

describe('Slack intake', () => {
  test('each matching slack spawner gets the message; each Task created is announced in the thread', async () => {
    const { onDelivery, delivered, posted } = setup({ all: { outcome: 'duplicate', task: 'all-x' } });
    await onDelivery(delivery('slack', 'message', 'message'));
    expect(delivered.map(([n]) => n)).toEqual(['eng', 'all']);
    expect(delivered[0]![1]['kelos.dev/slack-report-phase']).toBe('accepted');
    expect(posted).toHaveLength(1);
    expect(posted[0]![0]).toBe('C0ENG00001');
    expect(posted[0]![1]).toMatch(/^:robot_face: Task `eng-slack-[0-9a-f]{12}` has been \*accepted\*\.$/);
    expect(posted[0]![2]).toBe('1763712000.000100');
  });

  test('a failed delivery rejects, so the envelope is left for Slack to resend', async () => {
    const { onDelivery } = setup({ eng: { outcome: 'failed', reason: 'API server unavailable' } });
    await expect(onDelivery(delivery('slack', 'message', 'message'))).rejects.toThrow(
      /for Slack to resend: team-a\/eng: API server unavailable/,
    );
  });

  test('a slash command is not rejected for a failed spawner (Slack never resends one): its asker is told which and to run it again', async () => {
    const { intake } = setup({ eng: { outcome: 'failed', reason: 'API server unavailable' } });
    const reply = await intake(delivery('slack', 'slash_command', 'slash-command'));
    expect(reply?.split('\n')).toEqual([
      ':warning: TaskSpawner team-a/eng could not take it (API server unavailable); run the command again.',
      expect.stringMatching(
        /^Task `all-slack-[0-9a-f]{12}` accepted \(TaskSpawner team-a\/all\); its progress follows in this channel\.$/,
      ),
    ]);
  });

  test('resolves once the Tasks exist, before the announcement is posted, so the envelope is acknowledged in time', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const posted: string[] = [];
    let announced: Promise<void> | undefined;
    const intake = slackIntake({
      spawners: () => [named('eng', spawnerWith({ slack: { channels: ['C0ENG00001'] } }))],
      deliver: async () => ({ outcome: 'created', task: 'eng-x' }),
      post: async (_c, text) => {
        await held;
        posted.push(text);
        return '1763712009.000001';
      },
      recordThread: async () => {},
      log: silentLogger,
      announced: (done) => {
        announced = done;
      },
    });
    await intake(delivery('slack', 'message', 'message'));
    expect(posted).toEqual([]);
    release();
    await announced;
    expect(posted).toHaveLength(1);
  });

  test('a slash command: its Task is announced in the channel with what was asked, and that message becomes its thread', async () => {
    const { onDelivery, delivered, posted, threads } = setup({
      all: { outcome: 'duplicate', task: 'all-x' },
    });
    await onDelivery(delivery('slack', 'slash_command', 'slash-command'));
    expect(delivered.map(([n]) => n)).toEqual(['eng', 'all']);
    expect(delivered[0]![1]['kelos.dev/slack-thread-ts']).toBeUndefined();
    expect(posted).toHaveLength(1);
    const [channel, text = '', thread] = posted[0]!;
    expect([channel, thread]).toEqual(['C0ENG00001', '']);
    expect(text).toMatch(
      /^:robot_face: Task `eng-slack-[0-9a-f]{12}` has been \*accepted\*\.\n<@U0ADA0001> asked: `\/kelos fix the flaky login test`$/,
    );
    // As upstream, the Task's id is the command's trigger_id.
    const task = `eng-slack-${createHash('sha256').update('1763712005.42.8088930838d88f008e0').digest('hex').slice(0, 12)}`;
    expect(text).toContain(task);
    expect(threads).toEqual([['team-a', task, '1763712009.000001']]);
  });
});
