/**
 * The whole-object schemas the validator compiles: Kelos kinds from `src/api`, core kinds
 * from the pinned Kubernetes OpenAPI spec, both with the API server's metadata rules, made
 * strict (an object schema with `properties` refuses other fields) in a derived copy.
 *
 * @packageDocumentation
 */
import { API_VERSION, type KindDefinition } from '../api/index.ts';
import { k8sKindSchema } from '../api/k8s/index.ts';

export type Node = Record<string, unknown>;

export const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 1123 subdomain: the rule for most object names. */
export const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** {@link DNS1123_SUBDOMAIN} in the API server's words. */
export const DNS1123_SUBDOMAIN_WORDS =
  "a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character";
/** Longest RFC 1123 subdomain, and so longest name of most objects. */
export const DNS1123_SUBDOMAIN_MAX = 253;
/** RFC 1123 label: the rule for namespace names. */
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A label or annotation key: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export const QUALIFIED_NAME =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
/** A label value. */
export const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

const QUALIFIED = new RegExp(QUALIFIED_NAME);
const VALUE = new RegExp(LABEL_VALUE);

/** What {@link isQualifiedName} asks of a label or annotation key, as messages say it. */
export const QUALIFIED_NAME_RULE =
  "a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
/** What {@link isLabelValue} asks of a label value, as messages say it. */
export const LABEL_VALUE_RULE =
  "a label value: empty, or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";

/**
 * Whether `key` is a label or annotation key the API server takes (a qualified name). The
 * pattern bounds the name; the DNS prefix before the '/' may be 253 characters long.
 */
export const isQualifiedName = (key: string): boolean => key.indexOf('/') <= 253 && QUALIFIED.test(key);

/** Whether `value` is a label value the API server takes. */
export const isLabelValue = (value: string): boolean => value.length <= 63 && VALUE.test(value);

export const objectMetaSchema = (namePattern: string = DNS1123_SUBDOMAIN): Node => ({
  type: 'object',
  // No `required: ['name']`: like the API server, `generateName` alone is enough (upstream
  // creates Tasks that way with `kubectl create`); the loader reports an object with neither.
  properties: {
    name: { type: 'string', minLength: 1, maxLength: DNS1123_SUBDOMAIN_MAX, pattern: namePattern },
    generateName: { type: 'string' },
    namespace: { type: 'string', minLength: 1, maxLength: 63, pattern: DNS1123_LABEL },
    labels: {
      type: 'object',
      propertyNames: { maxLength: 317, pattern: QUALIFIED_NAME },
      additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
    },
    annotations: {
      type: 'object',
      propertyNames: { maxLength: 317, pattern: QUALIFIED_NAME },
      additionalProperties: { type: 'string' },
    },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', format: 'date-time' },
    deletionTimestamp: { type: 'string', format: 'date-time' },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
    selfLink: { type: 'string' },
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          name: { type: 'string' },
          uid: { type: 'string' },
          controller: { type: 'boolean' },
          blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
    managedFields: { type: 'array', items: { type: 'object' } },
  },
});

/** Kinds whose names must be RFC 1123 labels rather than subdomains. */
const LABEL_NAMED_KINDS = new Set(['v1/Namespace', 'v1/Service']);

/** Keys whose value is a schema (or a list of schemas). */
const SCHEMA_KEYS = new Set([
  'items',
  'additionalProperties',
  'anyOf',
  'allOf',
  'oneOf',
  'not',
  'propertyNames',
]);
/** Keys whose value maps names to schemas. */
const MAP_OF_SCHEMAS_KEYS = new Set(['properties', 'definitions', '$defs']);

/**
 * The int64 range as JavaScript numbers. A YAML or JSON integer past it parses to a float, which
 * ajv's `int64` format (`Number.isInteger`) accepts and the API server refuses ("must be of type
 * int64"); the bounds refuse it too. The largest int64, 2^63 - 1, is the number 2^63 here, as
 * 9223372036854775808 is, and an app's 2^63 - 1 renders as 9223372036854776000, past the range:
 * so the bound is `value < 2^63`, and the validator lets the largest int64 through only where a
 * manifest has it written in digits (see `int64WrittenInRange` in index.ts).
 */
export const INT64_MAX = 2 ** 63;
export const INT64_MIN = -(2 ** 63);

/**
 * A plain-JSON copy of a schema (TypeBox's symbol keys dropped) in which every object schema
 * with `properties` and no rule for other keys refuses unknown fields, and every `int64` has
 * the type's range as its bounds (unless it has its own; see {@link INT64_MAX}).
 *
 * A sub-schema object that occurs several times in the input (the API reuses e.g. the Container
 * schema object for every container list) is copied once, so the copy keeps that sharing.
 */
export function strictSchema(schema: unknown, memo: Map<object, unknown> = new Map()): unknown {
  if (Array.isArray(schema)) return schema.map((s) => strictSchema(s, memo));
  if (!isNode(schema)) return schema;
  const done = memo.get(schema);
  if (done !== undefined) return done;
  const out: Node = {};
  for (const [key, value] of Object.entries(schema)) {
    // Sub-schemas live under these keys; other keys (enum, default, x-kubernetes-*) are data.
    if (MAP_OF_SCHEMAS_KEYS.has(key) && isNode(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictSchema(v, memo)]));
    } else {
      out[key] = SCHEMA_KEYS.has(key) ? strictSchema(value, memo) : value;
    }
  }
  if (out['format'] === 'int64') {
    if (out['maximum'] === undefined) out['exclusiveMaximum'] ??= INT64_MAX;
    out['minimum'] ??= INT64_MIN;
  }
  if (
    isNode(out['properties']) &&
    out['additionalProperties'] === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out['additionalProperties'] = false;
  }
  memo.set(schema, out);
  return out;
}

/** The sub-schemas of a schema node, by the key (and name) they sit under. */
function* children(node: Node): Generator<[key: string, name: string | undefined, child: unknown]> {
  for (const [key, value] of Object.entries(node)) {
    if (MAP_OF_SCHEMAS_KEYS.has(key) && isNode(value)) {
      for (const [name, child] of Object.entries(value)) yield [key, name, child];
    } else if (SCHEMA_KEYS.has(key)) {
      if (Array.isArray(value)) for (const [i, child] of value.entries()) yield [key, String(i), child];
      else yield [key, undefined, value];
    }
  }
}

/**
 * The number of schema nodes from which an object schema compiles to a function of its own
 * (see {@link hoistSchemas}).
 */
export const HOIST_SIZE = 20;

/**
 * Moves object schemas into `definitions` and refers to them with `$ref`, so ajv compiles each
 * as its own function: those that occur more than once (by identity), compiled once instead of
 * at every place (every container list of a Task embeds the whole Container schema), and those
 * of {@link HOIST_SIZE} nodes or more. Validation results are unchanged.
 *
 * Why the large ones: inlined, a Task's schema compiles to one function of 1.1 MB of source,
 * and V8's mid-tier compiler (Maglev) spends 0.4 to 1 s on such a function on a background
 * thread, while every garbage collection of the main thread waits for it. In `kelos synth` of
 * 10,000 objects that was two stalls of 400–600 ms each; hoisted, the largest function is
 * 146 KB, the stalls are gone, and the validate step took 0.73–0.90 s instead of 1.9–2.1 s.
 */
export function hoistSchemas(root: Node): Node {
  const uses = new Map<object, number>();
  const sizes = new Map<object, number>();
  const count = (node: unknown): number => {
    if (!isNode(node)) return 0;
    const n = (uses.get(node) ?? 0) + 1;
    uses.set(node, n);
    if (n === 1) {
      let size = 1;
      for (const [, , child] of children(node)) size += count(child);
      sizes.set(node, size);
    }
    return sizes.get(node) ?? 1;
  };
  count(root);
  const ids = new Map<object, string>();
  const definitions: Node = {};
  const emit = (node: unknown, top = false): unknown => {
    if (!isNode(node)) return node;
    const hoisted = (uses.get(node) ?? 0) > 1 || (sizes.get(node) ?? 0) >= HOIST_SIZE;
    if (!top && hoisted && isNode(node['properties'])) {
      let id = ids.get(node);
      if (id === undefined) {
        id = `s${ids.size}`;
        ids.set(node, id);
        definitions[id] = emit(node, true);
      }
      return { $ref: `#/definitions/${id}` };
    }
    const out: Node = { ...node };
    for (const [key, name, child] of children(node)) {
      if (name === undefined) out[key] = emit(child);
      else if (Array.isArray(node[key]))
        (out[key] as unknown[]) = (node[key] as unknown[]).map((c) => emit(c));
      else out[key] = { ...(out[key] as Node), [name]: emit(child) };
    }
    return out;
  };
  const out = emit(root, true) as Node;
  if (Object.keys(definitions).length === 0) return out;
  return { ...out, definitions: { ...((out['definitions'] as Node | undefined) ?? {}), ...definitions } };
}

/** The whole-object schema of a Kelos kind: envelope, metadata, spec and (when it has one) status. */
export function kelosObjectSchema(def: KindDefinition): Node {
  const properties: Node = {
    apiVersion: { type: 'string', enum: [API_VERSION] },
    kind: { type: 'string', enum: [def.kind] },
    metadata: objectMetaSchema(),
    spec: def.spec,
  };
  if (def.status) properties['status'] = def.status;
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', ...(def.specRequired ? ['spec'] : [])],
    properties,
  };
}

/** The whole-object schema of a core kind, with Kelos's metadata rules, or `undefined`. */
export function coreObjectSchema(apiVersion: string, kind: string): Node | undefined {
  const base = k8sKindSchema(apiVersion, kind) as Node | undefined;
  if (!base) return undefined;
  const namePattern = LABEL_NAMED_KINDS.has(`${apiVersion}/${kind}`) ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  const required = new Set([...((base['required'] as string[] | undefined) ?? []), 'metadata']);
  return {
    ...base,
    properties: { ...(base['properties'] as Node), metadata: objectMetaSchema(namePattern) },
    required: [...required],
  };
}
