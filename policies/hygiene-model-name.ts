/**
 * hygiene/model-name: no model is one or two letters off a model its agent type is known to
 * run, in a Task, a task template or the policy file's `allowlists.models` and `rates`.
 *
 * @packageDocumentation
 */
import { undatedModel } from '../src/api/model-rates.ts';
import type { PolicyConfig } from '../src/policy/config.ts';
import type { ObjectRule } from '../src/policy/rule.ts';
import type { Diagnostic } from '../src/validate/diagnostic.ts';
import { misspeltModel, notKnownModel } from '../src/validate/model-names.ts';
import { namedModel } from './lib/worker.ts';

export const modelName: ObjectRule = {
  id: 'hygiene/model-name',
  scope: 'object',
  severity: 'warning',
  kinds: ['Task', 'TaskSpawner'],
  description:
    'No model of a Task or task template, nor of allowlists.models or rates in the policy file, is one or two letters off a model its agent type is known to run (claude-sonet-4-5 for claude-sonnet-4-5); a name far from every known one, or another version of one (claude-opus-4-6), is taken as a new model.',
  rationale:
    'A misspelt model passes an allowlist that repeats the typo, is priced by the forecast at the default rate, and fails only when the agent asks its provider for it.',
  hint: 'Spell the model as its provider names it, here and wherever kelos.policy.yaml repeats it.',
  check({ object, config }) {
    const named = namedModel(object);
    if (!named) return [];
    const { model, name, agent } = named;
    const near = misspeltModel(agent, name);
    if (near === undefined) return [];
    const rates = config.rates[agent] ?? {};
    const priced = rates[name] !== undefined || rates[undatedModel(name)] !== undefined;
    return [
      {
        path: model.path,
        message: `model ${JSON.stringify(name)} ${notKnownModel(agent, near)}${priced ? '' : ` (the forecast prices it at the ${agent} default rate)`}`,
      },
    ];
  },
};

/**
 * The rule's findings in the policy file itself (a model under `allowlists.models`, a `rates`
 * key), at the severity the file gives the rule; none when it turns the rule off. They are on
 * no object, so the engine does not run them: `kelos check` and `kelos synth` add them once.
 */
export function policyFileModelNames(config: PolicyConfig): Diagnostic[] {
  const settings = config.rules[modelName.id];
  if (settings?.enabled === false) return [];
  return (config.misspeltModels ?? []).map((m) => ({
    severity: settings?.severity ?? modelName.severity,
    code: modelName.id,
    message: `${m.under}.${m.agent} ${m.under === 'rates' ? 'prices' : 'lists'} ${JSON.stringify(m.model)}, which ${notKnownModel(m.agent, m.near)}`,
    path: '',
    source: {
      file: m.file,
      ...(m.line !== undefined && { line: m.line }),
      ...(m.column !== undefined && { column: m.column }),
    },
    hint: modelName.hint,
  }));
}
