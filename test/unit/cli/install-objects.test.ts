import { describe, expect, test } from 'vitest';
import {
  foreignNamespaceReason,
  inDeletionOrder,
  otherInstallNamespace,
  ownedBy,
  pruneCandidates,
} from '../../../src/cli/cluster/install-objects.ts';
import type { ApiObject } from '../../../src/kube/client.ts';

const LABELS = { 'app.kubernetes.io/name': 'kelos', 'app.kubernetes.io/part-of': 'kelos' };
const RBAC = 'rbac.authorization.k8s.io/v1';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra = {}): ApiObject =>
  ({
    apiVersion,
    kind,
    metadata: { name, labels: LABELS, ...(namespace ? { namespace } : {}) },
    ...extra,
  }) as ApiObject;

const binding = (kind: string, name: string, ns: string | undefined, role: [string, string], saNs: string) =>
  obj(RBAC, kind, name, ns, {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role[0], name: role[1] },
    subjects: [{ kind: 'ServiceAccount', name: 'kelos-operator', namespace: saNs }],
  });

const names = (objs: readonly ApiObject[]) =>
  objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);

/** A cluster-wide install in kelos-system, a namespaced one in other-system, and a labelled Role of nobody. */
const cluster: ApiObject[] = [
  obj('v1', 'Namespace', 'kelos-system'),
  obj('v1', 'Namespace', 'other-system'),
  obj('v1', 'ServiceAccount', 'kelos-operator', 'kelos-system'),
  obj('apps/v1', 'Deployment', 'kelos-operator', 'kelos-system'),
  obj('apps/v1', 'Deployment', 'kelos-operator', 'other-system'),
  obj(RBAC, 'ClusterRole', 'kelos-operator'),
  binding(
    'ClusterRoleBinding',
    'kelos-operator',
    undefined,
    ['ClusterRole', 'kelos-operator'],
    'kelos-system',
  ),
  obj(RBAC, 'ClusterRole', 'kelos-operator-cluster-scoped'),
  binding(
    'ClusterRoleBinding',
    'kelos-operator-cluster-scoped',
    undefined,
    ['ClusterRole', 'kelos-operator-cluster-scoped'],
    'other-system',
  ),
  obj(RBAC, 'Role', 'kelos-operator', 'team-a'),
  binding('RoleBinding', 'kelos-operator', 'team-a', ['Role', 'kelos-operator'], 'kelos-system'),
  obj(RBAC, 'Role', 'kelos-operator', 'team-b'),
  binding('RoleBinding', 'kelos-operator', 'team-b', ['Role', 'kelos-operator'], 'other-system'),
  obj(RBAC, 'Role', 'stray', 'team-c'),
  obj(RBAC, 'ClusterRole', 'kelos-metrics-reader'),
  {
    ...obj(RBAC, 'ClusterRole', 'kelos-edit'),
    metadata: {
      name: 'kelos-edit',
      labels: { ...LABELS, 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' },
    },
  },
];

describe('ownedBy: the objects of the install in one operator namespace', () => {
  test('its namespace, what lives there, the bindings of its ServiceAccount and the roles they bind', () => {
    expect(names(ownedBy(cluster, 'kelos-system'))).toEqual([
      'Namespace//kelos-system',
      'ServiceAccount/kelos-system/kelos-operator',
      'Deployment/kelos-system/kelos-operator',
      'ClusterRole//kelos-operator',
      'ClusterRoleBinding//kelos-operator',
      'Role/team-a/kelos-operator',
      'RoleBinding/team-a/kelos-operator',
      'ClusterRole//kelos-edit',
    ]);
    expect(names(ownedBy(cluster, 'other-system'))).toEqual([
      'Namespace//other-system',
      'Deployment/other-system/kelos-operator',
      'ClusterRole//kelos-operator-cluster-scoped',
      'ClusterRoleBinding//kelos-operator-cluster-scoped',
      'Role/team-b/kelos-operator',
      'RoleBinding/team-b/kelos-operator',
      'ClusterRole//kelos-edit',
    ]);
  });

  test('a ClusterRole aggregated into a built-in role is the install’s, unless a binding of someone else references it', () => {
    const bound = [
      ...cluster,
      binding('ClusterRoleBinding', 'mine', undefined, ['ClusterRole', 'kelos-edit'], 'platform'),
    ];
    expect(names(ownedBy(bound, 'kelos-system'))).not.toContain('ClusterRole//kelos-edit');
  });

  test("a ClusterRole another install's binding still references is not this install's", () => {
    const shared = [
      ...cluster,
      binding(
        'ClusterRoleBinding',
        'elsewhere',
        undefined,
        ['ClusterRole', 'kelos-operator'],
        'other-system',
      ),
    ];
    expect(names(ownedBy(shared, 'kelos-system'))).not.toContain('ClusterRole//kelos-operator');
  });
});

describe('otherInstallNamespace', () => {
  const crb = (saNs: string, labelled = true) => {
    const b = binding(
      'ClusterRoleBinding',
      'kelos-operator',
      undefined,
      ['ClusterRole', 'kelos-operator'],
      saNs,
    );
    return labelled ? b : { ...b, metadata: { name: 'kelos-operator' } };
  };

  test("names the namespace of an install whose ClusterRoleBinding binds another namespace's ServiceAccount", () => {
    expect(otherInstallNamespace([crb('kelos-system')], 'kelos-two')).toBe('kelos-system');
  });

  test('none for the same install, for bindings without the install labels, or for none at all', () => {
    expect(otherInstallNamespace([crb('kelos-system')], 'kelos-system')).toBeUndefined();
    expect(otherInstallNamespace([crb('elsewhere', false)], 'kelos-system')).toBeUndefined();
    expect(otherInstallNamespace([], 'kelos-system')).toBeUndefined();
  });
});

describe('pruneCandidates', () => {
  test('cluster-wide, then namespaced: the ClusterRole and its binding go; the Namespace never does', () => {
    const bundle = [
      obj('v1', 'ServiceAccount', 'kelos-operator', 'kelos-system'),
      obj('apps/v1', 'Deployment', 'kelos-operator', 'kelos-system'),
      obj(RBAC, 'Role', 'kelos-operator', 'team-a'),
      obj(RBAC, 'RoleBinding', 'kelos-operator', 'team-a'),
    ];
    expect(names(pruneCandidates(ownedBy(cluster, 'kelos-system'), bundle))).toEqual([
      'ClusterRole//kelos-operator',
      'ClusterRoleBinding//kelos-operator',
      'ClusterRole//kelos-edit',
    ]);
  });

  test('rbac.aggregateToDefaultRoles turned off: the aggregated ClusterRoles go', () => {
    const bundle = [
      obj(RBAC, 'ClusterRole', 'kelos-operator'),
      obj(RBAC, 'ClusterRoleBinding', 'kelos-operator'),
    ];
    expect(names(pruneCandidates(ownedBy(cluster, 'kelos-system'), bundle))).toContain(
      'ClusterRole//kelos-edit',
    );
    expect(
      names(
        pruneCandidates(ownedBy(cluster, 'kelos-system'), [
          ...bundle,
          obj(RBAC, 'ClusterRole', 'kelos-edit'),
        ]),
      ),
    ).not.toContain('ClusterRole//kelos-edit');
  });
});

describe('inDeletionOrder', () => {
  test('each object once, the Deployment before its RBAC, the Namespace last', () => {
    const d = obj('apps/v1', 'Deployment', 'kelos-operator', 'kelos-system');
    const ordered = inDeletionOrder([
      obj('v1', 'Namespace', 'kelos-system'),
      obj(RBAC, 'ClusterRole', 'kelos-operator'),
      d,
      obj(RBAC, 'ClusterRoleBinding', 'kelos-operator'),
      { ...d, metadata: { ...d.metadata } },
    ]);
    expect(names(ordered)).toEqual([
      'Deployment/kelos-system/kelos-operator',
      'ClusterRoleBinding//kelos-operator',
      'ClusterRole//kelos-operator',
      'Namespace//kelos-system',
    ]);
  });
});

describe('foreignNamespaceReason', () => {
  test('a Namespace without the install labels is kept, naming the labels it lacks', () => {
    expect(foreignNamespaceReason(obj('v1', 'Namespace', 'kelos-system'))).toBeUndefined();
    expect(foreignNamespaceReason({ metadata: { name: 'platform' } })).toBe(
      'kelos install did not create it (it lacks the labels app.kubernetes.io/name=kelos,app.kubernetes.io/part-of=kelos)',
    );
  });
});
