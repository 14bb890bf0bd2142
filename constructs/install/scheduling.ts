/**
 * Where the operator's Pods run and how they pull their image: `imagePullSecrets`,
 * `nodeSelector`, `tolerations`, `affinity` and `priorityClassName` of the install, as Pod spec
 * fields checked the way the API server checks a Pod.
 *
 * @packageDocumentation
 */
import type { K8sType } from '../../src/api/k8s/index.ts';
import { OPERATOR_NAME } from '../../src/install/index.ts';
import { validateObject } from '../../src/validate/index.ts';
import { parsePointer } from '../../src/validate/load.ts';
import { DNS1123_SUBDOMAIN, isLabelValue, isQualifiedName } from '../../src/validate/object-schema.ts';

const DNS1123_SUBDOMAIN_RE = new RegExp(DNS1123_SUBDOMAIN);

/** The install's settings of where the operator's Pods run and how they pull their image. */
export interface InstallSchedulingProps {
  /**
   * Secrets in the operator's namespace to pull its image with, for a private registry or
   * mirror. Agent Pods pull with what their Task's `podOverrides.imagePullSecrets` names.
   * @default none
   */
  readonly imagePullSecrets?: readonly string[];
  /** The operator Pods' `nodeSelector`. @default none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** The operator Pods' `tolerations`, e.g. to run on tainted infrastructure nodes. @default none */
  readonly tolerations?: readonly K8sType<'Toleration'>[];
  /** The operator Pods' `affinity`. @default none (replicas are spread over nodes by a topology constraint) */
  readonly affinity?: K8sType<'Affinity'>;
  /** The operator Pods' `priorityClassName`. @default none */
  readonly priorityClassName?: string;
}

/** Where the operator's Pods run and how they pull their image: fields of the Pod spec as written. */
export interface InstallScheduling {
  readonly imagePullSecrets?: ReadonlyArray<{ readonly name: string }>;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly K8sType<'Toleration'>[];
  readonly affinity?: K8sType<'Affinity'>;
  readonly priorityClassName?: string;
}

const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/**
 * What the API server refuses in a toleration beyond its schema (which types the fields but
 * lists no enums), in its words.
 */
const tolerationProblem = (t: K8sType<'Toleration'>): string | undefined => {
  if (t.operator && !TOLERATION_OPERATORS.includes(t.operator))
    return `operator must be Exists or Equal; got "${t.operator}"`;
  if (t.effect && !TAINT_EFFECTS.includes(t.effect))
    return `effect must be NoSchedule, PreferNoSchedule or NoExecute; got "${t.effect}"`;
  if (t.operator === 'Exists' && t.value) return 'value must be empty when operator is Exists';
  if (!t.key && t.operator !== 'Exists') return 'operator must be Exists when key is empty';
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute')
    return 'tolerationSeconds applies only to effect NoExecute';
  return undefined;
};

/**
 * The scheduling props as Pod spec fields, checked as the API server checks a Pod: against the
 * Pod schema of the pinned Kubernetes release first (cdk8s-plus renders a Deployment through
 * converters that drop a field they do not know, so a misspelt `tolerationSeconds` would
 * vanish, not fail), then what the schema leaves to the server's code (names, toleration
 * operators and effects).
 *
 * @throws Error with every problem, each naming its prop as a path (`tolerations[0].effect`).
 */
export const resolveScheduling = (props: InstallSchedulingProps): InstallScheduling => {
  const priority = props.priorityClassName;
  const scheduling: InstallScheduling = {
    ...(props.imagePullSecrets?.length && {
      imagePullSecrets: [...new Set(props.imagePullSecrets)].map((name) => ({ name })),
    }),
    ...(props.nodeSelector &&
      Object.keys(props.nodeSelector).length > 0 && { nodeSelector: { ...props.nodeSelector } }),
    ...(props.tolerations?.length && { tolerations: structuredClone([...props.tolerations]) }),
    ...(props.affinity && { affinity: structuredClone(props.affinity) }),
    ...(priority !== undefined && { priorityClassName: priority }),
  };
  if (Object.keys(scheduling).length === 0) return scheduling;
  const problems = schemaProblems(scheduling);
  if (problems.length === 0) {
    for (const name of props.imagePullSecrets ?? []) {
      if (!isObjectName(name))
        problems.push(['imagePullSecrets', `must name Secrets (lowercase DNS subdomains); got "${name}"`]);
    }
    for (const [key, value] of Object.entries(props.nodeSelector ?? {})) {
      if (!isQualifiedName(key) || !isLabelValue(value))
        problems.push(['nodeSelector', `must map label keys to label values; got "${key}": "${value}"`]);
    }
    (props.tolerations ?? []).forEach((t, i) => {
      const problem = tolerationProblem(t);
      if (problem) problems.push([`tolerations[${i}]`, problem]);
    });
    if (priority !== undefined && !isObjectName(priority))
      problems.push([
        'priorityClassName',
        `must name a PriorityClass (a lowercase DNS subdomain); got "${priority}"`,
      ]);
  }
  if (problems.length === 0) return scheduling;
  const keys = new Set(problems.map(([at]) => /^[^[.]+/.exec(at)?.[0]));
  throw new Error(
    `KelosInstall: ${problems.map(([at, problem]) => `${at}: ${problem}`).join('; ')} (values: ${[...keys].join(', ')})`,
  );
};

const isObjectName = (name: string): boolean => name.length <= 253 && DNS1123_SUBDOMAIN_RE.test(name);

/** The errors `kelos validate` finds in a Pod with these fields, as [prop path, message]. */
const schemaProblems = (fields: InstallScheduling): Array<[string, string]> => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: OPERATOR_NAME },
    spec: { containers: [{ name: 'operator', image: 'operator' }], ...fields },
  };
  return validateObject(pod)
    .filter((d) => d.severity === 'error')
    .map((d) => {
      const [field = '', ...rest] = parsePointer(d.path ?? '').slice(1);
      const at = `${field}${rest.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('')}`;
      return [at, `${d.message}${d.hint ? ` (${d.hint})` : ''}`];
    });
};
