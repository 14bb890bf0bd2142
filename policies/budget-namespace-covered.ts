/**
 * budget/namespace-covered: the Tasks of every TaskSpawner are covered by a TaskBudget in the
 * spawner's namespace.
 *
 * @packageDocumentation
 */
import type { BundleRule, Finding } from '../src/policy/rule.ts';
import { clipName } from '../src/validate/echo.ts';
import { get, namespaceOf } from './lib/access.ts';
import { groupBy } from './lib/group.ts';
import { selectorMatcher, taskLabels } from './lib/worker.ts';

/** Message when the namespace has no TaskBudget at all. */
export const noBudgetInNamespace = (namespace: string): string =>
  `no TaskBudget in namespace ${clipName(namespace, 300)} covers this spawner's Tasks, so nothing limits what they spend`;

/** Message when budgets exist but none selects the spawner's Tasks. */
export const noBudgetSelects = (
  namespace: string,
  budgets: readonly string[],
  labels: Record<string, string>,
): string =>
  `none of the TaskBudgets in namespace ${clipName(namespace, 300)} (${clipName(budgets.join(', '), 1000)}) selects this spawner's Tasks (labels ${Object.entries(
    labels,
  )
    .slice(0, 20)
    .map(([k, v]) => `${clipName(k)}=${clipName(v)}`)
    .join(', ')})`;

export const namespaceCovered: BundleRule = {
  id: 'budget/namespace-covered',
  scope: 'bundle',
  severity: 'error',
  kinds: ['TaskSpawner', 'TaskBudget'],
  description:
    'Every namespace that has TaskSpawners has a TaskBudget whose selector covers each spawner’s Tasks.',
  rationale:
    'Spawners create Tasks unattended; a budget is the only thing that stops spending once a period’s limit is reached.',
  hint: 'Add a TaskBudget in the namespace whose taskSelector matches the spawner’s task template labels (or {} for all Tasks).',
  check({ bundle }) {
    // A TaskBudget another app deploys into the namespace covers this app's spawners too.
    const all = [...bundle.ofKind('TaskBudget'), ...bundle.alongside('TaskBudget')];
    const budgets = groupBy(all, namespaceOf);
    // Each selector parsed once, not once per spawner: a bundle may hold thousands of both.
    const matchers = new Map(all.map((b) => [b, selectorMatcher(get(b, 'spec', 'taskSelector'))] as const));
    const findings: Finding[] = [];
    for (const spawner of bundle.ofKind('TaskSpawner')) {
      const ns = namespaceOf(spawner);
      const here = budgets.get(ns) ?? [];
      if (here.length === 0) {
        findings.push({ object: spawner, path: '', message: noBudgetInNamespace(ns) });
        continue;
      }
      const labels = taskLabels(spawner);
      if (here.some((b) => matchers.get(b)?.(labels))) continue;
      findings.push({
        object: spawner,
        path: '/spec/taskTemplate',
        message: noBudgetSelects(
          ns,
          here.map((b) => b.metadata?.name ?? ''),
          labels,
        ),
      });
    }
    return findings;
  },
};
