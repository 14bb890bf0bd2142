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
  type PodOverrides,
  RESERVED_CONTAINER_NAMES,
  RESERVED_PREFIX,
  type TaskSpec,
  type WorkerPoolReference,
  type WorkerSpec,
} from '../src/api/index.ts';
import type { IAgentConfig } from './agent-config.ts';
import { CelMessages, Messages } from './messages.ts';
import { describeRef, type IKelosObject } from './reference.ts';
import { compact, duplicates } from './render.ts';
import type { Violations } from './validation.ts';
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
  /** Deprecated: use worker.type. */
  readonly type?: WorkerSpec['type'];
  /** Deprecated: use worker.credentials. */
  readonly credentials?: Credentials;
  /** Deprecated: use worker.model. */
  readonly model?: string;
  /** Deprecated: use worker.effort. */
  readonly effort?: string;
  /** Deprecated: use worker.image. */
  readonly image?: string;
  /** Deprecated: use worker.podOverrides. */
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

const hasLegacyIdentity = (p: ExecutionProps): boolean => p.type !== undefined || p.credentials !== undefined;

/**
 * Renders the execution fields. Without a WorkerPool, everything lands in `worker`: a
 * worker field wins over its deprecated twin, which is how the operator resolves them too,
 * so the rendered Task runs exactly as the props say.
 */
export const renderExecution = (p: ExecutionProps): RenderedExecution => {
  if (p.workerPoolRef !== undefined) {
    // Invalid combinations are rejected by the caller; render them as given so the
    // message and the output agree.
    return compact({
      workerPoolRef: p.workerPoolRef,
      worker: p.worker ? renderWorker(p.worker) : undefined,
      type: p.type,
      credentials: p.credentials,
      model: p.model,
      effort: p.effort,
      image: p.image,
      podOverrides: p.podOverrides,
    });
  }
  const w = p.worker ?? {};
  const worker = renderWorker({
    ...w,
    type: w.type ?? p.type,
    credentials: w.credentials ?? p.credentials,
    model: w.model ?? p.model,
    effort: w.effort ?? p.effort,
    image: w.image ?? p.image,
    podOverrides: w.podOverrides ?? p.podOverrides,
  });
  return Object.keys(worker).length > 0 ? { worker } : {};
};

/** Renders `worker` with references turned into names. */
export const renderWorker = (w: WorkerProps): WorkerSpec => {
  const { workspace, agentConfigs, ...rest } = w;
  return compact({
    ...rest,
    workspaceRef: workspace ? { name: workspace.name } : undefined,
    agentConfigRefs:
      agentConfigs && agentConfigs.length > 0 ? agentConfigs.map((c) => ({ name: c.name })) : undefined,
  });
};

/** Effective agent type: `worker.type`, else the deprecated `type`. */
export const resolveAgentType = (p: ExecutionProps): AgentType | undefined => {
  const t = p.worker?.type || p.type;
  return t ? t : undefined;
};

/** Effective credentials: `worker.credentials`, else the deprecated `credentials`. */
export const resolveCredentials = (p: ExecutionProps): Credentials | undefined =>
  p.worker?.credentials ?? p.credentials;

/** Where the execution rules run and what they are called on. */
export interface ExecutionCheckContext {
  /** JSON pointer of the struct holding the fields: `/spec` or `/spec/taskTemplate`. */
  readonly base: string;
  /** Task requires credentials with the legacy type; a template may take them from the spawner. */
  readonly target: 'task' | 'template';
  /** Namespace of the referring object, for the same-namespace check. */
  readonly namespace: string | undefined;
}

const needsSecret = (c: Credentials | undefined): boolean =>
  c !== undefined && c.type !== 'none' && c.secretRef === undefined;

/**
 * The execution rules of TaskSpec and TaskTemplate (`executionRules` in `src/api/task.ts`),
 * plus the credential and Pod override rules of the structs inside, checked on props.
 */
export const checkExecution = (p: ExecutionProps, ctx: ExecutionCheckContext, v: Violations): void => {
  const { base } = ctx;
  const pool = p.workerPoolRef !== undefined;
  const worker = p.worker !== undefined;
  const legacy = hasLegacyIdentity(p);

  v.check(pool && legacy, base, CelMessages.poolVsLegacy);
  v.check(pool && worker, base, CelMessages.poolVsWorker);
  v.check(worker && legacy, base, CelMessages.workerVsLegacy);
  if (pool) {
    v.check(Boolean(p.image), base, CelMessages.notSupportedWithPool('image'));
    v.check(p.podOverrides !== undefined, base, CelMessages.notSupportedWithPool('podOverrides'));
  }

  const inlineType = Boolean(p.worker?.type);
  const legacyOk = Boolean(p.type) && (ctx.target === 'template' || Boolean(p.credentials?.type));
  v.check(
    !pool && !inlineType && !legacyOk,
    base,
    ctx.target === 'task' ? CelMessages.taskExecutionRequired : CelMessages.templateExecutionRequired,
  );
  if (ctx.target === 'task') {
    v.check(
      !pool && worker && p.worker?.credentials === undefined,
      base,
      CelMessages.workerCredentialsRequired,
    );
  }

  v.check(needsSecret(p.worker?.credentials), `${base}/worker`, CelMessages.credentialsSecretRef);
  v.check(needsSecret(p.credentials), `${base}/credentials`, CelMessages.legacyCredentialsSecretRef);

  if (p.worker?.podOverrides) checkPodOverrides(p.worker.podOverrides, `${base}/worker/podOverrides`, v);
  if (p.podOverrides) checkPodOverrides(p.podOverrides, `${base}/podOverrides`, v);

  const refs: Array<[string, IKelosObject]> = [];
  if (p.worker?.workspace) refs.push(['workspace', p.worker.workspace]);
  for (const c of p.worker?.agentConfigs ?? []) refs.push(['agentConfig', c]);
  for (const [what, ref] of refs) {
    checkSameNamespace(what, ref, ctx.namespace, `${base}/worker`, v);
  }
};

/** References stay within one namespace; both sides must say which one when either does. */
export const checkSameNamespace = (
  what: string,
  ref: IKelosObject,
  own: string | undefined,
  path: string,
  v: Violations,
): void => {
  v.check(
    ref.namespace !== undefined && ref.namespace !== own,
    path,
    Messages.sameNamespace(what, describeRef(ref), ref.namespace, own),
  );
};

/** The CEL rules on PodOverrides lists (reserved and duplicate names). */
export const checkPodOverrides = (o: PodOverrides, path: string, v: Violations): void => {
  const volumes = (o.volumes ?? []).map((vol) => vol.name);
  v.check(
    volumes.some((n) => n.startsWith(RESERVED_PREFIX) || n === 'workspace'),
    `${path}/volumes`,
    CelMessages.volumeNamesReserved,
  );
  v.check(duplicates(volumes).length > 0, `${path}/volumes`, Messages.volumeNamesUnique);
  for (const field of ['extraContainers', 'extraInitContainers'] as const) {
    const names = (o[field] ?? []).map((c) => c.name);
    v.check(
      names.some((n) => n.length === 0),
      `${path}/${field}`,
      CelMessages.containerNamesEmpty(field),
    );
    v.check(
      names.some(
        (n) => n.startsWith(RESERVED_PREFIX) || (RESERVED_CONTAINER_NAMES as readonly string[]).includes(n),
      ),
      `${path}/${field}`,
      CelMessages.containerNamesReserved(field),
    );
  }
};
