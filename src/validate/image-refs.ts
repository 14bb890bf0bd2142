/**
 * The agent image a Task or a TaskSpawner's template names (`worker.image`, or the deprecated
 * top-level `image`), and the images of the extra containers its `podOverrides` adds. The CRDs
 * take any string, as upstream's do, so `image: acme/Agent:v1` passes `kubectl apply` and the
 * kubelet refuses it (`InvalidImageName`) when the agent's Pod starts: the Task fails.
 *
 * @packageDocumentation
 */
import { API_VERSION } from '../api/group.ts';
import { imageReferenceProblem } from '../kube/image-reference.ts';
import { type Diagnostic, type Finding, toPointer } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import { isNode } from './object-schema.ts';

/** Where a Task's or template's execution fields sit: `worker`, and (deprecated) the top. */
const EXECUTION_PLACES = [['worker'], []] as const;

/** The images of one Task or TaskSpawner, each with its path; none for other objects. */
const imagesOf = (object: Readonly<Record<string, unknown>>): Array<{ path: string[]; value: unknown }> => {
  const spec = isNode(object['spec']) ? object['spec'] : {};
  const base =
    object['kind'] === 'Task'
      ? ['spec']
      : object['kind'] === 'TaskSpawner'
        ? ['spec', 'taskTemplate']
        : undefined;
  if (!base) return [];
  const at = (root: unknown, keys: readonly string[]): unknown =>
    keys.reduce<unknown>((v, k) => (isNode(v) ? v[k] : undefined), root);
  const top = at(spec, base.slice(1));
  const out: Array<{ path: string[]; value: unknown }> = [];
  for (const place of EXECUTION_PLACES) {
    const fields = at(top, place);
    if (!isNode(fields)) continue;
    out.push({ path: [...base, ...place, 'image'], value: fields['image'] });
    const containers = at(fields, ['podOverrides', 'extraContainers']);
    if (Array.isArray(containers))
      containers.forEach((c, i) => {
        if (isNode(c))
          out.push({
            path: [...base, ...place, 'podOverrides', 'extraContainers', String(i), 'image'],
            value: c['image'],
          });
      });
  }
  return out;
};

/** Findings for the images of one Task or TaskSpawner. */
export function imageFindings(object: Readonly<Record<string, unknown>>): Finding[] {
  if (object['apiVersion'] !== API_VERSION) return [];
  return imagesOf(object).flatMap(({ path, value }): Finding[] => {
    if (typeof value !== 'string' || value === '') return [];
    const problem = imageReferenceProblem(value);
    return problem === undefined
      ? []
      : [
          {
            severity: 'error',
            code: 'image/reference',
            path: toPointer(path),
            message: `${JSON.stringify(value)} is not an image reference: ${problem}; the API server takes it in a Task, and the agent's Job is refused or its Pod cannot pull it (InvalidImageName), so the Task fails`,
            hint: 'write it as [registry-host[:port]/]path[:tag][@sha256:digest], the path in lowercase (ghcr.io/acme/agent:v1)',
          },
        ];
  });
}

/** {@link imageFindings} for every object of a bundle, located in its file. */
export const checkImageNames = (docs: readonly LoadedDocument[]): Diagnostic[] =>
  docs.flatMap((d) => imageFindings(d.object).map((f) => toDiagnostic(d, f)));
