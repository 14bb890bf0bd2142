/**
 * The ajv view of the pinned definitions: plain draft-07 schemas with `$ref`s, to validate
 * whole core objects of a bundle.
 *
 * @packageDocumentation
 */

import { QUANTITY_PATTERN } from '../schema.ts';
import {
  deepFreeze,
  definition,
  INT_OR_STRING,
  isNode,
  type Node,
  QUANTITY,
  refTarget,
  VALUE_KEYWORDS,
} from './openapi-data.ts';

const DEFINITIONS_REF = '#/definitions/';

/** Formats ajv-formats knows; anything else (the spec's `int-or-string`) would fail ajv's strict mode. */
const AJV_FORMATS = new Set([
  'int32',
  'int64',
  'float',
  'double',
  'byte',
  'date-time',
  'date',
  'duration',
  'password',
]);

const ajvDefinitionCache = new Map<string, Node>();

function ajvDefinition(name: string): Node {
  let schema = ajvDefinitionCache.get(name);
  if (!schema) {
    switch (name) {
      case QUANTITY:
        // The API server refuses a string that does not parse as a quantity when it decodes
        // the object, before any admission; say so offline too.
        schema = { anyOf: [{ type: 'string', pattern: QUANTITY_PATTERN }, { type: 'number' }] };
        break;
      case INT_OR_STRING:
        schema = { anyOf: [{ type: 'integer' }, { type: 'string' }] };
        break;
      default:
        schema = ajvNode(definition(name), name);
    }
    ajvDefinitionCache.set(name, schema);
  }
  return schema;
}

function ajvNode(node: Node, where: string): Node {
  const target = refTarget(node);
  if (target !== undefined) {
    // ajv applies sibling keywords next to `$ref`; a description there is only documentation.
    const ref: Node = { $ref: DEFINITIONS_REF + target };
    return typeof node['description'] === 'string' ? { description: node['description'], ...ref } : ref;
  }
  for (const junctor of ['oneOf', 'anyOf', 'allOf', 'not']) {
    if (junctor in node) throw new Error(`${where}: unexpected ${junctor} in a Kubernetes definition`);
  }
  const out: Node = {};
  if (typeof node['description'] === 'string' && node['description'] !== '')
    out['description'] = node['description'];
  let type = node['type'];
  // ajv's strict mode wants the type next to type-specific keywords.
  if (
    type === undefined &&
    (node['properties'] !== undefined || node['additionalProperties'] !== undefined)
  ) {
    type = 'object';
  }
  if (type === undefined && node['items'] !== undefined) type = 'array';
  if (type !== undefined) out['type'] = type;
  if (typeof node['format'] === 'string' && AJV_FORMATS.has(node['format'])) out['format'] = node['format'];
  for (const key of VALUE_KEYWORDS) if (node[key] !== undefined) out[key] = node[key];
  if (Array.isArray(node['required']) && node['required'].length > 0) out['required'] = [...node['required']];
  const properties = node['properties'];
  if (isNode(properties)) {
    const props: Node = {};
    for (const [key, raw] of Object.entries(properties)) {
      if (!isNode(raw)) throw new Error(`${where}.${key}: not a schema`);
      props[key] = ajvNode(raw, `${where}.${key}`);
    }
    out['properties'] = props;
  }
  if (isNode(node['items'])) out['items'] = ajvNode(node['items'], `${where}[]`);
  const additional = node['additionalProperties'];
  if (isNode(additional)) out['additionalProperties'] = ajvNode(additional, `${where}{}`);
  else if (typeof additional === 'boolean') out['additionalProperties'] = additional;
  return out;
}

function collectAjvRefs(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectAjvRefs(v, out);
  } else if (isNode(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.add(v.slice(DEFINITIONS_REF.length));
      else collectAjvRefs(v, out);
    }
  }
}

let kinds: Map<string, string> | undefined;

/** `apiVersion/kind` → definition name, from the roots' `x-kubernetes-group-version-kind`. */
function kindIndex(names: readonly string[]): Map<string, string> {
  if (kinds) return kinds;
  kinds = new Map();
  for (const name of names) {
    const gvks = definition(name)['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    for (const gvk of gvks as { group: string; version: string; kind: string }[]) {
      const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
      kinds.set(`${apiVersion}/${gvk.kind}`, name);
    }
  }
  return kinds;
}

const kindSchemaCache = new Map<string, Node>();

/** {@link k8sKindSchema} over the given type names (the ones `index.ts` embeds). */
export function kindSchemaAmong(
  names: readonly string[],
  apiVersion: string,
  kind: string,
): object | undefined {
  const key = `${apiVersion}/${kind}`;
  const cached = kindSchemaCache.get(key);
  if (cached) return cached;
  const name = kindIndex(names).get(key);
  if (name === undefined) return undefined;

  const root = ajvDefinition(name);
  const rootProps = isNode(root['properties']) ? root['properties'] : {};
  const required = new Set([...(Array.isArray(root['required']) ? (root['required'] as string[]) : [])]);
  required.add('apiVersion');
  required.add('kind');

  const definitions: Node = {};
  const queue = new Set<string>();
  collectAjvRefs(root, queue);
  for (const ref of queue) {
    const def = ajvDefinition(ref);
    definitions[ref] = def;
    collectAjvRefs(def, queue); // a Set iterates entries added during iteration
  }

  const schema: Node = {
    ...root,
    properties: {
      ...rootProps,
      apiVersion: { ...(rootProps['apiVersion'] as Node), type: 'string', enum: [apiVersion] },
      kind: { ...(rootProps['kind'] as Node), type: 'string', enum: [kind] },
    },
    required: [...required],
    definitions: Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  deepFreeze(schema);
  kindSchemaCache.set(key, schema);
  return schema;
}
