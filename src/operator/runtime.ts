/**
 * Binds the pure pieces the Task reconciler calls to the operator's flags: validation of
 * Tasks read from the cluster (`src/validate`) and the Task → Job render
 * (`render/task-job.ts`), which keeps its input and result shape.
 *
 * @packageDocumentation
 */
import { effectiveActiveDeadline } from '../render/resolve.ts';
import { type RenderOptions, renderTaskJob } from '../render/task-job.ts';
import { validateObject } from '../validate/index.ts';
import type { TaskRuntime } from './reconcilers/task.ts';

/** The runtime the operator uses, with the deployment's render options. */
export function taskRuntime(options: RenderOptions = {}): TaskRuntime {
  return {
    renderJob: (input) => renderTaskJob({ ...input, options }),
    validate: (task) =>
      validateObject(task as unknown as Record<string, unknown>, { unservedSeverity: 'error' }),
    activeDeadlineSeconds: (task) => effectiveActiveDeadline(task, options.defaultActiveDeadlineSeconds),
  };
}
