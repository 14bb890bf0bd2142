/**
 * budget/active-deadline: every Task and task template bounds how long its agent may run.
 *
 * @packageDocumentation
 */
import type { AdmissionCheck, ObjectRule } from '../src/policy/rule.ts';
import { notANumber, num } from './lib/access.ts';
import { CEL_EXECUTION_ROOT, celHas, celWorkerField } from './lib/cel.ts';
import { executionOf } from './lib/worker.ts';

/** Message when no deadline is set; shared verbatim with the admission policy. */
export const deadlineMissing = (ceiling: number): string =>
  `activeDeadlineSeconds is not set, so a run may last forever; set podOverrides.activeDeadlineSeconds at or under ${ceiling}`;

/** Message when the deadline is over the ceiling; the admission policy builds the same text. */
export const deadlineOver = (value: number | string, ceiling: number): string =>
  `activeDeadlineSeconds is ${value}, over the ceiling of ${ceiling}`;

export const activeDeadline: ObjectRule = {
  id: 'budget/active-deadline',
  scope: 'object',
  severity: 'error',
  kinds: ['Task', 'TaskSpawner'],
  description:
    'Every Task and TaskSpawner task template sets podOverrides.activeDeadlineSeconds, at or under the configured ceiling.',
  rationale:
    'The deadline is the only bound on one run’s wall time, and so on its cost; the budget forecast needs it, and a stuck agent otherwise runs until someone deletes it.',
  hint: 'Set podOverrides.activeDeadlineSeconds (under worker, or under spec in the flat form); thresholds.maxActiveDeadlineSeconds is the ceiling.',
  check({ object, config }) {
    const e = executionOf(object);
    // A WorkerPool carries its own limits; podOverrides may not be set with workerPoolRef.
    if (!e || e.spec['workerPoolRef'] !== undefined) return [];
    const ceiling = config.thresholds.maxActiveDeadlineSeconds;
    const found = e.podOverride('activeDeadlineSeconds');
    const value = num(found?.value);
    const unreadable = found && notANumber('activeDeadlineSeconds', found.value);
    if (found && unreadable && value === undefined) return [{ path: found.path, message: unreadable }];
    if (!found || value === undefined) {
      const where = e.spec['worker'] !== undefined ? [...e.base, 'worker'] : e.base;
      return [
        {
          path: `/${[...where, 'podOverrides', 'activeDeadlineSeconds'].join('/')}`,
          message: deadlineMissing(ceiling),
        },
      ];
    }
    return value > ceiling ? [{ path: found.path, message: deadlineOver(value, ceiling) }] : [];
  },
  admission: (config) => {
    const ceiling = config.thresholds.maxActiveDeadlineSeconds;
    return (['Task', 'TaskSpawner'] as const).map((kind): AdmissionCheck => {
      const root = CEL_EXECUTION_ROOT[kind]!;
      const deadline = celWorkerField(root, ['podOverrides', 'activeDeadlineSeconds']);
      const pooled = celHas(root, ['workerPoolRef']);
      return {
        kind,
        validations: [
          { expression: `${pooled} || ${deadline.has}`, message: deadlineMissing(ceiling) },
          {
            expression: `!${deadline.has} || ${deadline.value} <= ${ceiling}`,
            message: deadlineOver('too high', ceiling),
            messageExpression: `'activeDeadlineSeconds is ' + string(${deadline.value}) + ', over the ceiling of ${ceiling}'`,
          },
        ],
      };
    });
  },
};
