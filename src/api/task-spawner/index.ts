/**
 * TaskSpawner: turns external triggers (GitHub, Linear, Jira, Slack, webhooks, cron)
 * into Tasks.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import {
  conditions,
  SpawnerCredentialSchema,
  WorkerPoolReferenceSchema,
  WorkerSpecSchema,
} from '../common.ts';
import type { TaskSpawnerSpec, TaskSpawnerStatus, TaskTemplate, When } from '../generated/types.ts';
import { CATEGORY } from '../group.ts';
import {
  bool,
  int32,
  int64,
  type KindDefinition,
  list,
  obj,
  opt,
  str,
  strList,
  strMap,
  time,
} from '../schema.ts';
import { executionRules, jobFields, legacyWorkerFields } from '../task.ts';
import { ContextSourceSchema } from './context-source.ts';
import { CronSchema, GitHubIssuesSchema, GitHubPullRequestsSchema, JiraSchema } from './polling.ts';
import { GenericWebhookSchema, GitHubWebhookSchema, LinearWebhookSchema, SlackSchema } from './webhooks.ts';

export * from './context-source.ts';
export * from './polling.ts';
export * from './webhooks.ts';

export const WhenSchema = obj(
  {
    githubIssues: opt({ ...GitHubIssuesSchema }),
    githubPullRequests: opt({ ...GitHubPullRequestsSchema }),
    cron: opt({ ...CronSchema }),
    jira: opt({ ...JiraSchema }),
    githubWebhook: opt({ ...GitHubWebhookSchema }),
    linearWebhook: opt({ ...LinearWebhookSchema }),
    webhook: opt({ ...GenericWebhookSchema }),
    slack: opt({ ...SlackSchema }),
  },
  'When is the trigger. Set exactly one source.',
);

export const TaskTemplateSchema = obj(
  {
    worker: opt({ ...WorkerSpecSchema, description: 'worker says how the agent of each spawned Task runs.' }),
    workerPoolRef: opt({ ...WorkerPoolReferenceSchema }),
    ...legacyWorkerFields(),
    dependsOn: opt(strList('dependsOn is copied to every spawned Task.')),
    branch: opt(
      str(
        "branch is a Go template over the item variables, for example kelos/issue-{{.Number}}. Every item must render a name git takes: build it from .Number or .ID (a cron tick's ID is its UTC time as YYYYMMDD-HHMM), not from free text such as .Title, nor from a cron .Time, whose colons git refuses.",
      ),
    ),
    promptTemplate: opt(str('promptTemplate is the Go template of the prompt. Defaults to {{.Title}}.')),
    nameTemplate: opt(
      str(
        'nameTemplate is the Go template of the Task name; it is lowercased, sanitized and cut to 63 characters, and may not use .Context.',
      ),
    ),
    ...jobFields(),
    metadata: opt(
      obj(
        {
          labels: opt(strMap('labels of spawned Tasks; values are Go templates.')),
          annotations: opt(strMap('annotations of spawned Tasks; values are Go templates.')),
        },
        'metadata is added to every spawned Task. The kelos.dev/taskspawner label is always set by the spawner.',
      ),
    ),
    contextSources: opt(
      list(
        ContextSourceSchema,
        'contextSources fetch extra context per item, read as .Context.<name>; names are unique.',
        {
          maxItems: 8,
          // Upstream states uniqueness as `self.map(s, s.name).size() == self.size()`, which can
          // never be false; a list map keyed by name makes the server enforce it.
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
      ),
    ),
    upstreamRepo: opt(str('upstreamRepo (owner/repo) is derived from the GitHub source when unset.')),
  },
  'TaskTemplate is the Task every trigger creates.',
  {
    'x-kubernetes-validations': executionRules(
      {
        rule: 'has(self.workerPoolRef) || (has(self.worker) && has(self.worker.type) && size(self.worker.type) > 0) || (has(self.type) && size(self.type) > 0)',
        message: 'either workerPoolRef, worker with type, or type is required',
      },
      // Upstream's own pool example names the pool's Workspace in the template, so a
      // template may keep workspaceRef next to workerPoolRef (a Task may not).
      ['workspaceRef'],
    ),
  },
);

export const TaskSpawnerSpecSchema = obj(
  {
    when: WhenSchema,
    taskTemplate: TaskTemplateSchema,
    credentials: opt(
      list(SpawnerCredentialSchema, 'credentials is a pool; each spawned Task gets one picked at random.', {
        minItems: 1,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    maxConcurrency: opt(
      int32(
        'maxConcurrency caps the spawned Tasks that are not finished. 0 or unset means no cap. It holds on every trigger path; webhook work over the cap is queued.',
        {
          minimum: 0,
        },
      ),
    ),
    suspend: opt(bool('suspend stops creating Tasks; running Tasks are not affected.', { default: false })),
    maxTotalTasks: opt(
      int32('maxTotalTasks caps the Tasks this spawner creates over its lifetime. 0 or unset means no cap.', {
        minimum: 0,
      }),
    ),
    maxQueuedTasks: opt(
      int32(
        'maxQueuedTasks bounds the spawned Tasks waiting for room under maxConcurrency. A webhook delivery beyond it is answered 429 with Retry-After (the sender retries; nothing is lost); polling leaves the items for a later pass. Default: twice maxConcurrency and at least 10 for polling, 100 for webhooks. Kelos extension.',
        { minimum: 1 },
      ),
    ),
  },
  'TaskSpawnerSpec is a trigger and the Task it creates.',
  {
    'x-kubernetes-validations': [
      {
        rule: '!(has(self.when.githubIssues) || has(self.when.githubPullRequests) || has(self.when.githubWebhook) || has(self.when.linearWebhook)) || has(self.taskTemplate.workspaceRef) || (has(self.taskTemplate.worker) && has(self.taskTemplate.worker.workspaceRef)) || has(self.taskTemplate.workerPoolRef)',
        message:
          'a workspace source is required when using githubIssues, githubPullRequests, githubWebhook, or linearWebhook source (set taskTemplate.workspaceRef, taskTemplate.worker.workspaceRef, or taskTemplate.workerPoolRef — a pool satisfies this because it carries its own workspace)',
      },
      {
        rule: 'has(self.taskTemplate.workerPoolRef) || (has(self.taskTemplate.worker) && (has(self.taskTemplate.worker.credentials) || has(self.credentials))) || (has(self.taskTemplate.type) && (has(self.taskTemplate.credentials) || has(self.credentials)))',
        message: 'inline task templates require taskTemplate credentials or spec.credentials',
      },
      {
        rule: '!has(self.credentials) || (!has(self.taskTemplate.workerPoolRef) && !has(self.taskTemplate.credentials) && (!has(self.taskTemplate.worker) || !has(self.taskTemplate.worker.credentials)))',
        message: 'spec.credentials is mutually exclusive with taskTemplate credentials and workerPoolRef',
      },
    ],
  },
);

export const TaskSpawnerStatusSchema = obj(
  {
    observedGeneration: opt(int64('observedGeneration is the generation last acted on.')),
    phase: opt(str('phase is Pending, Running, Failed or Suspended.')),
    deploymentName: opt(str('deploymentName of the poller, for polling sources.')),
    cronJobName: opt(str('cronJobName of the CronJob, for cron sources.')),
    totalDiscovered: opt(int32('totalDiscovered is the number of items found in the last discovery cycle.')),
    totalTasksCreated: opt(
      int32('totalTasksCreated is the number of Tasks created over the spawner’s lifetime.'),
    ),
    activeTasks: opt(
      int32(
        'activeTasks is the number of spawned Tasks admitted and not finished: what maxConcurrency counts. Tasks waiting for a place are queuedItems.',
      ),
    ),
    queuedItems: opt(
      int32(
        'queuedItems is the number of spawned Tasks created and not yet admitted: they wait in phase Waiting for a place under maxConcurrency (or for the spawner to resume). Kelos extension.',
      ),
    ),
    webhookDeliveriesRefused: opt(
      int32(
        'webhookDeliveriesRefused counts webhook deliveries answered 429 because maxQueuedTasks Tasks were waiting (the sender retries them).',
      ),
    ),
    webhookDeliveriesOverLimit: opt(
      int32(
        'webhookDeliveriesOverLimit counts webhook deliveries not turned into a Task because maxTotalTasks was reached.',
      ),
    ),
    lastDiscoveryTime: opt(
      time('lastDiscoveryTime is when the last discovery cycle ran; cron uses it as its watermark.'),
    ),
    message: opt(str('message explains the phase.')),
    conditions: opt(
      conditions(
        'conditions: Suspended, DiscoveryError, MaxTotalTasksReached, and TaskBudgetExhausted (the same maxTotalTasks state under the second name upstream writes; not about TaskBudgets).',
      ),
    ),
  },
  'TaskSpawnerStatus is the observed state of a TaskSpawner.',
);

/** The TaskSpawner kind. */
export const TASK_SPAWNER: KindDefinition<typeof TaskSpawnerSpecSchema, typeof TaskSpawnerStatusSchema> = {
  kind: 'TaskSpawner',
  listKind: 'TaskSpawnerList',
  plural: 'taskspawners',
  singular: 'taskspawner',
  shortNames: ['ts', 'spawner'],
  categories: [CATEGORY],
  spec: TaskSpawnerSpecSchema,
  specRequired: true,
  status: TaskSpawnerStatusSchema,
  description: 'TaskSpawner turns external triggers into Tasks.',
  printerColumns: [
    { name: 'Workspace', type: 'string', jsonPath: '.spec.taskTemplate.worker.workspaceRef.name' },
    { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Active', type: 'integer', jsonPath: '.status.activeTasks' },
    // Wide only, so `kubectl get ts` keeps upstream's columns; `kelos get ts` shows it.
    { name: 'Queued', type: 'integer', jsonPath: '.status.queuedItems', priority: 1 },
    { name: 'Discovered', type: 'integer', jsonPath: '.status.totalDiscovered', priority: 1 },
    { name: 'Tasks', type: 'integer', jsonPath: '.status.totalTasksCreated' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type { TaskSpawnerSpec, TaskSpawnerStatus, TaskTemplate, When };
