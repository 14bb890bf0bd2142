import { describe, expect, test } from 'vitest';
import { API_VERSION, KINDS } from '../../../src/api/index.ts';
import { crdFileName, generateCrd, generateCrds } from '../../../src/crd/generate.ts';
import { structuralErrors } from '../../support/structural.ts';

type Node = Record<string, unknown>;

/** Every property node in a schema, with its dotted path. */
function* properties(schema: Node, path = ''): Generator<[string, Node]> {
  const props = schema['properties'] as Record<string, Node> | undefined;
  for (const [name, child] of Object.entries(props ?? {})) {
    yield [`${path}.${name}`, child];
    yield* properties(child, `${path}.${name}`);
  }
  const items = schema['items'] as Node | undefined;
  if (items) yield* properties(items, `${path}[]`);
  const additional = schema['additionalProperties'];
  if (additional && typeof additional === 'object') yield* properties(additional as Node, `${path}{}`);
}

/** Resolves a printer-column JSON path (`.spec.worker.type`) to its schema node. */
const resolveColumn = (root: Node, jsonPath: string): Node | undefined =>
  jsonPath
    .slice(1)
    .split('.')
    .reduce<Node | undefined>(
      (node, key) => (node?.['properties'] as Record<string, Node> | undefined)?.[key],
      root,
    );

const rootSchema = (kind: (typeof KINDS)[number]) =>
  generateCrd(kind).spec.versions[0]!.schema.openAPIV3Schema as Node;

describe('generateCrds', () => {
  test('every CRD survives the deletion of the Argo CD Application that synced it (Delete=false)', () => {
    // Deleting a CRD deletes every object of its kind, the TaskRecords' cost history included.
    for (const crd of generateCrds())
      expect(crd.metadata.annotations['argocd.argoproj.io/sync-options'], crd.metadata.name).toBe(
        'Delete=false',
      );
  });

  test('emits one CRD per served kind, in a stable order; only KelosConfig is cluster-scoped', () => {
    expect(generateCrds().map((c) => c.metadata.name)).toStrictEqual([
      'tasks.kelos.dev',
      'workspaces.kelos.dev',
      'agentconfigs.kelos.dev',
      'taskspawners.kelos.dev',
      'taskbudgets.kelos.dev',
      'taskrecords.kelos.dev',
      'kelosconfigs.kelos.dev',
    ]);
    expect(
      generateCrds()
        .filter((c) => c.spec.scope === 'Cluster')
        .map((c) => c.spec.names.kind),
    ).toStrictEqual(['KelosConfig']);
  });

  test('serves and stores kelos.dev/v1alpha2 only', () => {
    for (const crd of generateCrds()) {
      expect(`${crd.spec.group}/${crd.spec.versions.map((v) => v.name).join()}`).toBe(API_VERSION);
      expect(crd.spec.versions[0]).toMatchObject({ served: true, storage: true });
    }
  });

  test.each(KINDS.map((k) => [k.kind, k] as const))('%s schema is structural', (_, kind) => {
    expect(structuralErrors(rootSchema(kind), { root: true })).toStrictEqual([]);
  });

  test.each(KINDS.map((k) => [k.kind, k] as const))(
    '%s: every field has a description (kubectl explain shows it)',
    (_, kind) => {
      const missing = [...properties(rootSchema(kind))]
        .filter(
          ([path, node]) =>
            path !== '.metadata' && !(typeof node['description'] === 'string' && node['description']),
        )
        // Items of a list and values of a map are described by the list or map field itself.
        .map(([path]) => path)
        .filter((path) => !path.endsWith('[]') && !path.endsWith('{}'));
      expect(missing).toStrictEqual([]);
    },
  );

  test.each(KINDS.map((k) => [k.kind, k] as const))(
    '%s printer columns point at fields that exist',
    (_, kind) => {
      const root = rootSchema(kind);
      for (const column of kind.printerColumns) {
        if (column.jsonPath === '.metadata.creationTimestamp') continue;
        expect(resolveColumn(root, column.jsonPath), `${kind.kind} column ${column.name}`).toBeDefined();
      }
    },
  );

  test('printer columns use the preferred worker fields, not the deprecated top-level ones', () => {
    const task = KINDS.find((k) => k.kind === 'Task')!;
    expect(task.printerColumns.find((c) => c.name === 'Type')?.jsonPath).toBe('.spec.worker.type');
    const spawner = KINDS.find((k) => k.kind === 'TaskSpawner')!;
    expect(spawner.printerColumns.find((c) => c.name === 'Workspace')?.jsonPath).toBe(
      '.spec.taskTemplate.worker.workspaceRef.name',
    );
  });

  test('status subresource exactly where upstream has one', () => {
    const withStatus = generateCrds()
      .filter((c) => c.spec.versions[0]!.subresources)
      .map((c) => c.spec.names.kind);
    expect(withStatus).toStrictEqual(['Task', 'TaskSpawner', 'TaskBudget']);
  });

  test('every kind is in the kelos category with short names', () => {
    for (const crd of generateCrds()) {
      expect(crd.spec.names.categories).toStrictEqual(['kelos']);
      expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
    }
    expect(generateCrd(KINDS.find((k) => k.kind === 'TaskBudget')!).spec.names.shortNames).toContain('tb');
    expect(generateCrd(KINDS.find((k) => k.kind === 'TaskRecord')!).spec.names.shortNames).toContain('tr');
  });

  test('carries the CEL rules with their messages', () => {
    const spec = (rootSchema(KINDS[0]!)['properties'] as Record<string, Node>)['spec']!;
    const rules = spec['x-kubernetes-validations'] as Array<{ rule: string; message: string }>;
    expect(rules[0]).toStrictEqual({
      rule: 'self == oldSelf',
      message: 'Task spec is immutable after creation',
    });
    expect(rules.map((r) => r.message)).toContain('worker.credentials is required for inline execution');
  });

  test('keeps list-map semantics upstream declares', () => {
    const spawnerSpec = (
      rootSchema(KINDS.find((k) => k.kind === 'TaskSpawner')!)['properties'] as Record<string, Node>
    )['spec']!;
    const credentials = (spawnerSpec['properties'] as Record<string, Node>)['credentials']!;
    expect(credentials['x-kubernetes-list-type']).toBe('map');
    expect(credentials['x-kubernetes-list-map-keys']).toStrictEqual(['name']);
  });

  test('output is plain JSON, with no TypeBox bookkeeping left', () => {
    const json = JSON.stringify(generateCrds());
    expect(JSON.parse(json)).toStrictEqual(generateCrds());
    expect(json).not.toContain('"$id"');
  });

  test('file names follow <group>_<plural>.yaml', () => {
    expect(generateCrds().map(crdFileName)[0]).toBe('kelos.dev_tasks.yaml');
  });
});
