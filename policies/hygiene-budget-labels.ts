/**
 * hygiene/budget-labels: Tasks and task templates carry the labels the namespace's TaskBudgets
 * select on.
 *
 * @packageDocumentation
 */

import { GROUP } from '../src/api/group.ts';
import type { KubeObject } from '../src/api/object.ts';
import type { BundleRule, Finding } from '../src/policy/rule.ts';
import { get, namespaceOf, refText } from './lib/access.ts';
import { selectorKeys, taskLabels } from './lib/worker.ts';

/** Message for a missing label key. */
export const missingBudgetLabel = (key: string, all: readonly string[]): string => {
  // Named once each, and at most a handful: a bundle may repeat a budget thousands of times.
  const budgets = [...new Set(all)];
  const named =
    budgets.length > MAX_NAMED
      ? [...budgets.slice(0, MAX_NAMED), `${budgets.length - MAX_NAMED} more`]
      : budgets;
  return `has no label ${key}, which ${named.join(', ')} ${budgets.length === 1 ? 'selects' : 'select'} on, so its Tasks escape ${budgets.length === 1 ? 'that budget' : 'those budgets'}`;
};

/** Budgets a finding names before it counts the rest. */
const MAX_NAMED = 5;

export const budgetLabels: BundleRule = {
  id: 'hygiene/budget-labels',
  scope: 'bundle',
  severity: 'warning',
  kinds: ['Task', 'TaskSpawner', 'TaskBudget'],
  description:
    'Every Task and TaskSpawner task template carries each label key the TaskBudgets of its own bundle (kustomization or app) select on in its namespace; a budget another bundle deploys (for one job of one team, say) is not held against it.',
  rationale:
    'A budget only counts Tasks whose labels it selects; a Task missing the key (a typo, a forgotten template label) spends outside every limit.',
  hint: 'Add the label (to taskTemplate.metadata.labels for a spawner).',
  check({ bundle }) {
    // Keys per namespace, with the budgets that read each.
    const keys = new Map<string, Map<string, string[]>>();
    for (const budget of bundle.ofKind('TaskBudget')) {
      const ns = namespaceOf(budget);
      const byKey = keys.get(ns) ?? new Map<string, string[]>();
      keys.set(ns, byKey);
      for (const key of selectorKeys(get(budget, 'spec', 'taskSelector'))) {
        // kelos.dev/ labels are set by the operator and spawners, not by authors.
        if (key.startsWith(`${GROUP}/`)) continue;
        const budgets = byKey.get(key);
        if (budgets) budgets.push(refText(budget));
        else byKey.set(key, [refText(budget)]);
      }
    }
    const findings: Finding[] = [];
    // One message per key and namespace, not per object: naming the budgets walks all of them.
    const messages = new Map<string[], string>();
    const messageOf = (key: string, budgets: string[]) => {
      let message = messages.get(budgets);
      if (message === undefined) {
        message = missingBudgetLabel(key, budgets);
        messages.set(budgets, message);
      }
      return message;
    };
    const check = (object: KubeObject, path: string) => {
      const wanted = keys.get(namespaceOf(object));
      if (!wanted) return;
      const labels = taskLabels(object);
      for (const [key, budgets] of wanted) {
        if (labels[key] === undefined) findings.push({ object, path, message: messageOf(key, budgets) });
      }
    };
    for (const task of bundle.ofKind('Task')) check(task, '/metadata/labels');
    for (const spawner of bundle.ofKind('TaskSpawner')) check(spawner, '/spec/taskTemplate/metadata/labels');
    return findings;
  },
};
