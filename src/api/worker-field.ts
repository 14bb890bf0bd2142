/**
 * The execution fields a Task spec or task template may set in `worker` or, deprecated, at its
 * top, and which of the two applies. Apart from the schemas in `common.ts`, so readers of
 * manifests (the policies of a pre-commit `kelos check`) do not load TypeBox and the
 * Kubernetes schemas to use it.
 *
 * @packageDocumentation
 */

/** Execution fields that exist both in `worker` and, deprecated, at the top of a Task spec or template. */
export const WORKER_FIELDS = [
  'type',
  'credentials',
  'model',
  'effort',
  'image',
  'workspaceRef',
  'agentConfigRefs',
  'podOverrides',
] as const;
/** One of {@link WORKER_FIELDS}. */
export type WorkerField = (typeof WORKER_FIELDS)[number];

/** Whether a worker field counts as set: empty strings and empty lists do not, as upstream. */
const isWorkerValueSet = (value: unknown): boolean =>
  value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

/**
 * The effective value of an execution field of a Task spec or task template:
 * `worker.<field>` wins over the deprecated top-level field, as upstream's `resolveTask*`
 * helpers decide. Every layer that reads execution fields (render, policies, constructs)
 * goes through this, so they agree on which value applies.
 *
 * @returns the value and whether it came from `worker`, or `undefined` when neither is set.
 */
export function effectiveWorkerField(
  spec: Readonly<Record<string, unknown>>,
  field: WorkerField,
): { readonly value: unknown; readonly fromWorker: boolean } | undefined {
  const worker = spec['worker'];
  if (worker && typeof worker === 'object') {
    const value = (worker as Record<string, unknown>)[field];
    if (isWorkerValueSet(value)) return { value, fromWorker: true };
  }
  const legacy = spec[field];
  return isWorkerValueSet(legacy) ? { value: legacy, fromWorker: false } : undefined;
}
