/**
 * Whether a Secret of the bundle holds the keys its reference reads. The Pod of a Task reads
 * its credentials and its Workspace's token through `secretKeyRef`s without `optional`, so a
 * Secret without the key leaves the container unstarted (CreateContainerConfigError) and the
 * Task Pending with no error of its own. Checked where the Secret is in the bundle; one
 * outside it (sealed-secrets, external-secrets, kubectl) cannot be read here.
 *
 * - A Workspace's `spec.secretRef`: `GITHUB_TOKEN` or the GitHub App keys
 *   ({@link givesGitHubToken}, the operator's own definition).
 * - A Task's (or a TaskSpawner task template's) `credentials.secretRef`: the key its agent type
 *   and credential type read ({@link credentialEnvName}, the render's own).
 * - Their `podOverrides.env[].valueFrom.secretKeyRef` (not `optional`): its `key`.
 * - An AgentConfig's `mcpServers[].env[].valueFrom.secretKeyRef` (the render hands it to the
 *   agent container as is) and `skills[].secretRef` (read for `GITHUB_TOKEN`).
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import { effectiveWorkerField } from '../api/worker-field.ts';
import { credentialEnvName } from '../contract/credentials.ts';
import { givesGitHubToken, WORKSPACE_SECRET_KEYS } from '../contract/workspace-secret.ts';
import { type Diagnostic, type Finding, fieldPath, toPointer } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import { isNode } from './object-schema.ts';

/** The keys a Secret object holds, under `data` and `stringData`. */
const secretKeys = (secret: Readonly<Record<string, unknown>>): string[] => {
  const keys = new Set<string>();
  for (const field of ['data', 'stringData']) {
    const map = secret[field];
    if (isNode(map)) for (const key of Object.keys(map)) keys.add(key);
  }
  return [...keys].sort();
};

const quoted = (keys: readonly string[]): string =>
  keys.length === 0 ? 'no keys' : `keys ${keys.map((k) => `"${k}"`).join(', ')}`;

/** What happens at run time, per kind of the referring object. */
const atRunTime = (kind: unknown): string =>
  kind === 'Workspace'
    ? 'the Pod of every Task on this Workspace cannot start (CreateContainerConfigError) and the Task stays Pending; a TaskSpawner on it polls GitHub without a token'
    : kind === 'AgentConfig'
      ? 'the Pod of every Task that uses this AgentConfig cannot start (CreateContainerConfigError) and the Task stays Pending'
      : kind === 'TaskSpawner'
        ? 'the Pods of its Tasks cannot start (CreateContainerConfigError) and the Tasks stay Pending'
        : 'its Pod cannot start (CreateContainerConfigError) and the Task stays Pending';

/** The `secretKeyRef`s of an EnvVar list that must resolve, with their index. */
const requiredSecretKeyRefs = (env: unknown): { index: number; name: string; key: string }[] =>
  (Array.isArray(env) ? env : []).flatMap((e, index) => {
    const from = isNode(e) ? e['valueFrom'] : undefined;
    const ref = isNode(from) ? from['secretKeyRef'] : undefined;
    if (!isNode(ref) || ref['optional'] === true) return [];
    const { name, key } = ref;
    return typeof name === 'string' && name && typeof key === 'string' && key ? [{ index, name, key }] : [];
  });

/**
 * Findings for one object: its Secret references whose Secret, found by `secret` in the
 * bundle, lacks the keys the Pod reads.
 */
export function secretKeyFindings(
  object: Readonly<Record<string, unknown>>,
  secret: (name: string) => Readonly<Record<string, unknown>> | undefined,
): Finding[] {
  if (object['apiVersion'] !== API_VERSION) return [];
  const spec = object['spec'];
  if (!isNode(spec)) return [];
  const out: Finding[] = [];
  /** Reports the reference at `path` (its `name`, or the `key` it reads) when the Secret lacks `expected`. */
  const check = (
    path: readonly string[],
    name: string,
    accepts: (keys: readonly string[]) => boolean,
    expected: string,
    optional = '',
  ) => {
    const found = secret(name);
    if (found === undefined) return;
    const has = secretKeys(found);
    if (accepts(has)) return;
    out.push({
      severity: 'error',
      code: 'ref/secret-key',
      path: toPointer(path),
      message: `${fieldPath(toPointer(path.slice(0, -1)))} names Secret "${name}", which ${has.length === 0 ? `holds no keys (it needs ${expected})` : `has ${quoted(has)} but not ${expected}`}; ${atRunTime(object['kind'])}`,
      hint: `add ${expected} to Secret "${name}"${has.length === 0 ? '' : ' (rename the key it has if that is the value; keys are case-sensitive)'}${optional}`,
    });
  };
  const checkEnv = (path: readonly string[], env: unknown) => {
    for (const ref of requiredSecretKeyRefs(env))
      check(
        [...path, String(ref.index), 'valueFrom', 'secretKeyRef', 'key'],
        ref.name,
        (keys) => keys.includes(ref.key),
        `"${ref.key}"`,
        ', or set optional: true if the variable may be unset',
      );
  };
  const nameOf = (ref: unknown): string | undefined => {
    const name = isNode(ref) ? ref['name'] : undefined;
    return typeof name === 'string' && name ? name : undefined;
  };

  if (object['kind'] === 'Workspace') {
    const name = nameOf(spec['secretRef']);
    if (name !== undefined)
      check(
        ['spec', 'secretRef', 'name'],
        name,
        (keys) => givesGitHubToken((key) => keys.includes(key)),
        WORKSPACE_SECRET_KEYS,
      );
    return out;
  }
  if (object['kind'] === 'AgentConfig') {
    const skills = spec['skills'];
    (Array.isArray(skills) ? skills : []).forEach((skill, i) => {
      const name = isNode(skill) ? nameOf(skill['secretRef']) : undefined;
      if (name !== undefined)
        check(
          ['spec', 'skills', String(i), 'secretRef', 'name'],
          name,
          (keys) => keys.includes('GITHUB_TOKEN'),
          'GITHUB_TOKEN (what a private skills package is fetched with)',
        );
    });
    const servers = spec['mcpServers'];
    (Array.isArray(servers) ? servers : []).forEach((server, i) => {
      if (isNode(server)) checkEnv(['spec', 'mcpServers', String(i), 'env'], server['env']);
    });
    return out;
  }
  if (object['kind'] !== 'Task' && object['kind'] !== 'TaskSpawner') return out;
  const base = object['kind'] === 'Task' ? ['spec'] : ['spec', 'taskTemplate'];
  const template = object['kind'] === 'Task' ? spec : spec['taskTemplate'];
  if (!isNode(template)) return out;
  const at = (field: { readonly fromWorker: boolean }, ...rest: string[]) => [
    ...base,
    ...(field.fromWorker ? ['worker'] : []),
    ...rest,
  ];
  const credentials = effectiveWorkerField(template, 'credentials');
  const type = effectiveWorkerField(template, 'type');
  if (credentials && isNode(credentials.value) && typeof type?.value === 'string') {
    const name = nameOf(credentials.value['secretRef']);
    const key = credentialEnvName(type.value, String(credentials.value['type']));
    if (name !== undefined && key !== undefined)
      check(
        at(credentials, 'credentials', 'secretRef', 'name'),
        name,
        (keys) => keys.includes(key),
        `"${key}" (what ${credentials.value['type']} credentials of ${type.value} read)`,
      );
  }
  const overrides = effectiveWorkerField(template, 'podOverrides');
  if (overrides && isNode(overrides.value))
    checkEnv(at(overrides, 'podOverrides', 'env'), overrides.value['env']);
  return out;
}

/**
 * The bundle's Secret references whose Secret lacks the keys the Pod reads; `lookup` finds a
 * referenced object in the bundle (undefined when it is not there).
 */
export const checkSecretKeys = (
  docs: readonly LoadedDocument[],
  lookup: (doc: LoadedDocument, kind: string, name: string) => Readonly<Record<string, unknown>> | undefined,
): Diagnostic[] =>
  docs.flatMap((d) =>
    secretKeyFindings(d.object, (name) => lookup(d, 'Secret', name)).map((f) => toDiagnostic(d, f)),
  );
