/**
 * budget/model-allowlist: every Task and task template uses a model the config allows for its
 * agent type. A dated snapshot of an allowed model (`claude-sonnet-4-5-20250929` of
 * `claude-sonnet-4-5`) is that model, as the forecast prices it.
 *
 * @packageDocumentation
 */
import { MODEL_SNAPSHOT_SUFFIX, undatedModel } from '../src/api/model-rates.ts';
import type { AdmissionCheck, ObjectRule } from '../src/policy/rule.ts';
import { CEL_EXECUTION_ROOT, celList, celString, celWorkerField } from './lib/cel.ts';
import { namedModel } from './lib/worker.ts';

/** Message for a model outside the allowlist; the admission policy builds the same text. */
export const modelNotAllowed = (model: string, agent: string, allowed: readonly string[]): string =>
  `model "${model}" is not allowed for ${agent}; allowed: ${allowed.join(', ')}`;

const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** ` || variables.model.matches('^(?:a|b)-…$')`: a dated snapshot of a listed model (RE2). */
const snapshotOf = (models: readonly string[]): string =>
  models.length === 0
    ? ''
    : ` || variables.model.matches(${celString(`^(?:${models.map(regexEscape).join('|')})${MODEL_SNAPSHOT_SUFFIX.source}`)})`;

export const modelAllowlist: ObjectRule = {
  id: 'budget/model-allowlist',
  scope: 'object',
  severity: 'error',
  kinds: ['Task', 'TaskSpawner'],
  description:
    'Every model comes from the allowlist of its agent type (allowlists.models); a dated snapshot (claude-sonnet-4-5-20250929) is its model.',
  rationale:
    'Model choice sets the price per token by an order of magnitude; the budget forecast prices only the models it knows.',
  hint: 'Pick an allowed model, or add it (and its rate) to kelos.policy.yaml.',
  check({ object, config }) {
    const named = namedModel(object);
    if (!named) return [];
    const { model, name, agent } = named;
    const allowed = config.allowlists.models[agent];
    if (!allowed || allowed.includes(name) || allowed.includes(undatedModel(name))) return [];
    return [{ path: model.path, message: modelNotAllowed(name, agent, allowed) }];
  },
  admission: (config) => {
    const lists = Object.entries(config.allowlists.models);
    if (lists.length === 0) return [];
    return (['Task', 'TaskSpawner'] as const).map((kind): AdmissionCheck => {
      const root = CEL_EXECUTION_ROOT[kind]!;
      const type = celWorkerField(root, ['type']);
      const model = celWorkerField(root, ['model']);
      const allowedFor = lists.map(
        ([agent, models]) =>
          `(variables.agent != ${celString(agent)} || variables.model in ${celList(models)}${snapshotOf(models)})`,
      );
      const listText = lists.reduceRight(
        (rest, [agent, models]) =>
          `(variables.agent == ${celString(agent)} ? ${celString(models.join(', '))} : ${rest})`,
        "''",
      );
      return {
        kind,
        variables: [
          { name: 'agent', expression: `${type.has} ? ${type.value} : ''` },
          { name: 'model', expression: `${model.has} ? ${model.value} : ''` },
        ],
        validations: [
          {
            expression: `variables.agent == '' || variables.model == '' || (${allowedFor.join(' && ')})`,
            message: 'model is not allowed for its agent type',
            messageExpression: `'model "' + variables.model + '" is not allowed for ' + variables.agent + '; allowed: ' + ${listText}`,
          },
        ],
      };
    });
  },
};
