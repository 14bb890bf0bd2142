/**
 * Turns the kinds in `src/api` into apiextensions.k8s.io/v1 CustomResourceDefinitions.
 * The schemas are used as they are: the API is written structurally, so generation is a
 * copy that drops TypeBox's bookkeeping, plus the CRD envelope around it.
 *
 * @packageDocumentation
 */
import {
  API_VERSION,
  GROUP,
  KELOS_VERSION,
  KINDS,
  type KindDefinition,
  VERSION,
  VERSION_ANNOTATION,
} from '../api/index.ts';

/** JSON value, as written into a manifest. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A CustomResourceDefinition object. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: 'Namespaced' | 'Cluster';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: Record<string, Json> };
      subresources?: { status: Record<string, never> };
      additionalPrinterColumns?: Array<Record<string, Json>>;
    }>;
  };
}

/** Schema keys that are TypeBox or JSON-Schema bookkeeping, not part of a CRD schema. */
const DROPPED_KEYS = new Set(['$id', '$schema', 'examples']);

/**
 * Deep-copies a schema as plain JSON: string keys only (TypeBox marks schemas with
 * symbols), bookkeeping keys dropped. The result shares nothing with the input.
 */
export const toPlainSchema = (schema: unknown): Json => {
  if (Array.isArray(schema)) return schema.map(toPlainSchema);
  if (schema === null || typeof schema !== 'object') return schema as Json;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_KEYS.has(key) || value === undefined) continue;
    out[key] = toPlainSchema(value);
  }
  return out;
};

/** The OpenAPI v3 schema of a whole object of this kind: envelope plus spec and status. */
export const openApiSchemaFor = (def: KindDefinition): Record<string, Json> => {
  const properties: Record<string, Json> = {
    apiVersion: {
      type: 'string',
      description:
        'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
    },
    kind: {
      type: 'string',
      description:
        'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
    },
    metadata: { type: 'object' },
    spec: toPlainSchema(def.spec),
  };
  if (def.status) properties['status'] = toPlainSchema(def.status);
  return {
    type: 'object',
    description: def.description,
    properties,
    ...(def.specRequired ? { required: ['spec'] } : {}),
  };
};

/** Generates the CRD of one kind. */
export const generateCrd = (def: KindDefinition): CustomResourceDefinition => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: `${def.plural}.${GROUP}`,
    labels: { 'app.kubernetes.io/part-of': 'kelos' },
    annotations: {
      // The Kelos version whose schema this is; the compatibility check compares specs only.
      [VERSION_ANNOTATION]: KELOS_VERSION,
      // Deleting a CRD deletes every object of its kind (the TaskRecords are the cost
      // history). Argo CD deletes what an Application deployed when the Application is deleted
      // with its resources finalizer, also through an app of apps; this keeps the CRDs.
      'argocd.argoproj.io/sync-options': 'Delete=false',
    },
  },
  spec: {
    group: GROUP,
    names: {
      kind: def.kind,
      listKind: def.listKind,
      plural: def.plural,
      singular: def.singular,
      shortNames: [...def.shortNames],
      categories: [...def.categories],
    },
    scope: def.namespaced === false ? 'Cluster' : 'Namespaced',
    versions: [
      {
        name: VERSION,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: openApiSchemaFor(def) },
        ...(def.status ? { subresources: { status: {} } } : {}),
        ...(def.printerColumns.length > 0
          ? {
              additionalPrinterColumns: def.printerColumns.map((c) => ({
                name: c.name,
                type: c.type,
                jsonPath: c.jsonPath,
                ...(c.description ? { description: c.description } : {}),
                ...(c.priority ? { priority: c.priority } : {}),
              })),
            }
          : {}),
      },
    ],
  },
});

/** Generates the CRDs of every served kind, in the order of {@link KINDS}. */
export const generateCrds = (): CustomResourceDefinition[] => KINDS.map(generateCrd);

/** File name a CRD is written under in `dist/crds/`, e.g. `kelos.dev_tasks.yaml`. */
export const crdFileName = (crd: CustomResourceDefinition): string =>
  `${crd.spec.group}_${crd.spec.names.plural}.yaml`;

/** The `apiVersion` every generated CRD serves. */
export const SERVED_API_VERSION = API_VERSION;
