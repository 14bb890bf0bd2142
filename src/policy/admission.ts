/**
 * Compiles the per-object rules that can be expressed in CEL into ValidatingAdmissionPolicies
 * and their bindings (admissionregistration.k8s.io/v1), so the API server enforces the same
 * rules, with the same thresholds and (where CEL can build it) the same messages, that
 * `kelos check` applies offline.
 *
 * One file per rule, holding a policy and a binding per kind the rule matches, plus a
 * `kustomization.yaml`. Output is deterministic: same rules and config, same bytes.
 *
 * - Error rules bind with `validationActions: [Deny]`, warning rules with `[Warn]` (kubectl
 *   prints the warning; the object is admitted). Info rules are not compiled.
 * - In the cluster, an object's own opt-out annotation is not enough: the Task author sets it.
 *   An object that opts out of a rule with `policy.kelos.dev/ignore` and gives a
 *   `policy.kelos.dev/ignore-reason` is exempt only in namespaces the cluster admin granted
 *   (KelosConfig `spec.admission`: `exemptNamespaces`, `exemptNamespaceSelector` over namespace
 *   labels), rendered into each policy's match conditions. Without a grant no opt-out is
 *   honoured. `kelos check` offline keeps honouring opt-outs: there a reviewer sees them.
 * - On UPDATE a policy only runs when `spec` changed, so the operator can still update metadata
 *   (finalizers, labels) of objects created before the policy existed.
 *
 * @packageDocumentation
 */
import { stringify } from 'yaml';
import { Annotations, API_VERSION, GROUP, Labels, VERSION } from '../api/group.ts';
import type { AdmissionExemptions } from '../api/kelos-config.ts';
import type { PolicyConfig } from './config.ts';
import type { AdmissionCheck, PolicyRule } from './rule.ts';

/** Plural resource names of the kinds policies can match. */
const PLURALS: Readonly<Record<string, string>> = {
  Task: 'tasks',
  Workspace: 'workspaces',
  AgentConfig: 'agentconfigs',
  TaskSpawner: 'taskspawners',
  TaskBudget: 'taskbudgets',
  TaskRecord: 'taskrecords',
};

/** Directory the compiled policies are written to, relative to the project root. */
export const ADMISSION_POLICY_DIR = 'dist/policies';

/** Annotation on each compiled policy naming the rule it enforces. */
export const RULE_ANNOTATION = 'policy.kelos.dev/rule';

/** Name of the policy (and its binding) enforcing `ruleId` on `kind`. */
export const admissionPolicyName = (ruleId: string, kind: string): string =>
  `kelos-${ruleId.replaceAll('/', '-')}-${PLURALS[kind] ?? kind.toLowerCase()}`;

/** File (under {@link ADMISSION_POLICY_DIR}) holding a rule's policies. */
export const admissionPolicyFile = (ruleId: string): string => `${ruleId.replaceAll('/', '-')}.yaml`;

const celString = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** CEL list literal of strings. */
const celList = (items: readonly string[]): string => `[${items.map(celString).join(', ')}]`;

/** A label selector over the request's namespace labels, as CEL (`namespaceObject`). */
const namespaceSelectorCel = (
  selector: NonNullable<AdmissionExemptions['exemptNamespaceSelector']>,
): string => {
  const labels = 'namespaceObject.metadata.labels';
  const has = (k: string) => `(has(${labels}) && ${celString(k)} in ${labels})`;
  const terms: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    terms.push(`(${has(k)} && ${labels}[${celString(k)}] == ${celString(v)})`);
  }
  for (const e of selector.matchExpressions ?? []) {
    const values = celList(e.values ?? []);
    if (e.operator === 'In') terms.push(`(${has(e.key)} && ${labels}[${celString(e.key)}] in ${values})`);
    else if (e.operator === 'NotIn')
      terms.push(`!(${has(e.key)} && ${labels}[${celString(e.key)}] in ${values})`);
    else if (e.operator === 'Exists') terms.push(has(e.key));
    else if (e.operator === 'DoesNotExist') terms.push(`!${has(e.key)}`);
    else terms.push('false');
  }
  // An empty selector selects every namespace, as in Kubernetes.
  return terms.length ? `(namespaceObject != null && ${terms.join(' && ')})` : 'true';
};

/** Where the admin granted opt-outs, as CEL; undefined when nowhere. */
export const exemptionCel = (exemptions: AdmissionExemptions | undefined): string | undefined => {
  const parts: string[] = [];
  if (exemptions?.exemptNamespaces?.length)
    parts.push(`request.namespace in ${celList(exemptions.exemptNamespaces)}`);
  if (exemptions?.exemptNamespaceSelector)
    parts.push(namespaceSelectorCel(exemptions.exemptNamespaceSelector));
  return parts.length ? parts.join(' || ') : undefined;
};

/**
 * The match condition that honours a reasoned opt-out, as the offline engine does, but only
 * where the admin granted exemptions; undefined (no opt-out at all) without a grant.
 */
const notOptedOut = (ruleId: string, exemptions: AdmissionExemptions | undefined): string | undefined => {
  const granted = exemptionCel(exemptions);
  if (!granted) return undefined;
  const a = 'object.metadata.annotations';
  const ignore = celString(Annotations.PolicyIgnore);
  const reason = celString(Annotations.PolicyIgnoreReason);
  return `!((${granted}) && has(${a}) && ${ignore} in ${a} && ${reason} in ${a} && ${a}[${reason}].trim() != '' && ${a}[${ignore}].split(',').exists(id, id.trim() == ${celString(ruleId)}))`;
};

/** The manifests compiled from one rule. */
export interface CompiledRule {
  readonly ruleId: string;
  readonly file: string;
  /** Policy and binding per kind, in kind order. */
  readonly objects: readonly Record<string, unknown>[];
}

function compileCheck(
  rule: PolicyRule,
  check: AdmissionCheck,
  action: 'Deny' | 'Warn',
  exemptions: AdmissionExemptions | undefined,
): Record<string, unknown>[] {
  const plural = PLURALS[check.kind];
  if (!plural)
    throw new Error(`rule ${rule.id}: cannot compile an admission policy for unknown kind ${check.kind}`);
  const name = admissionPolicyName(rule.id, check.kind);
  const metadata = {
    name,
    labels: { [Labels.ManagedBy]: 'kelos', 'app.kubernetes.io/part-of': 'kelos' },
    annotations: { [RULE_ANNOTATION]: rule.id, 'policy.kelos.dev/description': rule.description },
  };
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata,
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [GROUP],
            apiVersions: [VERSION],
            operations: ['CREATE', 'UPDATE'],
            resources: [plural],
          },
        ],
      },
      matchConditions: [
        {
          name: 'spec-changed',
          expression: "request.operation == 'CREATE' || object.spec != oldObject.spec",
        },
        ...[notOptedOut(rule.id, exemptions)]
          .filter((e) => e !== undefined)
          .map((expression) => ({ name: 'not-opted-out', expression })),
      ],
      ...(check.variables && check.variables.length > 0
        ? { variables: check.variables.map((v) => ({ name: v.name, expression: v.expression })) }
        : {}),
      validations: check.validations.map((v) => ({
        expression: v.expression,
        message: v.message,
        ...(v.messageExpression ? { messageExpression: v.messageExpression } : {}),
        reason: 'Invalid',
      })),
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels: metadata.labels, annotations: { [RULE_ANNOTATION]: rule.id } },
    spec: { policyName: name, validationActions: [action] },
  };
  return [policy, binding];
}

/**
 * Compiles every enabled rule that has an admission form, with the config's thresholds and
 * severity overrides, honouring opt-outs only where `exemptions` (the admin's KelosConfig
 * `spec.admission`) grant them.
 */
export function compileAdmissionPolicies(
  rules: readonly PolicyRule[],
  config: PolicyConfig,
  exemptions?: AdmissionExemptions,
): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const rule of rules) {
    const settings = config.rules[rule.id];
    if (!rule.admission || settings?.enabled === false) continue;
    const severity = settings?.severity ?? rule.severity;
    if (severity === 'info') continue;
    const checks = rule.admission(config).filter((c) => c.validations.length > 0);
    if (checks.length === 0) continue;
    out.push({
      ruleId: rule.id,
      file: admissionPolicyFile(rule.id),
      objects: checks.flatMap((c) =>
        compileCheck(rule, c, severity === 'error' ? 'Deny' : 'Warn', exemptions),
      ),
    });
  }
  return out;
}

const HEADER = (what: string) =>
  `# Generated by kelos check --emit-admission-policies from policies/ and the policy config; do not edit.\n# ${what}\n`;

/**
 * Renders compiled rules as files: one YAML stream per rule and a `kustomization.yaml` listing
 * them, keyed by file name.
 */
export function renderAdmissionPolicies(compiled: readonly CompiledRule[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of compiled) {
    const docs = c.objects.map((o) => stringify(o, { lineWidth: 0, minContentWidth: 0 }));
    files.set(
      c.file,
      `${HEADER(`Rule ${c.ruleId}; API ${API_VERSION}.`)}${docs.map((d) => `---\n${d}`).join('')}`,
    );
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...files.keys()].sort(),
  };
  files.set(
    'kustomization.yaml',
    `${HEADER('Applies every compiled policy and binding.')}${stringify(kustomization)}`,
  );
  return files;
}
