/**
 * security/service-account: podOverrides name no ServiceAccount (serviceAccountName) the
 * operator's pod security floor (`src/operator/pod-security.ts`) refuses: none, unless the
 * cluster's KelosConfig `kelos` lists it in spec.podSecurity.allowedServiceAccounts.
 *
 * A rule of its own, not a finding of security/pod-security, because it is the one setting of
 * the floor a cluster admin routinely grants (IRSA, Workload Identity): an object that runs as a
 * granted ServiceAccount opts out of this rule alone and keeps every other pod-security check.
 * Where the check sees the KelosConfig itself (in the bundle, or deployed beside it), it judges
 * the name as the operator will, and nothing needs opting out.
 *
 * @packageDocumentation
 */
import { Annotations, KELOS_CONFIG_NAME } from '../src/api/group.ts';
import type { KubeObject } from '../src/api/object.ts';
import { allowsServiceAccount } from '../src/api/service-account-grants.ts';
import type { AdmissionCheck, AdmissionValidation, Bundle, ObjectRule } from '../src/policy/rule.ts';
import { clipName } from '../src/validate/echo.ts';
import { arr, get, nonEmpty } from './lib/access.ts';
import { CEL_EXECUTION_ROOT, celHas, celMessage, celPath } from './lib/cel.ts';
import { executionOf } from './lib/worker.ts';

/** The finding's message, shared verbatim with the admission policy. */
export const serviceAccountRefused = (name: string): string =>
  `the agent runs as ServiceAccount "${name}" (serviceAccountName), its identity to the API server and, through IRSA or Workload Identity, to the cloud: the operator refuses it unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it`;

/** What the KelosConfig the check sees says instead, appended to {@link serviceAccountRefused}. */
export const notListedBy = (where: string, listed: readonly string[]): string =>
  `, and KelosConfig "${KELOS_CONFIG_NAME}" ${where} lists ${
    listed.length === 0 ? 'none' : `${clipName(listed.map((n) => `"${n}"`).join(', '), 1000)} but not it`
  }`;

/**
 * The KelosConfig the operator would read (the cluster-scoped `kelos`), with where it is from:
 * this bundle's own first, else one another bundle of the check deploys, which is in the cluster
 * too.
 */
function kelosConfigOf(bundle: Bundle): { config: KubeObject; where: string } | undefined {
  const named = (objects: readonly KubeObject[]) =>
    objects.find((c) => c.metadata?.name === KELOS_CONFIG_NAME);
  const own = named(bundle.ofKind('KelosConfig'));
  if (own) return { config: own, where: 'of this bundle' };
  const beside = named(bundle.alongside('KelosConfig'));
  if (!beside) return undefined;
  const file = bundle.definedBeside(beside);
  return {
    config: beside,
    where: file ? `deployed beside this bundle (${file})` : 'deployed beside this bundle',
  };
}

/** The CEL validation for podOverrides at `po` (a field path under the execution root). */
function podValidation(root: string, po: readonly string[]): AdmissionValidation {
  const at = celPath(root, [...po, 'serviceAccountName']);
  return {
    expression: `!(${celHas(root, [...po, 'serviceAccountName'])}) || ${at} == ''`,
    message:
      'the agent runs as a ServiceAccount (serviceAccountName), which the operator refuses unless KelosConfig spec.podSecurity.allowedServiceAccounts lists it',
    messageExpression: celMessage(serviceAccountRefused, at),
  };
}

/** The rule: a ServiceAccount in podOverrides the floor would refuse, judged by the KelosConfig the check sees. */
export const serviceAccount: ObjectRule = {
  id: 'security/service-account',
  scope: 'object',
  severity: 'error',
  kinds: ['Task', 'TaskSpawner'],
  description:
    'podOverrides name no ServiceAccount (serviceAccountName) that KelosConfig spec.podSecurity.allowedServiceAccounts does not list: the check reads the KelosConfig kelos of the bundle or one deployed beside it; the admission policy, which cannot read it, refuses every one.',
  rationale:
    'A ServiceAccount is the agent’s identity to the API server and, through IRSA or Workload Identity, to the cloud; the operator runs a Task as one only when the cluster admin lists it, and fails the Task with PodSecurityViolation otherwise.',
  hint: `Have the cluster admin add it to KelosConfig spec.podSecurity.allowedServiceAccounts and opt this object out (annotations ${Annotations.PolicyIgnore}: security/service-account and ${Annotations.PolicyIgnoreReason}: <why>); or leave serviceAccountName unset, so the agent runs as the namespace default ServiceAccount with no token mounted.`,
  check({ object, bundle }) {
    const at = executionOf(object)?.podOverride('serviceAccountName');
    const account = nonEmpty(at?.value);
    if (!at || account === undefined) return [];
    const found = kelosConfigOf(bundle);
    if (!found) return [{ path: at.path, message: serviceAccountRefused(account) }];
    // As the floor judges it: a name for every namespace, or namespace/name.
    const listed = arr(get(found.config, 'spec', 'podSecurity', 'allowedServiceAccounts')).filter(
      (n): n is string => typeof n === 'string',
    );
    const namespace = object.metadata?.namespace;
    if (allowsServiceAccount(listed, namespace, account)) return [];
    return [
      {
        path: at.path,
        message: serviceAccountRefused(account) + notListedBy(found.where, listed),
        hint: `Add "${namespace ? `${namespace}/` : ''}${account}" to spec.podSecurity.allowedServiceAccounts of KelosConfig ${KELOS_CONFIG_NAME}, or leave serviceAccountName unset.`,
      },
    ];
  },
  // The KelosConfig is not there for CEL to read: the policy refuses every ServiceAccount, as
  // the floor does by default, and the operator's floor stays the authority.
  admission: () =>
    (['Task', 'TaskSpawner'] as const).map(
      (kind): AdmissionCheck => ({
        kind,
        validations: [
          podValidation(CEL_EXECUTION_ROOT[kind]!, ['worker', 'podOverrides']),
          podValidation(CEL_EXECUTION_ROOT[kind]!, ['podOverrides']),
        ],
      }),
    ),
};
