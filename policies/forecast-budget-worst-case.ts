/**
 * forecast/budget-worst-case: for each TaskBudget with a cost limit, the worst-case spend of the
 * Tasks it covers over one period stays within the limit.
 *
 * The arithmetic is deliberately simple and shown in the message. A spawner keeps at most
 * `maxConcurrency` agents busy; each busy slot costs the model's hourly rate for the whole period,
 * or for one full deadline when a single run may outlast the period (a budget counts a Task in
 * the period it finishes). A cron spawner cannot start more runs than its schedule fires in a
 * period (the most it fires in any window of the period's length: 23 in 31 days for a weekday
 * schedule), so it costs at most that many full-deadline runs when that is less. A Task in the
 * bundle runs once, for at most its deadline. An object whose agent type is none the API serves,
 * or a cron spawner whose schedule does not parse, is left out: that error is its finding, and
 * it never runs.
 *
 * @packageDocumentation
 */

import { type BudgetPeriodType, isBudgetPeriodType } from '../src/api/budget-period.ts';
import { cronScheduleError } from '../src/api/cron-schedule.ts';
import { AGENT_TYPES } from '../src/api/group.ts';
import { rateOf as modelRateOf } from '../src/api/model-rates.ts';
import type { KubeObject } from '../src/api/object.ts';
import type { PolicyConfig } from '../src/policy/config.ts';
import type { BundleRule, Finding } from '../src/policy/rule.ts';
import { usdAmount } from '../src/validate/quantity.ts';
import { get, namespaceOf, nonEmpty, notANumber, num, str, usd } from './lib/access.ts';
import { mostCronFires } from './lib/cron.ts';
import { groupBy } from './lib/group.ts';
import { executionOf, selectorMatcher, taskLabels } from './lib/worker.ts';

/** Hours in a budget period; Monthly counts the longest month. */
export const PERIOD_HOURS: Readonly<Record<BudgetPeriodType, number>> = {
  Daily: 24,
  Weekly: 168,
  Monthly: 744,
};

const hours = (h: number): string => `${Number(h.toFixed(2))}h`;

/** One covered spawner or Task, priced. */
interface Term {
  readonly cost: number;
  readonly text: string;
  /** The field to lower, for a finding at the object rather than at its budget. */
  readonly path: string;
}

/** What a budget covers: each object priced, or why it is not, with the object. */
interface Coverage {
  readonly terms: Array<Term & { readonly object: KubeObject }>;
  readonly unpriced: Array<Unpriced & { readonly object: KubeObject }>;
}

/** Why one covered object has no price: the message, and what to do (not the rule's hint). */
interface Unpriced {
  readonly message: string;
  readonly hint: string;
}

/** What pricing one covered object gave: a term, or why there is none. */
type Priced = { term: Term } | { unpriced: Unpriced } | undefined;

const UNREADABLE_HINT =
  'kelos validate locates the schema error at the field; once it holds a number, the forecast prices it.';
const UNBOUNDED_HINT =
  'Set maxConcurrency (spawners) and podOverrides.activeDeadlineSeconds: without both, a run has no bound to price.';

/** Hourly rate of an agent type and model; `undefined` when the config has none. */
export const rateOf = (config: PolicyConfig, agent: string, model: string | undefined): number | undefined =>
  modelRateOf(config.rates, agent, model);

function price(object: KubeObject, periodHours: number, config: PolicyConfig): Priced {
  const e = executionOf(object);
  if (!e || e.spec['workerPoolRef'] !== undefined) return undefined;
  const name = `${object.kind} ${object.metadata?.name ?? ''}`;
  const agent = nonEmpty(e.field('type')?.value);
  // An agent type the schema refuses (`claude` for `claude-code`) is that object's error alone:
  // the API server takes no such object, so it never runs and costs nothing, and pricing it
  // would send the user to price the type under `rates`, which the policy config refuses too.
  if (!agent || !(AGENT_TYPES as readonly string[]).includes(agent)) return undefined;
  // Likewise a cron schedule that does not parse (spawner/cron-schedule): the operator fails
  // the spawner and it creates no Task, so pricing it at full concurrency would make a second
  // error of one typo, at a budget that holds no mistake.
  const schedule = str(get(object, 'spec', 'when', 'cron', 'schedule'));
  if (schedule && cronScheduleError(schedule) !== undefined) return undefined;
  const model = nonEmpty(e.field('model')?.value);
  const rawDeadline = e.podOverride('activeDeadlineSeconds')?.value;
  const deadline = num(rawDeadline);
  const rawConcurrency = object.kind === 'TaskSpawner' ? get(object, 'spec', 'maxConcurrency') : 1;
  const concurrency = num(rawConcurrency);
  // A field that holds something other than a number is not unset: say so rather than call it missing.
  const unreadable =
    (concurrency === undefined && notANumber('maxConcurrency', rawConcurrency)) ||
    (deadline === undefined && notANumber('activeDeadlineSeconds', rawDeadline));
  const unpriced = (message: string, hint: string): Priced => ({ unpriced: { message, hint } });
  if (unreadable) return unpriced(`worst case of ${name} is unknown: ${unreadable}`, UNREADABLE_HINT);
  if (concurrency === undefined || concurrency <= 0)
    return unpriced(`worst case is unbounded: ${name} has no maxConcurrency`, UNBOUNDED_HINT);
  if (deadline === undefined)
    return unpriced(`worst case is unbounded: ${name} has no activeDeadlineSeconds`, UNBOUNDED_HINT);
  const rate = rateOf(config, agent, model);
  if (rate === undefined) {
    return unpriced(
      `no rate for ${agent} model "${model ?? 'default'}" in the policy config (rates.${agent}), so the worst case of ${name} is unknown`,
      `Price the model under rates.${agent} in kelos.policy.yaml (USD per hour), or pick a model the rates price.`,
    );
  }
  const runHours = deadline / 3600;
  const deadlinePath = e.podOverride('activeDeadlineSeconds')?.path ?? '';
  const what = `(${name}: ${agent} ${model ?? 'default model'})`;
  if (object.kind === 'Task') {
    return {
      term: {
        cost: runHours * rate,
        text: `1 run × ${hours(runHours)} × ${usd(rate)}/h ${what}`,
        path: deadlinePath,
      },
    };
  }
  const slotHours = Math.max(periodHours, runHours);
  const fires = schedule ? mostCronFires(schedule, periodHours * 3600) : undefined;
  if (schedule && fires !== undefined) {
    if (fires * runHours < concurrency * slotHours) {
      return {
        term: {
          cost: fires * runHours * rate,
          text: `${fires} ${fires === 1 ? 'run' : 'runs'} × ${hours(runHours)} × ${usd(rate)}/h (${name}: ${agent} ${model ?? 'default model'}, cron "${schedule}")`,
          // The schedule, not maxConcurrency, bounds these runs: their length is what to lower.
          path: deadlinePath,
        },
      };
    }
  }
  return {
    term: {
      cost: concurrency * slotHours * rate,
      text: `${concurrency} concurrent × ${hours(slotHours)} × ${usd(rate)}/h ${what}`,
      path: '/spec/maxConcurrency',
    },
  };
}

/** The worst-case message: total, the sum that makes it, and the limit. */
export const worstCaseOver = (
  total: number,
  period: string,
  terms: readonly string[],
  limit: number,
): string => {
  // A bundle may hold thousands of covered Tasks: the sum shows its first terms and counts the rest.
  const shown =
    terms.length > MAX_TERMS ? [...terms.slice(0, MAX_TERMS), `${terms.length - MAX_TERMS} more`] : terms;
  return `worst case ${usd(total)}/${period} = ${shown.join(' + ')}; limit ${usd(limit)}`;
};

/** Terms of the sum a message shows. */
const MAX_TERMS = 8;

/** Unbounded or unpriced objects a budget reports one by one before it counts the rest. */
const MAX_UNPRICED = 8;

export const budgetWorstCase: BundleRule = {
  id: 'forecast/budget-worst-case',
  scope: 'bundle',
  severity: 'error',
  kinds: ['TaskBudget', 'TaskSpawner', 'Task'],
  description:
    'For each TaskBudget with maxCostUSD, the worst-case spend of the spawners and Tasks it covers over one period stays within the limit.',
  rationale:
    'A budget only blocks new Tasks once it is used up; the forecast shows in review whether the concurrency and deadlines granted can blow through it first.',
  hint: 'Lower maxConcurrency or activeDeadlineSeconds, pick a cheaper model, or raise maxCostUSD deliberately.',
  check({ bundle, config }) {
    const findings: Finding[] = [];
    // A budget counts every Task of its namespace its selector matches, whichever bundle
    // deploys it (as budget/namespace-covered sees it): the spawners and Tasks beside this
    // bundle too (synth's preview, whose sample Tasks nothing applies, is not read as beside).
    const byNamespace = groupBy(
      [
        ...bundle.ofKind('TaskSpawner'),
        ...bundle.ofKind('Task'),
        ...bundle.alongside('TaskSpawner'),
        ...bundle.alongside('Task'),
      ],
      namespaceOf,
    );
    // Labels and prices are per object (and period), not per budget: compute each once.
    const labels = new Map<KubeObject, Record<string, string>>();
    const labelsOf = (o: KubeObject) => {
      const known = labels.get(o);
      if (known) return known;
      const computed = taskLabels(o);
      labels.set(o, computed);
      return computed;
    };
    const prices = new Map<KubeObject, Map<number, Priced>>();
    const priceOf = (o: KubeObject, periodHours: number) => {
      const byPeriod = prices.get(o) ?? new Map<number, Priced>();
      prices.set(o, byPeriod);
      if (!byPeriod.has(periodHours)) byPeriod.set(periodHours, price(o, periodHours, config));
      return byPeriod.get(periodHours);
    };
    // Budgets with the same namespace, period and selector cover the same objects: a bundle
    // may repeat one budget thousands of times, and pricing every (budget, object) pair again
    // made the rule quadratic.
    const coverage = new Map<string, Coverage>();
    const coveredBy = (budget: KubeObject, periodHours: number) => {
      const selector = get(budget, 'spec', 'taskSelector');
      const key = `${namespaceOf(budget)}\u0000${periodHours}\u0000${JSON.stringify(selector ?? null)}`;
      const known = coverage.get(key);
      if (known) return known;
      const matches = selectorMatcher(selector);
      const result: Coverage = { terms: [], unpriced: [] };
      for (const covered of byNamespace.get(namespaceOf(budget)) ?? []) {
        if (!matches(labelsOf(covered))) continue;
        const priced = priceOf(covered, periodHours);
        if (!priced) continue;
        if ('term' in priced) result.terms.push({ ...priced.term, object: covered });
        else result.unpriced.push({ ...priced.unpriced, object: covered });
      }
      coverage.set(key, result);
      return result;
    };
    for (const budget of bundle.ofKind('TaskBudget')) {
      const limit = usdAmount(get(budget, 'spec', 'maxCostUSD'));
      const period = get(budget, 'spec', 'period', 'type');
      if (limit === undefined || !isBudgetPeriodType(period)) continue;
      const { terms, unpriced } = coveredBy(budget, PERIOD_HOURS[period]);
      const at = (message: string, hint?: string): Finding => ({
        object: budget,
        path: '/spec/maxCostUSD',
        message,
        ...(hint !== undefined && { hint }),
      });
      for (const u of unpriced.slice(0, MAX_UNPRICED)) findings.push(at(u.message, u.hint));
      if (unpriced.length > MAX_UNPRICED) {
        findings.push(
          at(
            `${unpriced.length - MAX_UNPRICED} more objects this budget covers have no bounded or priced worst case either`,
          ),
        );
      }
      const total = terms.reduce((sum, t) => sum + t.cost, 0);
      if (total > limit) {
        findings.push(
          at(
            worstCaseOver(
              total,
              period,
              terms.map((t) => t.text),
              limit,
            ),
          ),
        );
      }
    }
    // A budget only beside the paths (`--beside dist/`) is reported by no bundle: its forecast
    // goes to the objects of this bundle that the sum counts, naming the budget and its file.
    const own = new Set(bundle.objects);
    for (const budget of bundle.alongside('TaskBudget')) {
      const where = bundle.definedBeside(budget);
      if (where === undefined) continue;
      const limit = usdAmount(get(budget, 'spec', 'maxCostUSD'));
      const period = get(budget, 'spec', 'period', 'type');
      if (limit === undefined || !isBudgetPeriodType(period)) continue;
      const { terms, unpriced } = coveredBy(budget, PERIOD_HOURS[period]);
      const named = `TaskBudget ${namespaceOf(budget)}/${budget.metadata?.name ?? ''} (defined beside, at ${where})`;
      for (const u of unpriced.filter((x) => own.has(x.object)))
        findings.push({ object: u.object, path: '', message: `${u.message}, under ${named}`, hint: u.hint });
      const total = terms.reduce((sum, t) => sum + t.cost, 0);
      if (total <= limit) continue;
      const message = `${worstCaseOver(
        total,
        period,
        terms.map((t) => t.text),
        limit,
      )} of ${named}`;
      for (const t of terms)
        if (own.has(t.object)) findings.push({ object: t.object, path: t.path, message });
    }
    return findings;
  },
};
