/**
 * TaskBudget: a spending limit over the Tasks a label selector picks.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { BudgetPeriodType } from './budget-period.ts';
import { conditions, LabelSelectorSchema, TaskUsageSchema } from './common.ts';
import type { BudgetPeriod, TaskBudgetSpec, TaskBudgetStatus } from './generated/types.ts';
import { CATEGORY } from './group.ts';
import {
  int64,
  type KindDefinition,
  NON_NEGATIVE_QUANTITY,
  obj,
  opt,
  quantity,
  str,
  strEnum,
  time,
} from './schema.ts';

export { BudgetPeriodType, isBudgetPeriodType } from './budget-period.ts';

/** How a TaskBudget is enforced. */
export const BudgetEnforcement = {
  /** Block new Tasks once the budget is used up; running Tasks finish. Upstream behaviour. */
  Admission: 'Admission',
  /** Also stop running Tasks the budget covers once it is used up. */
  StopRunning: 'StopRunning',
} as const;
/** One of {@link BudgetEnforcement}. */
export type BudgetEnforcement = (typeof BudgetEnforcement)[keyof typeof BudgetEnforcement];

export const BudgetPeriodSchema = obj(
  {
    type: strEnum(
      Object.values(BudgetPeriodType),
      'type of the period: Daily (midnight to midnight), Weekly (from Monday 00:00) or Monthly (from the 1st, 00:00), in timezone.',
    ),
    timezone: opt(
      str('timezone is the IANA time zone periods start in, for example Europe/Berlin.', {
        default: 'UTC',
        maxLength: 64,
        pattern: '^[A-Za-z0-9/_+-]+$',
        'x-kubernetes-validations': [
          {
            rule: "timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",
            message: 'timezone must be a valid IANA time zone',
          },
        ],
      }),
    ),
  },
  'BudgetPeriod is the window usage is summed over; it rolls over at its boundary.',
);

export const TaskBudgetSpecSchema = obj(
  {
    taskSelector: {
      ...LabelSelectorSchema,
      description:
        'taskSelector picks the Tasks this budget covers, by their labels. {} covers every Task in the namespace.',
      // Upstream's admission webhook refuses a selector metav1.LabelSelectorAsSelector cannot
      // compile; these are the parts of that check a CRD rule can express.
      'x-kubernetes-validations': [
        {
          rule: "!has(self.matchExpressions) || self.matchExpressions.all(e, !(e.operator in ['In', 'NotIn']) || (has(e.values) && size(e.values) > 0))",
          message: 'matchExpressions with operator In or NotIn need at least one value',
        },
        {
          rule: "!has(self.matchExpressions) || self.matchExpressions.all(e, !(e.operator in ['Exists', 'DoesNotExist']) || !has(e.values) || size(e.values) == 0)",
          message: 'matchExpressions with operator Exists or DoesNotExist must not have values',
        },
        {
          rule: "!has(self.matchExpressions) || self.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",
          message: 'matchExpressions operator must be one of In, NotIn, Exists, DoesNotExist',
        },
      ],
    },
    period: BudgetPeriodSchema,
    maxCostUSD: opt(
      quantity(
        'maxCostUSD is the most the covered Tasks may cost in a period, in US dollars, for example "50".',
        {
          'x-kubernetes-validations': [NON_NEGATIVE_QUANTITY],
        },
      ),
    ),
    maxInputTokens: opt(
      int64('maxInputTokens is the most input tokens the covered Tasks may use in a period.', { minimum: 0 }),
    ),
    maxOutputTokens: opt(
      int64('maxOutputTokens is the most output tokens the covered Tasks may produce in a period.', {
        minimum: 0,
      }),
    ),
    enforcement: opt(
      strEnum(
        Object.values(BudgetEnforcement),
        'enforcement is Admission (new Tasks wait while the budget is used up; running Tasks finish) or StopRunning (running covered Tasks are also stopped and fail with reason BudgetExceeded). Kelos extension.',
        { default: BudgetEnforcement.Admission },
      ),
    ),
  },
  'TaskBudgetSpec is a spending limit per period over the Tasks a selector picks. Usage is summed from TaskRecords of finished Tasks.',
  {
    'x-kubernetes-validations': [
      {
        rule: 'has(self.maxCostUSD) || has(self.maxInputTokens) || has(self.maxOutputTokens)',
        message: 'at least one of maxCostUSD, maxInputTokens or maxOutputTokens must be set',
      },
    ],
  },
);

export const TaskBudgetStatusSchema = obj(
  {
    observedGeneration: opt(int64('observedGeneration is the generation the status was computed from.')),
    currentPeriodStart: opt(time('currentPeriodStart is the start of the current period (inclusive).')),
    currentPeriodEnd: opt(time('currentPeriodEnd is the end of the current period (exclusive).')),
    used: opt({ ...TaskUsageSchema, description: 'used is the usage summed over the current period.' }),
    waitingTasks: opt(
      int64(
        'waitingTasks is how many Tasks wait because of this budget (condition Holding says why: used up, or what its running Tasks reserve). Kelos extension.',
        { minimum: 0 },
      ),
    ),
    conditions: opt(
      conditions(
        'conditions: Degraded when the budget cannot be evaluated; Holding while Tasks wait because of it.',
      ),
    ),
  },
  'TaskBudgetStatus is the observed usage of a TaskBudget.',
);

/** The TaskBudget kind. */
export const TASK_BUDGET: KindDefinition<typeof TaskBudgetSpecSchema, typeof TaskBudgetStatusSchema> = {
  kind: 'TaskBudget',
  listKind: 'TaskBudgetList',
  plural: 'taskbudgets',
  singular: 'taskbudget',
  shortNames: ['tb'],
  categories: [CATEGORY],
  spec: TaskBudgetSpecSchema,
  specRequired: true,
  status: TaskBudgetStatusSchema,
  description: 'TaskBudget limits the cost and tokens of the Tasks a selector picks, per period.',
  printerColumns: [
    { name: 'Period', type: 'string', jsonPath: '.spec.period.type' },
    { name: 'Max Cost', type: 'string', jsonPath: '.spec.maxCostUSD' },
    { name: 'Used Cost', type: 'string', jsonPath: '.status.used.costUSD' },
    { name: 'Waiting', type: 'integer', jsonPath: '.status.waitingTasks' },
    { name: 'Enforcement', type: 'string', jsonPath: '.spec.enforcement', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type { BudgetPeriod, TaskBudgetSpec, TaskBudgetStatus };
