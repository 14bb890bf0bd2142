/**
 * Turning one matched delivery into at most one Task of one spawner, the same way on every
 * replica:
 *
 * 1. The Task name is deterministic ({@link taskName} over the matcher's id and variables).
 *    A Task of that name in the cache is a duplicate: answered at once.
 * 2. A suspended spawner creates nothing (as upstream); the sender is told so. Nor does one
 *    whose template names a WorkerPool, which this operator does not serve (`rejected`).
 * 3. The queue bound: when `maxQueuedTasks` of the spawner's Tasks wait for room under
 *    `maxConcurrency`, the delivery is refused with 429 (the sender retries; nothing accepted
 *    is lost). The count comes from the cache, so replicas may overshoot it by what is in
 *    flight; the cap itself is exact in the spawner gate.
 * 4. The spawner's `contextSources` are fetched (the poll loop's code) and the Task is
 *    rendered; a Fail-policy source that fails answers 5xx, so the sender retries. A render
 *    into a Task that cannot run (a branch git refuses) is `rejected`, 4xx, before anything
 *    is written, so the delivery sent again after the template is fixed is not a duplicate.
 * 5. The ledger ({@link Ledgers}) decides: processed before (duplicate, also after its Task
 *    was deleted); with `maxTotalTasks`, exactly across replicas by a write before the create,
 *    over the limit (a 2xx saying no Task was made; a retry would not help) or a serial
 *    number for the new Task. Without `maxTotalTasks` nothing is written before the create:
 *    the Task's deterministic name is what makes a delivery one Task while it exists, and the
 *    ledger records it (and numbers it) right after (ledger.ts says why). The Task carries its
 *    delivery's ledger key, so the Task reconciler records it before the Task's deletion if
 *    this process died first.
 * 6. The Task is created; AlreadyExists from a Task the spawner owns is a duplicate, from
 *    anything else a collision. Only then is the answer 2xx: a delivery that was acknowledged
 *    has its Task. The Task waits in the spawner gate (task/spawner-gate.ts)
 *    like every spawned Task, so `maxConcurrency` holds for webhooks as for polling.
 *
 * @packageDocumentation
 */
import { type Task, type TaskSpawner, workerPoolUnsupported } from '../../api/index.ts';
import { isAlreadyExists, type KubeClient } from '../../kube/client.ts';
import type { Informer } from '../../kube/informer.ts';
import { TaskIndexes } from '../reconcilers/task/watch.ts';
import type { ContextFetcher } from '../reconcilers/task-spawner/context-fetch.ts';
import { SEQUENCE_ANNOTATION } from '../reconcilers/task-spawner/options.ts';
import { Resources } from '../resources.ts';
import { belongsTo } from '../spawner/ownership.ts';
import { buildTask, taskName } from '../spawner/task-build.ts';
import type { WorkItem } from '../spawner/work-item.ts';
import type { Ledgers } from './ledger.ts';
import { DELIVERY_ANNOTATION, entryKey } from './ledger-format.ts';
import type { Delivery, MatchResult } from './match.ts';

/** Queued webhook Tasks per spawner when `maxQueuedTasks` is unset. */
export const DEFAULT_WEBHOOK_QUEUE = 100;

/** What became of a delivery for one spawner. */
export type Outcome =
  /** `seq`: the Task's serial number when it was taken before the create (`maxTotalTasks`). */
  | { readonly outcome: 'created'; readonly task: string; readonly seq?: number }
  | { readonly outcome: 'duplicate'; readonly task: string }
  | { readonly outcome: 'filtered'; readonly reason: string }
  | { readonly outcome: 'suspended'; readonly reason: string }
  | { readonly outcome: 'over-limit'; readonly reason: string }
  | { readonly outcome: 'queue-full'; readonly reason: string }
  /** The spawner cannot turn it into a Task (bad template, name collision): a retry would not help. */
  | { readonly outcome: 'invalid'; readonly reason: string }
  /**
   * The spawner's template renders a Task that cannot run for this delivery (a branch git
   * refuses): nothing created or recorded, so once the template is fixed the same delivery,
   * sent again, gets its Task.
   */
  | { readonly outcome: 'rejected'; readonly reason: string }
  /** Something transient failed (the API server): the sender should retry. */
  | { readonly outcome: 'failed'; readonly reason: string };

/** What {@link deliverTo} reads and writes. */
export interface DeliverDeps {
  readonly client: KubeClient;
  readonly tasks: Informer<Task>;
  readonly ledgers: Ledgers;
  /** Fetches the spawner's `contextSources` (the poll loop's fetcher); needed only by spawners that have some. */
  readonly context?: ContextFetcher;
}

/** The queue bound of a spawner's webhook Tasks. */
export const webhookQueueLimit = (spawner: TaskSpawner): number =>
  spawner.spec.maxQueuedTasks ?? DEFAULT_WEBHOOK_QUEUE;

/** Tasks of the spawner waiting for room (not admitted, not finished), from the cache's index. */
export const queuedTasks = (tasks: Informer<Task>, spawner: TaskSpawner): number =>
  tasks.countByIndex(TaskIndexes.SpawnerQueue, spawner.metadata.uid ?? '');

/**
 * The durable key of a delivery: the signed body's digest (GitHub), else the sender's delivery
 * id, else (generic) the Task name.
 */
export const deliveryKey = (delivery: Delivery, task: string): string =>
  delivery.contentDigest
    ? `${delivery.source}:sha256:${delivery.contentDigest}`
    : delivery.deliveryId
      ? `${delivery.source}:${delivery.deliveryId}`
      : `task:${task}`;

/** The work item a matched delivery stands for: its id and the matcher's annotations. */
export const deliveryItem = (id: string, annotations: Readonly<Record<string, string>>): WorkItem => ({
  id,
  number: 0,
  title: '',
  body: '',
  url: '',
  labels: [],
  comments: '',
  kind: 'webhook',
  annotations,
});

/** Delivers a matched delivery to one spawner. */
export async function deliverTo(
  deps: DeliverDeps,
  spawner: TaskSpawner,
  delivery: Delivery,
  match: Extract<MatchResult, { matched: true }>,
): Promise<Outcome> {
  const namespace = spawner.metadata.namespace ?? '';
  const item = deliveryItem(match.id, match.annotations);
  const named = taskName(spawner, item, match.vars);
  if (!named.ok) return { outcome: 'invalid', reason: named.error };
  const name = named.value;
  const key = deliveryKey(delivery, name);
  const cached = deps.tasks.get(namespace, name);
  if (cached && belongsTo(cached, spawner)) {
    // Its receiver may have died before confirming: confirm, so a redelivery after the Task's
    // TTL deletion still creates nothing.
    deps.ledgers.confirm(spawner, key);
    return { outcome: 'duplicate', task: name };
  }
  if (spawner.spec.suspend)
    return { outcome: 'suspended', reason: 'the TaskSpawner is suspended; no Task was created' };
  // The Task reconciler would fail the Task at once: refuse before anything is written, so
  // the delivery sent again after the template is fixed gets its Task.
  if (spawner.spec.taskTemplate.workerPoolRef)
    return {
      outcome: 'rejected',
      reason: `TaskSpawner ${namespace}/${spawner.metadata.name}: ${workerPoolUnsupported('spec.taskTemplate')}; no Task was created and the delivery was not recorded: fix the template and have the sender send it again`,
    };
  const limit = webhookQueueLimit(spawner);
  const queued = queuedTasks(deps.tasks, spawner);
  if (queued >= limit) {
    // A full queue drains, a used-up maxTotalTasks does not: tell the sender not to retry.
    let exhausted: Awaited<ReturnType<Ledgers['exhausted']>>;
    try {
      exhausted = await deps.ledgers.exhausted(spawner, key);
    } catch {
      exhausted = undefined;
    }
    if (exhausted)
      return {
        outcome: 'over-limit',
        reason: `maxTotalTasks ${exhausted.max} reached (${exhausted.total} Tasks created); no Task was created and a retry will not create one`,
      };
    return {
      outcome: 'queue-full',
      reason: `${queued} Tasks of the TaskSpawner wait for room under maxConcurrency (maxQueuedTasks ${limit}); retry later`,
    };
  }
  // Context and rendering come before the serial number, so a delivery that cannot become a
  // Task (a context source down, a template that does not render) takes no place under
  // maxTotalTasks.
  let context: Readonly<Record<string, string>> | undefined;
  if ((spawner.spec.taskTemplate.contextSources ?? []).length > 0) {
    if (!deps.context) return { outcome: 'invalid', reason: 'contextSources cannot be fetched here' };
    const fetched = await deps.context(spawner, match.vars);
    // A Fail-policy source that failed fails the delivery (5xx, the sender retries), as any
    // processing error does upstream.
    if (!fetched.ok) return { outcome: 'failed', reason: fetched.error };
    context = fetched.context;
  }
  const built = buildTask(spawner, item, { name, vars: match.vars, ...(context ? { context } : {}) });
  if (!built.ok && built.rejected)
    return {
      outcome: 'rejected',
      reason: `TaskSpawner ${namespace}/${spawner.metadata.name}: ${built.error}; no Task was created and the delivery was not recorded: fix the template and have the sender send it again`,
    };
  if (!built.ok) return { outcome: 'invalid', reason: built.error };
  const task = built.value;
  let r: Awaited<ReturnType<Ledgers['reserve']>>;
  try {
    r = spawner.spec.maxTotalTasks
      ? await deps.ledgers.reserve(spawner, key)
      : await deps.ledgers.check(spawner, key);
  } catch (e) {
    return { outcome: 'failed', reason: `delivery record not written: ${(e as Error).message}` };
  }
  if (r.kind === 'done') return { outcome: 'duplicate', task: name };
  if (r.kind === 'limit')
    return {
      outcome: 'over-limit',
      reason: `maxTotalTasks ${r.max} reached (${r.total} Tasks created); no Task was created and a retry will not create one`,
    };
  // The delivery rides on its Task, so the ledger gets it before the Task can be deleted even
  // if this process dies before its record is written (task-delivery.ts).
  task.metadata.annotations = {
    ...task.metadata.annotations,
    [DELIVERY_ANNOTATION]: entryKey(key),
    ...(r.kind === 'unnumbered' ? {} : { [SEQUENCE_ANNOTATION]: String(r.seq) }),
  };
  try {
    await deps.client.createMetadataOnly(Resources.Task, task);
  } catch (e) {
    if (!isAlreadyExists(e))
      return { outcome: 'failed', reason: `Task not created: ${(e as Error).message}` };
    const existing = await deps.client.get<Task>(Resources.Task, namespace, name).catch(() => undefined);
    if (!existing || !belongsTo(existing, spawner))
      return {
        outcome: 'invalid',
        reason: `Task ${namespace}/${name} exists and is not owned by TaskSpawner ${spawner.metadata.name}`,
      };
    deps.ledgers.confirm(spawner, key);
    return { outcome: 'duplicate', task: name };
  }
  deps.ledgers.confirm(spawner, key);
  return { outcome: 'created', task: name, ...(r.kind === 'unnumbered' ? {} : { seq: r.seq }) };
}
