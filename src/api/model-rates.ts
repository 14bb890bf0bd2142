/**
 * Model rates as data: the worst-case cost of one running agent in USD per hour, per agent
 * type and model, the defaults, and how a rate is looked up. Their schema is in `rates.ts`;
 * this part loads no TypeBox, so the policies of a pre-commit `kelos check` start fast.
 *
 * @packageDocumentation
 */

/** `{agentType: {model | "default": USD per hour}}`. */
export type ModelRates = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** Rates used when no configuration gives any: list prices of the bundled agents' models. */
export const DEFAULT_MODEL_RATES: ModelRates = {
  'claude-code': {
    default: 6,
    'claude-opus-4-1': 15,
    'claude-opus-4-5': 10,
    opus: 15,
    'claude-haiku-4-5': 2,
    haiku: 2,
  },
  codex: { default: 4 },
  gemini: { default: 3 },
  opencode: { default: 4 },
  cursor: { default: 4 },
};

/**
 * The suffix of a dated model snapshot: Anthropic's `-20250929`, OpenAI's `-2025-08-07`. A
 * snapshot is the model its alias names, pinned to one release, so it is allowed and priced as
 * that model unless a configuration lists it by itself.
 */
export const MODEL_SNAPSHOT_SUFFIX = /-(?:\d{8}|\d{4}-\d{2}-\d{2})$/;

/** `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`; a name without a dated suffix as it is. */
export const undatedModel = (model: string): string => model.replace(MODEL_SNAPSHOT_SUFFIX, '');

/**
 * Hourly rate of an agent type and model: the model's own, else its undated alias's (see
 * {@link undatedModel}), else the type's `default`.
 */
export const rateOf = (rates: ModelRates, agent: string, model: string | undefined): number | undefined => {
  const perModel = rates[agent];
  if (model === undefined) return perModel?.['default'];
  return perModel?.[model] ?? perModel?.[undatedModel(model)] ?? perModel?.['default'];
};

/** `base` with `over` laid on top per agent type (a type in `over` keeps `base`'s other models). */
export const mergeRates = (base: ModelRates, over: ModelRates | undefined): ModelRates => {
  if (!over) return base;
  const out: Record<string, Readonly<Record<string, number>>> = { ...base };
  for (const [agent, models] of Object.entries(over)) out[agent] = { ...base[agent], ...models };
  return out;
};
