/**
 * Binds the pure pieces the Task reconciler calls: validation of Tasks read from the
 * cluster (`src/validate`) and the Task → Job render.
 *
 * @packageDocumentation
 */
import { AGENT_CONTAINER_NAME, type AgentType } from '../api/index.ts';
import { validateObject } from '../validate/index.ts';
import type { JobRenderInput, RenderedJob, TaskRuntime } from './reconcilers/task.ts';

/** Settings of the Job render that come from operator flags. */
export interface RenderSettings {
  /** Image per agent type, overriding the defaults (`--agent-image-<type>`). */
  readonly agentImages?: Partial<Record<AgentType, string>>;
}

/** Default image per agent type. */
export const DEFAULT_AGENT_IMAGES: Readonly<Record<AgentType, string>> = {
  'claude-code': 'ghcr.io/kelos-dev/claude-code:latest',
  codex: 'ghcr.io/kelos-dev/codex:latest',
  gemini: 'ghcr.io/kelos-dev/gemini:latest',
  opencode: 'ghcr.io/kelos-dev/opencode:latest',
  cursor: 'ghcr.io/kelos-dev/cursor:latest',
};

/**
 * Minimal Job render used until the full renderer is wired in: one agent container with the
 * prompt as its argument and hardened defaults.
 */
const minimalRender =
  (settings: RenderSettings) =>
  (input: JobRenderInput): RenderedJob => {
    const { task, prompt } = input;
    const type = (task.spec.worker?.type || task.spec.type || 'claude-code') as AgentType;
    const image =
      task.spec.worker?.image ||
      task.spec.image ||
      settings.agentImages?.[type] ||
      DEFAULT_AGENT_IMAGES[type];
    return {
      job: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: task.metadata.name, namespace: task.metadata.namespace },
        spec: {
          backoffLimit: 1,
          template: {
            spec: {
              restartPolicy: 'Never',
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: AGENT_CONTAINER_NAME,
                  image,
                  args: [prompt],
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                },
              ],
            },
          },
        },
      },
      configMaps: [],
      diagnostics: [],
    };
  };

/** The runtime the operator uses. */
export function taskRuntime(settings: RenderSettings = {}): TaskRuntime {
  return {
    renderJob: minimalRender(settings),
    validate: (task) =>
      validateObject(task as unknown as Record<string, unknown>, { unservedSeverity: 'error' }),
  };
}
