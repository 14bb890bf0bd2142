/**
 * Task: one run of an AI coding agent.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import {
  CredentialsSchema,
  conditions,
  TaskUsageSchema,
  WorkerPoolReferenceSchema,
  WorkerSpecSchema,
  workerFields,
} from './common.ts';
import type { TaskSpec, TaskStatus } from './generated/types.ts';
import { CATEGORY } from './group.ts';
import { k8sTypeSchema } from './k8s/index.ts';
import { type CelRule, int32, type KindDefinition, obj, opt, str, strList, strMap, time } from './schema.ts';

/** Phases of a Task, in the order a successful one passes through them. */
export const TaskPhase = {
  /** Admission gates (dependencies, branch lock, budgets) hold the Task back. */
  Waiting: 'Waiting',
  /** The Job exists; its Pod has not started running the agent yet. */
  Pending: 'Pending',
  /** The agent is running. */
  Running: 'Running',
  /** The agent exited 0. */
  Succeeded: 'Succeeded',
  /** The agent failed, timed out, or a gate failed for good. */
  Failed: 'Failed',
} as const;
/** One of {@link TaskPhase}. */
export type TaskPhase = (typeof TaskPhase)[keyof typeof TaskPhase];

/** Whether a phase is final. */
export const isTerminalPhase = (phase: string | undefined): boolean =>
  phase === TaskPhase.Succeeded || phase === TaskPhase.Failed;

/** Fields that must stay unset when a Task or template dispatches to a WorkerPool. */
const POOL_EXCLUSIVE: ReadonlyArray<readonly [field: string, present: string]> = [
  ['image', 'has(self.image) && size(self.image) > 0'],
  ['workspaceRef', 'has(self.workspaceRef)'],
  ['agentConfigRefs', 'has(self.agentConfigRefs) && size(self.agentConfigRefs) > 0'],
  ['dependsOn', 'has(self.dependsOn) && size(self.dependsOn) > 0'],
  ['branch', 'has(self.branch) && size(self.branch) > 0'],
  ['ttlSecondsAfterFinished', 'has(self.ttlSecondsAfterFinished)'],
  ['podFailurePolicy', 'has(self.podFailurePolicy)'],
  ['podOverrides', 'has(self.podOverrides)'],
];

/**
 * Rules that decide how a Task (or a TaskSpawner's template) executes: inline through
 * `worker`, through a WorkerPool, or through the deprecated top-level fields.
 */
export const executionRules = (firstRule: CelRule, allowWithPool: readonly string[] = []): CelRule[] => [
  firstRule,
  {
    rule: '!has(self.workerPoolRef) || (!has(self.type) && !has(self.credentials))',
    message: 'workerPoolRef is mutually exclusive with inline type/credentials',
  },
  {
    rule: '!has(self.workerPoolRef) || !has(self.worker)',
    message: 'workerPoolRef is mutually exclusive with inline worker (per-task overrides not yet supported)',
  },
  {
    rule: '!has(self.worker) || (!has(self.type) && !has(self.credentials))',
    message: 'worker is mutually exclusive with legacy type/credentials fields',
  },
  ...POOL_EXCLUSIVE.filter(([field]) => !allowWithPool.includes(field)).map(([field, present]) => ({
    rule: `!has(self.workerPoolRef) || !(${present})`,
    message: `${field} is not supported with workerPoolRef`,
  })),
];

/** Deprecated top-level execution fields, kept so upstream manifests work unchanged. */
export const legacyWorkerFields = () => {
  const w = workerFields();
  const deprecated = <T extends { description?: string }>(s: T, use: string): T => ({
    ...s,
    description: `Deprecated: use ${use}. ${s.description ?? ''}`.trim(),
  });
  return {
    type: deprecated(w.type, 'worker.type'),
    credentials: opt({
      ...CredentialsSchema,
      description: 'Deprecated: use worker.credentials. credentials say how the agent authenticates.',
      'x-kubernetes-validations': [
        {
          rule: "size(self.type) == 0 || self.type == 'none' || has(self.secretRef)",
          message: 'secretRef is required for api-key and oauth credential types',
        },
      ],
    }),
    model: deprecated(w.model, 'worker.model'),
    effort: deprecated(w.effort, 'worker.effort'),
    image: deprecated(w.image, 'worker.image'),
    workspaceRef: deprecated(w.workspaceRef, 'worker.workspaceRef'),
    agentConfigRefs: deprecated(w.agentConfigRefs, 'worker.agentConfigRefs'),
    podOverrides: deprecated(w.podOverrides, 'worker.podOverrides'),
  };
};

/** Job-level fields shared by Task and the TaskSpawner template. */
export const jobFields = () => ({
  ttlSecondsAfterFinished: opt(
    int32(
      'ttlSecondsAfterFinished deletes the Task this many seconds after it finishes. 0 deletes it at once; unset keeps it.',
      { minimum: 0 },
    ),
  ),
  podFailurePolicy: opt({
    ...k8sTypeSchema('PodFailurePolicy', {
      description:
        'podFailurePolicy is copied to the Job; it decides which Pod failures count against the backoff limit. The FailIndex action is not allowed.',
    }),
    'x-kubernetes-validations': [
      {
        rule: "self.rules.all(r, r.action != 'FailIndex')",
        message: 'FailIndex action is not supported (Task Jobs are not indexed)',
      },
    ],
  }),
});

export const TaskSpecSchema = obj(
  {
    worker: opt({
      ...WorkerSpecSchema,
      description:
        'worker says how the agent runs. This is the preferred form; the top-level type, credentials, model, effort, image, workspaceRef, agentConfigRefs and podOverrides are deprecated.',
    }),
    workerPoolRef: opt({
      ...WorkerPoolReferenceSchema,
      description:
        'workerPoolRef dispatches the Task to a WorkerPool instead of a new Job. WorkerPools are not served by this operator yet.',
    }),
    prompt: str(
      'prompt is the instruction given to the agent. With dependsOn it is a Go template: {{index .Deps "task" "Results" "branch"}} reads a result of a finished dependency.',
    ),
    ...legacyWorkerFields(),
    dependsOn: opt(
      strList('dependsOn names Tasks in the same namespace that must succeed before this one starts.'),
    ),
    branch: opt(
      str(
        'branch is checked out (or created) before the agent runs. Tasks on the same workspace and branch run one at a time, oldest first.',
      ),
    ),
    upstreamRepo: opt(
      str('upstreamRepo is the upstream repository as owner/repo, passed as KELOS_UPSTREAM_REPO.'),
    ),
    ...jobFields(),
  },
  'TaskSpec is the desired run of one agent. It is immutable after creation.',
  {
    'x-kubernetes-validations': [
      { rule: 'self == oldSelf', message: 'Task spec is immutable after creation' },
      ...executionRules({
        rule: 'has(self.workerPoolRef) || (has(self.worker) && has(self.worker.type) && size(self.worker.type) > 0) || (has(self.type) && size(self.type) > 0 && has(self.credentials) && size(self.credentials.type) > 0)',
        message: 'either workerPoolRef, worker with type, or type with credentials is required',
      }),
      {
        rule: 'has(self.workerPoolRef) || !has(self.worker) || has(self.worker.credentials)',
        message: 'worker.credentials is required for inline execution',
      },
    ],
  },
);

export const TaskStatusSchema = obj(
  {
    phase: opt(
      str('phase is where the Task is in its life: Waiting, Pending, Running, Succeeded or Failed.'),
    ),
    jobName: opt(str('jobName is the name of the Job that runs the Task.')),
    podName: opt(str('podName is the name of the newest Pod of the Job.')),
    startTime: opt(time('startTime is when the agent started running.')),
    completionTime: opt(time('completionTime is when the Task reached Succeeded or Failed.')),
    message: opt(str('message explains the current phase in words.')),
    outputs: opt(strList('outputs are the raw "key: value" lines the agent reported.')),
    results: opt(
      strMap('results are the outputs parsed into a map: branch, commit, pr, base-branch and others.'),
    ),
    usage: opt({ ...TaskUsageSchema, description: 'usage is the cost and tokens the agent reported.' }),
    conditions: opt(
      conditions(
        'conditions say why the Task waits or failed (BudgetBlocked, DependenciesReady, BranchLocked).',
      ),
    ),
  },
  'TaskStatus is the observed state of a Task.',
);

/** The Task kind. */
export const TASK: KindDefinition<typeof TaskSpecSchema, typeof TaskStatusSchema> = {
  kind: 'Task',
  listKind: 'TaskList',
  plural: 'tasks',
  singular: 'task',
  shortNames: ['tk'],
  categories: [CATEGORY],
  spec: TaskSpecSchema,
  specRequired: true,
  status: TaskStatusSchema,
  description: 'Task is one run of an AI coding agent against a workspace.',
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.worker.type', description: 'Agent type' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Branch', type: 'string', jsonPath: '.spec.branch', priority: 1 },
    { name: 'Workspace', type: 'string', jsonPath: '.spec.worker.workspaceRef.name', priority: 1 },
    { name: 'Depends On', type: 'string', jsonPath: '.spec.dependsOn', priority: 1 },
    { name: 'Cost', type: 'string', jsonPath: '.status.usage.costUSD', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type { TaskSpec, TaskStatus };
