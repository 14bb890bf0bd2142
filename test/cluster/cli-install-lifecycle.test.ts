/**
 * `kelos install` and `kelos uninstall` against a real API server, for what a second install
 * or an uninstall must leave alone or take away: a namespace the install did not create
 * survives uninstall, a switch to namespaced mode prunes the cluster-wide grant, uninstall
 * finds a namespaced install's Roles, a missing watched namespace is refused before
 * anything is applied, and the scheduling values reach the Deployment as written.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRD, NAMESPACE } from '../../src/cli/cluster/bundle.ts';
import { packageVersion } from '../../src/cli/version.ts';
import type { ApiObject, HttpKubeClient, ResourceType } from '../../src/kube/client.ts';
import { selfSignedCertificate } from '../../src/kube/self-signed.ts';
import { kelos } from './cli-helpers.ts';
import type { ControlPlane } from './control-plane.ts';
import { waitFor } from './helpers.ts';
import { useOwnControlPlane } from './own-control-plane.ts';

// A control plane of its own: these tests install the operator and uninstall it, which the
// run's shared control plane must not see.
let cp: ControlPlane;
let admin: HttpKubeClient;
useOwnControlPlane((own) => {
  ({ cp, admin } = own);
});

const RBAC = (plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
const CLUSTER_ROLE = RBAC('clusterroles', 'ClusterRole', false);
const CLUSTER_ROLE_BINDING = RBAC('clusterrolebindings', 'ClusterRoleBinding', false);
const ROLE = RBAC('roles', 'Role', true);
const CONFIG_MAP: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
const SAR: ResourceType = {
  group: 'authorization.k8s.io',
  version: 'v1',
  plural: 'subjectaccessreviews',
  kind: 'SubjectAccessReview',
  namespaced: false,
};

const k = (...args: string[]) => kelos([...args, '--kubeconfig', cp.kubeconfigPath]);

const createNamespace = (name: string) =>
  admin.create(NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** Whether the operator's ServiceAccount in `ns` may `verb` `resource` in `namespace`, as the API server decides. */
async function operatorMay(ns: string, verb: string, resource: string, namespace: string) {
  const review = await admin.create<ApiObject & { status?: { allowed?: boolean } }>(SAR, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: {
      user: `system:serviceaccount:${ns}:kelos-operator`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      resourceAttributes: { verb, resource, namespace },
    },
  } as ApiObject);
  return review.status?.allowed === true;
}

describe('a watched namespace that does not exist', () => {
  it('is refused before anything is applied: exit 1 naming every missing namespace and what to do', async () => {
    const r = await k('install', '--watch-namespace', 'team-x,team-y');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'kelos: the watched namespaces team-x, team-y do not exist: create them (kubectl create namespace team-x; kubectl create namespace team-y) or drop them from watchNamespaces (--watch-namespace); nothing was applied\n',
    );
    expect((await admin.list(CRD, { labelSelector: 'app.kubernetes.io/part-of=kelos' })).items).toEqual([]);
    expect(await admin.get(NAMESPACE, undefined, 'kelos-system')).toBeUndefined();
  });

  it('set in a values file: the message names the file that set watchNamespaces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-values-'));
    const values = join(dir, 'prod.yaml');
    writeFileSync(values, 'watchNamespaces: [team-z]\n');
    const r = await k('install', '-f', values);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kelos: the watched namespace team-z does not exist: create it (kubectl create namespace team-z) or drop it from watchNamespaces (--watch-namespace); nothing was applied (watchNamespaces from -f ${values})\n`,
    );
    expect((await admin.list(CRD, { labelSelector: 'app.kubernetes.io/part-of=kelos' })).items).toEqual([]);
  });
});

describe('a metricsCertSecret the operator could not mount', () => {
  const SECRET: ResourceType = {
    group: '',
    version: 'v1',
    plural: 'secrets',
    kind: 'Secret',
    namespaced: true,
  };
  const create = (ns: string) =>
    `create it (a cert-manager Certificate with secretName: metrics-tls in namespace ${ns}, or kubectl create secret tls metrics-tls -n ${ns} --cert=tls.crt --key=tls.key), then install again; or unset metricsCertSecret for a self-signed certificate`;
  const fromSet = ' (metricsCertSecret from --set metricsCertSecret=metrics-tls)';
  const nothingInstalled = async () =>
    expect((await admin.list(CRD, { labelSelector: 'app.kubernetes.io/part-of=kelos' })).items).toEqual([]);

  it('in a namespace the install would create: refused before anything is applied', async () => {
    const r = await k('install', '-n', 'certs-new', '--set', 'metricsCertSecret=metrics-tls');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kelos: metricsCertSecret names Secret certs-new/metrics-tls, which cannot exist before its namespace: install without metricsCertSecret first (the install creates the namespace, with a self-signed certificate), then ${create('certs-new')}; nothing was applied${fromSet}\n`,
    );
    await nothingInstalled();
    expect(await admin.get(NAMESPACE, undefined, 'certs-new')).toBeUndefined();
  });

  it('missing, without tls.key, or a pair the operator refuses: refused before anything is applied; a good pair is mounted', async () => {
    await createNamespace('certs');
    const missing = await k('install', '-n', 'certs', '--set', 'metricsCertSecret=metrics-tls');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `kelos: metricsCertSecret names Secret certs/metrics-tls, which does not exist: ${create('certs')}; nothing was applied${fromSet}\n`,
    );
    const secret = (data: Record<string, string>) =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'metrics-tls', namespace: 'certs' },
        data,
      }) as ApiObject;
    // What the operator would refuse at start, so the new Pod would crash-loop: refused here.
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const pair = selfSignedCertificate({
      commonName: 'kelos-operator-metrics',
      altNames: ['localhost'],
      now: Date.now(),
    });
    const other = selfSignedCertificate({ commonName: 'other', altNames: ['localhost'], now: Date.now() });
    const fix =
      ': /metrics serves tls.crt with tls.key, a certificate and its private key in PEM (a kubernetes.io/tls Secret, as cert-manager writes; replace it: kubectl create secret tls metrics-tls -n certs --cert=tls.crt --key=tls.key --dry-run=client -o yaml | kubectl apply -f -)';
    await admin.create(SECRET, secret({ 'tls.crt': b64(pair.cert) }));
    for (const [data, problem] of [
      [{ 'tls.crt': b64(pair.cert) }, 'which has no tls.key'],
      [{ 'tls.crt': b64(pair.cert), 'tls.key': b64('garbage') }, 'whose tls.key is not a PEM private key ('],
      [{ 'tls.crt': b64(pair.cert), 'tls.key': b64(other.key) }, 'whose tls.key is not the key of tls.crt'],
    ] as const) {
      await admin.apply(SECRET, secret(data), { force: true });
      const refused = await k('install', '-n', 'certs', '--set', 'metricsCertSecret=metrics-tls');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`kelos: metricsCertSecret names Secret certs/metrics-tls, ${problem}`);
      expect(refused.stderr).toContain(`${fix}; nothing was applied${fromSet}\n`);
      await nothingInstalled();
    }
    await admin.apply(SECRET, secret({ 'tls.crt': b64(pair.cert), 'tls.key': b64(pair.key) }), {
      force: true,
    });
    const ok = await k('install', '-n', 'certs', '--set', 'metricsCertSecret=metrics-tls');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const deployment = await admin.get<
      ApiObject & { spec: { template: { spec: { volumes: { secret?: { secretName: string } }[] } } } }
    >(
      { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
      'certs',
      'kelos-operator',
    );
    expect(deployment?.spec.template.spec.volumes.map((v) => v.secret?.secretName)).toContain('metrics-tls');
    const uninstall = await k('uninstall', '-n', 'certs');
    expect(uninstall.code).toBe(0);
  }, 120_000);
});

describe('a namespace the install did not create', () => {
  it('survives kelos uninstall, with what it holds, whether createNamespace was off or on', async () => {
    await createNamespace('platform');
    await admin.create(CONFIG_MAP, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'precious', namespace: 'platform' },
      data: { a: 'b' },
    } as ApiObject);
    for (const extra of [['--set', 'createNamespace=false'], []]) {
      const install = await k('install', '-n', 'platform', ...extra);
      expect(install.stderr).toBe('');
      expect(install.code).toBe(0);
      if (extra.length === 0) {
        expect(install.stdout).toContain(
          "namespace/platform exists and kelos install did not create it (it lacks the labels app.kubernetes.io/name=kelos,app.kubernetes.io/part-of=kelos): left as it is, without the install's labels (kelos uninstall keeps it)\n",
        );
      }
      const uninstall = await k('uninstall', '-n', 'platform');
      expect(uninstall.stderr).toBe('');
      expect(uninstall.code).toBe(0);
      expect(uninstall.stdout).toContain(
        'namespace/platform kept: kelos install did not create it (it lacks the labels app.kubernetes.io/name=kelos,app.kubernetes.io/part-of=kelos); delete it yourself if it should go\n',
      );
      expect(uninstall.stdout).toContain('deployment/kelos-operator -n platform deleted');
      const ns = await admin.get(NAMESPACE, undefined, 'platform');
      expect(ns?.metadata.deletionTimestamp).toBeUndefined();
      expect(await admin.get(CONFIG_MAP, 'platform', 'precious')).toBeDefined();
    }
  }, 120_000);

  it('a namespace the install created is removed by kelos uninstall', async () => {
    const install = await k('install', '-n', 'made-by-kelos');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('namespace/made-by-kelos created');
    const uninstall = await k('uninstall', '-n', 'made-by-kelos');
    expect(uninstall.code).toBe(0);
    expect(uninstall.stdout).toContain('namespace/made-by-kelos deleted');
    const ns = await admin.get(NAMESPACE, undefined, 'made-by-kelos');
    expect(ns === undefined || ns.metadata.deletionTimestamp !== undefined).toBe(true);
  }, 120_000);
});

describe('installing again with other settings prunes what the new install no longer has', () => {
  it('cluster-wide, then namespaced: the ClusterRoleBinding goes and the operator can no longer patch Secrets in kube-system', async () => {
    await createNamespace('team-a');
    await createNamespace('team-b');
    const wide = await k('install');
    expect(wide.code).toBe(0);
    expect(await operatorMay('kelos-system', 'patch', 'secrets', 'kube-system')).toBe(true);

    const namespaced = await k('install', '--watch-namespace', 'team-a');
    expect(namespaced.stderr).toBe('');
    expect(namespaced.code).toBe(0);
    expect(namespaced.stdout).toContain('clusterrolebinding/kelos-operator pruned\n');
    expect(namespaced.stdout).toContain('clusterrole/kelos-operator pruned\n');
    expect(namespaced.stdout).toMatch(/\d+ unchanged, 2 pruned\)/);
    expect(await admin.get(CLUSTER_ROLE_BINDING, undefined, 'kelos-operator')).toBeUndefined();
    expect(await admin.get(CLUSTER_ROLE, undefined, 'kelos-operator')).toBeUndefined();
    expect(await operatorMay('kelos-system', 'patch', 'secrets', 'kube-system')).toBe(false);
    expect(await operatorMay('kelos-system', 'patch', 'secrets', 'team-a')).toBe(true);
    // The CRDs are never pruned.
    expect(await admin.get(CRD, undefined, 'tasks.kelos.dev')).toBeDefined();

    // Another watched namespace: the Role of the one no longer watched goes.
    const moved = await k('install', '--watch-namespace', 'team-b');
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('rolebinding/kelos-operator -n team-a pruned\n');
    expect(moved.stdout).toContain('role/kelos-operator -n team-a pruned\n');
    expect(await admin.get(ROLE, 'team-a', 'kelos-operator')).toBeUndefined();
    expect(await operatorMay('kelos-system', 'get', 'secrets', 'team-a')).toBe(false);
    // Re-running changes and prunes nothing.
    const again = await k('install', '--watch-namespace', 'team-b');
    expect(again.stdout).not.toContain('pruned');
  }, 180_000);

  it('a second install in another namespace is refused before anything is applied, naming the first', async () => {
    const before = await admin.get<ApiObject & { subjects?: unknown }>(
      CLUSTER_ROLE_BINDING,
      undefined,
      'kelos-operator-cluster-scoped',
    );
    expect(before?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'kelos-operator', namespace: 'kelos-system' },
    ]);
    const second = await k('install', '-n', 'kelos-two', '--watch-namespace', 'team-a');
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toBe(
      'kelos: a Kelos install already runs in namespace kelos-system: a cluster holds one install, since the CRDs and the cluster-wide grants are shared (this one would take over its ClusterRoleBindings); change that one (kelos install -n kelos-system …) or remove it first (kelos uninstall -n kelos-system); nothing was applied\n',
    );
    expect(await admin.get(NAMESPACE, undefined, 'kelos-two')).toBeUndefined();
    const after = await admin.get<ApiObject & { subjects?: unknown }>(
      CLUSTER_ROLE_BINDING,
      undefined,
      'kelos-operator-cluster-scoped',
    );
    expect(after?.subjects).toEqual(before?.subjects);
  }, 120_000);

  it('kelos uninstall --watch-namespace removes the namespaced install: its Roles and kelos-operator-cluster-scoped', async () => {
    const r = await k('uninstall', '--watch-namespace', 'team-b');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('role/kelos-operator -n team-b deleted');
    expect(r.stdout).toContain('clusterrolebinding/kelos-operator-cluster-scoped deleted');
    expect(await admin.get(ROLE, 'team-b', 'kelos-operator')).toBeUndefined();
    expect(await admin.get(CLUSTER_ROLE, undefined, 'kelos-operator-cluster-scoped')).toBeUndefined();
  }, 120_000);

  it('kelos uninstall finds a namespaced install by its labels, without --watch-namespace', async () => {
    // The uninstall above deleted kelos-system, which the install created: while it
    // terminates, an install is refused before anything is applied.
    if (await admin.get(NAMESPACE, undefined, 'kelos-system')) {
      const early = await k('install', '--watch-namespace', 'team-a,team-b');
      expect(early.code).toBe(1);
      expect(early.stderr).toContain(
        'kelos: namespace kelos-system is being deleted: wait until it is gone (kubectl wait --for=delete namespace/kelos-system), then install again; nothing was applied',
      );
    }
    await waitFor(
      'kelos-system to be gone',
      async () => !(await admin.get(NAMESPACE, undefined, 'kelos-system')),
      {
        timeoutMs: 60_000,
      },
    );
    expect((await k('install', '--watch-namespace', 'team-a,team-b')).code).toBe(0);
    const r = await k('uninstall');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('role/kelos-operator -n team-a deleted');
    expect(r.stdout).toContain('role/kelos-operator -n team-b deleted');
    expect(r.stdout).toContain('clusterrole/kelos-operator-cluster-scoped deleted');
    const left = await admin.list(ROLE, { labelSelector: 'app.kubernetes.io/part-of=kelos' });
    expect(left.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([]);
  }, 120_000);
});

describe('scheduling and pull secrets from values', () => {
  const DEPLOYMENT: ResourceType = {
    group: 'apps',
    version: 'v1',
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
  };

  it('the API server takes the Deployment with them as written; a toleration it would refuse stops the install before anything is applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-sched-'));
    const values = join(dir, 'values.yaml');
    writeFileSync(
      values,
      [
        'imagePullSecrets: [regcred, {name: mirror}]',
        'nodeSelector: {kubernetes.io/os: linux}',
        'tolerations:',
        '  - {key: infra, operator: Exists, effect: NoSchedule}',
        '  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}',
        'affinity:',
        '  nodeAffinity:',
        '    requiredDuringSchedulingIgnoredDuringExecution:',
        '      nodeSelectorTerms:',
        '        - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}]',
        'priorityClassName: system-cluster-critical',
        '',
      ].join('\n'),
    );
    const bad = await k(
      'install',
      '-n',
      'kelos-bad',
      '-f',
      values,
      '--set',
      'tolerations[0].efect=NoSchedule',
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('tolerations[0].efect: unknown field');
    expect(await admin.get(NAMESPACE, undefined, 'kelos-bad')).toBeUndefined();

    const r = await k('install', '-n', 'kelos-sched', '-f', values);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pod = (
      (await admin.get(DEPLOYMENT, 'kelos-sched', 'kelos-operator')) as unknown as {
        spec: { template: { spec: Record<string, unknown> } };
      }
    ).spec.template.spec;
    expect(pod['imagePullSecrets']).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
    expect(pod['nodeSelector']).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod['tolerations']).toEqual([
      { key: 'infra', operator: 'Exists', effect: 'NoSchedule' },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
    ]);
    expect(pod['affinity']).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] },
          ],
        },
      },
    });
    expect(pod['priorityClassName']).toBe('system-cluster-critical');
    expect((await k('uninstall', '-n', 'kelos-sched')).code).toBe(0);
  }, 120_000);
});

describe('kelos uninstall --dry-run', () => {
  it('says would delete only of what the cluster holds, the rest not found, as the run would, and changes nothing', async () => {
    // The uninstalls above removed the install; the CRDs are still there.
    const gone = await k('uninstall', '--dry-run', '--crds');
    expect(gone.stderr).toBe('');
    expect(gone.code).toBe(0);
    expect(gone.stdout).toContain('deployment/kelos-operator -n kelos-system not found\n');
    // Its namespace may still be terminating.
    expect(gone.stdout).toMatch(/^namespace\/kelos-system (not found|already being deleted)$/m);
    expect(gone.stdout).toContain('would delete customresourcedefinition/tasks.kelos.dev\n');
    expect(gone.stdout.split('\n').filter((l) => l.startsWith('would delete'))).toHaveLength(7);
    expect(gone.stdout).toMatch(
      /dry run: 0 Kelos objects and 7 install objects would be deleted; nothing was changed\n$/,
    );

    expect((await k('install', '-n', 'dry-run-ns')).code).toBe(0);
    const installed = await k('uninstall', '--dry-run', '-n', 'dry-run-ns');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain('would delete deployment/kelos-operator -n dry-run-ns\n');
    expect(installed.stdout).toContain('would delete namespace/dry-run-ns\n');
    expect(installed.stdout).not.toContain('not found');
    expect(installed.stdout).toMatch(
      /dry run: 0 Kelos objects and \d+ install objects would be deleted; nothing was changed \(the CRDs are kept without --crds\)\n$/,
    );
    expect(await admin.get(NAMESPACE, undefined, 'dry-run-ns')).toBeDefined();
    expect((await k('uninstall', '-n', 'dry-run-ns')).code).toBe(0);
  }, 120_000);
});

describe('CRDs of a newer Kelos', () => {
  it('are not downgraded by this CLI’s install: exit 1 before anything is applied, unless --allow-downgrade', async () => {
    // An uninstall above deleted kelos-system, which the install created: wait until it is gone.
    await waitFor(
      'kelos-system to be gone',
      async () => !(await admin.get(NAMESPACE, undefined, 'kelos-system')),
      {
        timeoutMs: 60_000,
      },
    );
    const first = await k('install');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const crds = (await admin.list(CRD, { labelSelector: 'app.kubernetes.io/part-of=kelos' })).items;
    expect(crds).toHaveLength(7);
    for (const crd of crds) {
      await admin.mergePatch(CRD, undefined, crd.metadata.name ?? '', {
        metadata: { annotations: { 'kelos.dev/version': '99.0.0' } },
      });
    }
    const refused = await k('install');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(
      `kelos: the cluster's CRDs are of Kelos 99.0.0, newer than this CLI (${packageVersion()}): applying this CLI's would downgrade them`,
    );
    expect(refused.stderr).toContain("install with that version's CLI (npx kelos-ts@99.0.0 install)");
    expect(refused.stderr).toMatch(/pass --allow-downgrade; nothing was applied\n$/);
    const tasks = await admin.get(CRD, undefined, 'tasks.kelos.dev');
    expect(tasks?.metadata.annotations?.['kelos.dev/version']).toBe('99.0.0');

    const version = await k('version');
    expect(version.stderr).toContain(
      'the cluster runs a newer Kelos than this CLI: use the CLI of its version (`npx kelos-ts@99.0.0`)',
    );

    const forced = await k('install', '--allow-downgrade');
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    const after = await admin.get(CRD, undefined, 'tasks.kelos.dev');
    expect(after?.metadata.annotations?.['kelos.dev/version']).toBe(packageVersion());
    expect((await k('uninstall')).code).toBe(0);
  }, 120_000);
});

describe("a namespace's developers, bound to the built-in edit and view roles", () => {
  /** Whether `user` may `verb` kelos.dev `resource` (`tasks/status` for the subresource) in `namespace`. */
  async function userMay(user: string, verb: string, resource: string, namespace: string) {
    const [plural, subresource] = resource.split('/');
    const review = await admin.create<ApiObject & { status?: { allowed?: boolean } }>(SAR, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user,
        groups: ['system:authenticated'],
        resourceAttributes: {
          group: 'kelos.dev',
          verb,
          resource: plural,
          ...(subresource && { subresource }),
          namespace,
        },
      },
    } as ApiObject);
    return review.status?.allowed === true;
  }
  const bind = (namespace: string, user: string, role: string) =>
    admin.create(RBAC('rolebindings', 'RoleBinding', true), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${user}-${role}`, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    } as ApiObject);

  it('may work with Tasks there after kelos install (never write their status), lose it with rbac.aggregateToDefaultRoles=false, and kelos uninstall removes the roles', async () => {
    await waitFor(
      'kelos-system to be gone',
      async () => !(await admin.get(NAMESPACE, undefined, 'kelos-system')),
      { timeoutMs: 60_000 },
    );
    await createNamespace('team-dev');
    await bind('team-dev', 'alice', 'edit');
    await bind('team-dev', 'bob', 'view');
    // Before the install, the built-in roles know nothing of kelos.dev.
    expect(await userMay('alice', 'create', 'tasks', 'team-dev')).toBe(false);

    const installed = await k('install');
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain('clusterrole/kelos-edit created\n');
    expect(installed.stdout).toContain('clusterrole/kelos-view created\n');
    // The clusterrole-aggregation-controller copies the rules into edit and view.
    await waitFor('edit to take in kelos-edit', () => userMay('alice', 'create', 'tasks', 'team-dev'));
    await waitFor('view to take in kelos-view', () => userMay('bob', 'list', 'tasks', 'team-dev'));
    for (const [verb, resource] of [
      ['create', 'taskspawners'],
      ['patch', 'workspaces'],
      ['delete', 'agentconfigs'],
      ['deletecollection', 'tasks'],
      ['update', 'taskbudgets'],
      ['get', 'tasks/status'],
    ])
      expect(await userMay('alice', verb!, resource!, 'team-dev'), `alice ${verb} ${resource}`).toBe(true);
    // Status is the operator's: a user's patch would fake a Task's outcome.
    for (const verb of ['patch', 'update'])
      expect(await userMay('alice', verb, 'tasks/status', 'team-dev'), `alice ${verb} tasks/status`).toBe(
        false,
      );
    expect(await userMay('bob', 'get', 'taskspawners/status', 'team-dev')).toBe(true);
    for (const verb of ['create', 'patch', 'delete'])
      expect(await userMay('bob', verb, 'tasks', 'team-dev'), `bob ${verb} tasks`).toBe(false);
    // Only where the RoleBinding is.
    expect(await userMay('alice', 'create', 'tasks', 'default')).toBe(false);

    const off = await k('install', '--set', 'rbac.aggregateToDefaultRoles=false');
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('clusterrole/kelos-edit pruned\n');
    expect(off.stdout).toContain('clusterrole/kelos-view pruned\n');
    await waitFor(
      'edit to drop kelos-edit',
      async () => !(await userMay('alice', 'create', 'tasks', 'team-dev')),
    );

    expect((await k('install')).code).toBe(0);
    expect(await admin.get(CLUSTER_ROLE, undefined, 'kelos-edit')).toBeDefined();
    const removed = await k('uninstall');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('clusterrole/kelos-edit deleted');
    expect(await admin.get(CLUSTER_ROLE, undefined, 'kelos-edit')).toBeUndefined();
    expect(await admin.get(CLUSTER_ROLE, undefined, 'kelos-view')).toBeUndefined();
  }, 180_000);
});
