/**
 * The TaskSpawner reconciler (leader only, like every controller of the operator): one poll
 * loop per polling spawner (`githubIssues`, `githubPullRequests`, `jira`, `cron`) inside the
 * operator process. `reconcile(key)` walks a checklist:
 *
 * 1. Gone → forget its poller and memory. Webhook kinds → status only (their receiver
 *    creates the Tasks; the caps hold through the same gate).
 * 2. Suspended → no discovery, no creates; status `Suspended`; reports still go out.
 * 3. Discovery when due (every `pollInterval`, at once after a spec change or a restart);
 *    between polls, a Task event re-plans over the items of the last discovery, so a slot
 *    freed under `maxTotalTasks` or the queue bound is filled without a GitHub call. A rate
 *    limit moves the next poll to the time GitHub gave.
 * 4. Plan ({@link planSpawn}, pure) and carry it out ({@link applyPlan}): create, retrigger,
 *    withdraw. Each created Task carries its serial number, so `status.totalTasksCreated` is
 *    the highest of (status, the serials of the spawner's Tasks, this process's count): a
 *    crash between a create and the status write loses no count, and `maxTotalTasks` holds.
 * 5. Status (phase, activeTasks and queuedItems, totalTasksCreated, totalDiscovered, lastDiscoveryTime — the
 *    cron watermark, moved only past ticks whose Task exists — conditions, observedGeneration).
 * 6. Reporting back to GitHub for Tasks whose reported phase is behind.
 *
 * `maxConcurrency` is not enforced here: the Task reconciler's spawner gate admits queued
 * Tasks (see `task/spawner-gate.ts`), one mechanism for every path.
 *
 * @packageDocumentation
 */
import { Labels, type Task, type TaskSpawner, workerPoolUnsupported } from '../../api/index.ts';
import { rfc3339 } from '../../kube/clock.ts';
import { Checklist } from '../../kube/log.ts';
import type { ReconcileResult, WorkQueue } from '../../kube/queue.ts';
import type { CallCounts } from '../spawner/github-client.ts';
import { belongsTo } from '../spawner/ownership.ts';
import { countActive, planSpawn, type SpawnPlan } from '../spawner/plan.ts';
import { taskName } from '../spawner/task-build.ts';
import type { WorkItem } from '../spawner/work-item.ts';
import { TaskIndexes } from './task/watch.ts';
import { type Applied, applyPlan } from './task-spawner/create.ts';
import {
  decideFailureLog,
  type FailureLog,
  POLL_RECOVERED_REASON,
  type PollFailures,
  pollFailed,
  pollRecoveredNote,
} from './task-spawner/failure-log.ts';
import {
  CREDENTIALS_RECHECK_MS,
  credentialsBackoffMs,
  pollIntervalMs,
  pollingKind,
  SEQUENCE_ANNOTATION,
  SPAWNER_CONTROLLER,
  spawnerName,
  type TaskSpawnerReconcilerOptions,
  workspaceNameOf,
} from './task-spawner/options.ts';
import { needsReport, report } from './task-spawner/reporting.ts';
import { reportToSlack } from './task-spawner/slack-reporting.ts';
import { type Polled, Pollers, SourceSetupError } from './task-spawner/source.ts';
import {
  nextStatus,
  type PassOutcome,
  SLACK_DISCONNECTED,
  writeSpawnerStatus,
} from './task-spawner/status.ts';
import { registerSpawnerWatches } from './task-spawner/watch.ts';

export { SPAWNER_CONTROLLER, type TaskSpawnerReconcilerOptions } from './task-spawner/options.ts';

/** What this process remembers about a spawner between passes (a cache; the truth is in the API). */
interface Memory {
  readonly uid: string;
  generation: number | undefined;
  /** Serial number of the last Task this process created for it. */
  lastSeq: number;
  items?: readonly WorkItem[];
  exhaustive: boolean;
  /** Pages the last discovery's listing took. */
  pages?: number;
  /**
   * Queued Tasks the last complete discovery did not find. When the listing takes several
   * pages, a Task is withdrawn only when two complete discoveries in a row miss its item:
   * the list can change between its page reads, and an item that moved onto a page already
   * read is missing from that one listing only.
   */
  unfound?: ReadonlySet<string>;
  discovered?: number;
  nextPollAt: number;
  lastDiscoveryTime?: Date;
  /** Cron: the watermark once every cached tick's Task exists. */
  watermark?: Date;
  problem?: { reason: string; message: string };
  setupError?: string;
  /** Message of the last creation-problem Event, so a re-plan does not repeat it. */
  lastEvent?: string;
  /** The failure its reconciles keep meeting, so the log says it once per while, not per retry. */
  failureLog?: FailureLog;
  /** Polls that failed since the last good one, for the Event the next good one records. */
  pollFailures?: PollFailures;
  /**
   * Jira refused the credentials this many polls in a row, with the poller built from the
   * Secret version `fingerprint` names: polls wait longer each time, until a success, a new
   * spec or a changed Secret.
   */
  credentialsRefused?: { failures: number; fingerprint: string };
}

/** How soon a webhook spawner whose setup is at fault is looked at again. */
export const WEBHOOK_SETUP_RECHECK_MS = 15_000;

/**
 * The source requests of one discovery by HTTP status, as ` (HTTP 200 ×2, 304 ×1)`, for the
 * discovery step; nothing for a source that made none (cron), where `({})` read as noise.
 */
export const describeCalls = (calls: Readonly<CallCounts>): string => {
  const parts = Object.entries(calls)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${code} ×${n}`);
  return parts.length ? ` (HTTP ${parts.join(', ')})` : '';
};

const sequenceOf = (t: Task): number => Number(t.metadata.annotations?.[SEQUENCE_ANNOTATION]) || 0;

type PollingKind = NonNullable<ReturnType<typeof pollingKind>>;

/** The spawner's Tasks as the caches show them when a pass starts. */
interface Counted {
  /** Tasks that carry its label or that it controls (its own and name collisions). */
  readonly existing: readonly Task[];
  /** The ones that belong to it. */
  readonly mine: readonly Task[];
  /** Tasks created so far: the highest of its status, its Tasks' serials and this process's count. */
  readonly total: number;
  /** Admitted and not finished: what maxConcurrency counts. */
  readonly active: number;
  /** Not finished and not admitted: waiting for a place. */
  readonly queued: number;
}

/** Reconciles TaskSpawners. */
export class TaskSpawnerReconciler {
  readonly #o: TaskSpawnerReconcilerOptions;
  readonly #pollers: Pollers;
  readonly #memory = new Map<string, Memory>();

  constructor(opts: TaskSpawnerReconcilerOptions) {
    this.#o = opts;
    this.#pollers = new Pollers(opts);
  }

  /** GitHub clients its pollers hold (see {@link Pollers.githubClients}). */
  get githubClients(): number {
    return this.#pollers.githubClients;
  }

  /** Maps spawner, Task and Workspace events to spawner keys on `queue`. */
  register(queue: WorkQueue): void {
    registerSpawnerWatches(this.#o, queue);
    // A spawner applied before its Workspace (one `kubectl apply -f dir/`, files in name order)
    // polls as soon as the Workspace appears, not at its next retry up to 30 s later, showing
    // Failed meanwhile.
    this.#o.caches.workspaces.onChange((type, _key, workspace) => {
      if (type !== 'add') return;
      const namespace = workspace.metadata.namespace ?? '';
      for (const spawner of this.#o.caches.spawners.list(namespace)) {
        if (workspaceNameOf(spawner) !== workspace.metadata.name) continue;
        const key = `${namespace}/${spawner.metadata.name}`;
        const mem = this.#memory.get(key);
        if (mem?.setupError === undefined) continue;
        mem.nextPollAt = 0;
        queue.add(key);
      }
    });
  }

  /** Reconciles the spawner under `key` (`namespace/name`). */
  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const log = this.#o.log.child({ controller: SPAWNER_CONTROLLER, key });
    const spawner = this.#o.caches.spawners.getByKey(key);
    const known = this.#memory.get(key);
    if (!spawner || (known && known.uid !== spawner.metadata.uid)) {
      if (known) this.#pollers.forget(known.uid);
      this.#memory.delete(key);
      if (!spawner) return undefined;
    }
    const list = new Checklist();
    try {
      const result = await this.#reconcile(key, spawner, list);
      const mem = this.#memory.get(key);
      // A pass between polls, or a Secret that could not be read, tries nothing that failed:
      // the failure is not over until the status no longer holds it.
      const untried =
        list.failures.length === 0 && (mem?.setupError !== undefined || mem?.problem !== undefined);
      const d = untried
        ? { level: undefined, next: mem?.failureLog }
        : decideFailureLog(mem?.failureLog, list.failures, list.notable, this.#o.clock.now());
      if (mem) mem.failureLog = d.next;
      const fields = { steps: list.steps, requeueAfterMs: result?.requeueAfterMs, ...d.fields };
      log[d.level ?? list.level()]('Reconciled TaskSpawner', fields);
      return result;
    } catch (err) {
      log.error('Reconcile of TaskSpawner failed', { steps: list.steps, error: err });
      throw err;
    }
  }

  /** The checklist of the file header; each step is the method of its name. */
  async #reconcile(key: string, spawner: TaskSpawner, list: Checklist): Promise<ReconcileResult | undefined> {
    if (spawner.metadata.deletionTimestamp) return undefined;
    const mem = this.#memoryOf(key, spawner);
    const counted = this.#count(spawner, mem);
    const kind = pollingKind(spawner);
    // 1–2. Webhook kinds and suspended spawners: no discovery, status and reports only.
    if (!kind || spawner.spec.suspend) return this.#withoutDiscovery(spawner, mem, kind, counted, list);
    // 3. Discovery when due.
    const fresh = await this.#discoverIfDue(spawner, mem, kind, list);
    // 4. Plan and carry it out, over the items of the last discovery.
    const applied = await this.#spawn(spawner, mem, kind, counted, fresh, list);
    // 5. Status.
    await this.#writeStatus(spawner, mem, this.#spawnOutcome(spawner, mem, counted, applied), list);
    // 6. Reporting.
    await this.#report(spawner, counted.mine, list);
    const wait = mem.nextPollAt - this.#o.clock.now();
    return {
      requeueAfterMs: Math.max(1_000, mem.credentialsRefused ? Math.min(wait, CREDENTIALS_RECHECK_MS) : wait),
    };
  }

  /** The memory of the spawner under `key`; a new spec forgets what the old one discovered. */
  #memoryOf(key: string, spawner: TaskSpawner): Memory {
    let mem = this.#memory.get(key);
    if (!mem) {
      mem = {
        uid: spawner.metadata.uid ?? '',
        generation: spawner.metadata.generation,
        lastSeq: 0,
        exhaustive: false,
        nextPollAt: 0,
      };
      this.#memory.set(key, mem);
    }
    if (mem.generation !== spawner.metadata.generation) {
      // A new spec: poll at once, plan nothing from the old spec's items.
      mem.generation = spawner.metadata.generation;
      mem.items = undefined;
      mem.unfound = undefined;
      mem.nextPollAt = 0;
    }
    return mem;
  }

  /** The spawner's Tasks from the caches, counted before this pass changes anything. */
  #count(spawner: TaskSpawner, mem: Memory): Counted {
    const { namespace } = spawnerName(spawner);
    const existing = this.#tasksOf(spawner);
    const mine = existing.filter((t) => belongsTo(t, spawner));
    const total = mine.reduce(
      (m, t) => Math.max(m, sequenceOf(t)),
      Math.max(spawner.status?.totalTasksCreated ?? 0, mem.lastSeq),
    );
    // activeTasks counts what maxConcurrency counts (admitted, not finished); the Tasks waiting
    // for a place are queuedItems, so a cap of 1 with four waiting reads `1 active, 4 queued`.
    const { admitted, queued } = countActive(
      mine,
      (n) => this.#o.caches.jobs.get(namespace, n) !== undefined,
    );
    return { existing, mine, total, active: admitted, queued };
  }

  /** Steps 1–2 for a webhook or suspended spawner: its setup, status and reports. */
  async #withoutDiscovery(
    spawner: TaskSpawner,
    mem: Memory,
    kind: PollingKind | undefined,
    counted: Counted,
    list: Checklist,
  ): Promise<ReconcileResult | undefined> {
    const { suspend } = spawner.spec;
    list.step(suspend ? 'Suspended: no discovery' : 'Not a polling source: status only');
    const setup = kind || suspend ? undefined : await this.#webhookSetup(spawner, mem, list);
    this.#slackConnection(spawner, mem, list);
    const maxTotal = spawner.spec.maxTotalTasks ?? 0;
    await this.#writeStatus(
      spawner,
      mem,
      {
        active: counted.active,
        queued: counted.queued,
        totalCreated: counted.total,
        suspended: !!suspend,
        maxTotalReached: maxTotal > 0 && counted.total >= maxTotal,
        ...(mem.setupError !== undefined && !suspend && { setupError: mem.setupError }),
        ...(mem.problem && { problem: mem.problem }),
      },
      list,
    );
    await this.#report(spawner, counted.mine, list);
    // The operator watches no Secrets: a fixed Secret is seen on the next look.
    return setup ? { requeueAfterMs: WEBHOOK_SETUP_RECHECK_MS } : undefined;
  }

  /**
   * Step 3: polls the source when its time has come (at once when new: `nextPollAt` 0; a
   * failed setup or a rate limit waits its turn). Whether this pass discovered items.
   */
  async #discoverIfDue(
    spawner: TaskSpawner,
    mem: Memory,
    kind: PollingKind,
    list: Checklist,
  ): Promise<boolean> {
    const now = this.#o.clock.now();
    if (now < mem.nextPollAt && mem.credentialsRefused && (await this.#secretChanged(spawner, mem)))
      mem.nextPollAt = now;
    if (now < mem.nextPollAt) return false;
    const polled = await this.#poll(spawner, mem, kind, now, list);
    return polled?.discovery.kind === 'items';
  }

  /**
   * Step 4: plans over the items of the last discovery and carries the plan out; counts what
   * it did in the metrics, with one Event per new problem, and moves the cron watermark.
   * Nothing before a discovery found items.
   */
  async #spawn(
    spawner: TaskSpawner,
    mem: Memory,
    kind: PollingKind,
    counted: Counted,
    fresh: boolean,
    list: Checklist,
  ): Promise<Applied | undefined> {
    if (!mem.items) return undefined;
    const o = this.#o;
    const { namespace, name } = spawnerName(spawner);
    const plan = this.#plan(spawner, mem, mem.items, counted, fresh);
    list.step(
      `Plan: ${plan.create.length} to create, ${plan.retrigger.length} to retrigger, ${plan.withdraw.length} to withdraw, ${plan.counts.deferred} deferred (${plan.counts.discovered} items, ${plan.counts.admitted} admitted, ${plan.counts.queued} queued)`,
    );
    const upstream =
      kind === 'githubIssues' || kind === 'githubPullRequests'
        ? this.#pollers.githubRepoOf(spawner.metadata.uid ?? '')
        : undefined;
    const applied = await applyPlan(o, spawner, plan, counted.total, upstream, list);
    mem.lastSeq = Math.max(mem.lastSeq, applied.lastSequence);
    if (applied.created.length)
      o.metrics?.spawnerTasksCreated.inc({ namespace, spawner: name }, applied.created.length);
    for (const e of applied.errors)
      o.metrics?.spawnerErrors.inc({ namespace, spawner: name, reason: e.reason });
    const last = applied.errors[applied.errors.length - 1];
    // Re-plans between polls meet the same collision again: one Event per new problem.
    if (last && last.message !== mem.lastEvent)
      o.events.record(spawner, 'Warning', last.reason, last.message, 'Spawn');
    mem.lastEvent = last?.message;
    if (kind === 'cron') this.#advanceWatermark(spawner, mem, counted.existing, applied);
    return applied;
  }

  /**
   * The plan of this pass. Withdrawals need a fresh, exhaustive discovery; over several pages,
   * two in a row that miss the item (see {@link Memory.unfound}).
   */
  #plan(
    spawner: TaskSpawner,
    mem: Memory,
    items: readonly WorkItem[],
    counted: Counted,
    fresh: boolean,
  ): SpawnPlan {
    const { namespace } = spawnerName(spawner);
    const plan = planSpawn({
      spawner: { ...spawner, status: { ...spawner.status, totalTasksCreated: counted.total } },
      items,
      exhaustive: fresh && mem.exhaustive,
      existing: counted.existing,
      hasJob: (task) => this.#o.caches.jobs.get(namespace, task) !== undefined,
    });
    if (!fresh) return plan;
    const before = mem.unfound;
    mem.unfound = new Set(plan.withdraw.map((t) => t.metadata.name ?? ''));
    if ((mem.pages ?? 1) <= 1) return plan;
    return { ...plan, withdraw: plan.withdraw.filter((t) => before?.has(t.metadata.name ?? '')) };
  }

  /** Step 5's outcome of a polling spawner's pass, from the counts and what the plan did. */
  #spawnOutcome(
    spawner: TaskSpawner,
    mem: Memory,
    counted: Counted,
    applied: Applied | undefined,
  ): PassOutcome {
    const total = Math.max(counted.total, applied?.lastSequence ?? 0);
    const maxTotal = spawner.spec.maxTotalTasks ?? 0;
    const createdNotCached = (applied?.created ?? []).filter(
      (n) => !counted.existing.some((t) => t.metadata.name === n),
    );
    const problem = applied?.errors.length ? applied.errors[applied.errors.length - 1] : mem.problem;
    return {
      suspended: false,
      active: counted.active,
      // Created this pass: queued until the Task reconciler admits them.
      queued: counted.queued + createdNotCached.length,
      totalCreated: total,
      maxTotalReached: maxTotal > 0 && total >= maxTotal,
      ...(problem ? { problem } : {}),
      ...(mem.setupError ? { setupError: mem.setupError } : {}),
    };
  }

  /** Whether the Secret of a spawner backing off from refused credentials has changed since. */
  async #secretChanged(spawner: TaskSpawner, mem: Memory): Promise<boolean> {
    try {
      return (await this.#pollers.get(spawner)).fingerprint !== mem.credentialsRefused?.fingerprint;
    } catch {
      // The Secret is gone or unreadable: the poll says so now rather than in an hour.
      return true;
    }
  }

  /** Tasks in the spawner's namespace that carry its label or that it controls. */
  #tasksOf(spawner: TaskSpawner): Task[] {
    const { tasks } = this.#o.caches;
    const { namespace, name } = spawnerName(spawner);
    const byName = new Map<string, Task>();
    for (const t of tasks.byIndex(TaskIndexes.Spawner, spawner.metadata.uid ?? ''))
      byName.set(t.metadata.name ?? '', t);
    for (const t of tasks.list(namespace)) {
      if (t.metadata.labels?.[Labels.TaskSpawner] === name) byName.set(t.metadata.name ?? '', t);
    }
    return [...byName.values()];
  }

  async #poll(
    spawner: TaskSpawner,
    mem: Memory,
    kind: string,
    now: number,
    list: Checklist,
  ): Promise<Polled | undefined> {
    const o = this.#o;
    const { namespace, name } = spawnerName(spawner);
    const interval = pollIntervalMs(spawner);
    let polled: Polled;
    let fingerprint: string;
    try {
      // A template that names a WorkerPool would give one Task per tick or poll, each failed at
      // once by the Task reconciler: a setup error instead, as a missing Workspace is.
      if (spawner.spec.taskTemplate.workerPoolRef)
        throw new SourceSetupError(workerPoolUnsupported('spec.taskTemplate'));
      const poller = await this.#pollers.get(spawner);
      polled = await poller.poll(spawner, new Date(now));
      mem.setupError = undefined;
      fingerprint = poller.fingerprint;
    } catch (e) {
      const message =
        e instanceof SourceSetupError ? e.message : `cannot set up the source: ${(e as Error).message}`;
      mem.setupError = message;
      mem.pollFailures = pollFailed(mem.pollFailures, 'SetupFailed', now);
      mem.nextPollAt = now + Math.min(interval, 30_000);
      list.fail(`Source not ready: ${message}`);
      o.metrics?.spawnerErrors.inc({ namespace, spawner: name, reason: 'SetupFailed' });
      o.events.record(spawner, 'Warning', 'SetupFailed', message, 'Discover');
      return undefined;
    }
    const d = polled.discovery;
    const source = kind === 'jira' ? 'jira' : kind === 'cron' ? '' : 'github';
    if (source)
      for (const [code, n] of Object.entries(d.calls))
        o.metrics?.spawnerSourceRequests.inc({ source, code }, n);
    if (d.kind === 'items') {
      mem.items = d.items;
      mem.exhaustive = polled.exhaustive;
      mem.pages = d.pages;
      mem.discovered = d.items.length;
      mem.lastDiscoveryTime = new Date(now);
      if (polled.watermark) mem.watermark = polled.watermark;
      mem.problem = undefined;
      mem.credentialsRefused = undefined;
      mem.nextPollAt = polled.nextTick ? polled.nextTick.getTime() : now + interval;
      o.metrics?.spawnerDiscoveries.inc({ namespace, spawner: name, result: 'ok' });
      o.metrics?.spawnerItems.inc({ namespace, spawner: name }, d.items.length);
      list.step(`Discovered ${d.items.length} item(s)${describeCalls(d.calls)}`);
      if (mem.pollFailures) {
        const note = pollRecoveredNote(mem.pollFailures, d.items.length);
        o.events.record(spawner, 'Normal', POLL_RECOVERED_REASON, note, 'Discover');
        mem.pollFailures = undefined;
      }
      if (polled.droppedTicks) {
        const note = `${polled.droppedTicks} tick(s) older than the catch-up bound were skipped`;
        list.fail(`Cron ticks dropped: ${note}`);
        o.events.record(spawner, 'Warning', 'CronTicksDropped', note, 'Discover');
      }
    } else if (d.kind === 'rate-limited') {
      mem.problem = { reason: 'RateLimited', message: d.message };
      mem.pollFailures = pollFailed(mem.pollFailures, 'RateLimited', now);
      mem.nextPollAt = Math.max(d.retryAt.getTime(), now + 1_000);
      o.metrics?.spawnerDiscoveries.inc({ namespace, spawner: name, result: 'rate_limited' });
      o.metrics?.spawnerErrors.inc({ namespace, spawner: name, reason: 'RateLimited' });
      o.events.record(spawner, 'Warning', 'RateLimited', d.message, 'Discover');
      list.fail(`Rate limited until ${d.retryAt.toISOString()}`);
    } else {
      let message = d.message;
      mem.pollFailures = pollFailed(mem.pollFailures, 'DiscoveryFailed', now);
      mem.nextPollAt = now + interval;
      if (kind === 'jira' && (d.status === 401 || d.status === 403)) {
        const before = mem.credentialsRefused;
        const failures = before?.fingerprint === fingerprint ? before.failures + 1 : 1;
        mem.credentialsRefused = { failures, fingerprint };
        mem.nextPollAt = now + credentialsBackoffMs(interval, failures);
        message += `; next attempt at ${new Date(mem.nextPollAt).toISOString()} (refusal ${failures} in a row: the wait doubles up to 1h, as each refused login counts towards a Jira account lock; a change to the Secret is tried within ${CREDENTIALS_RECHECK_MS / 1000}s)`;
      } else {
        mem.credentialsRefused = undefined;
      }
      mem.problem = { reason: 'DiscoveryFailed', message };
      o.metrics?.spawnerDiscoveries.inc({ namespace, spawner: name, result: 'error' });
      o.metrics?.spawnerErrors.inc({ namespace, spawner: name, reason: 'DiscoveryFailed' });
      o.events.record(spawner, 'Warning', 'DiscoveryFailed', d.message, 'Discover');
      list.fail(`Discovery failed: ${message}`);
    }
    return polled;
  }

  /**
   * Cron: the watermark moves past every tick whose Task exists, and stops before the first
   * that does not (deferred by a cap, or its create failed), so a restart repeats no tick and
   * skips none. Handled ticks leave the memory: a Task deleted later is not created again.
   */
  #advanceWatermark(spawner: TaskSpawner, mem: Memory, existing: readonly Task[], applied: Applied): void {
    const present = new Set([
      ...existing.map((t) => t.metadata.name ?? ''),
      ...applied.created,
      ...applied.duplicates,
    ]);
    const pending = (mem.items ?? []).filter((item) => {
      const n = taskName(spawner, item);
      return !n.ok || !present.has(n.value);
    });
    const first = pending[0]?.time;
    const mark = first ? new Date(first.getTime() - 1) : mem.watermark;
    const stored = Date.parse(spawner.status?.lastDiscoveryTime ?? '') || 0;
    if (mark && mark.getTime() > stored) mem.lastDiscoveryTime = mark;
    else mem.lastDiscoveryTime = undefined;
    mem.items = pending;
  }

  /**
   * Whether a webhook spawner's deliveries can be verified: a missing Secret or key otherwise
   * shows only as 401s to the sender and an Event per refused delivery, while `kubectl get ts`
   * says Running. Sets `mem.setupError` (phase Failed) until the setup is fixed; an API error
   * leaves it as it was.
   */
  async #webhookSetup(
    spawner: TaskSpawner,
    mem: Memory,
    list: Checklist,
  ): Promise<{ problem: string; transient?: boolean } | undefined> {
    const o = this.#o;
    // Its receiver refuses every delivery for such a template (deliver.ts): say so here too.
    const setup = spawner.spec.taskTemplate.workerPoolRef
      ? { problem: workerPoolUnsupported('spec.taskTemplate') }
      : await o.webhookSetup?.(spawner);
    if (setup?.transient) {
      list.step(`Webhook setup not checked: ${setup.problem}`);
      return setup;
    }
    const message = setup?.problem;
    if (message && message !== mem.setupError) {
      const { namespace, name } = spawnerName(spawner);
      o.metrics?.spawnerErrors.inc({ namespace, spawner: name, reason: 'SetupFailed' });
      o.events.record(spawner, 'Warning', 'SetupFailed', message, 'Receive');
    }
    if (message) list.fail(`Webhook not ready: ${message}`);
    mem.setupError = message;
    return setup;
  }

  /**
   * Whether a Slack spawner can receive: the operator's Socket Mode connection (this replica's,
   * which leads) may be down, and "Running, Receiving Slack messages" then told a lie. Sets
   * `mem.problem` (reason {@link SLACK_DISCONNECTED}, phase stays Running: the client
   * redials) while it is down, with an Event when it goes down or its failure changes and one
   * when it is back; the client's state change enqueues every Slack spawner.
   */
  #slackConnection(spawner: TaskSpawner, mem: Memory, list: Checklist): void {
    const o = this.#o;
    const state =
      spawner.spec.when.slack && !spawner.spec.suspend && mem.setupError === undefined
        ? o.slackConnection?.()
        : undefined;
    const down = state && !state.connected && state.lastError !== undefined ? state : undefined;
    const message = down
      ? `no Slack message reaches this spawner: the operator's Socket Mode connection is down since ${rfc3339(down.since)}, redialling with backoff; last try: ${down.lastError}`
      : undefined;
    const was = mem.problem?.reason === SLACK_DISCONNECTED ? mem.problem : undefined;
    const { namespace, name } = spawnerName(spawner);
    if (message && message !== was?.message) {
      o.metrics?.spawnerErrors.inc({ namespace, spawner: name, reason: SLACK_DISCONNECTED });
      o.events.record(spawner, 'Warning', SLACK_DISCONNECTED, message, 'Receive');
    } else if (!message && was && state?.connected)
      o.events.record(
        spawner,
        'Normal',
        'SlackConnected',
        "The operator's Socket Mode connection is back",
        'Receive',
      );
    if (down) list.fail(`Slack not connected: ${down.lastError}`);
    mem.problem = message ? { reason: SLACK_DISCONNECTED, message } : undefined;
  }

  async #writeStatus(spawner: TaskSpawner, mem: Memory, p: PassOutcome, list: Checklist): Promise<void> {
    const outcome: PassOutcome = {
      ...p,
      ...(mem.discovered !== undefined ? { discovered: mem.discovered } : {}),
      ...(mem.lastDiscoveryTime ? { lastDiscoveryTime: mem.lastDiscoveryTime } : {}),
    };
    await writeSpawnerStatus(this.#o, spawner, nextStatus(spawner, outcome, this.#o.clock.now()), list);
  }

  async #report(spawner: TaskSpawner, mine: readonly Task[], list: Checklist): Promise<void> {
    const o = this.#o;
    const { namespace, name } = spawnerName(spawner);
    const failed = (e: string) => {
      list.fail(`Reporting failed: ${e}`);
      o.metrics?.spawnerErrors.inc({ namespace, spawner: name, reason: 'ReportingFailed' });
      o.events.record(spawner, 'Warning', 'ReportingFailed', e, 'Report');
    };
    if (spawner.spec.when.slack) for (const e of await reportToSlack(o, mine, list)) failed(e);
    const due = mine.filter(needsReport);
    if (due.length === 0) return;
    let github: Awaited<ReturnType<Pollers['get']>>['github'];
    try {
      github = (await this.#pollers.get(spawner)).github;
    } catch (e) {
      list.step(`Reporting skipped: ${(e as Error).message}`);
      return;
    }
    if (!github) return;
    github.client.calls = {};
    const r = await report(o, spawner, due, github, list);
    for (const [code, n] of Object.entries(github.client.calls))
      o.metrics?.spawnerSourceRequests.inc({ source: 'github', code }, n);
    for (const e of r.errors) failed(e);
  }
}
