import { describe, expect, it } from 'vitest';
import {
  forbiddenRequestFields,
  OPERATOR_RBAC_RULES,
  policyRules,
  rbacRequestOf,
  rulesGranting,
  withoutGitOpsTracking,
} from '../../../src/install/index.ts';
import { OPERATOR_RBAC_RULES as FROM_OPERATOR } from '../../../src/operator/main.ts';

describe('the operator RBAC table', () => {
  it('is the one table the operator exports', () => {
    expect(FROM_OPERATOR).toBe(OPERATOR_RBAC_RULES);
  });

  it('grants Leases only in the operator’s own namespace, everything else where it watches', () => {
    expect(policyRules('own')).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'patch'],
        resourceNames: ['kelos-operator-leader'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    expect(policyRules('watched').some((r) => r.resources.includes('leases'))).toBe(false);
  });

  it('names the object where the operator reads only one: the API server’s EndpointSlice', () => {
    expect(policyRules('apiserver')).toEqual([
      {
        apiGroups: ['discovery.k8s.io'],
        resources: ['endpointslices'],
        verbs: ['get'],
        resourceNames: ['kubernetes'],
      },
    ]);
    // A name restricts only verbs that name an object: never create, list or watch.
    for (const r of OPERATOR_RBAC_RULES.filter((r) => r.resourceNames))
      expect(r.verbs.filter((v) => !['get', 'patch', 'update', 'delete'].includes(v))).toEqual([]);
  });

  it('grants no wildcard, no update except the indirect finalizers rule, no deletecollection', () => {
    const all = OPERATOR_RBAC_RULES.flatMap((r) => [...r.verbs, ...r.resources, ...r.apiGroups]);
    expect(all).not.toContain('*');
    expect(OPERATOR_RBAC_RULES.filter((r) => r.verbs.includes('update')).map((r) => r.resources)).toEqual([
      ['tasks/finalizers', 'taskspawners/finalizers'],
    ]);
    expect(all).not.toContain('deletecollection');
  });

  it('gives every rule a reason', () => {
    for (const r of OPERATOR_RBAC_RULES) expect(r.why.length, r.resources.join()).toBeGreaterThan(10);
  });
});

describe('rbacRequestOf', () => {
  it.each([
    [
      'GET',
      '/apis/kelos.dev/v1alpha2/tasks?watch=true&resourceVersion=5',
      { verb: 'watch', apiGroup: 'kelos.dev', resource: 'tasks' },
    ],
    [
      'GET',
      '/apis/kelos.dev/v1alpha2/namespaces/a/tasks?limit=500',
      { verb: 'list', apiGroup: 'kelos.dev', resource: 'tasks', namespace: 'a' },
    ],
    [
      'PATCH',
      '/apis/kelos.dev/v1alpha2/namespaces/a/tasks/t/status?fieldManager=x',
      { verb: 'patch', apiGroup: 'kelos.dev', resource: 'tasks/status', namespace: 'a', name: 't' },
    ],
    [
      'GET',
      '/api/v1/namespaces/a/pods/p/log?container=kelos-agent',
      { verb: 'get', apiGroup: '', resource: 'pods/log', namespace: 'a', name: 'p' },
    ],
    [
      'POST',
      '/apis/events.k8s.io/v1/namespaces/a/events',
      { verb: 'create', apiGroup: 'events.k8s.io', resource: 'events', namespace: 'a' },
    ],
    [
      'DELETE',
      '/apis/batch/v1/namespaces/a/jobs/j',
      { verb: 'delete', apiGroup: 'batch', resource: 'jobs', namespace: 'a', name: 'j' },
    ],
    [
      'DELETE',
      '/apis/batch/v1/namespaces/a/jobs',
      { verb: 'deletecollection', apiGroup: 'batch', resource: 'jobs', namespace: 'a' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/a/configmaps/c',
      { verb: 'update', apiGroup: '', resource: 'configmaps', namespace: 'a', name: 'c' },
    ],
  ])('%s %s', (method, path, expected) => {
    expect(rbacRequestOf(method, path)).toEqual(expected);
  });

  it('is undefined for paths that are not resources', () => {
    expect(rbacRequestOf('GET', '/healthz')).toBeUndefined();
    expect(rbacRequestOf('GET', '/apis')).toBeUndefined();
  });

  it('finds the rule that grants a request, and none for one the install does not allow', () => {
    expect(rulesGranting({ verb: 'patch', apiGroup: 'kelos.dev', resource: 'tasks/status' })).toHaveLength(1);
    expect(rulesGranting({ verb: 'update', apiGroup: 'kelos.dev', resource: 'tasks' })).toEqual([]);
    expect(rulesGranting({ verb: 'list', apiGroup: '', resource: 'secrets' })).toEqual([]);
  });
});

describe('the Forbidden by RBAC log line', () => {
  const leases = '/apis/coordination.k8s.io/v1/namespaces/kelos-system/leases';

  it('says the install grants its own Lease, and not another one its Role does not name', () => {
    expect(forbiddenRequestFields('GET', `${leases}/kelos-operator-leader`)).toEqual({
      verb: 'get',
      apiGroup: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'kelos-system',
      name: 'kelos-operator-leader',
      grantedByInstall: true,
    });
    // A --leader-election-id the Role does not name: the table lacks the grant, not the cluster.
    for (const method of ['GET', 'PATCH'])
      expect(forbiddenRequestFields(method, `${leases}/my-leader`)).toMatchObject({
        name: 'my-leader',
        grantedByInstall: false,
      });
    // A create names no object: the rule without resourceNames grants it.
    expect(forbiddenRequestFields('POST', leases)).toMatchObject({ verb: 'create', grantedByInstall: true });
  });

  it('never lets a rule with resourceNames grant a request that names no object, as Kubernetes RBAC', () => {
    const named = [
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'list', 'watch', 'create'],
        resourceNames: ['kelos-operator-leader'],
        scope: 'own' as const,
        why: 'a rule naming its one Lease',
      },
    ];
    expect(forbiddenRequestFields('GET', leases, named)?.grantedByInstall).toBe(false);
    expect(forbiddenRequestFields('GET', `${leases}?watch=true`, named)?.grantedByInstall).toBe(false);
    expect(forbiddenRequestFields('POST', leases, named)?.grantedByInstall).toBe(false);
    expect(forbiddenRequestFields('GET', `${leases}/kelos-operator-leader`, named)?.grantedByInstall).toBe(
      true,
    );
  });

  it('names the API server EndpointSlice only', () => {
    const slices = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
    expect(forbiddenRequestFields('GET', `${slices}/kubernetes`)?.grantedByInstall).toBe(true);
    expect(forbiddenRequestFields('GET', `${slices}/other`)?.grantedByInstall).toBe(false);
  });

  it('says nothing of a path that is not a resource', () => {
    expect(forbiddenRequestFields('GET', '/healthz')).toBeUndefined();
  });
});

describe('withoutGitOpsTracking', () => {
  it('drops Argo CD’s tracking label and annotations and keeps the rest', () => {
    expect(
      withoutGitOpsTracking({
        name: 't',
        labels: { team: 'a', 'app.kubernetes.io/instance': 'fleet' },
        annotations: {
          'argocd.argoproj.io/tracking-id': 'fleet:kelos.dev/TaskSpawner:ns/s',
          'argocd.argoproj.io/sync-wave': '1',
          'kelos.dev/note': 'x',
        },
      }),
    ).toEqual({ name: 't', labels: { team: 'a' }, annotations: { 'kelos.dev/note': 'x' } });
  });

  it('drops maps left empty', () => {
    expect(withoutGitOpsTracking({ labels: { 'app.kubernetes.io/instance': 'x' } })).toEqual({});
  });
});
