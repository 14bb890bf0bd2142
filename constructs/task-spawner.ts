/**
 * L1 construct for TaskSpawner: turns a trigger (GitHub, Linear, Jira, Slack, webhooks,
 * cron) into Tasks.
 *
 * @packageDocumentation
 */
import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  type AgentType,
  API_VERSION,
  type TaskSpawnerSpec,
  type TaskTemplate,
  type When,
} from '../src/api/index.ts';
import { CelMessages, Messages } from './messages.ts';
import { type IKelosObject, ImportedObject } from './reference.ts';
import { compact, duplicates } from './render.ts';
import { recordSite } from './site.ts';
import type { ITask } from './task.ts';
import { checkTemplates } from './templates.ts';
import { throwIfViolations, Violations } from './validation.ts';
import { checkExecution, type ExecutionProps, renderExecution, resolveAgentType } from './worker.ts';
import type { IWorkspace } from './workspace.ts';

/** A TaskSpawner, defined in this app or imported with {@link TaskSpawner.fromTaskSpawnerName}. */
export interface ITaskSpawner extends IKelosObject {
  readonly kind: 'TaskSpawner';
}

/** One of the trigger sources of `spec.when`. */
export type SourceKind = keyof When;

/** `spec.when.githubIssues`. */
export type GitHubIssuesSource = NonNullable<When['githubIssues']>;
/** `spec.when.githubPullRequests`. */
export type GitHubPullRequestsSource = NonNullable<When['githubPullRequests']>;
/** `spec.when.cron`. */
export type CronSource = NonNullable<When['cron']>;
/** The comment policy of a GitHub polling source. */
export type GitHubCommentPolicy = NonNullable<GitHubIssuesSource['commentPolicy']>;
/** Reporting of Task status back to GitHub pull requests. */
export type GitHubReporting = NonNullable<GitHubPullRequestsSource['reporting']>;

/** Sources that need a workspace, because they act on a repository. */
const WORKSPACE_SOURCES: readonly SourceKind[] = [
  'githubIssues',
  'githubPullRequests',
  'githubWebhook',
  'linearWebhook',
];

/** Sources the spawner polls, which take a `pollInterval`. */
const POLLED_SOURCES: readonly SourceKind[] = ['githubIssues', 'githubPullRequests', 'jira'];

/** Default `pollInterval` of polled sources (the API default). */
export const DEFAULT_POLL_INTERVAL = '5m';

/** Pull-request events that allow check-run reporting on a GitHub webhook. */
const PR_EVENTS = [
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'pull_request_target',
];

type ReplacedTemplateFields =
  | 'worker'
  | 'workerPoolRef'
  | 'type'
  | 'credentials'
  | 'model'
  | 'effort'
  | 'image'
  | 'podOverrides'
  | 'workspaceRef'
  | 'agentConfigRefs'
  | 'dependsOn';

/** The Task every trigger creates, with references as constructs. */
export interface TaskTemplateProps extends ExecutionProps, Omit<TaskTemplate, ReplacedTemplateFields> {
  /**
   * Tasks every spawned Task depends on.
   *
   * @default - none
   */
  readonly dependsOn?: readonly ITask[];
}

/** Props of a {@link TaskSpawner}: its spec, with references as constructs, plus object metadata. */
export interface TaskSpawnerProps extends Omit<TaskSpawnerSpec, 'taskTemplate'> {
  /**
   * Object metadata.
   *
   * @default - name generated from the construct path; namespace of the chart.
   */
  readonly metadata?: ApiObjectMetadata;
  /** The Task each trigger creates. */
  readonly taskTemplate: TaskTemplateProps;
}

/** The sources set in `when`, in declaration order. */
export const sourcesOf = (when: When): SourceKind[] =>
  (Object.keys(when) as SourceKind[]).filter((k) => when[k] !== undefined);

/** Renders the task template from its props. */
export const renderTaskTemplate = (t: TaskTemplateProps): TaskTemplate => {
  const { dependsOn, worker: _w, workerPoolRef: _p, ...rest } = t;
  const { type: _t, credentials: _c, model: _m, effort: _e, image: _i, podOverrides: _o, ...fields } = rest;
  return compact({
    ...fields,
    ...renderExecution(t),
    dependsOn: dependsOn && dependsOn.length > 0 ? dependsOn.map((d) => d.name) : undefined,
  }) as TaskTemplate;
};

/** Renders the TaskSpawner spec from its props. */
export const renderTaskSpawnerSpec = (props: TaskSpawnerProps): TaskSpawnerSpec => {
  const { metadata: _metadata, taskTemplate, ...rest } = props;
  return compact({ ...rest, taskTemplate: renderTaskTemplate(taskTemplate) }) as TaskSpawnerSpec;
};

/** Pure checks of TaskSpawner props: the CEL rules of the spec, the template and the sources. */
export const checkTaskSpawnerProps = (
  props: TaskSpawnerProps,
  namespace: string | undefined,
  v: Violations,
): void => {
  const t = props.taskTemplate;
  const base = '/spec/taskTemplate';
  const sources = sourcesOf(props.when);
  v.check(sources.length !== 1, '/spec/when', Messages.whenExactlyOne(sources));

  checkExecution(t, { base, target: 'template', namespace }, v);
  const pool = t.workerPoolRef !== undefined;
  if (pool) {
    v.check((t.dependsOn ?? []).length > 0, base, CelMessages.notSupportedWithPool('dependsOn'));
    v.check(Boolean(t.branch), base, CelMessages.notSupportedWithPool('branch'));
    v.check(
      t.ttlSecondsAfterFinished !== undefined,
      base,
      CelMessages.notSupportedWithPool('ttlSecondsAfterFinished'),
    );
    v.check(t.podFailurePolicy !== undefined, base, CelMessages.notSupportedWithPool('podFailurePolicy'));
  }
  v.check(
    (t.podFailurePolicy?.rules ?? []).some((r) => r.action === 'FailIndex'),
    `${base}/podFailurePolicy`,
    CelMessages.failIndex,
  );

  const hasWorkspace = t.worker?.workspace !== undefined || pool;
  v.check(
    sources.some((s) => WORKSPACE_SOURCES.includes(s)) && !hasWorkspace,
    '/spec',
    CelMessages.spawnerWorkspaceRequired,
  );
  const poolCredentials = props.credentials !== undefined;
  const templateCredentials = t.credentials !== undefined || t.worker?.credentials !== undefined;
  const inlineOk =
    (t.worker !== undefined && (t.worker.credentials !== undefined || poolCredentials)) ||
    (Boolean(t.type) && (t.credentials !== undefined || poolCredentials));
  v.check(!pool && !inlineOk, '/spec', CelMessages.spawnerCredentialsRequired);
  v.check(poolCredentials && (pool || templateCredentials), '/spec', CelMessages.spawnerCredentialsExclusive);

  const { githubIssues, githubWebhook, webhook } = props.when;
  v.check(
    githubIssues?.reporting?.checks !== undefined,
    '/spec/when/githubIssues/reporting',
    CelMessages.issuesNoChecks,
  );
  v.check(
    githubWebhook?.reporting?.checks !== undefined &&
      !githubWebhook.events.some((e) => PR_EVENTS.includes(e)),
    '/spec/when/githubWebhook',
    CelMessages.webhookChecksNeedPrEvent,
  );
  if (webhook) {
    v.check(
      !('id' in webhook.fieldMapping),
      '/spec/when/webhook/fieldMapping',
      CelMessages.webhookFieldMappingId,
    );
    for (const field of ['filters', 'excludeFilters'] as const) {
      (webhook[field] ?? []).forEach((f, i) => {
        v.check(
          (f.value !== undefined) === Boolean(f.pattern),
          `/spec/when/webhook/${field}/${i}`,
          CelMessages.webhookFilterValueOrPattern,
        );
      });
    }
  }
  const contextSources = t.contextSources ?? [];
  v.check(
    duplicates(contextSources.map((s) => s.name)).length > 0,
    `${base}/contextSources`,
    Messages.contextSourcesUnique,
  );
  contextSources.forEach((s, i) => {
    v.check(s.http === undefined, `${base}/contextSources/${i}`, CelMessages.contextSourceKind);
  });
};

/**
 * Turns a trigger into Tasks. Renders the template in the preferred `worker` form.
 *
 * @throws KelosValidationError when the props break a rule the API server would enforce
 * (the message is the CEL rule's), or `when` does not name exactly one source.
 */
export class TaskSpawner extends ApiObject implements ITaskSpawner {
  /**
   * Refers to a TaskSpawner defined outside this app.
   *
   * @param name `metadata.name` of the TaskSpawner.
   * @param namespace its namespace, when the referring objects name theirs.
   */
  static fromTaskSpawnerName(scope: Construct, id: string, name: string, namespace?: string): ITaskSpawner {
    return new ImportedObject(scope, id, 'TaskSpawner', name, namespace) as ITaskSpawner;
  }

  declare readonly kind: 'TaskSpawner';
  /** Namespace of the object, from its metadata or its chart. */
  readonly namespace?: string;
  /** The rendered spec. */
  readonly spec: TaskSpawnerSpec;
  /** The trigger source (the one key set in `when`). */
  readonly source: SourceKind;
  /** Cap on unfinished spawned Tasks; 0 means no cap (the API default). */
  readonly maxConcurrency: number;
  /** Cap on Tasks over the spawner's lifetime; 0 means no cap (the API default). */
  readonly maxTotalTasks: number;
  /** Whether the spawner is suspended (the API default is false). */
  readonly suspend: boolean;
  /** How often a polled source is polled; undefined for pushed and scheduled sources. */
  readonly pollInterval?: string;
  /** Agent each spawned Task runs; unset with a WorkerPool. */
  readonly agentType?: AgentType;
  /** Workspace spawned Tasks work in, if any. */
  readonly workspace?: IWorkspace;

  constructor(scope: Construct, id: string, props: TaskSpawnerProps) {
    const spec = renderTaskSpawnerSpec(props);
    super(scope, id, { apiVersion: API_VERSION, kind: 'TaskSpawner', metadata: props.metadata, spec });
    recordSite(this);
    this.spec = spec;
    if (this.metadata.namespace !== undefined) this.namespace = this.metadata.namespace;
    const sources = sourcesOf(props.when);
    this.source = sources[0] ?? 'cron';
    this.maxConcurrency = props.maxConcurrency ?? 0;
    this.maxTotalTasks = props.maxTotalTasks ?? 0;
    this.suspend = props.suspend ?? false;
    if (POLLED_SOURCES.includes(this.source)) {
      const polled = props.when[this.source] as { pollInterval?: string } | undefined;
      this.pollInterval = polled?.pollInterval ?? DEFAULT_POLL_INTERVAL;
    }
    const agentType = resolveAgentType(props.taskTemplate);
    if (agentType !== undefined) this.agentType = agentType;
    if (props.taskTemplate.worker?.workspace) this.workspace = props.taskTemplate.worker.workspace;

    const v = new Violations();
    checkTaskSpawnerProps(props, this.namespace, v);
    checkTemplates('TaskSpawner', spec, v);
    throwIfViolations({ kind: 'TaskSpawner', namespace: this.namespace, name: this.name }, v.items);

    const t = props.taskTemplate;
    for (const ref of [t.worker?.workspace, ...(t.worker?.agentConfigs ?? []), ...(t.dependsOn ?? [])]) {
      if (ref && ApiObject.isApiObject(ref)) this.node.addDependency(ref);
    }
  }
}
