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

import { AGENT_TYPES } from './group.ts';
import type { ModelRates } from './model-rates.ts';

export { DEFAULT_MODEL_RATES, type ModelRates, mergeRates, rateOf } from './model-rates.ts';

/**
 * Schema of {@link ModelRates}: one map per agent type the API runs, each from model (or
 * `default`) to USD per hour. The agent types are fields, so a key for none of them
 * (`claude-cod`) is an unknown field, refused as the API server refuses one under strict field
 * validation: under any other key a rate would price nothing while the defaults stayed in force.
 * The per-model maps are written with `additionalProperties`, which both CRDs and the offline
 * validator understand (TypeBox's `Record` emits `patternProperties`, which CRDs refuse).
 */
export const ModelRatesSchema = Type.Unsafe<ModelRates>({
  type: 'object',
  description:
    'rates is the worst-case cost of one running agent in USD per hour, by agent type and model; a dated snapshot (claude-opus-4-1-20250805) takes its model\'s rate unless listed itself; the key "default" prices models not listed and Tasks that leave the model unset.',
  properties: Object.fromEntries(
    AGENT_TYPES.map((type) => [
      type,
      {
        type: 'object',
        description: `${type}: USD per hour by model; "default" prices the models not listed.`,
        additionalProperties: { type: 'number', minimum: 0 },
      },
    ]),
  ),
});
