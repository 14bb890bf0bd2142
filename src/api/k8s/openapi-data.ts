/**
 * The pinned OpenAPI definitions (`./openapi.json`), read once, and the helpers both views of
 * them (structural schemas for CRDs, draft-07 schemas for ajv) walk them with.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

export type Node = Record<string, unknown>;

export interface OpenApiData {
  source: string;
  sum: string;
  roots: string[];
  schemas: Record<string, Node>;
}

export const REF_PREFIX = '#/components/schemas/';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const TIME = `${META}Time`;
export const MICRO_TIME = `${META}MicroTime`;
export const OBJECT_META = `${META}ObjectMeta`;
export const RAW_EXTENSION = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

let data: OpenApiData | undefined;

/**
 * The committed spec subset, parsed on first use: importing this module for its types (as most of
 * Kelos does) should not cost parsing half a megabyte of JSON.
 */
export function openapi(): OpenApiData {
  data ??= JSON.parse(readFileSync(new URL('./openapi.json', import.meta.url), 'utf8')) as OpenApiData;
  return data;
}

export function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * The definition a node stands for: OpenAPI v3 writes a plain `$ref`, or, when the field has its
 * own description or default, `allOf: [{$ref}]` next to them.
 */
export function refTarget(node: Node): string | undefined {
  let ref = node['$ref'];
  const allOf = node['allOf'];
  if (ref === undefined && Array.isArray(allOf) && allOf.length === 1 && isNode(allOf[0])) {
    ref = allOf[0]['$ref'];
  }
  if (ref === undefined) return undefined;
  if (typeof ref !== 'string' || !ref.startsWith(REF_PREFIX))
    throw new Error(`unexpected $ref ${String(ref)}`);
  return ref.slice(REF_PREFIX.length);
}

export function definition(name: string): Node {
  const schema = openapi().schemas[name];
  if (!schema) throw new Error(`Kubernetes definition ${name} is not in src/api/k8s/openapi.json`);
  return schema;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Puts a description first (readable YAML) on a copy of `schema`. */
export function described(schema: Node, description: unknown): Node {
  if (typeof description !== 'string' || description === '') return schema;
  const { description: _ignored, ...rest } = schema;
  return { description, ...rest };
}

/** Value keywords copied as they are, when a definition has them. */
export const VALUE_KEYWORDS = [
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
];
