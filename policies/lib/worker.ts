/**
 * How a Task or a TaskSpawner's task template runs an agent, read the way the operator reads
 * it: `worker.<field>` first, then the deprecated top-level field upstream manifests still use.
 *
 * @packageDocumentation
 */

import { Labels } from '../../src/api/group.ts';
import type { KubeObject } from '../../src/api/object.ts';
import { effectiveWorkerField, type WorkerField } from '../../src/api/worker-field.ts';
import { type LabelSelector, matches, parseSelector } from '../../src/kube/label-selector.ts';
import { get, isRecord, type Json, nonEmpty, ptr, rec, str } from './access.ts';

export type { WorkerField };

/** A value read from an object, with where it is. */
export interface Located<T = unknown> {
  readonly value: T;
  /** Segments from the object root. */
  readonly segments: readonly (string | number)[];
  /** JSON pointer from the object root. */
  readonly path: string;
  /** Dotted field path for messages, e.g. `spec.worker.podOverrides.volumes[0].hostPath`. */
  readonly label: string;
}

/** Renders segments as `a.b[0].c`. */
export const dotted = (segments: readonly (string | number)[]): string =>
  segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

/** A value at `segments` inside `root`, located. */
export const locate = <T>(value: T, segments: readonly (string | number)[]): Located<T> => ({
  value,
  segments,
  path: ptr(...segments),
  label: dotted(segments),
});

/** The part of a Task or TaskSpawner that says how its agent runs. */
export interface Execution {
  readonly object: KubeObject;
  /** `['spec']` for a Task, `['spec', 'taskTemplate']` for a TaskSpawner. */
  readonly base: readonly string[];
  readonly spec: Json;
  /** Reads a worker field, preferring `worker.<name>` over the deprecated top-level field. */
  field(name: WorkerField): Located | undefined;
  /** Reads a field of `podOverrides` (under `worker` or top level). */
  podOverride(...keys: (string | number)[]): Located | undefined;
}

/** The execution part of a Task or TaskSpawner; `undefined` for other kinds. */
export function executionOf(object: KubeObject): Execution | undefined {
  const base =
    object.kind === 'Task' ? ['spec'] : object.kind === 'TaskSpawner' ? ['spec', 'taskTemplate'] : undefined;
  if (!base) return undefined;
  const spec = rec(get(object, ...base));
  if (!spec) return undefined;
  const field = (name: WorkerField): Located | undefined => {
    const found = effectiveWorkerField(spec, name);
    if (!found) return undefined;
    return locate(found.value, found.fromWorker ? [...base, 'worker', name] : [...base, name]);
  };
  return {
    object,
    base,
    spec,
    field,
    podOverride: (...keys) => {
      const po = field('podOverrides');
      if (!po || !isRecord(po.value)) return undefined;
      const value = get(po.value, ...keys);
      return value === undefined ? undefined : locate(value, [...po.segments, ...keys]);
    },
  };
}

/**
 * The model a Task or TaskSpawner template names, where it is, and its agent type, when both
 * are set: what the rules about models read.
 */
export function namedModel(
  object: KubeObject,
): { readonly model: Located; readonly name: string; readonly agent: string } | undefined {
  const e = executionOf(object);
  const model = e?.field('model');
  const agent = nonEmpty(e?.field('type')?.value);
  const name = nonEmpty(model?.value);
  return model && name && agent ? { model, name, agent } : undefined;
}

/** Every Task and TaskSpawner template in the bundle. */
export const executions = (objects: readonly KubeObject[]): Execution[] =>
  objects.map(executionOf).filter((e): e is Execution => e !== undefined);

/** Name of the Workspace an execution works in, if any. */
export const workspaceName = (e: Execution): string | undefined =>
  str(get(e.field('workspaceRef')?.value, 'name'));

/** Whether a label value is a Go template the spawner fills in per item. */
export const isTemplated = (value: string): boolean => value.includes('{{');

/**
 * Labels the Tasks of a Task or TaskSpawner carry: a Task's own labels; for a spawner its
 * template labels plus the `kelos.dev/taskspawner` label the spawner always sets.
 */
export function taskLabels(object: KubeObject): Record<string, string> {
  if (object.kind === 'TaskSpawner') {
    const labels = rec(get(object, 'spec', 'taskTemplate', 'metadata', 'labels')) ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
    out[Labels.TaskSpawner] = object.metadata?.name ?? '';
    return out;
  }
  return { ...(object.metadata?.labels ?? {}) };
}

/**
 * Whether a label selector (metav1.LabelSelector) matches a set of labels. A templated label
 * value (`{{…}}`) may become anything, so it matches any value the selector asks for: the
 * forecast then counts the spawner, which is the worst case. A missing or invalid selector
 * matches nothing.
 */
export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  return selectorMatcher(selector)(labels);
}

/** {@link selectorMatches} with the selector parsed once, for matching it against many objects. */
export function selectorMatcher(selector: unknown): (labels: Readonly<Record<string, string>>) => boolean {
  if (!isRecord(selector)) return () => false;
  // Policies see the object as written: the selector may have any shape (matchExpressions a
  // string), which the typed parser is not built for; the validator reports the shape.
  if (selector['matchExpressions'] !== undefined && !Array.isArray(selector['matchExpressions']))
    return () => false;
  if (selector['matchLabels'] !== undefined && !isRecord(selector['matchLabels'])) return () => false;
  let parsed: ReturnType<typeof parseSelector>;
  try {
    parsed = parseSelector(selector as LabelSelector);
  } catch {
    return () => false;
  }
  if (!parsed.ok) return () => false;
  return (labels) => matches(parsed.selector, labels, { anyValue: isTemplated });
}

/** Label keys a selector reads. */
export function selectorKeys(selector: unknown): string[] {
  const keys = Object.keys(rec(get(selector, 'matchLabels')) ?? {});
  for (const expr of Array.isArray(get(selector, 'matchExpressions'))
    ? (get(selector, 'matchExpressions') as unknown[])
    : []) {
    const key = str(get(expr, 'key'));
    if (key && get(expr, 'operator') !== 'DoesNotExist' && get(expr, 'operator') !== 'NotIn') keys.push(key);
  }
  return [...new Set(keys)];
}
