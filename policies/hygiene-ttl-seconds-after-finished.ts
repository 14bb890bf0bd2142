/**
 * hygiene/ttl-seconds-after-finished: finished Tasks are cleaned up, exactly once.
 *
 * Spawner task templates always need a TTL. A plain Task has two ways to end its life, and
 * the rule accepts either but not both:
 *
 * - a TTL (`ttlSecondsAfterFinished`): the operator deletes it after it finished;
 * - Git: a Task kept in Git and synced by Argo CD is annotated `kelos.dev/lifecycle: git`
 *   and removed from Git to clean it up (Argo CD prunes it; its Job goes with it). Such a
 *   Task must not set a TTL: the TTL deletes it, Argo CD self-heal creates it again, and
 *   the agent runs again.
 *
 * @packageDocumentation
 */
import { GIT_LIFECYCLE } from '../src/api/group.ts';
import type { AdmissionCheck, ObjectRule } from '../src/policy/rule.ts';
import { CEL_EXECUTION_ROOT, celHas, celString } from './lib/cel.ts';
import { executionOf } from './lib/worker.ts';

/** Message when no TTL is set; shared verbatim with the admission policy. */
export const TTL_MISSING =
  'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them';

/** Message when a Task kept in Git also sets a TTL; shared verbatim with the admission policy. */
export const TTL_WITH_GIT_LIFECYCLE =
  'ttlSecondsAfterFinished is set on a Task kept in Git (kelos.dev/lifecycle: git): the TTL deletes it, Argo CD self-heal creates it again, and the agent runs again; leave the TTL unset and remove the Task from Git to clean it up';

const keptInGit = (object: Record<string, unknown>): boolean => {
  const annotations = (object['metadata'] as { annotations?: Record<string, string> } | undefined)
    ?.annotations;
  return annotations?.[GIT_LIFECYCLE.annotation] === GIT_LIFECYCLE.value;
};

const CEL_KEPT_IN_GIT = `has(object.metadata.annotations) && ${celString(GIT_LIFECYCLE.annotation)} in object.metadata.annotations && object.metadata.annotations[${celString(GIT_LIFECYCLE.annotation)}] == ${celString(GIT_LIFECYCLE.value)}`;

export const ttlSecondsAfterFinished: ObjectRule = {
  id: 'hygiene/ttl-seconds-after-finished',
  scope: 'object',
  severity: 'warning',
  kinds: ['Task', 'TaskSpawner'],
  description:
    'Every TaskSpawner task template sets ttlSecondsAfterFinished; every Task sets it or is kept in Git (kelos.dev/lifecycle: git), not both.',
  rationale:
    'Finished Tasks keep their Job, Pod and logs; a spawner that runs for months fills the namespace and slows every list the operator makes. Usage is kept in TaskRecords regardless. A Task kept in Git under Argo CD self-heal must not have a TTL, or it runs again after the TTL deletes it.',
  hint: 'Set ttlSecondsAfterFinished (for example 86400 to keep a day of history); a Task synced from Git by Argo CD sets none and is annotated kelos.dev/lifecycle: git instead.',
  check({ object }) {
    const e = executionOf(object);
    if (!e || e.spec['workerPoolRef'] !== undefined) return [];
    const path = `/${[...e.base, 'ttlSecondsAfterFinished'].join('/')}`;
    const hasTtl = e.spec['ttlSecondsAfterFinished'] !== undefined;
    if (object['kind'] === 'Task' && keptInGit(object)) {
      return hasTtl ? [{ path, message: TTL_WITH_GIT_LIFECYCLE }] : [];
    }
    return hasTtl ? [] : [{ path, message: TTL_MISSING }];
  },
  admission: () =>
    (['Task', 'TaskSpawner'] as const).map((kind): AdmissionCheck => {
      const root = CEL_EXECUTION_ROOT[kind]!;
      const ttl = celHas(root, ['ttlSecondsAfterFinished']);
      const pool = celHas(root, ['workerPoolRef']);
      if (kind === 'TaskSpawner') {
        return { kind, validations: [{ expression: `${pool} || ${ttl}`, message: TTL_MISSING }] };
      }
      return {
        kind,
        validations: [
          { expression: `${pool} || ${ttl} || (${CEL_KEPT_IN_GIT})`, message: TTL_MISSING },
          { expression: `${pool} || !(${CEL_KEPT_IN_GIT}) || !(${ttl})`, message: TTL_WITH_GIT_LIFECYCLE },
        ],
      };
    }),
};
