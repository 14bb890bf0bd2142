/**
 * hygiene/ttl-seconds-after-finished: finished Tasks are cleaned up.
 *
 * @packageDocumentation
 */
import type { AdmissionCheck, ObjectRule } from '../src/policy/rule.ts';
import { CEL_EXECUTION_ROOT, celHas } from './lib/cel.ts';
import { executionOf } from './lib/worker.ts';

/** Message when no TTL is set; shared verbatim with the admission policy. */
export const TTL_MISSING =
  'ttlSecondsAfterFinished is not set, so finished Tasks and their Pods stay until someone deletes them';

export const ttlSecondsAfterFinished: ObjectRule = {
  id: 'hygiene/ttl-seconds-after-finished',
  scope: 'object',
  severity: 'warning',
  kinds: ['Task', 'TaskSpawner'],
  description: 'Every Task and TaskSpawner task template sets ttlSecondsAfterFinished.',
  rationale:
    'Finished Tasks keep their Job, Pod and logs; a spawner that runs for months fills the namespace and slows every list the operator makes. Usage is kept in TaskRecords regardless.',
  hint: 'Set ttlSecondsAfterFinished (for example 86400 to keep a day of history).',
  check({ object }) {
    const e = executionOf(object);
    if (!e || e.spec['workerPoolRef'] !== undefined || e.spec['ttlSecondsAfterFinished'] !== undefined)
      return [];
    return [{ path: `/${[...e.base, 'ttlSecondsAfterFinished'].join('/')}`, message: TTL_MISSING }];
  },
  admission: () =>
    (['Task', 'TaskSpawner'] as const).map((kind): AdmissionCheck => {
      const root = CEL_EXECUTION_ROOT[kind]!;
      return {
        kind,
        validations: [
          {
            expression: `${celHas(root, ['workerPoolRef'])} || ${celHas(root, ['ttlSecondsAfterFinished'])}`,
            message: TTL_MISSING,
          },
        ],
      };
    }),
};
