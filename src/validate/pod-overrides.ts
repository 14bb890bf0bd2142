/**
 * What a Task's `podOverrides` must mean for its Job to be accepted, beyond what the Task's
 * schema says. The API server validates the Task against the CRD, where `labels` and
 * `nodeSelector` are plain string maps and `resources` any ResourceRequirements; it validates
 * the Pod rules only when the operator creates the Job, so a bad value passes `kubectl apply`
 * and fails the Task at run time (`JobRejected`). These checks move that failure to CI:
 *
 * - `labels` and `nodeSelector`: keys are qualified names and values label values, as the API
 *   server checks a Pod's labels and node selector;
 * - `resources` of the agent and of every extra container: no request above its limit.
 *
 * Checked on Tasks and on TaskSpawners' `taskTemplate`, both under `worker` and in the
 * deprecated top-level place.
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import { type Diagnostic, type Finding, toPointer as pointer } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import { isNode as isRecord, LABEL_VALUE, QUALIFIED_NAME } from './object-schema.ts';
import { compareQuantities, quantityOf } from './quantity.ts';

const QUALIFIED = new RegExp(QUALIFIED_NAME);
const VALUE = new RegExp(LABEL_VALUE);

/** What happens at run time, on every finding. */
const atRunTime = (kind: unknown): string =>
  kind === 'Task'
    ? 'the API server accepts the Task but refuses its Job, and the Task fails (JobRejected)'
    : 'the API server accepts the TaskSpawner but refuses the Jobs of its Tasks, and each Task fails (JobRejected)';

/** Where the podOverrides of an object sit, as JSON-pointer segments. */
function overridePlaces(object: Readonly<Record<string, unknown>>): string[][] {
  const base = object['kind'] === 'Task' ? ['spec'] : ['spec', 'taskTemplate'];
  return [
    [...base, 'worker', 'podOverrides'],
    [...base, 'podOverrides'],
  ];
}

const at = (root: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);

/** Findings for a label-like map (`labels`, `nodeSelector`). */
function labelMapFindings(map: unknown, path: readonly string[], what: string, kind: unknown): Finding[] {
  if (!isRecord(map)) return [];
  const out: Finding[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (key.length > 317 || !QUALIFIED.test(key)) {
      out.push({
        severity: 'error',
        code: 'pod/label-key',
        path: pointer([...path, key]),
        message: `${what} key "${key}" must be a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character; ${atRunTime(kind)}`,
      });
    }
    if (typeof value === 'string' && (value.length > 63 || !VALUE.test(value))) {
      out.push({
        severity: 'error',
        code: 'pod/label-value',
        path: pointer([...path, key]),
        message: `${what} value "${value}" must be a label value: empty, or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character; ${atRunTime(kind)}`,
      });
    }
  }
  return out;
}

/** Findings for one ResourceRequirements: a request above the limit of the same resource. */
function resourceFindings(resources: unknown, path: readonly (string | number)[], kind: unknown): Finding[] {
  if (!isRecord(resources)) return [];
  const { requests, limits } = resources;
  if (!isRecord(requests) || !isRecord(limits)) return [];
  const out: Finding[] = [];
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    const r = quantityOf(request);
    const l = quantityOf(limit);
    if (!r || !l || compareQuantities(r, l) <= 0) continue;
    out.push({
      severity: 'error',
      code: 'pod/request-above-limit',
      path: pointer([...path, 'requests', name]),
      message: `the ${name} request ${request} is above its limit ${limit}; ${atRunTime(kind)}`,
      hint: `lower requests.${name} or raise limits.${name}`,
    });
  }
  return out;
}

/** The findings for the podOverrides of one Task or TaskSpawner; none for other kinds. */
export function podOverrideFindings(object: Readonly<Record<string, unknown>>): Finding[] {
  if (object['apiVersion'] !== API_VERSION || (object['kind'] !== 'Task' && object['kind'] !== 'TaskSpawner'))
    return [];
  const out: Finding[] = [];
  for (const place of overridePlaces(object)) {
    const po = at(object, place);
    if (!isRecord(po)) continue;
    const kind = object['kind'];
    out.push(...labelMapFindings(po['labels'], [...place, 'labels'], 'podOverrides.labels', kind));
    out.push(
      ...labelMapFindings(po['nodeSelector'], [...place, 'nodeSelector'], 'podOverrides.nodeSelector', kind),
    );
    out.push(...resourceFindings(po['resources'], [...place, 'resources'], kind));
    for (const list of ['extraContainers', 'extraInitContainers'] as const) {
      const containers = po[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c, i) => {
        if (isRecord(c))
          out.push(...resourceFindings(c['resources'], [...place, list, i, 'resources'], kind));
      });
    }
  }
  return out;
}

/** {@link podOverrideFindings} for every object of a bundle, located in its file. */
export const checkPodOverrides = (docs: readonly LoadedDocument[]): Diagnostic[] =>
  docs.flatMap((d) => podOverrideFindings(d.object).map((f) => toDiagnostic(d, f)));
