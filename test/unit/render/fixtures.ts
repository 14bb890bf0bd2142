/**
 * Builders for the objects the render reads. Each returns a fresh object, so tests may
 * modify what they get.
 */
import type { AgentConfigSpec } from '../../../src/api/agent-config.ts';
import type { AgentConfig, Task, Workspace } from '../../../src/api/object.ts';
import type { TaskSpec } from '../../../src/api/task.ts';
import type { WorkspaceSpec } from '../../../src/api/workspace.ts';
import { type RenderInput, type RenderResult, renderTaskJob } from '../../../src/render/task-job.ts';

export const makeTask = (spec: Partial<TaskSpec> = {}, meta: Partial<Task['metadata']> = {}): Task => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name: 'fix-bug', namespace: 'team-a', uid: '6f1c0b9e-1111-2222-3333-444455556666', ...meta },
  spec: {
    prompt: 'Fix the bug',
    worker: { type: 'claude-code', credentials: { type: 'api-key', secretRef: { name: 'claude-key' } } },
    ...spec,
  },
});

/** A Task whose worker has these fields on top of the default claude-code worker. */
export const withWorker = (
  worker: Partial<NonNullable<TaskSpec['worker']>>,
  spec: Partial<TaskSpec> = {},
): Task =>
  makeTask({
    ...spec,
    worker: {
      type: 'claude-code',
      credentials: { type: 'api-key', secretRef: { name: 'claude-key' } },
      ...worker,
    },
  });

export const makeWorkspace = (spec: Partial<WorkspaceSpec> = {}, name = 'repo'): Workspace => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Workspace',
  metadata: { name, namespace: 'team-a' },
  spec: { repo: 'https://github.com/acme/widgets.git', ...spec },
});

export const makeAgentConfig = (name: string, spec: AgentConfigSpec): AgentConfig => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'AgentConfig',
  metadata: { name, namespace: 'team-a' },
  spec,
});

/** Renders with defaults for everything not given. */
export const render = (input: Partial<RenderInput> & { task?: Task } = {}): RenderResult =>
  renderTaskJob({
    task: input.task ?? makeTask(),
    agentConfigs: input.agentConfigs ?? [],
    prompt: input.prompt ?? input.task?.spec.prompt ?? 'Fix the bug',
    ...(input.workspace ? { workspace: input.workspace } : {}),
    ...(input.githubTokenSecretName ? { githubTokenSecretName: input.githubTokenSecretName } : {}),
    ...(input.options ? { options: input.options } : {}),
  });

/** Renders and fails the test when the render reports errors. */
export const renderOk = (input: Partial<RenderInput> & { task?: Task } = {}) => {
  const r = render(input);
  if (r.errors.length > 0 || !r.job)
    throw new Error(`unexpected render errors: ${JSON.stringify(r.errors, null, 2)}`);
  const pod = r.job.spec!.template.spec!;
  const agent = pod.containers.find((c) => c.name === 'kelos-agent')!;
  const init = (name: string) => pod.initContainers?.find((c) => c.name === name);
  const env = (name: string) => agent.env?.find((e) => e.name === name);
  return { ...r, job: r.job, pod, agent, init, env };
};
