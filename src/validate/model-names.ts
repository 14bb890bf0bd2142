/**
 * The model names each agent type is known to run, and what a name one typo from one of them
 * most likely meant. Model names are free-form (a new model appears before kelos-ts knows it),
 * so a name far from every known one is taken as a new model; one that is a letter or two off
 * a known one (`claude-sonet-4-5`) is most likely a typo, which an allowlist with the same typo
 * lets through and the forecast prices at the agent type's default rate.
 *
 * @packageDocumentation
 */
import { DEFAULT_MODEL_RATES, undatedModel } from '../api/model-rates.ts';
import { closest } from './echo.ts';

/** The models each agent type may use when the policy file lists none for it. */
export const BUILTIN_MODEL_ALLOWLISTS: Readonly<Record<string, readonly string[]>> = {
  'claude-code': [
    'claude-opus-4-1',
    'claude-opus-4-5',
    'claude-sonnet-4-5',
    'claude-haiku-4-5',
    'opus',
    'sonnet',
    'haiku',
  ],
  codex: ['gpt-5', 'gpt-5-codex', 'gpt-5-mini'],
  gemini: ['gemini-2.5-pro', 'gemini-2.5-flash'],
};

/** Every model kelos-ts knows an agent type runs: its built-in allowlist and built-in rates. */
export const knownModels = (agent: string): readonly string[] => [
  ...new Set([
    ...(BUILTIN_MODEL_ALLOWLISTS[agent] ?? []),
    ...Object.keys(DEFAULT_MODEL_RATES[agent] ?? {}).filter((m) => m !== 'default'),
  ]),
];

/**
 * A name with each run of version numbers (`-4-5`, `-2.5-`, `5.1`) as one mark: two names with
 * the same shape are two versions of one model (`claude-opus-4-6` beside `claude-opus-4-5`,
 * `gpt-5.1` beside `gpt-5`), not a typo of each other.
 */
const shape = (model: string): string => model.replace(/[-.]?\d[\d.-]*/g, '#');

/** Most edits a typo is taken to have: three would reach from one real model to another. */
const MAX_TYPO_EDITS = 2;

/**
 * The known model of `agent` that `model` is one or two edits from (dated snapshot suffix kept:
 * `claude-sonet-4-5-20250929` → `claude-sonnet-4-5-20250929`), or `undefined` for a known
 * model, a new version of one, or a name far from all of them.
 */
export function misspeltModel(agent: string, model: string): string | undefined {
  const known = knownModels(agent);
  const undated = undatedModel(model);
  if (known.includes(model) || known.includes(undated)) return undefined;
  const near = closest(undated, known, MAX_TYPO_EDITS);
  if (near === undefined || shape(near) === shape(undated)) return undefined;
  return `${near}${model.slice(undated.length)}`;
}

/** `is not a known claude-code model; did you mean "claude-sonnet-4-5"?` */
export const notKnownModel = (agent: string, near: string): string =>
  `is not a known ${agent} model; did you mean ${JSON.stringify(near)}?`;
