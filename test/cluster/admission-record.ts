/**
 * Recording every Task and Job event of a namespace, and replaying them in etcd order to find
 * the most Tasks admitted and unfinished at any instant: how the cap scenarios prove
 * `maxConcurrency` held.
 *
 * @module
 */
import { isTerminalPhase, type Task } from '../../src/api/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';

/** One Task or Job event. */
export interface Seen {
  readonly rv: number;
  readonly kind: 'Task' | 'Job';
  readonly type: string;
  readonly name: string;
  readonly uid: string;
  readonly phase?: string;
  readonly jobName?: string;
}

/**
 * Records every Task and Job event from `rv` on. Both kinds live in one etcd, whose revision
 * is the resourceVersion, so sorting by it replays the cluster's own order of changes.
 */
export function record(c: HttpKubeClient, ns: string, rv: string, signal: AbortSignal, into: Seen[]) {
  // A watch ends when the server's timeout does; it resumes from the last version seen, so a
  // long scenario loses no event.
  const watch = async (kind: 'Task' | 'Job') => {
    let from = rv;
    while (!signal.aborted) {
      await c
        .watch<ApiObject & { status?: Task['status'] }>(
          Resources[kind],
          { namespace: ns, resourceVersion: from, signal },
          (e) => {
            from = e.object.metadata.resourceVersion ?? from;
            if (e.type === 'BOOKMARK') return;
            into.push({
              rv: Number(e.object.metadata.resourceVersion),
              kind,
              type: e.type,
              name: e.object.metadata.name ?? '',
              uid: e.object.metadata.uid ?? '',
              ...(kind === 'Task' && e.object.status?.phase ? { phase: e.object.status.phase } : {}),
              ...(kind === 'Task' && e.object.status?.jobName ? { jobName: e.object.status.jobName } : {}),
            });
          },
        )
        .catch(() => new Promise((r) => setTimeout(r, 200)));
    }
  };
  return Promise.all([watch('Task'), watch('Job')]);
}

/**
 * Replays the events in etcd order; after each, counts the Tasks that are admitted (have a
 * Job, or say they do) and not finished. Returns the highest count.
 */
export function maxAdmitted(events: readonly Seen[]): { max: number; at: number } {
  const tasks = new Map<string, Seen>();
  const jobs = new Set<string>();
  let max = 0;
  let at = 0;
  for (const e of [...events].sort((a, b) => a.rv - b.rv)) {
    if (e.kind === 'Job') {
      if (e.type === 'DELETED') jobs.delete(e.name);
      else jobs.add(e.name);
    } else if (e.type === 'DELETED') tasks.delete(e.name);
    else tasks.set(e.name, e);
    let n = 0;
    for (const t of tasks.values()) {
      if (!isTerminalPhase(t.phase) && (jobs.has(t.name) || t.jobName)) n++;
    }
    if (n > max) {
      max = n;
      at = e.rv;
    }
  }
  return { max, at };
}
