/**
 * budget/spawner-max-concurrency: every TaskSpawner caps how many of its Tasks run at once.
 *
 * @packageDocumentation
 */
import type { ObjectRule } from '../src/policy/rule.ts';
import { get, notANumber, num } from './lib/access.ts';

/** Message when the cap is missing; shared verbatim with the admission policy. */
export const maxConcurrencyMissing = (ceiling: number): string =>
  `maxConcurrency is not set or 0, so the spawner may run any number of Tasks at once; set it between 1 and ${ceiling}`;

/** Message when the cap is over the ceiling. */
export const maxConcurrencyOver = (value: number | string, ceiling: number): string =>
  `maxConcurrency is ${value}, over the ceiling of ${ceiling}`;

export const spawnerMaxConcurrency: ObjectRule = {
  id: 'budget/spawner-max-concurrency',
  scope: 'object',
  severity: 'error',
  kinds: ['TaskSpawner'],
  description: 'Every TaskSpawner sets maxConcurrency, at or under the configured ceiling.',
  rationale:
    'Without a cap a burst of issues or webhook deliveries starts that many agents at once, each spending money and holding credentials.',
  hint: 'Set spec.maxConcurrency (thresholds.maxConcurrency in kelos.policy.yaml is the ceiling).',
  check({ object, config }) {
    const ceiling = config.thresholds.maxConcurrency;
    const raw = get(object, 'spec', 'maxConcurrency');
    const value = num(raw);
    const unreadable = value === undefined && notANumber('maxConcurrency', raw);
    if (unreadable) return [{ path: '/spec/maxConcurrency', message: unreadable }];
    if (value !== undefined && value < 0)
      return [
        {
          path: '/spec/maxConcurrency',
          message: `maxConcurrency is ${value}, which the API server refuses (it must be at least 1 to cap anything); set it between 1 and ${ceiling}`,
        },
      ];
    if (value === undefined || value === 0)
      return [{ path: '/spec/maxConcurrency', message: maxConcurrencyMissing(ceiling) }];
    if (value > ceiling)
      return [{ path: '/spec/maxConcurrency', message: maxConcurrencyOver(value, ceiling) }];
    return [];
  },
  admission: (config) => {
    const ceiling = config.thresholds.maxConcurrency;
    return [
      {
        kind: 'TaskSpawner',
        validations: [
          {
            expression: 'has(object.spec.maxConcurrency) && object.spec.maxConcurrency > 0',
            message: maxConcurrencyMissing(ceiling),
          },
          {
            expression: `!has(object.spec.maxConcurrency) || object.spec.maxConcurrency <= ${ceiling}`,
            message: maxConcurrencyOver('too high', ceiling),
            messageExpression: `'maxConcurrency is ' + string(object.spec.maxConcurrency) + ', over the ceiling of ${ceiling}'`,
          },
        ],
      },
    ];
  },
};
