/**
 * Prometheus metrics of the operator, on a registry of its own (not prom-client's global
 * one), so two operators in one process (tests) do not collide.
 *
 * Gauges that describe state (queue depth, Tasks by phase, leadership) are computed when
 * scraped, from the queues and the informer cache; nothing is kept twice.
 *
 * @packageDocumentation
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Reads current state at scrape time. */
export interface MetricSources {
  /** Depth of each controller's queue, by controller name. */
  queueDepths(): Record<string, number>;
  /** Number of Tasks per phase (`''` for not yet reconciled). */
  tasksByPhase(): Record<string, number>;
  /** Whether this replica leads (always true without leader election). */
  leading(): boolean;
  /** Whether this replica's Slack Socket Mode connection is up; unset when the operator has no Slack app. */
  slackConnected?(): boolean;
  /** GitHub API clients held, by holder (`spawners`, `receiver`); unset: no such gauge. */
  githubClients?(): Record<string, number>;
}

/** Label value of every value past a {@link BoundedLabel}'s limit. */
export const OTHER_LABEL = '_other';

/**
 * A label whose values come from users (model names, TaskSpawner names): the first `limit`
 * distinct values (cut to 63 characters) are kept, later ones count as {@link OTHER_LABEL}.
 * Without a bound, a tenant creating spawners or naming models at will grows the registry, and
 * every scrape, without limit.
 */
export class BoundedLabel {
  readonly #seen = new Set<string>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  /** The value to put in the label. */
  of(value: string): string {
    const v = value.slice(0, 63);
    if (this.#seen.has(v)) return v;
    if (this.#seen.size >= this.#limit) return OTHER_LABEL;
    this.#seen.add(v);
    return v;
  }
}

/** Distinct models, and spawners, a token or cost series is kept for. */
export const MAX_MODEL_LABELS = 64;
export const MAX_SPAWNER_LABELS = 256;

/** The operator's metrics. */
export class OperatorMetrics {
  /** Bounds the `model` label of the token and cost counters. */
  readonly models = new BoundedLabel(MAX_MODEL_LABELS);
  /** Bounds the `spawner` label of the token and cost counters. */
  readonly spawners = new BoundedLabel(MAX_SPAWNER_LABELS);
  readonly registry = new Registry();
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly queueDuration: Histogram<'controller' | 'lane'>;
  readonly apiRequests: Counter<'verb' | 'resource' | 'code'>;
  readonly apiRequestDuration: Histogram<'verb'>;
  readonly taskCompletions: Counter<'namespace' | 'type' | 'phase'>;
  readonly inputTokens: Counter<'namespace' | 'spawner' | 'model'>;
  readonly outputTokens: Counter<'namespace' | 'spawner' | 'model'>;
  readonly costUSD: Counter<'namespace' | 'spawner' | 'model'>;
  readonly faults: Counter<'source'>;
  readonly spawnerDiscoveries: Counter<'namespace' | 'spawner' | 'result'>;
  readonly spawnerItems: Counter<'namespace' | 'spawner'>;
  readonly spawnerTasksCreated: Counter<'namespace' | 'spawner'>;
  readonly spawnerErrors: Counter<'namespace' | 'spawner' | 'reason'>;
  readonly spawnerSourceRequests: Counter<'source' | 'code'>;

  constructor(sources: MetricSources, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconciles = new Counter({
      name: 'kelos_reconcile_total',
      help: 'Reconciles by controller and result (success, error).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'kelos_reconcile_errors_total',
      help: 'Reconciles that failed and were retried with backoff, by controller.',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'kelos_reconcile_duration_seconds',
      help: 'Time one reconcile took, by controller.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'kelos_workqueue_queue_duration_seconds',
      help: 'Time a key waited in the work queue before a worker took it, by controller and lane (urgent: new Tasks).',
      labelNames: ['controller', 'lane'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.apiRequests = new Counter({
      name: 'kelos_api_requests_total',
      help: 'Requests to the Kubernetes API server by verb, resource (`tasks/status` for a subresource) and HTTP status code.',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    });
    this.apiRequestDuration = new Histogram({
      name: 'kelos_api_request_duration_seconds',
      help: 'Latency of requests to the Kubernetes API server by verb (watches: time to the response headers).',
      labelNames: ['verb'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.taskCompletions = new Counter({
      name: 'kelos_task_completed_total',
      help: 'Tasks that reached Succeeded or Failed, by namespace, agent type and phase.',
      labelNames: ['namespace', 'type', 'phase'],
      registers,
    });
    this.inputTokens = new Counter({
      name: 'kelos_task_input_tokens_total',
      help: 'Input tokens reported by finished Tasks, by namespace, TaskSpawner and model.',
      labelNames: ['namespace', 'spawner', 'model'],
      registers,
    });
    this.outputTokens = new Counter({
      name: 'kelos_task_output_tokens_total',
      help: 'Output tokens reported by finished Tasks, by namespace, TaskSpawner and model.',
      labelNames: ['namespace', 'spawner', 'model'],
      registers,
    });
    this.costUSD = new Counter({
      name: 'kelos_task_cost_usd_total',
      help: 'Cost in US dollars reported by finished Tasks, by namespace, TaskSpawner and model.',
      labelNames: ['namespace', 'spawner', 'model'],
      registers,
    });
    this.faults = new Counter({
      name: 'kelos_operator_faults_total',
      help: 'Errors the operator caught and survived, by source (http_client, http_handler, watch, unhandledRejection, uncaughtException).',
      labelNames: ['source'],
      registers,
    });
    this.spawnerDiscoveries = new Counter({
      name: 'kelos_spawner_discoveries_total',
      help: 'Discovery passes of TaskSpawners by result (ok, error, rate_limited).',
      labelNames: ['namespace', 'spawner', 'result'],
      registers,
    });
    this.spawnerItems = new Counter({
      name: 'kelos_spawner_items_found_total',
      help: 'Items TaskSpawner discoveries found (summed over passes).',
      labelNames: ['namespace', 'spawner'],
      registers,
    });
    this.spawnerTasksCreated = new Counter({
      name: 'kelos_spawner_tasks_created_total',
      help: 'Tasks TaskSpawners created (retriggers included).',
      labelNames: ['namespace', 'spawner'],
      registers,
    });
    this.spawnerErrors = new Counter({
      name: 'kelos_spawner_errors_total',
      help: 'TaskSpawner errors by reason (DiscoveryFailed, RateLimited, TaskCreationFailed, ReportingFailed, …).',
      labelNames: ['namespace', 'spawner', 'reason'],
      registers,
    });
    this.spawnerSourceRequests = new Counter({
      name: 'kelos_spawner_source_requests_total',
      help: 'Requests TaskSpawners sent to their sources (github, jira) by HTTP status code (304s are free of GitHub’s rate limit).',
      labelNames: ['source', 'code'],
      registers,
    });
    new Gauge({
      name: 'kelos_workqueue_depth',
      help: 'Keys waiting in a controller’s work queue.',
      labelNames: ['controller'],
      registers,
      collect() {
        this.reset();
        for (const [controller, depth] of Object.entries(sources.queueDepths()))
          this.set({ controller }, depth);
      },
    });
    new Gauge({
      name: 'kelos_tasks',
      help: 'Tasks in the informer cache by phase ("" before the first reconcile).',
      labelNames: ['phase'],
      registers,
      collect() {
        this.reset();
        for (const [phase, n] of Object.entries(sources.tasksByPhase())) this.set({ phase }, n);
      },
    });
    new Gauge({
      name: 'kelos_leader',
      help: '1 while this replica holds the leader Lease (or runs without leader election).',
      registers,
      collect() {
        this.set(sources.leading() ? 1 : 0);
      },
    });
    // Only with a Slack app: a label-less gauge always has a value, and 0 would say "down".
    const slackConnected = sources.slackConnected;
    if (slackConnected)
      new Gauge({
        name: 'kelos_slack_connected',
        help: '1 while this replica’s Slack Socket Mode connection is up, 0 while it is down or not yet made.',
        registers,
        collect() {
          this.set(slackConnected() ? 1 : 0);
        },
      });
    const githubClients = sources.githubClients;
    if (githubClients)
      new Gauge({
        name: 'kelos_github_clients',
        help: 'GitHub API clients held, each with its ETag cache, by holder: spawners (the TaskSpawner controller, on the leader) and receiver (the webhook receiver, on every replica); one per GitHub TaskSpawner, dropped when it is deleted.',
        labelNames: ['holder'],
        registers,
        collect() {
          this.reset();
          for (const [holder, n] of Object.entries(githubClients())) this.set({ holder }, n);
        },
      });
    if (opts.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'kelos_operator_' });
  }

  /** Records one finished reconcile. */
  observeReconcile(controller: string, ok: boolean, seconds: number): void {
    this.reconciles.inc({ controller, result: ok ? 'success' : 'error' });
    if (!ok) this.reconcileErrors.inc({ controller });
    this.reconcileDuration.observe({ controller }, seconds);
  }
}

/**
 * The `resource` label of a request: the plural, or `plural/subresource` (`tasks/status`), so
 * a status write and a metadata patch of the same kind count apart.
 */
export const requestResource = (plural: string, path: string): string => {
  const p = path.split('?')[0] ?? '';
  const at = p.lastIndexOf(`/${plural}/`);
  const sub = at < 0 ? undefined : p.slice(at + plural.length + 2).split('/')[1];
  return sub ? `${plural}/${sub}` : plural;
};
