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
  effectiveWorkerField,
  type TaskSpawnerSpec,
  type TaskTemplate,
  type When,
} from '../src/api/index.ts';
import { Messages } from './messages.ts';
import {
  checkReference,
  checkRefList,
  type IKelosObject,
  ImportedObject,
  refNames,
  refsOf,
} from './reference.ts';
import { compactOver, duplicates } from './render.ts';
import { recordSite } from './site.ts';
import type { ITask } from './task.ts';
import { checkTemplates } from './templates.ts';
import { isObject, propsObject, throwIfInvalid, Violations } from './validation.ts';
import {
  checkExecution,
  type ExecutionProps,
  emitsAsWritten,
  renderExecution,
  renderExecutionAsWritten,
  type WorkerProps,
} from './worker.ts';
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

/** Sources the spawner polls, which take a `pollInterval`. */
const POLLED_SOURCES: readonly SourceKind[] = ['githubIssues', 'githubPullRequests', 'jira'];

/** Default `pollInterval` of polled sources (the API default). */
export const DEFAULT_POLL_INTERVAL = '5m';

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

/** The sources set in `when`, in declaration order; none when `when` is no object (its shape check says so). */
export const sourcesOf = (when: When): SourceKind[] =>
  isObject(when) ? (Object.keys(when) as SourceKind[]).filter((k) => when[k] !== undefined) : [];

/**
 * Renders the task template from its props; `asWritten` keeps the execution fields where the
 * props put them instead of moving them into `worker`.
 */
export const renderTaskTemplate = (t: TaskTemplateProps, asWritten = false): TaskTemplate => {
  // One that is no object (or none) is kept as given, for the shape check to refuse.
  if (!isObject(t)) return t as unknown as TaskTemplate;
  const { dependsOn, worker: _w, workerPoolRef: _p, ...rest } = t;
  const { type: _t, credentials: _c, model: _m, effort: _e, image: _i, podOverrides: _o, ...fields } = rest;
  return compactOver<TaskTemplate>(
    { ...fields, dependsOn: refNames(dependsOn) },
    { ...(asWritten ? renderExecutionAsWritten(t) : renderExecution(t)) },
  );
};

/** Renders the TaskSpawner spec from its props; `asWritten` as for {@link renderTaskTemplate}. */
export const renderTaskSpawnerSpec = (props: TaskSpawnerProps, asWritten = false): TaskSpawnerSpec => {
  const { metadata: _metadata, taskTemplate, ...rest } = props;
  return compactOver<TaskSpawnerSpec>(rest, { taskTemplate: renderTaskTemplate(taskTemplate, asWritten) });
};

/**
 * Checks of TaskSpawner props that the API's CEL rules do not state (those run on the
 * rendered object in the constructor): exactly one source in `when`, references in one
 * namespace, unique volume and context source names.
 */
export const checkTaskSpawnerProps = (
  props: TaskSpawnerProps,
  namespace: string | undefined,
  v: Violations,
): void => {
  const t = props.taskTemplate;
  const base = '/spec/taskTemplate';
  // `when` or the template missing or of the wrong shape is the shape check's to refuse.
  if (isObject(props.when)) {
    const sources = sourcesOf(props.when);
    v.check(sources.length !== 1, '/spec/when', Messages.whenExactlyOne(sources));
  }
  if (!isObject(t)) return;
  checkExecution(t, { base, namespace }, v);
  checkRefList('dependsOn', 'Task', t.dependsOn, `${base}/dependsOn`, v);
  refsOf(t.dependsOn).forEach((d, i) => {
    checkReference('dependency', 'Task', d, namespace, `${base}/dependsOn/${i}`, v);
  });
  v.check(
    duplicates((t.contextSources ?? []).map((s) => s.name)).length > 0,
    `${base}/contextSources`,
    Messages.contextSourcesUnique,
  );
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

  constructor(scope: Construct, id: string, given: TaskSpawnerProps) {
    const v = new Violations();
    const props = propsObject(given, v);
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
    // The rendered template holds the effective type already (see resolveAgentType).
    const template = isObject(spec.taskTemplate)
      ? (spec.taskTemplate as unknown as Record<string, unknown>)
      : {};
    const agentType = effectiveWorkerField(template, 'type')?.value as AgentType | undefined;
    if (agentType !== undefined) this.agentType = agentType;
    const t: Partial<TaskTemplateProps> = isObject(props.taskTemplate) ? props.taskTemplate : {};
    const w: WorkerProps = isObject(t.worker) ? (t.worker as WorkerProps) : {};
    if (w.workspace) this.workspace = w.workspace;

    checkTaskSpawnerProps(props, this.namespace, v);
    const templates = checkTemplates('TaskSpawner', spec, v);
    throwIfInvalid(
      { kind: 'TaskSpawner', namespace: this.namespace, name: this.name },
      {
        asWritten: emitsAsWritten(t) ? spec : renderTaskSpawnerSpec(props, true),
        emitted: spec,
      },
      v,
      templates,
    );

    for (const ref of [w.workspace, ...refsOf(w.agentConfigs), ...refsOf(t.dependsOn)]) {
      if (ref && ApiObject.isApiObject(ref)) this.node.addDependency(ref);
    }
  }
}
