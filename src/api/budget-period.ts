/**
 * The periods a TaskBudget sums usage over, apart from the TaskBudget schema so readers of
 * manifests (the policies of a pre-commit `kelos check`) do not load TypeBox to use them.
 *
 * @packageDocumentation
 */

/** Budget periods. Upstream has Daily only; Weekly and Monthly are Kelos extensions. */
export const BudgetPeriodType = { Daily: 'Daily', Weekly: 'Weekly', Monthly: 'Monthly' } as const;
/** One of {@link BudgetPeriodType}. */
export type BudgetPeriodType = (typeof BudgetPeriodType)[keyof typeof BudgetPeriodType];

/** Whether a value read from an unchecked manifest is one of {@link BudgetPeriodType}. */
export const isBudgetPeriodType = (value: unknown): value is BudgetPeriodType =>
  typeof value === 'string' && Object.hasOwn(BudgetPeriodType, value);
