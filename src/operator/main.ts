/**
 * Wiring of the operator: one client, one informer per kind, one work queue per controller,
 * optional leader election, metrics and health endpoints. `kelos operator` (src/cli) parses
 * flags into {@link OperatorOptions} and calls {@link Operator.start}; tests and the bench
 * start operators in-process the same way.
 *
 * Start-up order matters: queues start only after every informer has synced (gates such as
 * branch serialization must see every Task before deciding), and, with leader election, only
 * while this replica leads. Standbys keep their caches warm so a takeover is immediate.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type AgentConfig,
  KELOS_CONFIG_NAME,
  type KelosConfig,
  Labels,
  MANAGED_BY,
  type Task,
  type TaskBudget,
  type TaskRecord,
  type TaskSpawner,
  type Workspace,
} from '../api/index.ts';
import { forbiddenRequestFields } from '../install/rbac.ts';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  HttpKubeClient,
  isNamespaceTerminating,
  type RequestObserver,
  WRITE_VERBS,
} from '../kube/client.ts';
import { type Clock, systemClock } from '../kube/clock.ts';
import { delegatedAuthorizer, type MetricsAuthorizer } from '../kube/delegated-auth.ts';
import { EventRecorder } from '../kube/events.ts';
import { type EndpointServer, parseAddress, type ReadinessCheck, serveEndpoints } from '../kube/http.ts';
import { Informer, keyOf } from '../kube/informer.ts';
import { DEFAULT_RENEW_DEADLINE_MS, LeaderElector } from '../kube/leader-election.ts';
import { type Logger, silentLogger } from '../kube/log.ts';
import { WorkQueue } from '../kube/queue.ts';
import { type AdminConfig, mayUseClusterSecret, resolveAdminConfig } from './admin-config.ts';
import { BudgetStates } from './budget-state.ts';
import { type CachedJob, type CachedPod, trimJob, trimPod } from './children.ts';
import { OperatorMetrics, requestResource } from './metrics.ts';
import {
  readCertificateDir,
  selfSignedMetricsCertificate,
  warnAboutCertificate,
  watchCertificateDir,
} from './metrics-tls.ts';
import { DEFAULT_CACHE_SYNC_TIMEOUT_MS, DEFAULT_WORKERS, type OperatorOptions } from './options.ts';
import { spawnerFetches } from './outbound.ts';
import { AgentNetworkReconciler, NETWORK_CONTROLLER } from './reconcilers/agent-network.ts';
import { addTaskIndexes, TASK_CONTROLLER, type TaskCaches, TaskReconciler } from './reconcilers/task.ts';
import { TASK_BUDGET_CONTROLLER, TaskBudgetReconciler } from './reconcilers/task-budget.ts';
import { TASK_RECORD_CONTROLLER, TaskRecordReconciler } from './reconcilers/task-record.ts';
import { contextFetcher } from './reconcilers/task-spawner/context-fetch.ts';
import type { TaskSpawnerReconcilerOptions } from './reconcilers/task-spawner/options.ts';
import { Pollers } from './reconcilers/task-spawner/source.ts';
import { SPAWNER_CONTROLLER, TaskSpawnerReconciler } from './reconcilers/task-spawner.ts';
import { FIELD_MANAGER, REPORTING_CONTROLLER, Resources } from './resources.ts';
import { taskRuntime } from './runtime.ts';
import { watchedNamespacesFence } from './watched-namespaces.ts';
import { githubEnricher } from './webhook/enrich.ts';
import { linearLabelFetcher } from './webhook/linear-api.ts';
import { WebhookReceiver } from './webhook/receiver.ts';
import { SecretCache } from './webhook/secrets.ts';
import type { SlackSocketClient } from './webhook/slack-socket.ts';
import { startSlack } from './webhook/slack-start.ts';
import { NO_RECEIVER, webhookSetupCheck } from './webhook/verify.ts';

/** RBAC rules the operator needs (the table lives in `src/install`, which renders the install). */
export { OPERATOR_RBAC_RULES } from '../install/rbac.ts';

/** Label selector of the Jobs and Pods the operator watches. */
export const OWNED_SELECTOR = `${Labels.ManagedBy}=${MANAGED_BY}`;

/**
 * Connections of the elector's own client: its GET and PATCH of the Lease, one at a time, and a
 * spare. Its own, so a renewal never queues behind the workload (watches hold connections for
 * minutes, a burst of reconciles takes the rest) past the renew deadline.
 */
export const LEASE_SOCKETS = 2;

/**
 * Connections of the Event client. Events go out in the background, up to
 * `MAX_EVENTS_IN_FLIGHT` at once; on a pool of their own they wait for each other, not
 * ahead of a reconcile's reads and writes.
 */
export const EVENT_SOCKETS = 8;

/**
 * Connections of the shared pool beyond one per worker and per watch: the informers' relists
 * after a watch ends, and the reads made outside a queue (the network reconciler's API server
 * addresses, the webhook setup check's Secrets).
 */
export const SPARE_SOCKETS = 8;

/**
 * Waits for every list to complete, the stop signal, or the timeout (0: none), whichever
 * comes first.
 */
async function untilSynced(
  lists: readonly Promise<unknown>[],
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<'synced' | 'stopped' | 'timeout'> {
  const synced = Promise.all(lists).then(() => 'synced' as const);
  synced.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    if (signal?.aborted) resolve('stopped');
    onAbort = () => resolve('stopped');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (timeoutMs > 0) timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([synced, stopped, timedOut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** What changes after start: whether this replica leads, and the Slack client once started. */
interface Live {
  leading: boolean;
  slack: SlackSocketClient | undefined;
}

/** What {@link Operator.start}'s steps share: the options, the clients and the caches. */
interface Startup {
  readonly opts: OperatorOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly workers: number;
  readonly namespaces: string[] | undefined;
  readonly live: Live;
  /** Whether the webhook receiver (and Slack, which takes its path) runs. */
  readonly webhookOn: boolean;
  /** The workload's client, fenced to the leader; its pool is sized by the controllers step. */
  readonly client: HttpKubeClient;
  readonly eventClient: HttpKubeClient;
  readonly caches: TaskCaches;
  readonly configs: Informer<KelosConfig>;
  readonly admin: () => AdminConfig;
}

/** The controllers step's product, for the steps after it. */
interface Controllers {
  readonly metrics: OperatorMetrics;
  readonly countRequest: RequestObserver;
  readonly onError: (source: 'client' | 'handler', err: unknown) => void;
  readonly identity: string;
  readonly events: EventRecorder;
  readonly queues: Record<string, WorkQueue>;
  readonly spawnerQueue: WorkQueue;
  readonly spawnerOptions: TaskSpawnerReconcilerOptions;
  readonly enrichPollers: Pollers | undefined;
  /** Compiles validators and render templates while the lists are in flight. */
  readonly warmUp: () => void;
  /** Queues every cached object: what changed while this replica was standby. */
  readonly catchUp: () => void;
}

/** A running operator. */
export class Operator {
  readonly client: HttpKubeClient;
  readonly caches: TaskCaches;
  readonly metrics: OperatorMetrics;
  readonly queues: Readonly<Record<string, WorkQueue>>;
  readonly elector: LeaderElector | undefined;
  readonly events: EventRecorder;
  /** The KelosConfig objects (the operator uses the one named `kelos`). */
  readonly configs: Informer<KelosConfig>;
  readonly #log: Logger;
  readonly #servers: EndpointServer[] = [];
  #receiver: WebhookReceiver | undefined;
  #receiverClient: HttpKubeClient | undefined;
  /** The Event client and the elector's, closed with {@link Operator.client}. */
  readonly #ownClients: HttpKubeClient[] = [];
  /** The client of /metrics' token and access reviews, when `metricsAuth` is kubernetes. */
  #metricsAuthClient: HttpKubeClient | undefined;
  /** Stops re-reading a mounted metrics certificate. */
  #stopCertWatch: (() => void) | undefined;
  #slack: SlackSocketClient | undefined;
  #webhookAddress: string | undefined;
  #synced = false;
  #stopped = false;

  private constructor(
    client: HttpKubeClient,
    caches: TaskCaches,
    metrics: OperatorMetrics,
    queues: Record<string, WorkQueue>,
    elector: LeaderElector | undefined,
    events: EventRecorder,
    log: Logger,
    configs: Informer<KelosConfig>,
  ) {
    this.configs = configs;
    this.client = client;
    this.caches = caches;
    this.metrics = metrics;
    this.queues = queues;
    this.elector = elector;
    this.events = events;
    this.#log = log;
  }

  /** Connects, starts informers and endpoints, and resolves once caches are synced. */
  static async start(opts: OperatorOptions): Promise<Operator> {
    const s = Operator.#caches(opts);
    const c = Operator.#controllers(s);
    let operator: Operator | undefined;
    const resumeIfReady = () => {
      // biome-ignore lint/complexity/useOptionalChain: TypeScript forbids `?.` before a private field.
      if (!operator || !operator.#synced || !s.live.leading || operator.#stopped) return;
      for (const q of Object.values(c.queues)) q.resume();
    };
    const { elector, electorClient } = Operator.#elector(s, c, resumeIfReady);
    operator = new Operator(s.client, s.caches, c.metrics, c.queues, elector, c.events, s.log, s.configs);
    operator.#ownClients.push(s.eventClient, ...(electorClient ? [electorClient] : []));
    await Operator.#endpoints(s, c, operator, elector);
    if (!(await Operator.#sync(s, c, operator, elector))) return operator;
    operator.#synced = true;
    await Operator.#startReceiver(s, c, operator);
    s.log.info('Caches synced', {
      tasks: s.caches.tasks.size,
      jobs: s.caches.jobs.size,
      leaderElection: Boolean(elector),
      endpoints: operator.#servers.map((server) => server.address),
    });
    resumeIfReady();
    return operator;
  }

  /** The clients, the informers (not started) and the admin configuration they feed. */
  static #caches(opts: OperatorOptions): Startup {
    const clock = opts.clock ?? systemClock;
    const log = opts.log ?? silentLogger;
    const workers = opts.workers ?? DEFAULT_WORKERS;
    if (opts.namespaces?.length === 0) {
      throw new Error('namespaces is empty: name at least one namespace, or leave it unset to watch all');
    }
    const namespaces = opts.namespaces ? [...new Set(opts.namespaces)] : undefined;
    const live: Live = { leading: !opts.leaderElection, slack: undefined };
    // The workload's clients: pausing the queues stops new reconciles; the write fence stops
    // the ones already running from writing once the Lease is lost.
    const fenced = (maxSockets: number) =>
      new HttpKubeClient(opts.connection, {
        maxSockets,
        fieldManager: FIELD_MANAGER,
        writeFence: () => (live.leading ? undefined : 'this replica does not hold the leader Lease'),
        ...(namespaces
          ? { namespaceFence: watchedNamespacesFence(namespaces, opts.leaderElection?.namespace) }
          : {}),
      });
    // Sized once the informers and queues that share it exist (below).
    const client = fenced(1);
    const eventClient = fenced(EVENT_SOCKETS);
    if (opts.requestObserver) for (const c of [client, eventClient]) c.observe(opts.requestObserver);
    const resyncMs = opts.resyncMs ?? 10 * 60_000;
    const base = { client, ...(namespaces ? { namespaces } : {}), clock, log };
    const caches: TaskCaches = {
      tasks: new Informer<Task>({ ...base, type: Resources.Task, resyncMs }),
      workspaces: new Informer<Workspace>({ ...base, type: Resources.Workspace }),
      agentConfigs: new Informer<AgentConfig>({ ...base, type: Resources.AgentConfig }),
      budgets: new Informer<TaskBudget>({ ...base, type: Resources.TaskBudget, resyncMs }),
      records: new Informer<TaskRecord>({ ...base, type: Resources.TaskRecord, resyncMs }),
      spawners: new Informer<TaskSpawner>({ ...base, type: Resources.TaskSpawner, resyncMs }),
      jobs: new Informer<CachedJob>({
        ...base,
        type: Resources.Job,
        labelSelector: OWNED_SELECTOR,
        transform: trimJob,
      }),
      pods: new Informer<CachedPod>({
        ...base,
        type: Resources.Pod,
        labelSelector: OWNED_SELECTOR,
        transform: trimPod,
      }),
      networkPolicies: new Informer({ ...base, type: Resources.NetworkPolicy }),
    };
    addTaskIndexes(caches);
    // Cluster-scoped, so watched whichever namespaces the operator watches.
    const configs = new Informer<KelosConfig>({ client, type: Resources.KelosConfig, clock, log });
    const overrides = opts.githubApiUrl ? { githubApiUrl: opts.githubApiUrl } : {};
    let resolved: { version: string | undefined; config: AdminConfig } | undefined;
    const admin = (): AdminConfig => {
      const obj = configs.get(undefined, opts.configName ?? KELOS_CONFIG_NAME);
      const version = obj?.metadata.resourceVersion;
      if (!resolved || resolved.version !== version) {
        resolved = { version, config: resolveAdminConfig(obj, overrides) };
      }
      return resolved.config;
    };

    // Slack runs with the receiver only (its deliveries take the receiver's path).
    const webhookOn = Boolean(opts.webhook?.addr && opts.webhook.addr !== '0');
    return {
      opts,
      clock,
      log,
      workers,
      namespaces,
      live,
      webhookOn,
      client,
      eventClient,
      caches,
      configs,
      admin,
    };
  }

  /** Metrics, the reconcilers and their queues (paused), and the shared pool sized to them. */
  static #controllers(s: Startup): Controllers {
    const { opts, clock, log, workers, live, webhookOn, client, eventClient, caches, configs, admin } = s;
    const queues: Record<string, WorkQueue> = {};
    // Set once the spawner controller and the receiver's pollers exist (after the metrics).
    let githubClients = (): Record<string, number> => ({});
    const metrics = new OperatorMetrics(
      {
        queueDepths: () => Object.fromEntries(Object.entries(queues).map(([k, q]) => [k, q.depth])),
        tasksByPhase: () => {
          const counts: Record<string, number> = {};
          for (const t of caches.tasks.list()) {
            const p = t.status?.phase ?? '';
            counts[p] = (counts[p] ?? 0) + 1;
          }
          return counts;
        },
        leading: () => live.leading,
        ...(webhookOn && opts.webhook?.slack
          ? { slackConnected: () => live.slack?.connection.connected ?? false }
          : {}),
        githubClients: () => githubClients(),
      },
      { processMetrics: opts.processMetrics ?? true },
    );
    client.observeFaults((fault, err) => {
      metrics.faults.inc({ source: 'watch' });
      log.warn('Refused a malformed API response', { fault, error: err });
    });
    const countRequest: RequestObserver = (verb, type, status, ms, detail) => {
      metrics.apiRequests.inc({
        verb,
        resource: requestResource(type.plural, detail.path),
        code: String(status),
      });
      metrics.apiRequestDuration.observe({ verb }, ms / 1000);
      // A create in a namespace being deleted is refused with 403 too, whatever the roles say:
      // not an RBAC problem, and the reconcile that made it says what it did instead.
      if (status === 403 && !isNamespaceTerminating(detail.error)) {
        const fields = forbiddenRequestFields(detail.method, detail.path);
        if (fields) log.error('Forbidden by RBAC', { ...fields });
      }
    };
    for (const c of [client, eventClient]) c.observe(countRequest);

    const identity = opts.leaderElection?.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
    const events = new EventRecorder(eventClient, clock, log, identity, REPORTING_CONTROLLER);
    const budgetStates = new BudgetStates(caches.records, clock);
    const network = new AgentNetworkReconciler({
      ...{ client, clock, log, admin, configs, tasks: caches.tasks, pods: caches.pods },
      ...{
        workspaces: caches.workspaces,
        agentConfigs: caches.agentConfigs,
        policies: caches.networkPolicies!,
      },
    });
    const tasks = new TaskReconciler({
      client,
      caches,
      budgets: budgetStates,
      runtime:
        opts.runtime ??
        taskRuntime({
          agentImages: opts.agentImages ?? {},
          ...(opts.imageTag ? { imageTag: opts.imageTag } : {}),
          ...(opts.imageRepository ? { imageRepository: opts.imageRepository } : {}),
          ...(opts.agentBaseImage ? { agentBaseImage: opts.agentBaseImage } : {}),
          ...(opts.gitImage ? { gitImage: opts.gitImage } : {}),
          ...(opts.workspaceSizeLimit !== undefined ? { workspaceSizeLimit: opts.workspaceSizeLimit } : {}),
          ...(opts.defaultActiveDeadlineSeconds !== undefined
            ? { defaultActiveDeadlineSeconds: opts.defaultActiveDeadlineSeconds }
            : {}),
        }),
      events,
      clock,
      log,
      metrics,
      logFallback: opts.logFallback ?? true,
      ...(opts.githubApiUrl ? { githubApiUrl: opts.githubApiUrl } : {}),
      admin,
      network,
    });
    const budgets = new TaskBudgetReconciler({
      client,
      budgets: caches.budgets,
      records: caches.records,
      states: budgetStates,
      tasks: caches.tasks,
      clock,
      log,
    });
    const records = new TaskRecordReconciler({ client, records: caches.records, events, clock, log });
    // Read from the KelosConfig at each call: an admin's change applies to running spawners.
    const outbound = spawnerFetches(() => admin().outbound, opts.githubApiUrl, opts.outbound);
    const spawnerOptions: TaskSpawnerReconcilerOptions = {
      client,
      caches: {
        spawners: caches.spawners!,
        tasks: caches.tasks,
        workspaces: caches.workspaces,
        jobs: caches.jobs,
      },
      events,
      clock,
      log,
      metrics,
      fetch: outbound.fetch,
      ...(opts.githubApiUrl ? { githubApiUrl: opts.githubApiUrl } : {}),
      ...(outbound.trustedFetch ? { trustedFetch: outbound.trustedFetch } : {}),
      // The Slack client starts with the receiver, after the caches sync; reports wait for it.
      ...(webhookOn && opts.webhook?.slack
        ? {
            slackPost: async (channel: string, text: string, threadTs: string) => {
              if (!live.slack) throw new Error('the Slack client is not started yet');
              await live.slack.postMessage(channel, text, threadTs);
            },
          }
        : {}),
      ...(webhookOn && opts.webhook?.slack ? { slackConnection: () => live.slack?.connection } : {}),
      // Reports stop once the Lease is lost: the write fence cannot stop GitHub or Slack calls.
      leading: () => live.leading,
      // What the receiver will refuse every delivery for (a missing Secret) shows in status.
      webhookSetup: webhookOn
        ? webhookSetupCheck(
            new SecretCache(client, clock, opts.webhook?.clusterSecrets, (ns) =>
              mayUseClusterSecret(admin(), ns),
            ),
            (ns) => admin().allowUnsignedWebhookNamespaces.includes(ns),
            Boolean(opts.webhook?.slack),
          )
        : async () => ({ problem: NO_RECEIVER }),
    };
    const spawners = new TaskSpawnerReconciler(spawnerOptions);
    // The receiver's own Pollers (tokens, clients) with the polling spawner's options, so every
    // replica enriches; no reconciler drives it, so it follows deletions itself.
    const enrichPollers = webhookOn ? new Pollers(spawnerOptions) : undefined;
    enrichPollers?.forgetDeleted(caches.spawners!);
    githubClients = () => ({
      spawners: spawners.githubClients,
      ...(enrichPollers ? { receiver: enrichPollers.githubClients } : {}),
    });

    const queue = (controller: string, workers: number) => {
      const q = new WorkQueue({
        workers,
        clock,
        onDone: (_key, outcome, ms) => metrics.observeReconcile(controller, outcome === 'ok', ms / 1000),
        onStart: (_key, ms, urgent) =>
          metrics.queueDuration.observe({ controller, lane: urgent ? 'urgent' : 'plain' }, ms / 1000),
      });
      // Nothing runs before the caches are synced (and, with leader election, before leading).
      q.pause();
      queues[controller] = q;
      return q;
    };
    const taskQueue = queue(TASK_CONTROLLER, workers);
    const budgetQueue = queue(TASK_BUDGET_CONTROLLER, 2);
    const recordQueue = queue(TASK_RECORD_CONTROLLER, 2);
    const spawnerQueue = queue(SPAWNER_CONTROLLER, 4);
    const networkQueue = queue(NETWORK_CONTROLLER, 2);
    network.register(networkQueue);
    networkQueue.start((k) => network.reconcile(k));
    tasks.register(taskQueue);
    spawners.register(spawnerQueue);
    budgets.register(budgetQueue);
    records.register(recordQueue);
    taskQueue.start((k) => tasks.reconcile(k));
    budgetQueue.start((k) => budgets.reconcile(k));
    recordQueue.start((k) => records.reconcile(k));
    spawnerQueue.start((k) => spawners.reconcile(k));
    // A connection for every worker of every queue and for every watch the informers will hold
    // (one per kind and watched namespace, and the KelosConfig's), before any is opened.
    client.maxSockets =
      Object.values(queues).reduce((n, q) => n + q.workers, 0) +
      [...Object.values(caches), configs].reduce((n, i) => n + i.watchCount, 0) +
      SPARE_SOCKETS;
    const onError = (source: 'client' | 'handler', err: unknown) => {
      metrics.faults.inc({ source: `http_${source}` });
      if (source === 'handler') log.error('Endpoint handler failed', { error: err });
      else log.debug('Refused an HTTP request', { error: err });
    };
    return {
      metrics,
      countRequest,
      onError,
      identity,
      events,
      queues,
      spawnerQueue,
      spawnerOptions,
      enrichPollers,
      warmUp: () => {
        network.warmUp();
        tasks.warmUp();
      },
      catchUp: () => {
        for (const k of caches.tasks.keys()) taskQueue.add(k);
        for (const k of caches.budgets.keys()) budgetQueue.add(k);
        for (const k of caches.records.keys()) recordQueue.add(k);
        for (const k of caches.spawners!.keys()) spawnerQueue.add(k);
        for (const t of caches.tasks.list()) networkQueue.add(t.metadata.namespace ?? '');
      },
    };
  }

  /** The leader elector, on a client of its own, when leader election is on. */
  static #elector(
    s: Startup,
    c: Controllers,
    resumeIfReady: () => void,
  ): { elector: LeaderElector | undefined; electorClient: HttpKubeClient | undefined } {
    const { opts, clock, log, live } = s;
    const { countRequest, identity, queues } = c;
    const renewDeadlineMs = opts.leaderElection?.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    // A request that outlives the renew deadline cannot renew in time anyway: give up on it then.
    const electorClient = opts.leaderElection
      ? new HttpKubeClient(opts.connection, {
          maxSockets: LEASE_SOCKETS,
          timeoutMs: Math.min(renewDeadlineMs, DEFAULT_REQUEST_TIMEOUT_MS),
          fieldManager: FIELD_MANAGER,
        })
      : undefined;
    if (electorClient) {
      electorClient.observe(countRequest);
      if (opts.requestObserver) electorClient.observe(opts.requestObserver);
    }
    const elector =
      electorClient && opts.leaderElection
        ? new LeaderElector({
            client: electorClient,
            namespace: opts.leaderElection.namespace,
            name: opts.leaderElection.name,
            identity,
            ...(opts.leaderElection.leaseDurationMs
              ? { leaseDurationMs: opts.leaderElection.leaseDurationMs }
              : {}),
            renewDeadlineMs,
            ...(opts.leaderElection.retryPeriodMs
              ? { retryPeriodMs: opts.leaderElection.retryPeriodMs }
              : {}),
            clock,
            log,
            onStartedLeading: () => {
              live.leading = true;
              // Catch up on everything that changed while we were standby.
              c.catchUp();
              resumeIfReady();
            },
            onStoppedLeading: () => {
              live.leading = false;
              for (const q of Object.values(queues)) q.pause();
            },
          })
        : undefined;
    return { elector, electorClient };
  }

  /** /metrics, /healthz and /readyz, served before the caches sync so the probes answer. */
  static async #endpoints(
    s: Startup,
    c: Controllers,
    operator: Operator,
    elector: LeaderElector | undefined,
  ): Promise<void> {
    const { opts, clock, log, caches, configs } = s;
    const { metrics, countRequest, onError } = c;
    const checks: ReadinessCheck[] = [
      {
        name: 'informers-synced',
        check: () => {
          const pending = [...Object.values(caches), configs].filter((i) => !i.hasSynced).map((i) => i.kind);
          return pending.length ? `waiting for ${pending.join(', ')}` : undefined;
        },
      },
    ];
    if (elector) {
      checks.push({
        name: 'leader-election',
        check: () => (elector.attempted ? undefined : 'no attempt to acquire the Lease has completed yet'),
      });
    }
    const metricsAddr = opts.metricsAddr ?? '';
    const healthAddr = opts.healthAddr ?? '';
    // Its own client: every replica serves /metrics, outside the leader's write fence, and
    // the reviews are cluster-scoped whatever namespaces the operator watches.
    let metricsAuth: MetricsAuthorizer | undefined;
    if (opts.metricsAuth === 'kubernetes') {
      const authClient = new HttpKubeClient(opts.connection, { maxSockets: 4, timeoutMs: 5_000 });
      authClient.observe(countRequest);
      if (opts.requestObserver) authClient.observe(opts.requestObserver);
      metricsAuth = delegatedAuthorizer(authClient);
      operator.#metricsAuthClient = authClient;
    }
    // With /metrics off there is nothing to serve it: no certificate is read or made.
    const tls =
      opts.metricsTls && parseAddress(metricsAddr)
        ? opts.metricsTls.certPath
          ? readCertificateDir(opts.metricsTls.certPath)
          : selfSignedMetricsCertificate(clock.now())
        : undefined;
    const guarded = {
      onError,
      ...(opts.metricsToken ? { metricsToken: opts.metricsToken } : {}),
      ...(metricsAuth ? { metricsAuth } : {}),
      ...(tls ? { tls: tls.certificate } : {}),
    };
    let metricsServer: EndpointServer | undefined;
    if (metricsAddr && metricsAddr === healthAddr) {
      metricsServer = await serveEndpoints(metricsAddr, {
        ...guarded,
        metrics: metrics.registry,
        health: { checks },
      });
      if (metricsServer) operator.#servers.push(metricsServer);
    } else {
      metricsServer = await serveEndpoints(metricsAddr, { ...guarded, metrics: metrics.registry });
      const h = await serveEndpoints(healthAddr, { onError, health: { checks } });
      for (const s of [metricsServer, h]) if (s) operator.#servers.push(s);
    }
    if (metricsServer && tls) {
      log.info('Serving /metrics over HTTPS', {
        address: metricsServer.address,
        certificate: tls.source,
        fingerprint: tls.fingerprint,
        notAfter: tls.notAfter,
      });
      const warned = warnAboutCertificate(log, tls, clock.now());
      const certPath = opts.metricsTls?.certPath;
      if (certPath && metricsServer.setCertificate)
        operator.#stopCertWatch = watchCertificateDir(certPath, tls, metricsServer.setCertificate, log, {
          now: () => clock.now(),
          warned,
        });
    }
  }

  /**
   * Starts the informers and the elector and waits for the caches: true once synced, false
   * when stopped first; a timeout stops the operator and throws.
   */
  static async #sync(
    s: Startup,
    c: Controllers,
    operator: Operator,
    elector: LeaderElector | undefined,
  ): Promise<boolean> {
    const { opts, log, caches, configs } = s;
    for (const i of Object.values(caches)) i.start();
    configs.start();
    elector?.start();
    // While the lists are in flight: the first Task must not wait for validators to compile.
    setImmediate(c.warmUp);
    const informers = [...Object.values(caches), configs];
    const outcome = await untilSynced(
      informers.map((i) => i.waitForSync()),
      opts.signal,
      opts.cacheSyncTimeoutMs ?? DEFAULT_CACHE_SYNC_TIMEOUT_MS,
    );
    if (outcome !== 'synced') {
      const pending = informers.filter((i) => !i.hasSynced).map((i) => i.kind);
      if (outcome === 'stopped') log.info('Stopping before the caches synced', { pending });
      else log.error('Caches did not sync', { pending, timeoutMs: opts.cacheSyncTimeoutMs });
      await operator.stop();
      if (outcome === 'stopped') return false;
      throw new Error(
        `the caches of ${pending.join(', ')} did not sync within ${Math.round((opts.cacheSyncTimeoutMs ?? DEFAULT_CACHE_SYNC_TIMEOUT_MS) / 1000)} s: a list the operator's RBAC refuses, or an API server out of reach (its "Watch failed" warnings say which)`,
      );
    }
    return true;
  }

  /** The webhook receiver and, with it, the Slack connection, when `webhook.addr` is set. */
  static async #startReceiver(s: Startup, c: Controllers, operator: Operator): Promise<void> {
    const { opts, clock, log, namespaces, live, webhookOn, caches, admin } = s;
    const { metrics, countRequest, onError, identity, spawnerQueue, spawnerOptions, enrichPollers } = c;
    if (webhookOn && opts.webhook && enrichPollers) {
      // Every replica accepts deliveries: its own client, outside the leader's write fence.
      const rxClient = new HttpKubeClient(opts.connection, {
        maxSockets: 64,
        fieldManager: FIELD_MANAGER,
        ...(namespaces
          ? { namespaceFence: watchedNamespacesFence(namespaces, opts.leaderElection?.namespace) }
          : {}),
      });
      rxClient.observe(countRequest);
      if (opts.requestObserver) rxClient.observe(opts.requestObserver);
      const receiver = new WebhookReceiver({
        client: rxClient,
        spawners: caches.spawners!,
        tasks: caches.tasks,
        allowUnsigned: (ns) => admin().allowUnsignedWebhookNamespaces.includes(ns),
        clusterSecretAllowed: (ns) => mayUseClusterSecret(admin(), ns),
        events: new EventRecorder(rxClient, clock, log, identity, REPORTING_CONTROLLER),
        clock,
        log: log.child({ component: 'webhook' }),
        registry: metrics.registry,
        ...(opts.webhook.clusterSecrets ? { clusterSecrets: opts.webhook.clusterSecrets } : {}),
        ...(opts.webhook.maxBodyBytes ? { maxBodyBytes: opts.webhook.maxBodyBytes } : {}),
        ...(opts.webhook.limits ? { limits: opts.webhook.limits } : {}),
        onError,
        enrich: githubEnricher(enrichPollers),
        // The poll loop's context fetch, reading the spawner's Secrets with this replica's client.
        context: contextFetcher({ ...spawnerOptions, client: rxClient }),
        ...(opts.webhook.linearApiKey
          ? {
              linearLabels: linearLabelFetcher({
                apiKey: opts.webhook.linearApiKey,
                ...(opts.webhook.linearApiUrl ? { url: opts.webhook.linearApiUrl } : {}),
              }),
            }
          : {}),
      });
      const at = await receiver.listen(opts.webhook.addr);
      operator.#receiver = receiver;
      operator.#receiverClient = rxClient;
      if (at) operator.#webhookAddress = at;
      if (opts.webhook.slack)
        operator.#slack = live.slack = startSlack({
          tokens: opts.webhook.slack,
          receiver,
          kube: rxClient,
          spawners: caches.spawners!,
          log: log.child({ component: 'slack' }),
          client: {
            ...(opts.webhook.slackApiUrl ? { apiBaseUrl: opts.webhook.slackApiUrl } : {}),
            // Every Slack spawner's status says whether it can receive: each looks again.
            onStateChange: () => {
              for (const s of caches.spawners!.list()) if (s.spec.when.slack) spawnerQueue.add(keyOf(s));
            },
          },
        });
    }
  }

  /** The webhook receiver's bound address, when it runs. */
  get webhookAddress(): string | undefined {
    return this.#webhookAddress;
  }

  /** Addresses of the HTTP endpoints, in start order. */
  get addresses(): string[] {
    return this.#servers.map((s) => s.address);
  }

  /** Whether this replica reconciles (leads, or runs without leader election). */
  get active(): boolean {
    return this.#synced && !this.#stopped && (this.elector?.isLeader ?? true);
  }

  /** API writes so far (create, apply, patch, delete). */
  get writes(): number {
    const r = this.client.requests;
    let n = 0;
    for (const v of WRITE_VERBS) n += r[v];
    return n;
  }

  /** Resolves when no queue has a key ready or in progress. */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all(Object.values(this.queues).map((q) => q.idle()));
      if (Object.values(this.queues).every((q) => q.depth === 0 && q.processing === 0)) return;
    }
  }

  /** Offers every cached object to its controller again (what the periodic resync does). */
  resync(): void {
    for (const i of [this.caches.tasks, this.caches.budgets, this.caches.records, this.caches.spawners])
      i?.resync();
  }

  /**
   * Stops gracefully: no new reconciles, in-flight ones finish, the Lease is released, the
   * watches and endpoints close.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const q of Object.values(this.queues)) q.pause();
    this.#slack?.stop();
    await this.#receiver?.close();
    await Promise.all(Object.values(this.queues).map((q) => q.shutdown()));
    await this.events.flush();
    await this.elector?.stop();
    await Promise.all([...Object.values(this.caches), this.configs].map((i) => i.stop()));
    await Promise.all(this.#servers.map((s) => s.close()));
    this.client.close();
    for (const c of this.#ownClients) c.close();
    this.#receiverClient?.close();
    this.#metricsAuthClient?.close();
    this.#stopCertWatch?.();
    this.#log.info('Operator stopped');
  }
}
