/**
 * L1 construct for Task: one run of an AI coding agent.
 *
 * @packageDocumentation
 */
import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  type AgentType,
  API_VERSION,
  type Credentials,
  effectiveWorkerField,
  type TaskSpec,
} from '../src/api/index.ts';
import type { IAgentConfig } from './agent-config.ts';
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
import { checkTemplates } from './templates.ts';
import { propsObject, throwIfInvalid, Violations } from './validation.ts';
import {
  checkExecution,
  type ExecutionProps,
  emitsAsWritten,
  renderExecution,
  renderExecutionAsWritten,
} from './worker.ts';
import type { IWorkspace } from './workspace.ts';

/** A Task, defined in this app or imported with {@link Task.fromTaskName}. */
export interface ITask extends IKelosObject {
  readonly kind: 'Task';
}

/** Fields of TaskSpec that the props replace with construct references or {@link ExecutionProps}. */
type ReplacedTaskFields =
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

/** Props of a {@link Task}: its spec, with references as constructs, plus object metadata. */
export interface TaskProps extends ExecutionProps, Omit<TaskSpec, ReplacedTaskFields> {
  /**
   * Object metadata.
   *
   * @default - name generated from the construct path; namespace of the chart.
   */
  readonly metadata?: ApiObjectMetadata;
  /**
   * Tasks that must succeed before this one starts. Their results are readable in the
   * prompt as `{{index .Deps "<name>" "Results" "branch"}}`.
   *
   * @default - none
   */
  readonly dependsOn?: readonly ITask[];
}

/**
 * Checks of Task props that the API's CEL rules do not state (those run on the rendered
 * object in the constructor): references in one namespace, unique volume names, and a
 * `dependsOn` list without the Task itself or repeats.
 */
export const checkTaskProps = (
  props: TaskProps,
  self: { name: string; namespace?: string },
  v: Violations,
): void => {
  checkExecution(props, { base: '/spec', namespace: self.namespace }, v);
  checkRefList('dependsOn', 'Task', props.dependsOn, '/spec/dependsOn', v);
  const deps = refsOf(props.dependsOn);
  v.check(
    deps.some((d) => d?.name === self.name && d.namespace === self.namespace),
    '/spec/dependsOn',
    Messages.dependsOnSelf,
  );
  for (const name of duplicates(deps.map((d) => d?.name).filter((n) => typeof n === 'string'))) {
    v.add('/spec/dependsOn', Messages.duplicateDependency(name));
  }
  deps.forEach((d, i) => {
    checkReference('dependency', 'Task', d, self.namespace, `/spec/dependsOn/${i}`, v);
  });
};

/**
 * Renders the Task spec from its props; `asWritten` keeps the execution fields where the props
 * put them (see {@link renderExecutionAsWritten}) instead of moving them into `worker`.
 */
export const renderTaskSpec = (props: TaskProps, asWritten = false): TaskSpec => {
  const { metadata: _metadata, dependsOn, worker: _w, workerPoolRef: _p, ...rest } = props;
  const {
    type: _t,
    credentials: _c,
    model: _m,
    effort: _e,
    image: _i,
    podOverrides: _o,
    ...taskFields
  } = rest;
  return compactOver<TaskSpec>(
    {
      ...taskFields,
      dependsOn: refNames(dependsOn),
    },
    { ...(asWritten ? renderExecutionAsWritten(props) : renderExecution(props)) },
  );
};

/**
 * One run of an AI coding agent. Renders the preferred `spec.worker` form; the deprecated
 * top-level fields are accepted and moved into `worker`.
 *
 * @throws KelosValidationError when the props break a rule the API server would enforce
 * (the message is the CEL rule's), or a reference crosses namespaces.
 */
export class Task extends ApiObject implements ITask {
  /**
   * Refers to a Task defined outside this app, e.g. as a dependency.
   *
   * @param name `metadata.name` of the Task.
   * @param namespace its namespace, when the referring objects name theirs.
   */
  static fromTaskName(scope: Construct, id: string, name: string, namespace?: string): ITask {
    return new ImportedObject(scope, id, 'Task', name, namespace) as ITask;
  }

  declare readonly kind: 'Task';
  /** Namespace of the object, from its metadata or its chart. */
  readonly namespace?: string;
  /** The rendered spec. */
  readonly spec: TaskSpec;
  /** Agent that runs: `worker.type`, else the deprecated `type`; unset with a WorkerPool. */
  readonly agentType?: AgentType;
  /** Credentials the agent uses: `worker.credentials`, else the deprecated `credentials`. */
  readonly credentials?: Credentials;
  /** Workspace the agent works in, if any. */
  readonly workspace?: IWorkspace;
  /** AgentConfigs merged into the agent's configuration, in order. */
  readonly agentConfigs: readonly IAgentConfig[];
  /** Tasks that must succeed first. */
  readonly dependencies: readonly ITask[];
  /** Seconds after finishing the Task is deleted; undefined keeps it. */
  readonly ttlSecondsAfterFinished?: number;
  /** Seconds the Task may run before it fails; undefined means no deadline. */
  readonly activeDeadlineSeconds?: number;

  constructor(scope: Construct, id: string, given: TaskProps) {
    const v = new Violations();
    const props = propsObject(given, v);
    const spec = renderTaskSpec(props);
    super(scope, id, { apiVersion: API_VERSION, kind: 'Task', metadata: props.metadata, spec });
    recordSite(this);
    this.spec = spec;
    if (this.metadata.namespace !== undefined) this.namespace = this.metadata.namespace;
    // The rendered spec holds the effective values already (what resolveAgentType and
    // resolveCredentials compute from the props), so the props are not rendered again for them.
    const agentType = effectiveWorkerField(spec as Record<string, unknown>, 'type')?.value as
      | AgentType
      | undefined;
    if (agentType !== undefined) this.agentType = agentType;
    const credentials = effectiveWorkerField(spec as Record<string, unknown>, 'credentials')?.value as
      | Credentials
      | undefined;
    if (credentials !== undefined) this.credentials = credentials;
    if (props.worker?.workspace) this.workspace = props.worker.workspace;
    this.agentConfigs = refsOf(props.worker?.agentConfigs);
    this.dependencies = refsOf(props.dependsOn);
    if (props.ttlSecondsAfterFinished !== undefined)
      this.ttlSecondsAfterFinished = props.ttlSecondsAfterFinished;
    const deadline = spec.worker?.podOverrides?.activeDeadlineSeconds;
    if (deadline !== undefined) this.activeDeadlineSeconds = deadline;

    checkTaskProps(props, { name: this.name, namespace: this.namespace }, v);
    const templates = checkTemplates('Task', spec, v);
    throwIfInvalid(
      { kind: 'Task', namespace: this.namespace, name: this.name },
      { asWritten: emitsAsWritten(props) ? spec : renderTaskSpec(props, true), emitted: spec },
      v,
      templates,
    );

    // Objects this one names are rendered first, so a plain `kubectl apply` of the
    // cdk8s output creates them before the Task that needs them.
    for (const ref of [this.workspace, ...this.agentConfigs, ...this.dependencies]) {
      if (ref && ApiObject.isApiObject(ref)) this.node.addDependency(ref);
    }
  }
}
