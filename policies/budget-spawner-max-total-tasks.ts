/**
 * budget/spawner-max-total-tasks: every TaskSpawner caps the Tasks it creates over its lifetime.
 *
 * @packageDocumentation
 */
import type { ObjectRule } from '../src/policy/rule.ts';
import { get, notANumber, num } from './lib/access.ts';

/** Message when the lifetime cap is missing; shared verbatim with the admission policy. */
export const MAX_TOTAL_TASKS_MISSING =
  'maxTotalTasks is not set or 0, so the spawner may create Tasks without end; set a lifetime cap';

export const spawnerMaxTotalTasks: ObjectRule = {
  id: 'budget/spawner-max-total-tasks',
  scope: 'object',
  severity: 'warning',
  kinds: ['TaskSpawner'],
  description: 'Every TaskSpawner sets maxTotalTasks.',
  rationale:
    'A lifetime cap bounds what a misbehaving trigger (a label applied to every issue, a webhook loop) can cost before someone notices.',
  hint: 'Set spec.maxTotalTasks; raise it deliberately when the spawner has earned it.',
  check({ object }) {
    const raw = get(object, 'spec', 'maxTotalTasks');
    const value = num(raw);
    const unreadable = value === undefined && notANumber('maxTotalTasks', raw);
    if (unreadable) return [{ path: '/spec/maxTotalTasks', message: unreadable }];
    if (value !== undefined && value < 0)
      return [
        {
          path: '/spec/maxTotalTasks',
          message: `maxTotalTasks is ${value}, which the API server refuses (it must be at least 1 to cap anything); set a lifetime cap`,
        },
      ];
    return value === undefined || value === 0
      ? [{ path: '/spec/maxTotalTasks', message: MAX_TOTAL_TASKS_MISSING }]
      : [];
  },
  admission: () => [
    {
      kind: 'TaskSpawner',
      validations: [
        {
          expression: 'has(object.spec.maxTotalTasks) && object.spec.maxTotalTasks > 0',
          message: MAX_TOTAL_TASKS_MISSING,
        },
      ],
    },
  ],
};
