/**
 * Reporting back to GitHub (`reporting.comments` PerTask or Sticky, `reporting.checks`):
 * each spawned Task's phase becomes a comment on its issue or pull request, and optionally a
 * check run on the pull request's head commit, updated in place as the Task moves from
 * accepted to succeeded or failed (with the PR link the agent reported).
 *
 * State lives in the Task's annotations (upstream's names): `kelos.dev/github-comment-id`
 * and `kelos.dev/github-report-phase`, `kelos.dev/github-check-run-id` and
 * `kelos.dev/github-check-report-phase`, written after the GitHub call with the Task's
 * resourceVersion as precondition. A crash between the call and the annotation write cannot
 * duplicate a comment: before posting, the issue's comments are searched for the Task's
 * marker (`<!-- kelos.dev/task:<ns>/<name>/<uid> -->`, or the Sticky marker
 * `<!-- kelos.dev/github-status-comment:<ns>/<spawner> -->`), and the head commit's check runs
 * of that name for one whose `external_id` is the Task's uid; a found one is updated. The
 * annotation write carries the Task's uid (not its resourceVersion, which the Task
 * reconciler's status writes move all the time), so it lands on this very Task.
 *
 * @packageDocumentation
 */
import { GROUP, type Task, TaskPhase, type TaskSpawner } from '../../../api/index.ts';
import type { Checklist } from '../../../kube/log.ts';
import { Resources } from '../../resources.ts';
import { ReportingAnnotations, SourceAnnotations } from '../../spawner/annotations.ts';
import type { GitHubComment } from '../../spawner/github-repo.ts';
import { repoPath } from '../../spawner/github-repo.ts';
import { mayReport, NOT_LEADING, spawnerName, type TaskSpawnerReconcilerOptions } from './options.ts';
import type { GitHubAccess } from './source.ts';

/** Annotations that remember what was reported (upstream's names). */
export const ReportState = {
  CommentId: `${GROUP}/github-comment-id`,
  Phase: `${GROUP}/github-report-phase`,
  CheckRunId: `${GROUP}/github-check-run-id`,
  CheckPhase: `${GROUP}/github-check-report-phase`,
} as const;

/** The phase a report states. */
export type ReportPhase = 'accepted' | 'succeeded' | 'failed';

/** The report phase of a Task. */
export const reportPhaseOf = (task: Task): ReportPhase =>
  task.status?.phase === TaskPhase.Succeeded
    ? 'succeeded'
    : task.status?.phase === TaskPhase.Failed
      ? 'failed'
      : 'accepted';

/** The marker of a PerTask comment: one per Task object (a retriggered Task gets a new one). */
export const taskMarker = (task: Task): string =>
  `<!-- kelos.dev/task:${task.metadata.namespace}/${task.metadata.name}/${task.metadata.uid} -->`;

/** Upstream's Sticky marker, one comment per item and spawner. */
export const stickyMarker = (namespace: string, spawner: string): string =>
  `<!-- kelos.dev/github-status-comment:${namespace}/${spawner} -->`;

/** The comment body: upstream's wording, plus the PR link and the reason of a failure. */
export const commentBody = (task: Task, marker: string): string => {
  const phase = reportPhaseOf(task);
  const name = task.metadata.name;
  const pr = task.status?.results?.pr;
  const lines = [marker, '🤖 **Kelos Task Status**', ''];
  if (phase === 'accepted') lines.push(`Task \`${name}\` has been **accepted** and is ${describe(task)}.`);
  else if (phase === 'succeeded') lines.push(`Task \`${name}\` has **succeeded**. ✅`);
  else lines.push(`Task \`${name}\` has **failed**. ❌`);
  if (pr) lines.push('', `Pull request: ${pr}`);
  if (phase === 'failed' && task.status?.message) lines.push('', `> ${task.status.message}`);
  return lines.join('\n');
};

const describe = (task: Task): string => {
  switch (task.status?.phase) {
    case TaskPhase.Running:
      return 'running';
    case TaskPhase.Pending:
      return 'starting';
    default:
      return 'queued';
  }
};

/** The check run fields of a Task's phase. */
export const checkRunFields = (task: Task, name: string): Record<string, unknown> => {
  const phase = reportPhaseOf(task);
  const pr = task.status?.results?.pr;
  const summary = [
    `Task \`${task.metadata.name}\` ${phase === 'accepted' ? `is ${describe(task)}` : `has ${phase}`}.`,
    ...(pr ? [`Pull request: ${pr}`] : []),
    ...(phase === 'failed' && task.status?.message ? [task.status.message] : []),
  ].join('\n\n');
  return {
    name,
    status:
      phase === 'accepted'
        ? task.status?.phase === TaskPhase.Running
          ? 'in_progress'
          : 'queued'
        : 'completed',
    ...(phase === 'accepted' ? {} : { conclusion: phase === 'succeeded' ? 'success' : 'failure' }),
    external_id: task.metadata.uid,
    output: { title: `Kelos: ${phase}`, summary },
  };
};

/** What one reporting pass did. */
export interface Reported {
  readonly comments: number;
  readonly checks: number;
  readonly errors: string[];
}

/** Reports every Task of the spawner whose reported phase is behind; stops once not leading. */
export async function report(
  o: TaskSpawnerReconcilerOptions,
  spawner: TaskSpawner,
  tasks: readonly Task[],
  github: GitHubAccess,
  list: Checklist,
): Promise<Reported> {
  const out = { comments: 0, checks: 0, errors: [] as string[] };
  for (const task of tasks) {
    if (task.metadata.deletionTimestamp) continue;
    const a = task.metadata.annotations ?? {};
    const phase = reportPhaseOf(task);
    const patch: Record<string, string> = {};
    if (!mayReport(o)) {
      list.step(`Reporting stopped: ${NOT_LEADING}`);
      break;
    }
    try {
      if (a[ReportingAnnotations.Comments] === 'enabled' && a[ReportState.Phase] !== phase) {
        const id = await upsertComment(spawner, task, github);
        if (id !== undefined) {
          patch[ReportState.CommentId] = String(id);
          patch[ReportState.Phase] = phase;
          out.comments++;
        }
      }
      // The comment took a round trip or two: the Lease may have gone meanwhile.
      if (
        a[ReportingAnnotations.Checks] === 'enabled' &&
        a[ReportState.CheckPhase] !== phase &&
        mayReport(o)
      ) {
        const id = await upsertCheckRun(task, github);
        if (id !== undefined) {
          patch[ReportState.CheckRunId] = String(id);
          patch[ReportState.CheckPhase] = phase;
          out.checks++;
        }
      }
    } catch (e) {
      out.errors.push(`Task ${task.metadata.name}: ${(e as Error).message}`);
    }
    if (Object.keys(patch).length === 0) continue;
    try {
      await o.client.mergePatch(Resources.Task, task.metadata.namespace, task.metadata.name ?? '', {
        metadata: { uid: task.metadata.uid, annotations: patch },
      });
      list.write(`Reported ${phase} for Task ${task.metadata.name}`);
    } catch (e) {
      // The Task is gone or was re-created: the next pass finds the comment by its marker.
      list.step(`Report state of Task ${task.metadata.name} not written: ${(e as Error).message}`);
    }
  }
  return out;
}

async function upsertComment(
  spawner: TaskSpawner,
  task: Task,
  github: GitHubAccess,
): Promise<number | undefined> {
  const a = task.metadata.annotations ?? {};
  const n = Number(a[SourceAnnotations.Number]);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  const { namespace, name } = spawnerName(spawner);
  const sticky = a[ReportingAnnotations.CommentMode] === 'Sticky';
  const marker = sticky ? stickyMarker(namespace, name) : taskMarker(task);
  const base = repoPath(github.repo);
  let id = Number(a[ReportState.CommentId]) || undefined;
  if (id === undefined) {
    const comments = (await github.client.list<GitHubComment>(`${base}/issues/${n}/comments?per_page=100`))
      .data;
    id = comments.find((c) => (c.body ?? '').includes(marker))?.id;
  }
  const body = commentBody(task, marker);
  if (id !== undefined) {
    await github.client.send('PATCH', `${base}/issues/comments/${id}`, { body });
    return id;
  }
  const created = await github.client.send<{ id: number }>('POST', `${base}/issues/${n}/comments`, { body });
  return created.id;
}

async function upsertCheckRun(task: Task, github: GitHubAccess): Promise<number | undefined> {
  const a = task.metadata.annotations ?? {};
  const sha = a[SourceAnnotations.Sha];
  if (!sha) return undefined;
  const fields = checkRunFields(task, a[ReportingAnnotations.CheckName] ?? 'Kelos');
  const base = repoPath(github.repo);
  let id = Number(a[ReportState.CheckRunId]) || undefined;
  if (id === undefined) {
    // Lost state (a restart between the POST and the annotation write): find the run by the
    // Task's uid in external_id.
    const q = new URLSearchParams({ check_name: String(fields.name), per_page: '100' });
    const found = await github.client.get<{ check_runs?: Array<{ id: number; external_id?: string }> }>(
      `${base}/commits/${encodeURIComponent(sha)}/check-runs?${q}`,
    );
    id = found.data.check_runs?.find((r) => r.external_id === task.metadata.uid)?.id;
  }
  if (id !== undefined) {
    await github.client.send('PATCH', `${base}/check-runs/${id}`, fields);
    return id;
  }
  const created = await github.client.send<{ id: number }>('POST', `${base}/check-runs`, {
    ...fields,
    head_sha: sha,
  });
  return created.id;
}

/** Whether a Task still has something to report (for choosing which Tasks to look at). */
export const needsReport = (task: Task): boolean => {
  const a = task.metadata.annotations ?? {};
  const phase = reportPhaseOf(task);
  return (
    (a[ReportingAnnotations.Comments] === 'enabled' && a[ReportState.Phase] !== phase) ||
    (a[ReportingAnnotations.Checks] === 'enabled' && a[ReportState.CheckPhase] !== phase) ||
    false
  );
};
