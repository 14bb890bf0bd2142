/**
 * Binds the pure pieces the Task reconciler calls: validation of Tasks read from the
 * cluster (`src/validate`) and the Task → Job render (`render/task-job.ts`), with the
 * settings that come from operator flags.
 *
 * @packageDocumentation
 */
import type { KubeObject } from '../api/index.ts';
import { type RenderOptions, renderTaskJob } from '../render/task-job.ts';
import { validateObject } from '../validate/index.ts';
import type { TaskRuntime } from './reconcilers/task.ts';

/** The runtime the operator uses. */
export function taskRuntime(options: RenderOptions = {}): TaskRuntime {
  return {
    renderJob: ({ task, workspace, agentConfigs, prompt, githubTokenSecretName }) => {
      const result = renderTaskJob({
        task,
        ...(workspace ? { workspace } : {}),
        agentConfigs,
        prompt,
        ...(githubTokenSecretName ? { githubTokenSecretName } : {}),
        options,
      });
      return {
        job: result.job as KubeObject | undefined,
        configMaps: result.configMaps as KubeObject[],
        diagnostics: [...result.errors, ...result.warnings],
      };
    },
    validate: (task) =>
      validateObject(task as unknown as Record<string, unknown>, { unservedSeverity: 'error' }),
  };
}
