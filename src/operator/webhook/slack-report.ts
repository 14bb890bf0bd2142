/**
 * What to post in a Slack-created Task's thread: `accepted` when the Task is created, then
 * `succeeded` or `failed` (with the pull request the agent reported, or why it failed). The
 * phase last posted lives in the Task's `kelos.dev/slack-report-phase` annotation, so a
 * restart or a second replica does not post twice. Pure; the Slack client posts.
 *
 * @packageDocumentation
 */
import type { Task } from '../../api/index.ts';
import { type ReportPhase, reportPhaseOf } from '../reconcilers/task-spawner/reporting.ts';
import { SlackAnnotations } from './slack-event.ts';

/** The status line of a Task in its thread. */
export const slackStatusText = (taskName: string, phase: ReportPhase): string =>
  phase === 'accepted'
    ? `:robot_face: Task \`${taskName}\` has been *accepted*.`
    : phase === 'succeeded'
      ? `:white_check_mark: Task \`${taskName}\` has *succeeded*.`
      : `:x: Task \`${taskName}\` has *failed*.`;

/** One message to post in a thread, and the phase to record once it is posted. */
export interface SlackReport {
  readonly channel: string;
  readonly threadTs: string;
  readonly phase: ReportPhase;
  readonly text: string;
}

/** The report a Task is owed, or undefined when it came from no Slack channel or its phase was posted. */
export const slackReport = (task: Task): SlackReport | undefined => {
  const a = task.metadata.annotations ?? {};
  const channel = a[SlackAnnotations.Channel];
  const threadTs = a[SlackAnnotations.ThreadTs];
  // No thread: a slash command whose "accepted" message was not recorded; the channel hears it.
  if (!channel) return undefined;
  const phase = reportPhaseOf(task);
  if (a[SlackAnnotations.ReportPhase] === phase) return undefined;
  const lines = [slackStatusText(task.metadata.name ?? '', phase)];
  const pr = task.status?.results?.pr;
  if (phase !== 'accepted' && pr) lines.push(`Pull request: ${pr}`);
  if (phase === 'failed' && task.status?.message) lines.push(`> ${task.status.message}`);
  return { channel, threadTs: threadTs ?? '', phase, text: lines.join('\n') };
};
