/**
 * From a Slack message or slash command to Tasks: the Socket Mode client's `onDelivery`. Each
 * `slack` spawner the message matches gets it through `deliver` (the receiver's path to one
 * Task: caps, queue, dedupe), and a Task created for it is announced in the message's thread
 * (a slash command's announcement starts the thread, recorded on the Task). A delivery
 * that failed for a reason a retry could fix rejects, so the envelope stays unacknowledged
 * and Slack sends it again; the Task name makes that redelivery harmless.
 *
 * The intake resolves once the Tasks exist, before the announcements are posted: Slack wants
 * the envelope acknowledged within 3 s, and a `chat.postMessage` (rate-limited per channel, up
 * to 10 s) awaited first made a slash command that had created its Task fail in the asker's
 * Slack with `operation_timeout`, and a message event come again.
 *
 * A slash command resolves to what its asker is told ({@link slashCommandReply}) and never
 * rejects for a spawner that failed: Slack does not send a command again, so the asker is told
 * which spawner did not take it, to run it again.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../api/index.ts';
import type { Logger } from '../../kube/log.ts';
import { type Delivery, type MatchResult, obj, str } from './delivery.ts';
import { matchDelivery } from './match.ts';
import { SLASH_COMMAND, SlackAnnotations } from './slack-event.ts';
import { slackStatusText } from './slack-report.ts';

/** What became of a delivery for one spawner, as far as the intake cares. */
export interface IntakeOutcome {
  /** `created` announces the Task; `failed` asks for a redelivery; anything else is final. */
  readonly outcome: string;
  readonly task?: string;
  readonly reason?: string;
}

/** What {@link slackIntake} needs. */
export interface SlackIntakeDeps {
  /** The spawners that may hear Slack (every spawner with `when.slack`, any namespace). */
  readonly spawners: () => readonly TaskSpawner[];
  /** Turns a matched delivery into at most one Task of the spawner. */
  readonly deliver: (
    spawner: TaskSpawner,
    delivery: Delivery,
    match: Extract<MatchResult, { matched: true }>,
  ) => Promise<IntakeOutcome>;
  /** Posts in a thread, or in the channel when `threadTs` is empty (`SlackSocketClient.postMessage`); resolves with the posted message's ts. */
  readonly post: (channel: string, text: string, threadTs: string) => Promise<string | undefined>;
  /** Records the thread of a slash command's Task: the message "accepted" was posted as. */
  readonly recordThread: (namespace: string, task: string, threadTs: string) => Promise<void>;
  readonly log: Logger;
  /** Receives each delivery's announcements, settled once all are posted or failed (tests wait on it). */
  readonly announced?: (done: Promise<void>) => void;
}

/** One spawner's outcome for a slash command, as {@link slashCommandReply} words it. */
export interface SlashOutcome extends IntakeOutcome {
  /** `<namespace>/<name>` of the TaskSpawner. */
  readonly taskSpawner: string;
}

/** What a slash command's asker is told of the spawners' outcomes (shown to them only). */
export const slashCommandReply = (outcomes: readonly SlashOutcome[]): string => {
  if (outcomes.length === 0) return 'No TaskSpawner takes this command in this channel; nothing was started.';
  return outcomes
    .map((o) => {
      if (o.outcome === 'created')
        return `Task \`${o.task}\` accepted (TaskSpawner ${o.taskSpawner}); its progress follows in this channel.`;
      if (o.outcome === 'duplicate') return `Task \`${o.task}\` already has this command.`;
      const why = o.reason ?? o.outcome;
      return o.outcome === 'failed'
        ? `:warning: TaskSpawner ${o.taskSpawner} could not take it (${why}); run the command again.`
        : `TaskSpawner ${o.taskSpawner} did not take it: ${why}`;
    })
    .join('\n');
};

/** The `onDelivery` of the Slack client: for a slash command, resolves to what its asker is told. */
export const slackIntake =
  (deps: SlackIntakeDeps) =>
  async (delivery: Delivery): Promise<string | undefined> => {
    const retry: string[] = [];
    const outcomes: SlashOutcome[] = [];
    const announcements: Array<() => Promise<void>> = [];
    for (const spawner of deps.spawners()) {
      if (!spawner.spec.when.slack) continue;
      const match = matchDelivery(spawner, delivery);
      if (!match.matched) continue;
      // The thread hears "accepted" from here; the reporter only posts the result.
      const annotations: Record<string, string> = {
        ...match.annotations,
        [SlackAnnotations.ReportPhase]: 'accepted',
      };
      const out = await deps.deliver(spawner, delivery, { ...match, annotations });
      const ref = `${spawner.metadata.namespace}/${spawner.metadata.name}`;
      deps.log.info('Slack message delivered', { taskSpawner: ref, outcome: out.outcome, task: out.task });
      outcomes.push({ taskSpawner: ref, ...out });
      if (out.outcome === 'failed') retry.push(`${ref}: ${out.reason ?? 'failed'}`);
      if (out.outcome !== 'created' || !out.task) continue;
      const channel = annotations[SlackAnnotations.Channel] ?? '';
      const thread = annotations[SlackAnnotations.ThreadTs] ?? '';
      const task = out.task;
      announcements.push(async () => {
        try {
          if (thread) await deps.post(channel, slackStatusText(task, 'accepted'), thread);
          else {
            // A slash command has no message to answer under: "accepted" starts the thread (saying
            // what was asked, which only the asker saw), and the result follows in it.
            const p = obj(delivery.payload);
            const asked = `<@${str(p.user_id)}> asked: \`${`${str(p.command)} ${str(p.text)}`.trim()}\``;
            const ts = await deps.post(channel, `${slackStatusText(task, 'accepted')}\n${asked}`, '');
            if (ts) await deps.recordThread(spawner.metadata.namespace ?? '', task, ts);
          }
        } catch (e) {
          deps.log.warn('Slack reply not posted', { error: e, task });
        }
      });
    }
    // Not awaited: the envelope is acknowledged now; each announcement catches its own failure.
    const done = (async () => {
      for (const announce of announcements) await announce();
    })();
    deps.announced?.(done);
    if (delivery.event === SLASH_COMMAND) return slashCommandReply(outcomes);
    if (retry.length > 0) throw new Error(`not delivered, for Slack to resend: ${retry.join('; ')}`);
    return undefined;
  };
