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
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import { effectiveWorkerField } from '../api/worker-field.ts';
import { credentialEnvName } from '../contract/credentials.ts';
import { givesGitHubToken, WORKSPACE_SECRET_KEYS } from '../contract/workspace-secret.ts';
import { type Diagnostic, type Finding, toPointer } from './diagnostic.ts';
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
    : kind === 'TaskSpawner'
      ? 'the Pods of its Tasks cannot start (CreateContainerConfigError) and the Tasks stay Pending'
      : 'its Pod cannot start (CreateContainerConfigError) and the Task stays Pending';

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
  const lacking = (path: readonly string[], name: string, expected: string, has: readonly string[]) =>
    out.push({
      severity: 'error',
      code: 'ref/secret-key',
      path: toPointer(path),
      message: `${path.slice(0, -1).join('.')} names Secret "${name}", which ${has.length === 0 ? 'holds no keys' : `has ${quoted(has)} but not`} ${has.length === 0 ? `(it needs ${expected})` : expected}; ${atRunTime(object['kind'])}`,
      hint: `add ${expected} to Secret "${name}"${has.length === 0 ? '' : ' (rename the key it has if that is the value; keys are case-sensitive)'}`,
    });

  if (object['kind'] === 'Workspace') {
    const ref = spec['secretRef'];
    const name = isNode(ref) ? ref['name'] : undefined;
    const found = typeof name === 'string' && name ? secret(name) : undefined;
    if (found === undefined) return [];
    const keys = secretKeys(found);
    if (!givesGitHubToken((key) => keys.includes(key)))
      lacking(['spec', 'secretRef', 'name'], name as string, WORKSPACE_SECRET_KEYS, keys);
    return out;
  }
  if (object['kind'] !== 'Task' && object['kind'] !== 'TaskSpawner') return out;
  const base = object['kind'] === 'Task' ? ['spec'] : ['spec', 'taskTemplate'];
  const template = object['kind'] === 'Task' ? spec : spec['taskTemplate'];
  if (!isNode(template)) return out;
  const credentials = effectiveWorkerField(template, 'credentials');
  const type = effectiveWorkerField(template, 'type');
  if (!credentials || !isNode(credentials.value) || typeof type?.value !== 'string') return out;
  const ref = credentials.value['secretRef'];
  const name = isNode(ref) ? ref['name'] : undefined;
  const key = credentialEnvName(type.value, String(credentials.value['type']));
  const found = typeof name === 'string' && name && key ? secret(name) : undefined;
  if (found === undefined || key === undefined) return out;
  const keys = secretKeys(found);
  if (!keys.includes(key)) {
    const at = [...base, ...(credentials.fromWorker ? ['worker'] : []), 'credentials', 'secretRef', 'name'];
    lacking(
      at,
      name as string,
      `"${key}" (what ${credentials.value['type']} credentials of ${type.value} read)`,
      keys,
    );
  }
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
