/**
 * budget/effort-allowlist: every Task and task template uses an allowed reasoning effort.
 *
 * @packageDocumentation
 */
import type { AdmissionCheck, ObjectRule } from '../src/policy/rule.ts';
import { nonEmpty } from './lib/access.ts';
import { CEL_EXECUTION_ROOT, celList, celString, celWorkerField } from './lib/cel.ts';
import { executionOf } from './lib/worker.ts';

/** Message for an effort outside the allowlist; the admission policy builds the same text. */
export const effortNotAllowed = (effort: string, allowed: readonly string[]): string =>
  `effort "${effort}" is not allowed; allowed: ${allowed.join(', ')}`;

export const effortAllowlist: ObjectRule = {
  id: 'budget/effort-allowlist',
  scope: 'object',
  severity: 'error',
  kinds: ['Task', 'TaskSpawner'],
  description: 'Every effort comes from the allowlist (allowlists.efforts).',
  rationale:
    'Higher reasoning effort multiplies the tokens of every turn; the API does not validate the value at all.',
  hint: 'Pick an allowed effort, or extend allowlists.efforts in kelos.policy.yaml.',
  check({ object, config }) {
    const allowed = config.allowlists.efforts;
    const effort = executionOf(object)?.field('effort');
    const value = nonEmpty(effort?.value);
    if (!effort || !value || allowed.length === 0 || allowed.includes(value)) return [];
    return [{ path: effort.path, message: effortNotAllowed(value, allowed) }];
  },
  admission: (config) => {
    const allowed = config.allowlists.efforts;
    if (allowed.length === 0) return [];
    return (['Task', 'TaskSpawner'] as const).map((kind): AdmissionCheck => {
      const effort = celWorkerField(CEL_EXECUTION_ROOT[kind]!, ['effort']);
      return {
        kind,
        validations: [
          {
            expression: `!${effort.has} || ${effort.value} == '' || ${effort.value} in ${celList(allowed)}`,
            message: effortNotAllowed('?', allowed),
            messageExpression: `'effort "' + ${effort.value} + '" is not allowed; allowed: ' + ${celString(allowed.join(', '))}`,
          },
        ],
      };
    });
  },
};
