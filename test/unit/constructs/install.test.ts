import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  KelosInstall,
  type KelosInstallProps,
  OperatorRbac,
  resolveInstallProps,
} from '../../../constructs/index.ts';
import { KELOS_VERSION } from '../../../src/api/version.ts';
import { namespaceListFlag, OPERATOR_RBAC_RULES, SELECTOR_LABELS } from '../../../src/install/index.ts';
import { thrown, validationErrors } from './helpers.ts';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read by path; every access is asserted.
type Obj = Record<string, any>;

/** The install rendered in a chart (optionally with a chart namespace, as a user's chart may have). */
const render = (props: KelosInstallProps = {}, opts: { namespace?: string; id?: string } = {}): Obj[] => {
  const chart = new Chart(new App(), 'c', opts.namespace ? { namespace: opts.namespace } : {});
  new KelosInstall(chart, opts.id ?? 'kelos', props);
  return chart.toJson() as Obj[];
};

/** A required node affinity on the node's architecture. */
const archAffinity = (operator: string, values: string[]) => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator, values }] }],
    },
  },
});

const find = (objs: Obj[], kind: string, name?: string) =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

const one = (objs: Obj[], kind: string, name?: string): Obj => {
  const found = find(objs, kind, name);
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as Obj;
};

/** Every (apiGroup, resource, verbs) triple of PolicyRules, one per resource. */
const triples = (
  rules: { apiGroups: readonly string[]; resources: readonly string[]; verbs: readonly string[] }[],
) =>
  rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}: ${[...r.verbs].join(',')}`)),
    )
    .sort();

describe('KelosInstall', () => {
  const objs = render();

  it('renders exactly the install’s objects, all valid', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kelos-edit',
      'ClusterRole/kelos-metrics-reader',
      'ClusterRole/kelos-operator',
      'ClusterRole/kelos-view',
      'ClusterRoleBinding/kelos-operator',
      'Deployment/kelos-operator',
      'Namespace/kelos-system',
      'NetworkPolicy/kelos-operator',
      'PodDisruptionBudget/kelos-operator',
      'Role/kelos-operator-apiserver-endpoints',
      'Role/kelos-operator-leader-election',
      'RoleBinding/kelos-operator-apiserver-endpoints',
      'RoleBinding/kelos-operator-leader-election',
      'Service/kelos-operator-metrics',
      'Service/kelos-webhooks',
      'ServiceAccount/kelos-operator',
    ]);
    const chart = new Chart(new App(), 'v');
    new KelosInstall(chart, 'kelos');
    expect(validationErrors(chart)).toEqual([]);
  });

  it('grants the table: watched and cluster rules in the ClusterRole, Leases in a Role of its own namespace', () => {
    const cr = one(objs, 'ClusterRole', 'kelos-operator');
    expect(triples(cr.rules)).toEqual(
      triples(OPERATOR_RBAC_RULES.filter((r) => r.scope === 'watched' || r.scope === 'cluster')),
    );
    // cdk8s-plus writes `resourceNames: []` on every rule; it is removed.
    expect(cr.rules.some((r: Obj) => 'resourceNames' in r)).toBe(false);
    const role = one(objs, 'Role', 'kelos-operator-leader-election');
    expect(role.metadata.namespace).toBe('kelos-system');
    expect(triples(role.rules)).toEqual(triples(OPERATOR_RBAC_RULES.filter((r) => r.scope === 'own')));
    // Only the Lease the operator is started with may be read or taken over; a create names
    // no object, so it stands alone.
    expect(role.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['kelos-operator-leader'],
        verbs: ['get', 'patch'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    expect(one(objs, 'Deployment').spec.template.spec.containers[0].args).toContain(
      '--lease-name=kelos-operator-leader',
    );
    const endpoints = one(objs, 'Role', 'kelos-operator-apiserver-endpoints');
    expect(endpoints.metadata.namespace).toBe('default');
    expect(triples(endpoints.rules)).toEqual(['discovery.k8s.io/endpointslices: get']);
    for (const b of [
      one(objs, 'ClusterRoleBinding'),
      one(objs, 'RoleBinding', 'kelos-operator-leader-election'),
      one(objs, 'RoleBinding', 'kelos-operator-apiserver-endpoints'),
    ]) {
      expect(b.subjects).toEqual([
        { apiGroup: '', kind: 'ServiceAccount', name: 'kelos-operator', namespace: 'kelos-system' },
      ]);
    }
    expect(one(objs, 'RoleBinding', 'kelos-operator-leader-election').roleRef.name).toBe(
      'kelos-operator-leader-election',
    );
  });

  it('puts no namespace on cluster-scoped objects, even in a chart with a namespace', () => {
    const inNs = render({}, { namespace: 'apps' });
    for (const kind of ['Namespace', 'ClusterRole', 'ClusterRoleBinding']) {
      for (const o of find(inNs, kind))
        expect(o.metadata.namespace, `${kind} ${o.metadata.name}`).toBeUndefined();
    }
    expect(one(inNs, 'Deployment').metadata.namespace).toBe('kelos-system');
  });

  const port = (n: number) => ({ port: n, protocol: 'TCP' });

  it("limits the operator's egress: DNS only to the cluster DNS, HTTPS and the admin's extra ports", () => {
    const egress = (o: Obj[]) => one(o, 'NetworkPolicy').spec.egress;
    const ports = (rule: Obj) => rule.ports.map((p: Obj) => `${p.port}/${p.protocol}`);
    const [dns, out] = egress(objs);
    expect(dns.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    expect(ports(dns)).toEqual(['53/UDP', '53/TCP']);
    expect(out.to).toBeUndefined();
    expect(ports(out)).toEqual(['443/TCP', '6443/TCP']);

    const custom = render({
      networkPolicy: {
        egressPorts: [9443, 8443, 443],
        dns: { namespace: 'dns', podSelector: { matchLabels: { app: 'coredns' } } },
      },
    });
    const [dns2, out2] = egress(custom);
    expect(dns2.to[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'dns' });
    expect(dns2.to[0].podSelector).toEqual({ matchLabels: { app: 'coredns' } });
    expect(ports(out2)).toEqual(['443/TCP', '6443/TCP', '8443/TCP', '9443/TCP']);
    // OpenShift's DNS Pods serve on 5353 behind the Service's 53: the policy sees the Pod's port.
    const openshift = render({
      networkPolicy: {
        dns: { namespace: 'openshift-dns', podSelector: { matchLabels: { app: 'dns' } }, ports: [5353] },
      },
    });
    expect(ports(egress(openshift)[0])).toEqual(['5353/UDP', '5353/TCP']);
    expect(() =>
      render({
        networkPolicy: { dns: { namespace: 'dns', podSelector: { matchLabels: { app: 'dns' } }, ports: [] } },
      }),
    ).toThrow(
      'KelosInstall: networkPolicy.dns.ports must hold at least one port from 1 to 65535; got [] (values: networkPolicy.dns.ports)',
    );

    expect(find(render({ networkPolicy: { enabled: false } }), 'NetworkPolicy')).toEqual([]);
  });

  it('admits metrics from anywhere by default; networkPolicy.metrics narrows 8080 to one peer, leaving probes and webhooks open', () => {
    const ingress = (o: Obj[]) => one(o, 'NetworkPolicy').spec.ingress;
    const ports = (rule: Obj) => rule.ports.map((p: Obj) => p.port);
    expect(ingress(objs)).toHaveLength(1);
    expect(ingress(objs)[0].from).toBeUndefined();
    expect(ports(ingress(objs)[0])).toEqual([8080, 8081, 8443]);
    const ns = { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } };
    const pods = { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } };
    // Both: one peer, so Kubernetes ANDs them (Prometheus Pods of the monitoring namespace).
    const both = ingress(
      render({ networkPolicy: { metrics: { namespaceSelector: ns, podSelector: pods } } }),
    );
    expect(both).toEqual([
      { ports: [port(8081), port(8443)] },
      { from: [{ namespaceSelector: ns, podSelector: pods }], ports: [port(8080)] },
    ]);
    // The namespace alone: every Pod there.
    expect(ingress(render({ networkPolicy: { metrics: { namespaceSelector: ns } } }))[1].from).toEqual([
      { namespaceSelector: ns },
    ]);
    // The Pods alone: in any namespace, not only the operator's (as a bare podSelector would be).
    expect(ingress(render({ networkPolicy: { metrics: { podSelector: pods } } }))[1].from).toEqual([
      { namespaceSelector: {}, podSelector: pods },
    ]);
    // Empty selectors select everything: the default rule.
    expect(ingress(render({ networkPolicy: { metrics: { podSelector: { matchLabels: {} } } } }))).toEqual(
      ingress(objs),
    );
    expect(() =>
      render({ networkPolicy: { metrics: { podSelector: { matchLabels: { app: 'prom etheus' } } } } }),
    ).toThrow(
      /^KelosInstall: networkPolicy\.metrics\.podSelector\.matchLabels must hold labels \(.*\); got "app": "prom etheus"$/,
    );
  });

  it('refuses a DNS selector the API server would refuse, naming the prop once with the value given', () => {
    const dns = (namespace: string, matchLabels: Record<string, string>) => () =>
      render({ networkPolicy: { dns: { namespace, podSelector: { matchLabels } } } });
    expect(dns('Kube_DNS', { app: 'coredns' })).toThrow(
      `KelosInstall: networkPolicy.dns.namespace must be a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); got "Kube_DNS"`,
    );
    expect(dns('kube-system', { app: 'core dns' })).toThrow(
      /^KelosInstall: networkPolicy\.dns\.podSelector\.matchLabels must hold labels \(each key a qualified name: .*; each value a label value: .*\); got "app": "core dns"$/,
    );
  });

  it('selects Pods by fixed labels that do not depend on construct paths', () => {
    const renamed = render({}, { id: 'another-name' });
    for (const o of [objs, renamed]) {
      const d = one(o, 'Deployment');
      expect(d.spec.selector).toEqual({ matchLabels: SELECTOR_LABELS });
      // The Pods carry the version too (old and new told apart in a rollout); the selector does not.
      expect(d.spec.template.metadata.labels).toEqual({
        ...SELECTOR_LABELS,
        'app.kubernetes.io/part-of': 'kelos',
        'app.kubernetes.io/version': KELOS_VERSION,
        'app.kubernetes.io/managed-by': 'kelos',
      });
      expect(one(o, 'PodDisruptionBudget').spec.selector).toEqual({ matchLabels: SELECTOR_LABELS });
      expect(one(o, 'NetworkPolicy').spec.podSelector).toEqual({ matchLabels: SELECTOR_LABELS });
      for (const s of find(o, 'Service')) expect(s.spec.selector).toEqual(SELECTOR_LABELS);
    }
    expect(JSON.stringify(objs)).not.toContain('cdk8s.io/metadata.addr');
    expect(JSON.stringify(renamed)).toBe(JSON.stringify(objs));
  });

  it('runs two leader-electing replicas, restricted, read-only, with probes and resources', () => {
    const d = one(objs, 'Deployment');
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.serviceAccountName).toBe('kelos-operator');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    // Spread over nodes where there are several; a one-node cluster still schedules both.
    expect(pod.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: d.spec.selector.matchLabels },
      },
    ]);
    const [c] = pod.containers;
    expect(c.image).toBe(`ghcr.io/kelos-ts/kelos-operator:v${KELOS_VERSION}`);
    expect(c.args).toEqual([
      'operator',
      '--leader-elect',
      '--lease-name=kelos-operator-leader',
      '--lease-namespace=kelos-system',
      '--metrics-addr=:8080',
      '--metrics-auth=kubernetes',
      '--metrics-secure',
      '--health-addr=:8081',
      '--webhook-addr=:8443',
      `--image-tag=v${KELOS_VERSION}`,
    ]);
    expect(c.command).toBeUndefined(); // the image's entrypoint: node with its V8 flags
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8081 });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 8081 });
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(c.volumeMounts).toEqual([{ mountPath: '/tmp', name: 'tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(one(objs, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('serves /metrics with a mounted certificate when metricsCertSecret names one, read-only, instead of a self-signed one', () => {
    const objs = render({ metricsCertSecret: 'kelos-metrics-tls' });
    const pod = one(objs, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.args).toContain('--metrics-cert-path=/etc/kelos/metrics-tls');
    expect(c.args).not.toContain('--metrics-secure');
    expect(c.volumeMounts).toContainEqual({
      mountPath: '/etc/kelos/metrics-tls',
      name: 'metrics-tls',
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({
        name: 'metrics-tls',
        secret: expect.objectContaining({ secretName: 'kelos-metrics-tls' }),
      }),
    );
    // The monitors verify it: with the CA cert-manager writes into the Secret, for the Service's name.
    const verified = {
      ca: { secret: { name: 'kelos-metrics-tls', key: 'ca.crt' } },
      serverName: 'kelos-operator-metrics.kelos-system.svc',
    };
    const service = render({ metricsCertSecret: 'kelos-metrics-tls', monitor: 'ServiceMonitor' });
    expect(one(service, 'ServiceMonitor').spec.endpoints[0].tlsConfig).toEqual(verified);
    const podMonitor = render({ metricsCertSecret: 'kelos-metrics-tls', monitor: 'PodMonitor' });
    expect(one(podMonitor, 'PodMonitor').spec.podMetricsEndpoints[0].tlsConfig).toEqual(verified);
    expect(() => render({ metricsCertSecret: 'Not_A_Name' })).toThrow(
      'KelosInstall: metricsCertSecret must name a Secret (a lowercase DNS subdomain); got "Not_A_Name" (values: metricsCertSecret)',
    );
  });

  it('passes defaultActiveDeadline as --default-active-deadline; unset, none (as upstream); a bad one is refused', () => {
    const args = (props: KelosInstallProps) =>
      one(render(props), 'Deployment').spec.template.spec.containers[0].args as string[];
    expect(args({ defaultActiveDeadline: '90m' })).toContain('--default-active-deadline=90m');
    expect(args({}).filter((a) => a.startsWith('--default-active-deadline'))).toEqual([]);
    expect(() => render({ defaultActiveDeadline: '500ms' })).toThrow(
      'KelosInstall: defaultActiveDeadline must be a duration of at least 1s such as 6h or 90m (or a number of seconds); got "500ms" (values: defaultActiveDeadline)',
    );
  });

  it('refuses an image tag or prefix no image reference can hold, which the kubelet would refuse after the apply', () => {
    expect(() => render({ imageTag: 'v1 final' })).toThrow(
      'KelosInstall: imageTag must be an image tag (letters, digits, "_", "." and "-", not starting with "." or "-", at most 128); got "v1 final" (values: image.tag)',
    );
    expect(() => render({ imagePrefix: 'ghcr.io/Acme' })).toThrow(
      'KelosInstall: imagePrefix must be a registry and repository prefix an image can start with (e.g. ghcr.io/kelos-ts or localhost:5000/team: a registry host, then lowercase path components); got "ghcr.io/Acme" (values: image.repository)',
    );
    expect(
      one(render({ imagePrefix: 'localhost:5000/acme', imageTag: 'v0.2.0-rc.1' }), 'Deployment').spec.template
        .spec.containers[0].image,
    ).toBe('localhost:5000/acme/kelos-operator:v0.2.0-rc.1');
  });

  it('renders its Namespace for Argo CD to keep: never pruned or deleted, since Secrets made outside git live there', () => {
    const annotations = (o: Obj[]) => one(o, 'Namespace').metadata.annotations ?? {};
    expect(annotations(render({ syncWaves: true }))).toEqual({
      'argocd.argoproj.io/sync-wave': '-2',
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
    });
    // Applied directly (kelos install), Argo CD annotations would mean nothing.
    expect(annotations(render({ syncWaves: false }))).toEqual({});
  });

  it('takes the Slack tokens from the optional Secret kelos-slack, so the Pod starts without it', () => {
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.envFrom).toEqual([{ secretRef: { name: 'kelos-slack', optional: true } }]);
    expect(c.env.map((e: { name: string }) => e.name)).toContain('POD_NAMESPACE');
  });

  it('takes LINEAR_API_KEY from the optional Secret kelos-linear, so the Pod starts without it', () => {
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.env.find((e: { name: string }) => e.name === 'LINEAR_API_KEY')).toEqual({
      name: 'LINEAR_API_KEY',
      valueFrom: { secretKeyRef: { name: 'kelos-linear', key: 'LINEAR_API_KEY', optional: true } },
    });
  });

  it('orders itself for Argo CD: RBAC in wave -2, the operator in -1', () => {
    const wave = (o: Obj) => o.metadata.annotations?.['argocd.argoproj.io/sync-wave'];
    for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRoleBinding'])
      expect(wave(one(objs, kind)), kind).toBe('-2');
    for (const kind of ['ClusterRole', 'Role', 'RoleBinding'])
      for (const o of find(objs, kind)) expect(wave(o), `${kind} ${o.metadata.name}`).toBe('-2');
    for (const kind of ['Deployment', 'PodDisruptionBudget', 'NetworkPolicy'])
      expect(wave(one(objs, kind)), kind).toBe('-1');
    expect(render({ syncWaves: false }).some((o) => wave(o) !== undefined)).toBe(false);
  });

  it('takes the image from a registry/repository prefix and a tag', () => {
    const d = one(
      render({ imagePrefix: 'registry.example.com/platform/', imageTag: 'v1.2.3' }),
      'Deployment',
    );
    expect(d.spec.template.spec.containers[0].image).toBe(
      'registry.example.com/platform/kelos-operator:v1.2.3',
    );
    expect(d.spec.template.spec.containers[0].args).toContain('--image-tag=v1.2.3');
  });

  it('moves the agent images with the operator image: --image-repository only for another prefix', () => {
    const args = (props: KelosInstallProps) =>
      one(render(props), 'Deployment').spec.template.spec.containers[0].args as string[];
    expect(args({ imagePrefix: 'registry.example.com/platform/' })).toContain(
      '--image-repository=registry.example.com/platform',
    );
    expect(args({}).some((a) => a.startsWith('--image-repository'))).toBe(false);
    expect(args({ imagePrefix: 'ghcr.io/kelos-ts' }).some((a) => a.startsWith('--image-repository'))).toBe(
      false,
    );
  });

  it('namespaced: a Role and RoleBinding in each watched namespace only, a ClusterRole for cluster-scoped kinds only, the list in --namespace', () => {
    const ns = render({ watchNamespaces: ['team-b', 'team-a'] });
    expect(ns.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole//kelos-edit',
      'ClusterRole//kelos-metrics-reader',
      'ClusterRole//kelos-operator-cluster-scoped',
      'ClusterRole//kelos-view',
      'ClusterRoleBinding//kelos-operator-cluster-scoped',
      'Deployment/kelos-system/kelos-operator',
      'Namespace//kelos-system',
      'NetworkPolicy/kelos-system/kelos-operator',
      'PodDisruptionBudget/kelos-system/kelos-operator',
      'Role/default/kelos-operator-apiserver-endpoints',
      'Role/kelos-system/kelos-operator-leader-election',
      'Role/team-a/kelos-operator',
      'Role/team-b/kelos-operator',
      'RoleBinding/default/kelos-operator-apiserver-endpoints',
      'RoleBinding/kelos-system/kelos-operator-leader-election',
      // In the Role's namespace, not the chart's (cdk8s#2796).
      'RoleBinding/team-a/kelos-operator',
      'RoleBinding/team-b/kelos-operator',
      'Service/kelos-system/kelos-operator-metrics',
      'Service/kelos-system/kelos-webhooks',
      'ServiceAccount/kelos-system/kelos-operator',
    ]);
    const clusterRoles = find(ns, 'ClusterRole').filter(
      (r: Obj) => !['kelos-metrics-reader', 'kelos-edit', 'kelos-view'].includes(r.metadata.name),
    );
    expect(clusterRoles.map((r: Obj) => triples(r.rules))).toEqual([
      triples(OPERATOR_RBAC_RULES.filter((r) => r.scope === 'cluster')),
    ]);
    expect(find(ns, 'ClusterRoleBinding').map((b: Obj) => b.roleRef.name)).toEqual([
      'kelos-operator-cluster-scoped',
    ]);
    const watched = triples(OPERATOR_RBAC_RULES.filter((x) => x.scope === 'watched'));
    for (const role of find(ns, 'Role', 'kelos-operator')) expect(triples(role.rules)).toEqual(watched);
    // Secrets are granted in the watched namespaces' Roles and nowhere else.
    const grantsSecrets = (o: Obj) =>
      (o.rules as Obj[]).some((r) => r.apiGroups?.includes('') && r.resources.includes('secrets'));
    expect(
      ns
        .filter((o) => /Role$/.test(o.kind) && grantsSecrets(o))
        .map((o) => `${o.kind}/${o.metadata.namespace}`),
    ).toEqual(['Role/team-a', 'Role/team-b']);
    for (const b of find(ns, 'RoleBinding', 'kelos-operator')) {
      expect(b.subjects).toEqual([
        { apiGroup: '', kind: 'ServiceAccount', name: 'kelos-operator', namespace: 'kelos-system' },
      ]);
    }
    const args = one(ns, 'Deployment').spec.template.spec.containers[0].args;
    expect(args.filter((a: string) => a.startsWith('--namespace'))).toEqual(['--namespace=team-a,team-b']);
    expect(args.filter((a: string) => a.startsWith('--namespace'))).toEqual([
      namespaceListFlag(resolveInstallProps({ watchNamespaces: ['team-b', 'team-a'] }).watchNamespaces ?? []),
    ]);
    const single = render({ watchNamespaces: ['team-a'] });
    expect(find(single, 'Role', 'kelos-operator').map((r) => r.metadata.namespace)).toEqual(['team-a']);
    expect(one(single, 'Deployment').spec.template.spec.containers[0].args).toContain('--namespace=team-a');
    // Cluster-wide: no --namespace at all.
    expect(
      one(objs, 'Deployment').spec.template.spec.containers[0].args.some((a: string) =>
        a.startsWith('--namespace'),
      ),
    ).toBe(false);
  });

  it('aggregates kelos-edit into the built-in admin and edit, kelos-view into view too; never a status write; off with aggregateToDefaultRoles: false', () => {
    const AGG = 'rbac.authorization.k8s.io/aggregate-to-';
    const aggregates = (o: Obj) =>
      Object.keys(o.metadata.labels)
        .filter((k) => k.startsWith(AGG))
        .map((k) => `${k.slice(AGG.length)}=${o.metadata.labels[k]}`)
        .sort();
    const kinds = ['tasks', 'workspaces', 'agentconfigs', 'taskspawners', 'taskbudgets'];
    for (const rendered of [objs, render({ watchNamespaces: ['team-a'] })]) {
      const edit = one(rendered, 'ClusterRole', 'kelos-edit');
      const view = one(rendered, 'ClusterRole', 'kelos-view');
      expect(aggregates(edit)).toEqual(['admin=true', 'edit=true']);
      expect(aggregates(view)).toEqual(['admin=true', 'edit=true', 'view=true']);
      // Named and labelled as the install's other cluster-scoped objects, so uninstall finds them.
      for (const role of [edit, view]) {
        expect(role.metadata.namespace).toBeUndefined();
        expect(role.metadata.labels).toMatchObject({
          'app.kubernetes.io/name': 'kelos',
          'app.kubernetes.io/part-of': 'kelos',
          'app.kubernetes.io/component': 'user-roles',
        });
      }
      expect(triples(edit.rules)).toEqual(
        kinds.map((k) => `kelos.dev/${k}: create,update,patch,delete,deletecollection,get,list,watch`).sort(),
      );
      expect(triples(view.rules)).toEqual(
        [...kinds, 'tasks/status', 'taskspawners/status', 'taskbudgets/status']
          .map((k) => `kelos.dev/${k}: get,list,watch`)
          .sort(),
      );
    }
    const off = render({ aggregateToDefaultRoles: false });
    expect(
      find(off, 'ClusterRole')
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual(['kelos-metrics-reader', 'kelos-operator']);
  });

  it('OperatorRbac alone renders a Role per namespace of the list', () => {
    const chart = new Chart(new App(), 'r');
    new OperatorRbac(chart, 'rbac', resolveInstallProps({ watchNamespaces: ['team-b', 'team-a'] }));
    const rendered = chart.toJson() as Obj[];
    expect(find(rendered, 'Role', 'kelos-operator').map((r) => r.metadata.namespace)).toEqual([
      'team-a',
      'team-b',
    ]);
    expect(find(rendered, 'RoleBinding', 'kelos-operator').map((r) => r.metadata.namespace)).toEqual([
      'team-a',
      'team-b',
    ]);
  });

  it('declares the webhook Service port plain HTTP, on 443 where Ingress rules point', () => {
    // 443 would otherwise read as TLS to meshes, GKE Ingress and Gateways; the receiver
    // speaks plain HTTP, and TLS ends at the user's Ingress or Gateway.
    expect(one(objs, 'Service', 'kelos-webhooks').spec.ports).toEqual([
      { name: 'webhooks', port: 443, targetPort: 8443, appProtocol: 'http' },
    ]);
  });

  it('labels every object with the standard set: name, part-of, version, managed-by, and its component', () => {
    const standard = {
      'app.kubernetes.io/name': 'kelos',
      'app.kubernetes.io/part-of': 'kelos',
      'app.kubernetes.io/version': KELOS_VERSION,
      'app.kubernetes.io/managed-by': 'kelos',
    };
    const components = (o: Obj[]) =>
      Object.fromEntries(
        o.map((x) => {
          expect(x.metadata.labels, `${x.kind}/${x.metadata.name}`).toMatchObject(standard);
          return [`${x.kind}/${x.metadata.name}`, x.metadata.labels['app.kubernetes.io/component']];
        }),
      );
    expect(components(objs)).toEqual({
      'ClusterRole/kelos-edit': 'user-roles',
      'ClusterRole/kelos-metrics-reader': 'metrics',
      'ClusterRole/kelos-operator': 'operator',
      'ClusterRole/kelos-view': 'user-roles',
      'ClusterRoleBinding/kelos-operator': 'operator',
      'Deployment/kelos-operator': 'operator',
      'Namespace/kelos-system': undefined,
      'NetworkPolicy/kelos-operator': 'operator',
      'PodDisruptionBudget/kelos-operator': 'operator',
      'Role/kelos-operator-apiserver-endpoints': 'operator',
      'Role/kelos-operator-leader-election': 'operator',
      'RoleBinding/kelos-operator-apiserver-endpoints': 'operator',
      'RoleBinding/kelos-operator-leader-election': 'operator',
      'Service/kelos-operator-metrics': 'operator',
      // Kept out of the ServiceMonitor's selection (name and component operator): no metrics port.
      'Service/kelos-webhooks': 'webhooks',
      'ServiceAccount/kelos-operator': 'operator',
    });
    expect(components(render({ monitor: 'PodMonitor' }))).toMatchObject({
      'PodMonitor/kelos-operator': 'metrics',
      'ServiceAccount/kelos-metrics-scraper': 'metrics',
      'ClusterRoleBinding/kelos-operator-metrics-scraper': 'metrics',
      'Secret/kelos-metrics-token': 'metrics',
    });
    // The selector is immutable: an upgrade from an install without these labels must apply.
    const d = one(objs, 'Deployment');
    expect(d.spec.selector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'kelos', 'app.kubernetes.io/component': 'operator' },
    });
    expect(d.spec.template.metadata.labels).toEqual({
      ...standard,
      'app.kubernetes.io/component': 'operator',
    });
  });

  it('renders a ServiceMonitor or PodMonitor only when asked', () => {
    expect(find(objs, 'ServiceMonitor')).toEqual([]);
    expect(find(objs, 'PodMonitor')).toEqual([]);
    const sm = one(render({ monitor: 'ServiceMonitor' }), 'ServiceMonitor');
    expect(sm.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'kelos',
      'app.kubernetes.io/component': 'operator',
    });
    expect(one(objs, 'Service', 'kelos-operator-metrics').metadata.labels).toMatchObject(
      sm.spec.selector.matchLabels,
    );
    // /metrics asks the API server about the bearer token (--metrics-auth kubernetes).
    expect(sm.spec.endpoints).toEqual([
      {
        port: 'metrics',
        path: '/metrics',
        interval: '30s',
        scheme: 'https',
        tlsConfig: { insecureSkipVerify: true },
        bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      },
    ]);
    const withPodMonitor = render({ monitor: 'PodMonitor' });
    expect(one(withPodMonitor, 'PodMonitor').spec.podMetricsEndpoints).toEqual([
      {
        port: 'metrics',
        path: '/metrics',
        interval: '30s',
        scheme: 'https',
        tlsConfig: { insecureSkipVerify: true },
        authorization: { type: 'Bearer', credentials: { name: 'kelos-metrics-token', key: 'token' } },
      },
    ]);
    // The PodMonitor's token: a ServiceAccount token Secret the API server fills, for a
    // ServiceAccount bound to the reader role and nothing else.
    expect(one(withPodMonitor, 'Secret', 'kelos-metrics-token')).toMatchObject({
      type: 'kubernetes.io/service-account-token',
      metadata: {
        namespace: 'kelos-system',
        annotations: { 'kubernetes.io/service-account.name': 'kelos-metrics-scraper' },
      },
    });
    expect(one(withPodMonitor, 'ServiceAccount', 'kelos-metrics-scraper').automountServiceAccountToken).toBe(
      false,
    );
    const bindings = find(withPodMonitor, 'ClusterRoleBinding').filter((b) =>
      b.subjects.some((s: { name: string }) => s.name === 'kelos-metrics-scraper'),
    );
    expect(bindings.map((b) => [b.metadata.name, b.metadata.namespace, b.roleRef.name])).toEqual([
      ['kelos-operator-metrics-scraper', undefined, 'kelos-metrics-reader'],
    ]);
    expect(find(objs, 'ServiceAccount', 'kelos-metrics-scraper')).toEqual([]);
  });

  it('grants scrapers get on /metrics through a ClusterRole the admin binds', () => {
    expect(one(objs, 'ClusterRole', 'kelos-metrics-reader').rules).toEqual([
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    expect(find(objs, 'ClusterRoleBinding').map((b) => b.roleRef.name)).not.toContain('kelos-metrics-reader');
  });

  it('runs where the admin says and pulls with their Secrets: the Pod spec fields as written', () => {
    const tolerations = [
      { key: 'infra', operator: 'Exists', effect: 'NoSchedule' },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
    ];
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] },
          ],
        },
      },
    };
    const pod = one(
      render({
        imagePullSecrets: ['regcred', 'mirror', 'regcred'],
        nodeSelector: { 'node-role.kubernetes.io/infra': '' },
        tolerations,
        affinity,
        priorityClassName: 'kelos-critical',
      }),
      'Deployment',
    ).spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }, { name: 'mirror' }]);
    expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/infra': '' });
    expect(pod.tolerations).toEqual(tolerations);
    expect(pod.affinity).toEqual(affinity);
    expect(pod.priorityClassName).toBe('kelos-critical');
    // Unset, none of them is rendered.
    const plain = one(objs, 'Deployment').spec.template.spec;
    for (const field of ['imagePullSecrets', 'nodeSelector', 'tolerations', 'affinity', 'priorityClassName'])
      expect(plain[field], field).toBeUndefined();
  });

  it('refuses in extraArgs a flag the install sets itself, as kelos install refuses it in its values', () => {
    expect(thrown(() => render({ extraArgs: ['--lease-name=other'] }))).toBe(
      "KelosInstall: extraArgs: the install sets --lease-name itself; --lease-name cannot be changed: the install's Role grants this Lease only (values: extraArgs)",
    );
    expect(
      thrown(() =>
        render({ agentImages: { codex: 'x/codex:1' }, extraArgs: ['--agent-image-gemini', 'x/g:1'] }),
      ),
    ).toBe(
      'KelosInstall: extraArgs: the install sets --agent-image-gemini itself; instead of --agent-image-gemini use agentImages.gemini (values: extraArgs)',
    );
    // A flag the install sets only with its setting is the user's to give without it.
    const args = (props: KelosInstallProps) =>
      (one(render(props), 'Deployment').spec.template.spec.containers[0].args as string[]).filter((a) =>
        a.startsWith('--agent-base-image'),
      );
    expect(args({ extraArgs: ['--agent-base-image=mirror/agent-base:v1'] })).toEqual([
      '--agent-base-image=mirror/agent-base:v1',
    ]);
    expect(
      thrown(() =>
        render({
          agentBaseDigest: `sha256:${'a'.repeat(64)}`,
          extraArgs: ['--agent-base-image=mirror/agent-base:v1'],
        }),
      ),
    ).toMatch(
      /^KelosInstall: extraArgs: the install sets --agent-base-image itself; instead of --agent-base-image use --agent-base-digest/,
    );
  });

  it('refuses a toleration, affinity or name the API server would refuse, naming the prop by its path', () => {
    // A misspelt field would otherwise vanish: cdk8s-plus drops what its converters do not know.
    expect(
      thrown(() =>
        render({ tolerations: [{ key: 'infra', operator: 'Exists', tolerationsSeconds: 3 } as never] }),
      ),
    ).toBe(
      'KelosInstall: tolerations[0].tolerationsSeconds: unknown field; did you mean "tolerationSeconds"? (known fields here: effect, key, operator, tolerationSeconds, value)',
    );
    const values = 'amd64' as unknown as string[];
    expect(
      thrown(() =>
        render({
          affinity: archAffinity('In', values),
        }),
      ),
    ).toBe(
      'KelosInstall: affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: must be an array; got a string "amd64"',
    );
    expect(thrown(() => render({ tolerations: [{ key: 'infra', operator: 'Exist' }] }))).toBe(
      'KelosInstall: tolerations[0]: operator must be Exists or Equal; got "Exist"',
    );
    expect(
      thrown(() => render({ tolerations: [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 5 }] })),
    ).toMatch(/tolerations\[0\]: tolerationSeconds applies only to effect NoExecute/);
    expect(thrown(() => render({ tolerations: [{ operator: 'Equal', value: 'x' }] }))).toMatch(
      /tolerations\[0\]: operator must be Exists when key is empty/,
    );
    expect(thrown(() => render({ imagePullSecrets: ['RegCred'] }))).toMatch(
      /imagePullSecrets: must name Secrets \(lowercase DNS subdomains\); got "RegCred"/,
    );
    expect(thrown(() => render({ nodeSelector: { 'bad key!': 'x' } }))).toMatch(
      /nodeSelector: must map label keys to label values; got "bad key!": "x"/,
    );
    expect(thrown(() => render({ priorityClassName: 'High' }))).toMatch(
      /priorityClassName: must name a PriorityClass/,
    );
    // Every problem at once: an unknown field and an operator the server refuses.
    expect(
      thrown(() =>
        render({
          tolerations: [
            { key: 'a', operator: 'Equals' },
            { key: 'b', operator: 'Exists', efect: 'NoSchedule' } as never,
          ],
        }),
      ),
    ).toBe(
      'KelosInstall: tolerations[1].efect: unknown field; did you mean "effect"? (known fields here: effect, key, operator, tolerationSeconds, value); tolerations[0]: operator must be Exists or Equal; got "Equals"',
    );
    // What the affinity schema leaves to the server: operators and weights.
    expect(
      thrown(() =>
        render({
          affinity: {
            ...archAffinity('in', ['amd64']),
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 500,
                  podAffinityTerm: {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: { matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] },
                  },
                },
              ],
            },
          },
        }),
      ),
    ).toBe(
      'KelosInstall: affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt; got "in"; affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: must be from 1 to 100; got 500; affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist; got "Gt"',
    );
  });

  it('refuses a prop of the wrong shape (an app in JavaScript, or a cast) instead of rendering it a character at a time', () => {
    const cast = <T>(v: unknown) => v as T;
    expect(thrown(() => render({ imagePullSecrets: cast('regcred') }))).toBe(
      'KelosInstall: imagePullSecrets: must be a list of Secret names; got "regcred"',
    );
    expect(thrown(() => render({ nodeSelector: cast('infra'), tolerations: cast({ key: 'infra' }) }))).toBe(
      'KelosInstall: nodeSelector: must be a mapping of label keys to string values; got "infra"; tolerations: must be a list of tolerations (mappings); got {"key":"infra"}',
    );
    expect(thrown(() => render({ imagePullSecrets: cast([{ name: 'regcred' }]) }))).toBe(
      'KelosInstall: imagePullSecrets: must be a list of Secret names; got [{"name":"regcred"}]',
    );
  });

  it('takes empty values as unset, as Helm values default them', () => {
    const pod = one(
      render({
        imagePullSecrets: [],
        nodeSelector: {},
        tolerations: [],
        affinity: {},
        priorityClassName: '',
      }),
      'Deployment',
    ).spec.template.spec;
    for (const field of ['imagePullSecrets', 'nodeSelector', 'tolerations', 'affinity', 'priorityClassName'])
      expect(pod[field], field).toBeUndefined();
  });

  it('rejects settings that cannot work, naming them', () => {
    expect(thrown(() => render({ watchNamespaces: [] }))).toMatch(/watchNamespaces is empty/);
    expect(thrown(() => render({ watchNamespaces: ['Team_A'] }))).toMatch(
      /KelosInstall: "Team_A" is not a namespace name \(a DNS label/,
    );
    expect(thrown(() => render({ watchNamespaces: ['team-a', 'team-a'] }))).toMatch(
      /watchNamespaces lists a namespace twice/,
    );
    expect(thrown(() => render({ replicas: 0 }))).toMatch(/replicas must be a positive integer/);
    expect(thrown(() => render({ networkPolicy: { egressPorts: [8443, 70000] } }))).toMatch(
      /networkPolicy.egressPorts must hold TCP ports from 1 to 65535; got 70000/,
    );
    expect(thrown(() => render({ resources: { memoryRequestMiB: 1024 } }))).toMatch(
      /the operator's memory request \(1024Mi\) is above its limit \(512Mi\); the API server refuses such a Pod/,
    );
  });
});
