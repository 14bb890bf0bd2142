/**
 * Where the operator's Pods run and how they pull their image: `imagePullSecrets`,
 * `nodeSelector`, `tolerations`, `affinity` and `priorityClassName` of the install, as Pod spec
 * fields checked the way the API server checks a Pod.
 *
 * @packageDocumentation
 */
import type { K8sType } from '../../src/api/k8s/index.ts';
import { OPERATOR_NAME } from '../../src/install/index.ts';
import { parsePointer } from '../../src/validate/diagnostic.ts';
import { validateObject } from '../../src/validate/index.ts';
import {
  DNS1123_SUBDOMAIN,
  isLabelValue,
  isNode,
  isQualifiedName,
} from '../../src/validate/object-schema.ts';
import {
  affinityProblems,
  type SchedulingProblem,
  tolerationProblems,
} from '../../src/validate/pod-scheduling.ts';

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

/** A problem: where (the prop as a path, `tolerations[0].effect`) and what. */
type Problem = readonly [at: string, problem: string];

/**
 * Each prop of the shape its type says, for an app in JavaScript or with a cast: a string where
 * a list belongs would otherwise be rendered one character a time, and a mapping where a list
 * belongs fails inside a check.
 */
const shapeProblems = (props: InstallSchedulingProps): Problem[] => {
  const out: Problem[] = [];
  const { imagePullSecrets, nodeSelector, tolerations, affinity, priorityClassName } = props;
  if (
    imagePullSecrets !== undefined &&
    !(Array.isArray(imagePullSecrets) && imagePullSecrets.every((n) => typeof n === 'string'))
  )
    out.push(['imagePullSecrets', `must be a list of Secret names; got ${JSON.stringify(imagePullSecrets)}`]);
  if (
    nodeSelector !== undefined &&
    !(isNode(nodeSelector) && Object.values(nodeSelector).every((v) => typeof v === 'string'))
  )
    out.push([
      'nodeSelector',
      `must be a mapping of label keys to string values; got ${JSON.stringify(nodeSelector)}`,
    ]);
  if (tolerations !== undefined && !(Array.isArray(tolerations) && tolerations.every(isNode)))
    out.push(['tolerations', `must be a list of tolerations (mappings); got ${JSON.stringify(tolerations)}`]);
  if (affinity !== undefined && !isNode(affinity))
    out.push(['affinity', `must be a mapping; got ${JSON.stringify(affinity)}`]);
  if (priorityClassName !== undefined && typeof priorityClassName !== 'string')
    out.push(['priorityClassName', `must be a string; got ${JSON.stringify(priorityClassName)}`]);
  return out;
};

/** A shared problem as a problem of the props, its path written after `at` (`tolerations[0]`). */
const asProblem = (at: string, p: SchedulingProblem): Problem => [
  `${at}${p.path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`,
  p.message,
];

/**
 * The scheduling props as Pod spec fields, checked as the API server checks a Pod: their shape,
 * then against the Pod schema of the pinned Kubernetes release (cdk8s-plus renders a Deployment
 * through converters that drop a field they do not know, so a misspelt `tolerationSeconds`
 * would vanish, not fail), then what the schema leaves to the server's code (names, operators,
 * effects, weights). An empty value (`""`, `[]`, `{}`, as Helm values default them) is unset.
 *
 * @throws Error with every problem, each naming its prop as a path (`tolerations[0].effect`).
 */
export const resolveScheduling = (props: InstallSchedulingProps): InstallScheduling => {
  const shape = shapeProblems(props);
  if (shape.length > 0) throw schedulingError(shape);
  const { imagePullSecrets, nodeSelector, tolerations, affinity, priorityClassName } = props;
  const scheduling: InstallScheduling = {
    ...(imagePullSecrets?.length && {
      imagePullSecrets: [...new Set(imagePullSecrets)].map((name) => ({ name })),
    }),
    ...(nodeSelector && Object.keys(nodeSelector).length > 0 && { nodeSelector: { ...nodeSelector } }),
    ...(tolerations?.length && { tolerations: structuredClone([...tolerations]) }),
    ...(affinity && Object.keys(affinity).length > 0 && { affinity: structuredClone(affinity) }),
    ...(priorityClassName && { priorityClassName }),
  };
  if (Object.keys(scheduling).length === 0) return scheduling;
  const problems = [
    ...schemaProblems(scheduling),
    ...(imagePullSecrets ?? [])
      .filter((name) => !isObjectName(name))
      .map(
        (name): Problem => [
          'imagePullSecrets',
          `must name Secrets (lowercase DNS subdomains); got "${name}"`,
        ],
      ),
    ...Object.entries(nodeSelector ?? {})
      .filter(([key, value]) => !isQualifiedName(key) || !isLabelValue(value))
      .map(
        ([key, value]): Problem => [
          'nodeSelector',
          `must map label keys to label values; got "${key}": "${value}"`,
        ],
      ),
    // A toleration's problem names its field, so it is told at the toleration, as before.
    ...(tolerations ?? []).flatMap((t, i) =>
      tolerationProblems(t).map((p): Problem => [`tolerations[${i}]`, p.message]),
    ),
    ...affinityProblems(scheduling.affinity).map((p) => asProblem('affinity', p)),
    ...(priorityClassName && !isObjectName(priorityClassName)
      ? [
          [
            'priorityClassName',
            `must name a PriorityClass (a lowercase DNS subdomain); got "${priorityClassName}"`,
          ] as const,
        ]
      : []),
  ];
  if (problems.length > 0) throw schedulingError(problems);
  return scheduling;
};

const schedulingError = (problems: readonly Problem[]): Error =>
  new Error(`KelosInstall: ${problems.map(([at, problem]) => `${at}: ${problem}`).join('; ')}`);

/** Whether `name` is a valid name for a Secret, a PriorityClass, … (a DNS-1123 subdomain). */
export const isObjectName = (name: string): boolean =>
  typeof name === 'string' && name.length <= 253 && DNS1123_SUBDOMAIN_RE.test(name);

/**
 * The errors `kelos validate` finds in a Pod with these fields, as problems of the props. The
 * validator names an unknown field by its whole path, which the prop's path already says.
 */
const schemaProblems = (fields: InstallScheduling): Problem[] => {
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
      const message = d.message.replace(/^unknown field "[^"]*"/, 'unknown field');
      return [at, `${message}${d.hint ? ` (${d.hint})` : ''}`];
    });
};
