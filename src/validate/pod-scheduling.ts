/**
 * What the API server refuses in a Pod's `tolerations` and `affinity` beyond their schema
 * (which types the fields but lists no enums), in its words. One definition for every Pod Kelos
 * makes from a user's value: the operator's own (`kelos install`'s `tolerations`/`affinity`)
 * and the agent Pods of Tasks (`podOverrides`, checked by `kelos validate`), whose Job the API
 * server would otherwise refuse at run time.
 *
 * @packageDocumentation
 */
import {
  isLabelValue,
  isNode,
  isQualifiedName,
  LABEL_VALUE_RULE,
  QUALIFIED_NAME_RULE,
} from './object-schema.ts';

/** A problem at a path below the value checked (`[]`: the value itself), in the server's words. */
export interface SchedulingProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const LABEL_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

const notQualified = (path: readonly (string | number)[], key: string): SchedulingProblem => ({
  path,
  message: `must be ${QUALIFIED_NAME_RULE}; got "${key}"`,
});

const notLabelValue = (path: readonly (string | number)[], value: string): SchedulingProblem => ({
  path,
  message: `must be ${LABEL_VALUE_RULE}; got "${value}"`,
});

/**
 * Every problem of one toleration, each at the field it is about and naming it
 * (`effect must be NoSchedule, PreferNoSchedule or NoExecute; got "NoSchedul"`).
 */
export function tolerationProblems(t: unknown): SchedulingProblem[] {
  if (!isNode(t)) return [];
  const out: SchedulingProblem[] = [];
  const { key, operator, value, effect } = t;
  if (typeof key === 'string' && key && !isQualifiedName(key))
    out.push({ path: ['key'], message: `key must be ${QUALIFIED_NAME_RULE}; got "${key}"` });
  if (typeof operator === 'string' && operator && !TOLERATION_OPERATORS.includes(operator))
    out.push({ path: ['operator'], message: `operator must be Exists or Equal; got "${operator}"` });
  if (typeof effect === 'string' && effect && !TAINT_EFFECTS.includes(effect))
    out.push({
      path: ['effect'],
      message: `effect must be NoSchedule, PreferNoSchedule or NoExecute; got "${effect}"`,
    });
  if (operator === 'Exists' && value)
    out.push({ path: ['value'], message: 'value must be empty when operator is Exists' });
  if (!key && operator !== 'Exists')
    out.push({ path: ['operator'], message: 'operator must be Exists when key is empty' });
  if (t['tolerationSeconds'] !== undefined && t['tolerationSeconds'] !== null && effect !== 'NoExecute')
    out.push({ path: ['tolerationSeconds'], message: 'tolerationSeconds applies only to effect NoExecute' });
  return out;
}

/**
 * Every problem of an affinity (or a part of one, `node` when it is below `nodeAffinity`): a
 * match expression's operator (node selectors take Gt and Lt, label selectors do not), the
 * values its operator needs, a preferred term's weight, a required node affinity with no
 * term, an empty topologyKey; every label key (a match expression's, `matchLabels`',
 * `matchLabelKeys`', a topologyKey) a qualified name and a label selector's values label values,
 * as the server's `ValidateLabelName` and `ValidateLabels` ask.
 */
export function affinityProblems(
  value: unknown,
  path: readonly (string | number)[] = [],
  node = false,
): SchedulingProblem[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => affinityProblems(v, [...path, i], node));
  if (!isNode(value)) return [];
  const out: SchedulingProblem[] = [];
  const operator = value['operator'];
  const values = value['values'];
  // A match expression: the values its operator needs (a list of them, or none).
  // Values of the wrong type are the schema's to report.
  if (typeof operator === 'string' && 'key' in value && (values === undefined || Array.isArray(values))) {
    const count = Array.isArray(values) ? values.length : 0;
    if ((operator === 'In' || operator === 'NotIn') && count === 0)
      out.push({ path: [...path, 'values'], message: `must be non-empty when operator is ${operator}` });
    if ((operator === 'Exists' || operator === 'DoesNotExist') && count > 0)
      out.push({ path: [...path, 'values'], message: `must be empty when operator is ${operator}` });
    if (node && (operator === 'Gt' || operator === 'Lt') && count !== 1)
      out.push({
        path: [...path, 'values'],
        message: `must have a single element when operator is ${operator}`,
      });
    const key = value['key'];
    if (typeof key === 'string' && key && !isQualifiedName(key))
      out.push(notQualified([...path, 'key'], key));
    // A node selector's values are node label values or, with Gt and Lt, integers, which the
    // server does not judge as labels; a label selector's are label values.
    if (!node && Array.isArray(values))
      values.forEach((v, i) => {
        if (typeof v === 'string' && !isLabelValue(v)) out.push(notLabelValue([...path, 'values', i], v));
      });
  }
  for (const [key, v] of Object.entries(value)) {
    const at = [...path, key];
    if (key === 'operator' && typeof v === 'string') {
      const allowed = node ? NODE_SELECTOR_OPERATORS : LABEL_SELECTOR_OPERATORS;
      if (!allowed.includes(v))
        out.push({ path: at, message: `must be one of ${allowed.join(', ')}; got "${v}"` });
    } else if (key === 'weight' && typeof v === 'number' && (v < 1 || v > 100)) {
      out.push({ path: at, message: `must be from 1 to 100; got ${v}` });
    } else if (key === 'nodeSelectorTerms' && Array.isArray(v) && v.length === 0) {
      out.push({ path: at, message: 'must have at least one node selector term' });
    } else if (key === 'topologyKey' && typeof v === 'string') {
      if (v === '') out.push({ path: at, message: 'must be a label key (can not be empty)' });
      else if (!isQualifiedName(v)) out.push(notQualified(at, v));
    } else if (key === 'matchLabels' && isNode(v)) {
      for (const [label, labelValue] of Object.entries(v)) {
        if (!isQualifiedName(label)) out.push(notQualified([...at, label], label));
        if (typeof labelValue === 'string' && !isLabelValue(labelValue))
          out.push(notLabelValue([...at, label], labelValue));
      }
    } else if ((key === 'matchLabelKeys' || key === 'mismatchLabelKeys') && Array.isArray(v)) {
      v.forEach((label, i) => {
        if (typeof label === 'string' && !isQualifiedName(label)) out.push(notQualified([...at, i], label));
      });
    } else {
      out.push(...affinityProblems(v, at, node || key === 'nodeAffinity'));
    }
  }
  return out;
}
