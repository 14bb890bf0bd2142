/**
 * How an agent runs (`worker`), shared by Task and the TaskSpawner template: props with
 * construct references, the rendering into the preferred `worker` form, and the
 * execution rules both kinds enforce.
 *
 * @packageDocumentation
 */
import {
  type AgentType,
  type Credentials,
  effectiveWorkerField,
  type PodOverrides,
  type TaskSpec,
  WORKER_FIELDS,
  type WorkerPoolReference,
  type WorkerSpec,
} from '../src/api/index.ts';
import type { IAgentConfig } from './agent-config.ts';
import { Messages } from './messages.ts';
import { checkReference, checkRefList, refNames, refsOf } from './reference.ts';
import { compact, compactOver, duplicates } from './render.ts';
import { isObject, type Violations } from './validation.ts';
import type { IWorkspace } from './workspace.ts';

/** `spec.worker` with references as constructs. */
export interface WorkerProps extends Omit<WorkerSpec, 'workspaceRef' | 'agentConfigRefs'> {
  /**
   * Workspace (git repository) the agent clones and works in.
   *
   * @default - none: the agent starts in an empty directory.
   */
  readonly workspace?: IWorkspace;
  /**
   * AgentConfigs merged in order: instructions joined, plugins and skills appended, later
   * MCP servers replace earlier ones of the same name.
   *
   * @default - none
   */
  readonly agentConfigs?: readonly IAgentConfig[];
}

/**
 * Execution fields of a Task or task template: the preferred `worker`, a WorkerPool, or the
 * deprecated top-level fields (accepted so upstream manifests translate one to one, and
 * rendered into `worker`).
 */
export interface ExecutionProps extends Pick<Partial<TaskSpec>, 'workerPoolRef'> {
  /**
   * How the agent runs. This is the preferred form.
   *
   * @default - built from the deprecated top-level fields, if any.
   */
  readonly worker?: WorkerProps;
  /**
   * Deprecated: use worker.type.
   * @deprecated use `worker.type`.
   */
  readonly type?: WorkerSpec['type'];
  /**
   * Deprecated: use worker.credentials.
   * @deprecated use `worker.credentials`.
   */
  readonly credentials?: Credentials;
  /**
   * Deprecated: use worker.model.
   * @deprecated use `worker.model`.
   */
  readonly model?: string;
  /**
   * Deprecated: use worker.effort.
   * @deprecated use `worker.effort`.
   */
  readonly effort?: string;
  /**
   * Deprecated: use worker.image.
   * @deprecated use `worker.image`.
   */
  readonly image?: string;
  /**
   * Deprecated: use worker.podOverrides.
   * @deprecated use `worker.podOverrides`.
   */
  readonly podOverrides?: PodOverrides;
}

/** The execution fields as rendered into a spec. */
export interface RenderedExecution {
  worker?: WorkerSpec;
  workerPoolRef?: WorkerPoolReference;
  type?: WorkerSpec['type'];
  credentials?: Credentials;
  model?: string;
  effort?: string;
  image?: string;
  podOverrides?: PodOverrides;
}

/**
 * Renders the execution fields as the props wrote them: `worker`, the pool and the deprecated
 * top-level fields each where they were given. The eager checks run the API's rules on this
 * form, so a conflict the emitted form would hide (a worker beside a deprecated type) is still
 * reported.
 */
export const renderExecutionAsWritten = (p: ExecutionProps): RenderedExecution =>
  compactOver(
    {
      workerPoolRef: p.workerPoolRef,
      type: p.type,
      credentials: p.credentials,
      model: p.model,
      effort: p.effort,
      image: p.image,
      podOverrides: p.podOverrides,
    },
    p.worker !== undefined && p.worker !== null ? { worker: renderWorker(p.worker) } : {},
  );

/**
 * Renders the execution fields. Without a WorkerPool, everything lands in `worker`, each field
 * taking its effective value ({@link effectiveWorkerField}, the one rule for "worker field or
 * deprecated twin" the operator applies too), so the rendered Task runs exactly as the props say.
 */
export const renderExecution = (p: ExecutionProps): RenderedExecution => {
  // Invalid combinations with a pool are rejected by the checks; render them as given so the
  // message and the output agree.
  const written = renderExecutionAsWritten(p);
  // So is a worker that is no object (`worker: 'codex'`): the shape check refuses it as given.
  if (p.workerPoolRef !== undefined || (written.worker !== undefined && !isObject(written.worker))) {
    return written;
  }
  const members: Record<string, unknown> = { ...written.worker };
  for (const field of WORKER_FIELDS) {
    const effective = effectiveWorkerField(written as Record<string, unknown>, field);
    if (effective) members[field] = effective.value;
  }
  // Every member is a compacted part of `written`; only the keys need sorting.
  const worker = compactOver<WorkerSpec>({}, members);
  return Object.keys(worker).length > 0 ? { worker } : {};
};

/**
 * Whether {@link renderExecution} emits exactly what {@link renderExecutionAsWritten} renders:
 * no deprecated field to move into `worker`, and no `worker` that renders empty and would be
 * dropped. Then a construct's spec as written is its emitted spec, and it renders it once.
 */
export const emitsAsWritten = (p: ExecutionProps): boolean =>
  p.type === undefined &&
  p.credentials === undefined &&
  p.model === undefined &&
  p.effort === undefined &&
  p.image === undefined &&
  p.podOverrides === undefined &&
  (p.worker === undefined || p.workerPoolRef !== undefined || Object.keys(renderWorker(p.worker)).length > 0);

/**
 * Renders `worker` with references turned into names; one that is no object is kept as given
 * (spread, a string became one field per character), for the shape check to refuse.
 */
export const renderWorker = (w: WorkerProps): WorkerSpec => {
  if (!isObject(w)) return w as WorkerSpec;
  const { workspace, agentConfigs, ...rest } = w;
  return compact({
    ...rest,
    workspaceRef: workspace ? { name: workspace.name } : undefined,
    agentConfigRefs: refNames(agentConfigs)?.map((name) => ({ name })),
  });
};

/** Effective agent type: `worker.type`, else the deprecated `type` ({@link effectiveWorkerField}). */
export const resolveAgentType = (p: ExecutionProps): AgentType | undefined =>
  effectiveWorkerField(renderExecutionAsWritten(p) as Record<string, unknown>, 'type')?.value as
    | AgentType
    | undefined;

/** Effective credentials: `worker.credentials`, else the deprecated `credentials`. */
export const resolveCredentials = (p: ExecutionProps): Credentials | undefined =>
  effectiveWorkerField(renderExecutionAsWritten(p) as Record<string, unknown>, 'credentials')?.value as
    | Credentials
    | undefined;

/** Where the execution checks run and what they are called on. */
export interface ExecutionCheckContext {
  /** JSON pointer of the struct holding the fields: `/spec` or `/spec/taskTemplate`. */
  readonly base: string;
  /** Namespace of the referring object, for the same-namespace check. */
  readonly namespace: string | undefined;
}

/**
 * What the execution fields need beyond the API's CEL rules (which `throwIfInvalid`
 * evaluates): references in one namespace, and unique volume names in the Pod overrides.
 */
export const checkExecution = (p: ExecutionProps, ctx: ExecutionCheckContext, v: Violations): void => {
  const { base } = ctx;
  if (p.worker?.podOverrides) checkPodOverrides(p.worker.podOverrides, `${base}/worker/podOverrides`, v);
  if (p.podOverrides) checkPodOverrides(p.podOverrides, `${base}/podOverrides`, v);

  const w = p.worker;
  // The manifest's names for what the props take as constructs: rendering would drop them.
  const written = isObject(w) ? (w as Record<string, unknown>) : {};
  for (const [field, prop, takes] of [
    [
      'workspaceRef',
      'workspace',
      'a Workspace construct, or Workspace.fromWorkspaceName(scope, id, name) for one defined elsewhere',
    ],
    [
      'agentConfigRefs',
      'agentConfigs',
      'a list of AgentConfig constructs, or of AgentConfig.fromAgentConfigName(scope, id, name) for ones defined elsewhere',
    ],
  ] as const) {
    if (written[field] !== undefined)
      v.add(
        `${base}/worker/${field}`,
        `worker.${field} is the manifest's field; the construct takes worker.${prop}: ${takes}`,
      );
  }
  if (w?.workspace !== undefined) {
    checkReference('workspace', 'Workspace', w.workspace, ctx.namespace, `${base}/worker/workspaceRef`, v);
  }
  checkRefList('agentConfigs', 'AgentConfig', w?.agentConfigs, `${base}/worker/agentConfigRefs`, v);
  refsOf(w?.agentConfigs).forEach((c, i) => {
    checkReference('agentConfig', 'AgentConfig', c, ctx.namespace, `${base}/worker/agentConfigRefs/${i}`, v);
  });
};

/**
 * Unique volume names in Pod overrides: a list-map key the API server enforces itself;
 * constructs say it sooner. The reserved-name rules are CEL and run with the rest.
 */
export const checkPodOverrides = (o: PodOverrides, path: string, v: Violations): void => {
  const volumes = (o.volumes ?? []).map((vol) => vol.name);
  v.check(duplicates(volumes).length > 0, `${path}/volumes`, Messages.volumeNamesUnique);
};
