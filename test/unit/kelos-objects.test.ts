import { describe, expect, it } from 'vitest';
import { strandedObjects, watchedNamespacesOf } from '../../src/cli/cluster/kelos-objects.ts';
import type { ApiObject } from '../../src/kube/client.ts';

const deployment = (args: string[]) =>
  ({
    metadata: { name: 'kelos-operator', namespace: 'kelos-system' },
    spec: { template: { spec: { containers: [{ name: 'operator', args }] } } },
  }) as ApiObject;

const obj = (namespace: string, name: string, finalizers?: string[]): ApiObject => ({
  kind: 'Task',
  metadata: { name, namespace, ...(finalizers ? { finalizers } : {}) },
});

describe('watchedNamespacesOf', () => {
  it('reads the --namespace flags as the install writes them and as a user may', () => {
    expect(watchedNamespacesOf(deployment(['--namespace=team-a,team-b', '--leader-elect']))).toEqual([
      'team-a',
      'team-b',
    ]);
    expect(watchedNamespacesOf(deployment(['--namespace', 'team-a', '--namespace=team-c']))).toEqual([
      'team-a',
      'team-c',
    ]);
  });

  it('none: every namespace', () => {
    expect(watchedNamespacesOf(deployment(['--leader-elect']))).toBeUndefined();
  });
});

describe('strandedObjects', () => {
  it('only objects with a kelos.dev finalizer outside the watched namespaces, by namespace', () => {
    const objects = [
      obj('team-g', 'c', ['kelos.dev/finalizer']),
      obj('team-f', 'a', ['kelos.dev/finalizer']),
      obj('team-f', 'b', ['example.com/other']),
      obj('team-a', 'd', ['kelos.dev/finalizer']),
    ];
    expect(
      strandedObjects(objects, ['team-a']).map((s) => [s.namespace, s.objects.map((o) => o.metadata.name)]),
    ).toEqual([
      ['team-f', ['a']],
      ['team-g', ['c']],
    ]);
    expect(strandedObjects(objects, undefined)).toEqual([]);
  });
});
