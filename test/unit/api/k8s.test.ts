import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, whose `.default`
// is the plugin (the package sets both), so `.default` typechecks and runs.
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  k8sDroppedListMaps,
  k8sKindSchema,
  k8sOpenApiSource,
  k8sTypeNames,
  k8sTypeSchema,
} from '../../../src/api/k8s/index.ts';
import { QUANTITY_PATTERN } from '../../../src/api/schema.ts';
import { assertStructural, structuralErrors } from '../../support/structural.ts';

type Node = Record<string, unknown>;

/** Walks a JSON schema, calling `visit` on every schema node with its path. */
function walk(schema: unknown, visit: (node: Node, path: string) => void, path = '$'): void {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
  const node = schema as Node;
  visit(node, path);
  const props = node['properties'] as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(props ?? {})) walk(v, visit, `${path}.${k}`);
  walk(node['items'], visit, `${path}[]`);
  walk(node['additionalProperties'], visit, `${path}{}`);
}

/** Every object key used anywhere in `value` (property names included). */
function keysOf(value: unknown): Set<string> {
  const keys = new Set<string>();
  JSON.stringify(value, (key, v) => {
    keys.add(key);
    return v;
  });
  return keys;
}

function at(schema: unknown, ...path: string[]): Node {
  let node = schema as Node;
  for (const step of path) {
    const next = step === '[]' ? node['items'] : (node['properties'] as Node | undefined)?.[step];
    if (typeof next !== 'object' || next === null) throw new Error(`no ${step} in ${path.join('.')}`);
    node = next as Node;
  }
  return node;
}

function strictAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats.default(ajv);
  return ajv;
}

describe('committed OpenAPI data', () => {
  const data = JSON.parse(
    readFileSync(new URL('../../../src/api/k8s/openapi.json', import.meta.url), 'utf8'),
  ) as {
    source: string;
    roots: string[];
    schemas: Record<string, unknown>;
  };

  it('records its pinned source', () => {
    expect(data.source).toBe('k8s.io/kubernetes@v1.36.3 api/openapi-spec/v3');
    expect(k8sOpenApiSource()).toBe(data.source);
  });

  it('has exactly the roots K8sTypeName names, and every definition they reach', () => {
    expect([...k8sTypeNames].sort()).toEqual(data.roots);
    const refs = new Set<string>();
    JSON.stringify(data.schemas, (key, value) => {
      if (key === '$ref') refs.add(String(value).replace('#/components/schemas/', ''));
      return value;
    });
    for (const ref of refs) expect(data.schemas, ref).toHaveProperty([ref]);
  });
});

describe('k8sTypeSchema', () => {
  it.each(k8sTypeNames)('%s is structural', (name) => {
    const schema = k8sTypeSchema(name);
    expect(structuralErrors(schema)).toEqual([]);
    const allowedExtensions = [
      'x-kubernetes-int-or-string',
      'x-kubernetes-preserve-unknown-fields',
      'x-kubernetes-list-type',
      'x-kubernetes-list-map-keys',
      'x-kubernetes-map-type',
    ];
    const unwanted = [...keysOf(schema)].filter(
      (k) =>
        k === '$ref' ||
        k === 'allOf' ||
        k === 'oneOf' ||
        (k.startsWith('x-') && !allowedExtensions.includes(k)),
    );
    expect(unwanted).toEqual([]);
  });

  it('accepts short and full names for the same schema', () => {
    expect(k8sTypeSchema('Container')).toEqual(k8sTypeSchema('io.k8s.api.core.v1.Container'));
    expect(() => k8sTypeSchema('Nope' as 'Container')).toThrow(/unknown Kubernetes type/);
  });

  it('gives Container ports list-map keys that are required or defaulted', () => {
    const ports = at(k8sTypeSchema('Container'), 'ports');
    expect(ports['x-kubernetes-list-type']).toBe('map');
    expect(ports['x-kubernetes-list-map-keys']).toEqual(['containerPort', 'protocol']);
    const item = at(ports, '[]');
    expect(item['required']).toContain('containerPort');
    expect(at(item, 'protocol')['default']).toBe('TCP');
  });

  it('keeps every list-map key required or defaulted, dropping the annotation where upstream has neither', () => {
    for (const name of k8sTypeNames) {
      walk(k8sTypeSchema(name), (node, path) => {
        if (node['x-kubernetes-list-type'] !== 'map') return;
        const item = node['items'] as Node;
        for (const key of node['x-kubernetes-list-map-keys'] as string[]) {
          const ok =
            (item['required'] as string[] | undefined)?.includes(key) ||
            at(item, key)['default'] !== undefined;
          expect(ok, `${name} ${path} key ${key}`).toBe(true);
        }
      });
    }
    expect(k8sDroppedListMaps()).toEqual(['io.k8s.api.core.v1.ServiceAccount.secrets']);
    expect(at(k8sTypeSchema('ServiceAccount'), 'secrets')['x-kubernetes-list-type']).toBeUndefined();
  });

  it('drops defaults of required fields and object defaults, keeps scalar defaults of optional ones', () => {
    const container = k8sTypeSchema('Container');
    expect(at(container, 'name')['default']).toBeUndefined();
    expect(at(container, 'ports', '[]', 'containerPort')['default']).toBeUndefined();
    expect(at(k8sTypeSchema('Secret'), 'metadata')['default']).toBeUndefined();
    const pullSecret = at(k8sTypeSchema('Pod'), 'spec', 'imagePullSecrets', '[]', 'name');
    expect(pullSecret['default']).toBe('');
  });

  it('writes Quantity and IntOrString the controller-gen way', () => {
    const limits = at(k8sTypeSchema('ResourceRequirements'), 'limits');
    expect(limits['additionalProperties']).toEqual({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: QUANTITY_PATTERN,
      'x-kubernetes-int-or-string': true,
    });
    const targetPort = at(k8sTypeSchema('Service'), 'spec', 'ports', '[]', 'targetPort');
    expect(targetPort['x-kubernetes-int-or-string']).toBe(true);
    expect(targetPort['type']).toBeUndefined();
    expect(targetPort['format']).toBeUndefined();
    expect(targetPort['pattern']).toBeUndefined();
  });

  it('writes Time as a date-time string and nested ObjectMeta as a bare object', () => {
    expect(k8sTypeSchema('Time')).toMatchObject({ type: 'string', format: 'date-time' });
    expect(at(k8sTypeSchema('Condition'), 'lastTransitionTime')).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    const claimMeta = at(k8sTypeSchema('Volume'), 'ephemeral', 'volumeClaimTemplate', 'metadata');
    expect(Object.keys(claimMeta).sort()).toEqual(['description', 'type']);
    expect(claimMeta['type']).toBe('object');
    // Asked for by name, ObjectMeta is complete; its free-form FieldsV1 keeps unknown fields.
    const meta = k8sTypeSchema('ObjectMeta');
    expect(at(meta, 'labels')['additionalProperties']).toEqual({ type: 'string' });
    expect(at(meta, 'managedFields', '[]', 'fieldsV1')['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('preserves descriptions', () => {
    const key = at(k8sTypeSchema('Toleration'), 'key');
    expect(key['description']).toMatch(/taint key/);
    // A field's description wins over the description of the type it refers to.
    expect(at(k8sTypeSchema('Container'), 'securityContext')['description']).toMatch(
      /^SecurityContext defines/,
    );
    expect(k8sTypeSchema('Toleration')['description']).toMatch(/tolerates any taint/);
  });

  it('only keeps formats the apiserver supports', () => {
    const allowed = new Set([
      'int32',
      'int64',
      'double',
      'float',
      'byte',
      'date-time',
      'date',
      'duration',
      'password',
    ]);
    for (const name of k8sTypeNames) {
      walk(k8sTypeSchema(name), (node, path) => {
        if (node['format'] !== undefined)
          expect(allowed.has(node['format'] as string), `${name} ${path}`).toBe(true);
      });
    }
  });

  it('returns a fresh top level carrying the description option over a shared frozen schema', () => {
    const a = k8sTypeSchema('EnvVar', { description: 'env entry' });
    const b = k8sTypeSchema('EnvVar');
    expect(a).not.toBe(b);
    expect(a.description).toBe('env entry');
    expect(b.description).toMatch(/environment variable/);
    expect(a.properties).toBe(b.properties);
    expect(Object.isFrozen(a.properties)).toBe(true);
    expect(Object.isFrozen(a)).toBe(false);
  });
});

describe('k8sKindSchema', () => {
  it('validates a Secret with strict ajv', () => {
    const schema = k8sKindSchema('v1', 'Secret');
    expect(schema).toBeDefined();
    const validate = strictAjv().compile(schema!);
    expect(
      validate({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'creds', namespace: 'kelos', labels: { app: 'kelos' } },
        type: 'Opaque',
        data: { token: 'c2VjcmV0' },
        stringData: { plain: 'text' },
      }),
    ).toBe(true);
    expect(validate({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: 5 })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/data');
    expect(validate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'creds' } })).toBe(false);
    expect(validate({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 5 } })).toBe(false);
  });

  it('covers every bundled core kind, is cached, and compiles strictly', () => {
    const kinds: [string, string][] = [
      ['v1', 'Secret'],
      ['v1', 'ConfigMap'],
      ['v1', 'Namespace'],
      ['v1', 'ServiceAccount'],
      ['v1', 'Service'],
      ['v1', 'Pod'],
      ['batch/v1', 'Job'],
      ['batch/v1', 'CronJob'],
      ['apps/v1', 'Deployment'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
      ['coordination.k8s.io/v1', 'Lease'],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'],
      ['admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
      ['policy/v1', 'PodDisruptionBudget'],
    ];
    const ajv = strictAjv();
    for (const [apiVersion, kind] of kinds) {
      const schema = k8sKindSchema(apiVersion, kind);
      expect(schema, `${apiVersion} ${kind}`).toBeDefined();
      expect(k8sKindSchema(apiVersion, kind)).toBe(schema);
      expect([...keysOf(schema)].filter((k) => k.startsWith('x-') || k === 'default')).toEqual([]);
      ajv.compile(schema!);
    }
    expect(k8sKindSchema('v1', 'Deployment')).toBeUndefined();
    expect(k8sKindSchema('kelos.dev/v1alpha2', 'Task')).toBeUndefined();
  });

  it('validates nested core types of a Deployment through definitions', () => {
    const validate = strictAjv().compile(k8sKindSchema('apps/v1', 'Deployment')!);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'op', creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: {
        selector: { matchLabels: { app: 'op' } },
        template: {
          metadata: { labels: { app: 'op' } },
          spec: {
            containers: [
              {
                name: 'op',
                image: 'kelos:latest',
                ports: [{ containerPort: 8080 }],
                resources: { limits: { cpu: '500m', memory: 128 } },
              },
            ],
          },
        },
      },
    };
    expect(validate(deployment), JSON.stringify(validate.errors)).toBe(true);
    const bad = structuredClone(deployment);
    (bad.spec.template.spec.containers[0]!.ports[0] as Record<string, unknown>)['containerPort'] = 'http';
    expect(validate(bad)).toBe(false);
  });
});

describe('structuralErrors', () => {
  it('accepts a well-formed schema', () => {
    expect(
      structuralErrors({
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                'x-kubernetes-list-type': 'map',
                'x-kubernetes-list-map-keys': ['name', 'protocol'],
                items: {
                  type: 'object',
                  required: ['name'],
                  properties: { name: { type: 'string' }, protocol: { type: 'string', default: 'TCP' } },
                },
              },
              port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
              free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              either: { type: 'object', properties: { a: { type: 'string' } }, oneOf: [{ required: ['a'] }] },
            },
          },
        },
      }),
    ).toEqual([]);
  });

  it('reports each rule with a path', () => {
    const errors = structuralErrors({
      type: 'object',
      properties: {
        ref: { $ref: '#/definitions/x' },
        untyped: { description: 'no type' },
        list: { type: 'array' },
        both: {
          type: 'object',
          properties: { a: { type: 'string' } },
          additionalProperties: { type: 'string' },
        },
        junctor: { type: 'string', anyOf: [{ type: 'string', description: 'd' }] },
        incomplete: { type: 'object', allOf: [{ properties: { missing: { minLength: 1 } } }] },
        keys: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' } } },
        },
        literal: { type: 'string', const: 'x' },
        fmt: { type: 'string', format: 'int-or-string' },
      },
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        'schema.properties[ref].$ref: $ref is not supported',
        'schema.properties[ref].type: must not be empty for specified object fields',
        'schema.properties[untyped].type: must not be empty for specified object fields',
        'schema.properties[list].items: must be specified',
        'schema.properties[both].additionalProperties: additionalProperties and properties are mutual exclusive',
        'schema.properties[junctor].anyOf[0].type: must be empty to be structural',
        'schema.properties[junctor].anyOf[0].description: must be empty to be structural',
        'schema.properties[incomplete].properties[missing]: must be specified because it is defined in schema.properties[incomplete].allOf[0].properties[missing]',
        'schema.properties[keys].items.properties[name].default: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
        'schema.properties[literal].const: is not a keyword of apiextensions.k8s.io/v1 JSONSchemaProps (the apiserver would drop it)',
        'schema.properties[fmt].format: format "int-or-string" is not supported for type string (the apiserver would drop it)',
      ]),
    );
  });

  it('applies the root rules only when asked', () => {
    const crd = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object', description: 'not allowed at the root' },
      },
    };
    expect(structuralErrors(crd)).toEqual([]);
    expect(structuralErrors(crd, { root: true, path: 'openAPIV3Schema' })).toEqual([
      'openAPIV3Schema.properties[metadata]: must not specify anything other than name and generateName, but metadata is implicitly specified',
    ]);
    expect(
      structuralErrors({ type: 'object', additionalProperties: { type: 'string' } }, { root: true }),
    ).toEqual(['schema.additionalProperties: must not be used at the root']);
    expect(() => assertStructural({ type: 'object', properties: { x: {} } })).toThrow(
      /schema\.properties\[x\]\.type: must not be empty/,
    );
  });
});
