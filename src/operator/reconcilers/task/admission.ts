/**
 * Admission of a Task that has no Job yet: validate the spec (cluster data is untrusted),
 * pass the gates, mint the GitHub App token, render the prompt and the Job, check that the
 * Secrets its Pod needs exist (`secrets.ts`), create them.
 * The Job is what admits the Task; the status follows in the next reconcile.
 *
 * @packageDocumentation
 */

import { Annotations, ConditionTypes, type KubeObject, type Task } from '../../../api/index.ts';
import { ApiError, type ApiObject, isAlreadyExists, type ResourceType } from '../../../kube/client.ts';
import { rfc3339 } from '../../../kube/clock.ts';
import type { Checklist } from '../../../kube/log.ts';
import type { ReconcileResult } from '../../../kube/queue.ts';
import type { PodSpec } from '../../../render/pod-defaults.ts';
import { resolveAgentType, resolveModel } from '../../../render/resolve.ts';
import { renderPrompt } from '../../../template/render-prompt.ts';
import type { Diagnostic } from '../../../validate/diagnostic.ts';
import { misspeltModel, notKnownModel } from '../../../validate/model-names.ts';
import { checkPodFloor, describeFloorViolations } from '../../pod-security.ts';
import { repoCredentialProblem } from '../../repo-credentials.ts';
import { Resources } from '../../resources.ts';
import { spawnerOwnerOf } from '../../spawner/ownership.ts';
import { findCondition, resolveCondition, setCondition } from '../../status.ts';
import { checkGates } from './admission-gates.ts';
import type { TaskContext } from './context.ts';
import { GITHUB_TOKEN_CONDITION } from './github-token.ts';
import { admitNetwork } from './network.ts';
import {
  adminOf,
  isOwnedBy,
  keyOf,
  nameOf,
  ownedByPreviousTask,
  PREDECESSOR_REQUEUE_MS,
  type TaskReconcilerOptions,
} from './options.ts';
import {
  appSecretsReadBy,
  checkSecrets,
  describeMissingSecrets,
  secretFields,
  secretRetryMs,
} from './secrets.ts';
import { fail, wait } from './status.ts';

/**
 * Safety net after a Job was created: the Job's ADDED event normally brings the Task back
 * within milliseconds to write its status.
 */
const ADMITTED_REQUEUE_MS = 5_000;

/** 422 Invalid: the server's validation (or an admission policy) refused the object itself. */
const isInvalid = (err: unknown): err is ApiError => err instanceof ApiError && err.status === 422;

/** `path: message; …` of diagnostics, for a status message. */
const describe = (diagnostics: readonly Diagnostic[]): string =>
  diagnostics.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');

/** Admits a Task that has no Job yet, or says (in its status) why it cannot run yet. */
export async function admit(
  ctx: TaskContext,
  task: Task,
  list: Checklist,
): Promise<ReconcileResult | undefined> {
  const { o, pending, tokens } = ctx;
  const { namespace, name } = nameOf(task);

  const entry = pending.remember(task);
  entry.validation ??= o.runtime.validate(task).filter((d) => d.severity === 'error');
  if (entry.validation.length) {
    return fail(o, task, list, {
      reason: 'InvalidSpec',
      message: `Task spec is invalid: ${describe(entry.validation)}`,
    });
  }
  list.step('Spec valid');

  const gates = await checkGates(o, task, list, ctx);
  if (!gates.passed) return gates.result;
  const { workspace, agentConfigs, deps } = gates;
  const leak = workspace ? repoCredentialProblem(workspace.spec.repo) : undefined;
  if (leak) {
    // The message names the field, never the URL: it holds the secret.
    return fail(o, task, list, {
      reason: 'InvalidWorkspace',
      message: `Workspace ${namespace}/${workspace?.metadata.name}: /spec/repo: ${leak}`,
    });
  }
  let conditions = gates.conditions;
  // Past the gates, a failure shows them passed: the stored conditions may still say waiting.
  const failAdmitted = (f: Parameters<typeof fail>[3]) => fail(o, task, list, { ...f, keep: conditions });

  const token = await tokens.ensure(task, workspace, list);
  if (token.kind === 'error') {
    releaseGates(ctx, task);
    return wait(o, task, list, `Waiting for the GitHub App token: ${token.message}`, {
      set: {
        type: GITHUB_TOKEN_CONDITION,
        status: 'False',
        reason: 'TokenMintFailed',
        message: `Secret ${namespace}/${token.secret} not written: ${token.message}`,
      },
      keep: conditions,
      requeueAfterMs: tokens.retryMs(task),
    });
  }
  if (token.kind === 'ok') {
    conditions = resolveCondition(
      conditions,
      {
        type: GITHUB_TOKEN_CONDITION,
        status: 'True',
        reason: 'TokenMinted',
        message: `Installation token in Secret ${namespace}/${token.secret}`,
      },
      rfc3339(o.clock.now()),
    );
  }

  const prompt = renderPrompt(task, deps);
  if (!prompt.ok) return failAdmitted({ reason: 'PromptRenderFailed', message: prompt.message });
  if (deps.length) list.step('Prompt rendered with dependency results');

  const rendered = o.runtime.renderJob({
    task,
    ...(workspace ? { workspace } : {}),
    agentConfigs,
    prompt: prompt.prompt,
    ...(token.kind === 'ok' ? { githubTokenSecretName: token.secret } : {}),
  });
  if (rendered.errors.length || !rendered.job) {
    return failAdmitted({
      reason: 'JobRenderFailed',
      message: `Cannot build the Job: ${describe(rendered.errors) || 'no Job rendered'}`,
    });
  }
  // The floor judges the Pod that would run, whatever podOverrides asked for (issue 9, #3).
  const pod = (rendered.job as { spec?: { template?: { spec?: PodSpec } } }).spec?.template?.spec ?? {
    containers: [],
  };
  const floor = checkPodFloor(pod, adminOf(o).podSecurity, namespace);
  if (floor.length) {
    return failAdmitted({ reason: 'PodSecurityViolation', message: describeFloorViolations(floor) });
  }
  // The App's private key signs the operator's token requests; the Pod gets only the token.
  const appSource = workspace?.spec.secretRef?.name;
  const appKnown = new Map<string, boolean>();
  if (appSource && token.kind === 'ok') appKnown.set(appSource, true);
  if (token.kind === 'none' && token.source?.exists) appKnown.set(token.source.name, false);
  const appKeys = await appSecretsReadBy(o, task, pod, appKnown);
  if (appKeys.length) {
    return failAdmitted({
      reason: 'PodSecurityViolation',
      message: `The Pod would read ${appKeys.map((n) => `Secret ${namespace}/${n}`).join(', ')}, which holds GitHub App keys (privateKey): an agent Pod gets only the installation token the operator mints from them; remove the reference (podOverrides volumes, env, envFrom)`,
    });
  }
  // Before anything is written for the Job: a Pod without its Secret would wait for ever.
  const known = new Map<string, boolean>();
  if (token.kind === 'ok') known.set(token.secret, true);
  if (token.kind === 'none' && token.source) known.set(token.source.name, token.source.exists);
  const secrets = await checkSecrets(
    o,
    ctx.secrets,
    task,
    pod,
    () => secretFields(task, workspace, agentConfigs),
    known,
  );
  if (secrets.missing.length) {
    releaseGates(ctx, task);
    entry.secretMissingSince ??= o.clock.now();
    const message = describeMissingSecrets(namespace, secrets.missing);
    // The gates flipped ReferencesResolved to True in `conditions`; the stored one is what this
    // wait compares with, or each re-check would move its lastTransitionTime and write.
    const stored = findCondition(task.status?.conditions, ConditionTypes.ReferencesResolved);
    const keep = stored
      ? conditions.map((c) => (c.type === ConditionTypes.ReferencesResolved ? stored : c))
      : conditions;
    return wait(o, task, list, message, {
      set: {
        type: ConditionTypes.ReferencesResolved,
        status: 'False',
        reason: 'SecretNotFound',
        message,
      },
      keep,
      requeueAfterMs: secretRetryMs(o.clock.now() - entry.secretMissingSince),
      warning: 'SecretNotFound',
    });
  }
  delete entry.secretMissingSince;
  if (secrets.unknown.length) {
    list.step(`Secrets ${secrets.unknown.join(', ')} not checked: no get on Secrets in ${namespace}`);
  } else if (secrets.reads) {
    list.step(`Secrets exist (${secrets.reads} read)`);
  }
  const network = await admitNetwork(
    o,
    task,
    rendered.job as Parameters<typeof admitNetwork>[2],
    agentConfigs,
  );
  if (network.kind === 'fail') return failAdmitted({ reason: network.reason, message: network.message });
  if (network.condition) conditions = setCondition(conditions, network.condition, rfc3339(o.clock.now()));
  if (network.warning) list.fail(network.step);
  else list.step(network.step);
  const notes = rendered.warnings;
  list.step(notes.length ? `Job rendered (${notes.map((d) => d.message).join('; ')})` : 'Job rendered');

  for (const cm of rendered.configMaps) {
    const created = await createOwned(ctx, Resources.ConfigMap, cm as KubeObject, task, list);
    if (created instanceof ApiError) return failAdmitted(rejected(created, task));
  }
  // The labels the Task is admitted with go on the Job, which the Task author cannot edit:
  // budgets charge the Task by them (issue 9, #5; the Task's own annotation is editable).
  const jobObject = rendered.job as KubeObject;
  jobObject.metadata.annotations = {
    ...jobObject.metadata.annotations,
    [Annotations.TaskBudgetLabels]: JSON.stringify(task.metadata.labels ?? {}),
  };
  const job = await createOwned(ctx, Resources.Job, jobObject, task, list);
  if (job instanceof ApiError) return failAdmitted(rejected(job, task));
  if (job === PREDECESSOR) return { requeueAfterMs: PREDECESSOR_REQUEUE_MS };
  if (!job) {
    return failAdmitted({
      reason: 'JobConflict',
      message: `Job ${namespace}/${name} already exists and is not owned by this Task`,
    });
  }
  warnMisspeltModel(o, task, list);
  // The Job is what admits the Task. The finalizer, the label snapshot and the status follow
  // in the next reconcile, which the Job's ADDED event brings: in a burst, every new Task gets
  // its Job first and the bookkeeping comes after. A crash in between loses nothing: the Job
  // is owned by the Task (garbage-collected with it) and found again by name.
  const admitted = pending.remember(task);
  admitted.conditions = conditions;
  admitted.jobCreatedAt = o.clock.now();
  return { requeueAfterMs: ADMITTED_REQUEUE_MS };
}

/**
 * A Warning Event when the Task's model is a letter or two off one its agent type is known to
 * run (`claude-sonet-4-5`): the agent would fail on it after its Pod started, and model names
 * are free-form, so the Task runs as written; a new model, far from every known one, says nothing.
 */
function warnMisspeltModel(o: TaskReconcilerOptions, task: Task, list: Checklist): void {
  const model = resolveModel(task)?.value;
  const agent = resolveAgentType(task)?.value;
  const near = model && agent ? misspeltModel(agent, model) : undefined;
  if (!model || !agent || !near) return;
  const message = `model ${JSON.stringify(model)} ${notKnownModel(agent, near)} The Job runs it as written`;
  o.events.record(task, 'Warning', 'ModelUnknown', message, 'Admit');
  list.fail(message);
}

/**
 * Gives back what the gates reserved for a Task that stops after them without a Job (its
 * GitHub App token cannot be minted, a Secret its Pod needs is missing): its place under its
 * TaskSpawner's `maxConcurrency` and its TaskBudget reservation. Kept, they held the cap and
 * the budget for as long as it waits (a Secret nobody creates: for ever, until a restart
 * forgot them), and the spawner's other Tasks waited behind a Task that was not running.
 * Nothing was created, so nothing is under-counted; its next reconcile passes the gates again.
 */
function releaseGates(ctx: TaskContext, task: Task): void {
  const owner = spawnerOwnerOf(task);
  if (owner) ctx.slots.release(owner.uid, keyOf(task));
  ctx.holds.release(task);
}

/**
 * The failure of a Task whose child the API server refused as invalid (422): the spec is
 * immutable, so the same render is refused on every retry. Retrying would leave the Task
 * without a phase and fill the log with one error per backoff step; failing it says why
 * (the server's message names the field, e.g. a memory request above its limit) once.
 */
const rejected = (err: ApiError, task: Task): { reason: string; message: string } => {
  const { namespace, name } = nameOf(task);
  // The server's own words, without the request line the client puts before them.
  const detail = err.message.replace(/^[A-Z]+ \S+: 422 \w+: /, '');
  return {
    reason: 'JobRejected',
    message: `The API server refused the ${err.kind ?? 'object'} of Task ${namespace}/${name}: ${detail}. Fix what it names (usually spec.worker.podOverrides) in a new Task: a Task's spec cannot change`,
  };
};

/** {@link createOwned}: the name is held by a child of an earlier Task of the same name. */
const PREDECESSOR = Symbol('predecessor');

/**
 * Creates a child the render made (owned by `task`, labelled, in its namespace). An
 * existing child is fine when it is ours: a restart between create and status write must
 * not fail. Returns the child's metadata (the server answers a create with nothing else),
 * undefined when the name is taken by something we do not own, and the error when the API
 * server refuses the object as invalid (422).
 */
async function createOwned(
  { o }: TaskContext,
  type: ResourceType,
  body: KubeObject,
  task: Task,
  list: Checklist,
): Promise<ApiObject | typeof PREDECESSOR | ApiError | undefined> {
  const { namespace } = nameOf(task);
  const what = `${type.kind} ${namespace}/${body.metadata.name}`;
  try {
    const created = await o.client.createMetadataOnly(type, body);
    list.write(`${what} created`);
    return created;
  } catch (err) {
    if (isInvalid(err)) {
      list.step(`${what} refused as invalid`);
      return err;
    }
    if (!isAlreadyExists(err)) throw err;
    const existing = await o.client.get<KubeObject>(type, namespace, body.metadata.name ?? '');
    if (existing && isOwnedBy(existing, task)) {
      list.step(`${what} already exists and is ours`);
      return existing;
    }
    if (existing && type === Resources.Job && ownedByPreviousTask(existing, task)) {
      // Left by an earlier Task of this name; tracking removes it on the next pass.
      list.step(`${what} belongs to a previous Task of this name; waiting for it to go`);
      return PREDECESSOR;
    }
    list.step(`${what} already exists and is not ours`);
    return undefined;
  }
}
