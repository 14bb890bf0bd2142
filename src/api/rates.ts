/**
 * Model rates: the worst-case cost of one running agent in USD per hour, per agent type and
 * model. One schema for both places that price a model: the `rates` of `kelos.policy.yaml`
 * (the forecast `kelos check` makes before anything runs) and the `rates` of the cluster's
 * {@link KELOS_CONFIG | KelosConfig} (the estimate the operator charges a finished Task that
 * reported no usage). Both look a rate up with {@link rateOf}.
 *
 * @packageDocumentation
 */
import { Type } from '@sinclair/typebox';

/** `{agentType: {model | "default": USD per hour}}`. */
export type ModelRates = Readonly<Record<string, Readonly<Record<string, number>>>>;

/**
 * Schema of {@link ModelRates}. Maps are written with `additionalProperties`, which both
 * CRDs and the offline validator understand (TypeBox's `Record` emits `patternProperties`,
 * which CRDs refuse).
 */
export const ModelRatesSchema = Type.Unsafe<ModelRates>({
  type: 'object',
  description:
    'rates is the worst-case cost of one running agent in USD per hour, by agent type and model; the key "default" prices models not listed and Tasks that leave the model unset.',
  additionalProperties: {
    type: 'object',
    additionalProperties: { type: 'number', minimum: 0 },
  },
});

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

/** Hourly rate of an agent type and model: the model's own, else the type's `default`. */
export const rateOf = (rates: ModelRates, agent: string, model: string | undefined): number | undefined => {
  const perModel = rates[agent];
  return (model !== undefined ? perModel?.[model] : undefined) ?? perModel?.['default'];
};

/** `base` with `over` laid on top per agent type (a type in `over` keeps `base`'s other models). */
export const mergeRates = (base: ModelRates, over: ModelRates | undefined): ModelRates => {
  if (!over) return base;
  const out: Record<string, Readonly<Record<string, number>>> = { ...base };
  for (const [agent, models] of Object.entries(over)) out[agent] = { ...base[agent], ...models };
  return out;
};
