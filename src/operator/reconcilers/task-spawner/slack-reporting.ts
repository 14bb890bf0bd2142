/**
 * Reporting a Slack-created Task's result in its thread: the intake posted "accepted" and
 * recorded it in `kelos.dev/slack-report-phase`; once the Task finishes, the leader's spawner
 * pass posts {@link slackReport} and records the phase, so each phase is posted once. The
 * annotation is written after the post (with the Task's uid as precondition, as the GitHub
 * reports do); a crash between the two may post a result twice, never lose it.
 *
 * @packageDocumentation
 */
import type { Task } from '../../../api/index.ts';
import type { Checklist } from '../../../kube/log.ts';
import { Resources } from '../../resources.ts';
import { SlackAnnotations } from '../../webhook/slack-event.ts';
import { slackReport } from '../../webhook/slack-report.ts';
import { mayReport, NOT_LEADING, type TaskSpawnerReconcilerOptions } from './options.ts';

/** Posts what each Task's thread is owed, until not leading; returns the errors, one line each. */
export async function reportToSlack(
  o: TaskSpawnerReconcilerOptions,
  tasks: readonly Task[],
  list: Checklist,
): Promise<string[]> {
  const errors: string[] = [];
  if (!o.slackPost) return errors;
  for (const task of tasks) {
    if (task.metadata.deletionTimestamp) continue;
    const r = slackReport(task);
    if (!r) continue;
    if (!mayReport(o)) {
      list.step(`Slack reporting stopped: ${NOT_LEADING}`);
      break;
    }
    try {
      await o.slackPost(r.channel, r.text, r.threadTs);
    } catch (e) {
      errors.push(`Task ${task.metadata.name}: Slack report not posted: ${(e as Error).message}`);
      continue;
    }
    try {
      await o.client.mergePatch(Resources.Task, task.metadata.namespace, task.metadata.name ?? '', {
        metadata: { uid: task.metadata.uid, annotations: { [SlackAnnotations.ReportPhase]: r.phase } },
      });
      list.write(`Reported ${r.phase} in Slack for Task ${task.metadata.name}`);
    } catch (e) {
      list.step(`Slack report state of Task ${task.metadata.name} not written: ${(e as Error).message}`);
    }
  }
  return errors;
}
