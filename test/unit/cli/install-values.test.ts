import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  checkValues,
  mergeValues,
  parseSet,
  settingsFromValues,
  VALUE_KEYS,
} from '../../../src/cli/cluster/install-values.ts';
import { installSettings } from '../../../src/cli/commands/install.ts';
import { runCli } from '../../../src/cli/program.ts';
import { runOnEndlessStdin } from '../../support/endless-stdin.ts';

const noFiles = async (path: string): Promise<string> => {
  throw new Error(`no file ${path} expected`);
};

describe('parseSet (Helm strvals)', () => {
  test('--set types values as Helm does: booleans, integers, null, strings', async () => {
    expect(await parseSet('a=true,b=false,c=3,d=-4,e=null,f=0755,g=0,h=1.5,i=x', 'set', noFiles)).toEqual({
      a: true,
      b: false,
      c: 3,
      d: -4,
      e: null,
      f: '0755',
      g: 0,
      h: '1.5',
      i: 'x',
    });
  });

  test('dotted keys nest, [i] indexes lists, {a,b} is a list, \\ escapes commas and dots', async () => {
    expect(
      await parseSet('image.tag=v1,list[1]=b,list[0]=a,ns={x,y},msg=a\\,b,k\\.dot=1', 'set', noFiles),
    ).toEqual({ image: { tag: 'v1' }, list: ['a', 'b'], ns: ['x', 'y'], msg: 'a,b', 'k.dot': 1 });
  });

  test('--set-string keeps every value a string; --set-file reads the file', async () => {
    expect(await parseSet('replicas=2,flag=true,l={1,2}', 'set-string', noFiles)).toEqual({
      replicas: '2',
      flag: 'true',
      l: ['1', '2'],
    });
    expect(await parseSet('image.tag=tag.txt', 'set-file', async (p) => `read ${p}`)).toEqual({
      image: { tag: 'read tag.txt' },
    });
  });

  test('a part that is not key=value: a usage error naming the flag and the part', async () => {
    await expect(parseSet('replicas=2,oops', 'set', noFiles)).rejects.toThrow(
      '--set "replicas=2,oops": expected key=value, got "oops"',
    );
  });
});

describe('checkValues', () => {
  test('an unknown key: named once with its JSON pointer, source and value; the keys under its mapping listed, else all', () => {
    expect(() => checkValues({ image: { pullPolicy: 'Always' } }, '-f values.yaml')).toThrow(
      '-f values.yaml: unknown values key "image.pullPolicy" (/image/pullPolicy), set to "Always"; the keys under "image" are image.repository, image.tag, image.digest',
    );
    expect(() => checkValues({ networkPolicy: { dns: { name: 'coredns' } } }, '--set x')).toThrow(
      '--set x: unknown values key "networkPolicy.dns.name" (/networkPolicy/dns/name), set to "coredns"; the keys under "networkPolicy.dns" are networkPolicy.dns.namespace, networkPolicy.dns.podSelector.matchLabels, networkPolicy.dns.ports',
    );
    expect(() => checkValues({ imagePolicy: 'Always' }, '-f values.yaml')).toThrow(
      `-f values.yaml: unknown values key "imagePolicy" (/imagePolicy), set to "Always"; valid keys: ${Object.keys(VALUE_KEYS).join(', ')}`,
    );
  });

  test('a key one typo from a known one: the known one suggested', () => {
    expect(() => checkValues({ watchNamespace: ['team-a'] }, '-f values.yaml')).toThrow(
      `-f values.yaml: unknown values key "watchNamespace" (/watchNamespace), set to ["team-a"]; did you mean "watchNamespaces"? valid keys: ${Object.keys(VALUE_KEYS).join(', ')}`,
    );
  });

  test('a value of the wrong type: named, with what was expected', () => {
    expect(() => checkValues({ replicas: '2' }, '--set-string replicas=2')).toThrow(
      '--set-string replicas=2: values key "replicas" (/replicas) must be a positive integer; got "2"',
    );
    // Zero is an integer, but no install: the source is named here, not left to the construct.
    expect(() => checkValues({ replicas: 0 }, '--set replicas=0')).toThrow(
      '--set replicas=0: values key "replicas" (/replicas) must be a positive integer; got 0',
    );
    expect(() => checkValues({ controller: { resources: { requests: { cpu: 'lots' } } } }, 'x')).toThrow(
      'values key "controller.resources.requests.cpu" (/controller/resources/requests/cpu) must be a CPU quantity',
    );
    expect(() => checkValues({ image: 'x' }, 'x')).toThrow(
      'values key "image" (/image) must be a mapping; got "x"',
    );
  });

  test('known keys of every type pass; null resets', () => {
    expect(() =>
      checkValues(
        {
          version: '1.0.0',
          image: { repository: 'r', tag: 't', digest: null },
          replicas: 3,
          watchNamespaces: ['a'],
          createNamespace: false,
          controller: {
            resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '1Gi' } },
          },
          podMonitor: { enabled: true },
          extraArgs: ['--log-level=debug'],
          networkPolicy: { enabled: true, egressPorts: [8443] },
        },
        'x',
      ),
    ).not.toThrow();
  });
});

describe('values → install settings', () => {
  test('files merge deeply, later wins; null resets a key', () => {
    const merged = mergeValues(
      mergeValues({ image: { tag: 'a', repository: 'r' }, replicas: 3 }, { image: { tag: 'b' } }),
      { replicas: null },
    );
    expect(merged).toEqual({ image: { tag: 'b', repository: 'r' }, replicas: null });
    expect(settingsFromValues(merged)).toEqual({ imageTag: 'b', imageRepository: 'r' });
  });

  test('each key maps to its setting; quantities in millicores and MiB', () => {
    expect(
      settingsFromValues({
        version: '1.0.0',
        image: { digest: `sha256:${'a'.repeat(64)}` },
        watchNamespaces: ['b', 'a'],
        createNamespace: false,
        controller: { resources: { requests: { cpu: '0.25', memory: '128Mi' }, limits: { memory: '1Gi' } } },
        serviceMonitor: { enabled: true },
        metricsCertSecret: 'kelos-metrics-tls',
        extraArgs: ['--workers=8'],
        networkPolicy: { egressPorts: [8443, 9443] },
      }),
    ).toEqual({
      version: '1.0.0',
      imageDigest: `sha256:${'a'.repeat(64)}`,
      watchNamespaces: ['b', 'a'],
      createNamespace: false,
      resources: { cpuRequestMillis: 250, memoryRequestMiB: 128, memoryLimitMiB: 1024 },
      monitor: 'ServiceMonitor',
      metricsCertSecret: 'kelos-metrics-tls',
      extraArgs: ['--workers=8'],
      networkPolicy: { egressPorts: [8443, 9443] },
    });
    expect(settingsFromValues({ networkPolicy: { enabled: false } })).toEqual({
      networkPolicy: { enabled: false },
    });
  });

  test('rbac.aggregateToDefaultRoles: false reaches the construct; another type is refused by its key', () => {
    expect(settingsFromValues({ rbac: { aggregateToDefaultRoles: false } })).toEqual({
      aggregateToDefaultRoles: false,
    });
    expect(() => checkValues({ rbac: { aggregateToDefaultRoles: 'no' } }, '--set x')).toThrow(
      '--set x: values key "rbac.aggregateToDefaultRoles" (/rbac/aggregateToDefaultRoles) must be true or false; got "no"',
    );
  });

  test('networkPolicy.metrics: either selector, or both, as the construct takes them; a bad label refused by its key', () => {
    const ns = { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } };
    const pods = { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } };
    expect(
      settingsFromValues({ networkPolicy: { metrics: { namespaceSelector: ns, podSelector: pods } } }),
    ).toEqual({ networkPolicy: { metrics: { namespaceSelector: ns, podSelector: pods } } });
    expect(settingsFromValues({ networkPolicy: { metrics: { podSelector: pods } } })).toEqual({
      networkPolicy: { metrics: { podSelector: pods } },
    });
    expect(() =>
      checkValues(
        { networkPolicy: { metrics: { podSelector: { matchLabels: { app: 'a b' } } } } },
        '--set x',
      ),
    ).toThrow(
      /^--set x: values key "networkPolicy\.metrics\.podSelector\.matchLabels" \(\/networkPolicy\/metrics\/podSelector\/matchLabels\) must be a mapping of labels \(.*\), and "app": "a b" is not a label; got \{"app":"a b"\}$/,
    );
  });

  test('scheduling and pull secrets: as the Pod spec takes them; pull secrets as names or {name}', () => {
    const tolerations = [{ key: 'infra', operator: 'Exists', effect: 'NoSchedule' }];
    const affinity = { podAntiAffinity: {} };
    expect(
      settingsFromValues({
        imagePullSecrets: ['regcred', { name: 'mirror' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations,
        affinity,
        priorityClassName: 'kelos-critical',
      }),
    ).toEqual({
      imagePullSecrets: ['regcred', 'mirror'],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations,
      affinity,
      priorityClassName: 'kelos-critical',
    });
    expect(() => checkValues({ imagePullSecrets: [{ name: 'a', namespace: 'b' }] }, 'v.yaml')).toThrow(
      'v.yaml: values key "imagePullSecrets" (/imagePullSecrets) must be a list of Secret names (each a string or {name: …}); got [{"name":"a","namespace":"b"}]',
    );
    expect(() => checkValues({ nodeSelector: { zone: 1 } }, '--set')).toThrow(
      'values key "nodeSelector" (/nodeSelector) must be a mapping of strings to strings; got {"zone":1}',
    );
    expect(() => checkValues({ tolerations: 'infra' }, '--set')).toThrow(
      'values key "tolerations" (/tolerations) must be a list of mappings; got "infra"',
    );
    expect(() => checkValues({ affinity: [] }, '--set')).toThrow(
      'values key "affinity" (/affinity) must be a mapping; got []',
    );
  });

  test('networkPolicy.egressPorts that are not TCP ports: a usage error naming the key', () => {
    for (const bad of [[0], [65536], ['8443'], 8443]) {
      expect(() => checkValues({ networkPolicy: { egressPorts: bad } }, '--set')).toThrow(
        /--set: values key "networkPolicy.egressPorts" \(\/networkPolicy\/egressPorts\) must be a list of port numbers from 1 to 65535/,
      );
    }
  });

  test('a memory that is not whole MiB, or both monitors: usage errors naming the keys', () => {
    expect(() => settingsFromValues({ controller: { resources: { limits: { memory: '1000k' } } } })).toThrow(
      'values key "controller.resources.limits.memory" must be a positive whole number of Mi',
    );
    expect(() =>
      settingsFromValues({ podMonitor: { enabled: true }, serviceMonitor: { enabled: true } }),
    ).toThrow('enable one monitor, not both');
  });

  test('a dedicated flag wins over its values key', () => {
    const s = installSettings(
      { timeout: '2m', replicas: '4', imageTag: 'from-flag' },
      { replicas: 3, image: { tag: 'from-values', repository: 'reg.example/kelos' } },
    );
    expect(s).toMatchObject({ replicas: 4, imageTag: 'from-flag', imageRepository: 'reg.example/kelos' });
  });

  test('a values key its flag overrides is not read, so a value it would refuse does not fail the install', () => {
    const values = { watchNamespaces: ['Bad_NS'] };
    expect(() => installSettings({ timeout: '2m' }, values)).toThrow('"Bad_NS" is not a namespace name');
    expect(
      installSettings({ timeout: '2m', watchNamespace: ['team-a'] }, values).watchNamespaces,
    ).toStrictEqual(['team-a']);
  });
});

describe('kelos install -f/--set --dry-run', () => {
  const run = async (args: string[], stdin = '') => {
    let stdout = '';
    let stderr = '';
    const dir = mkdtempSync(join(tmpdir(), 'kelos-values-'));
    writeFileSync(
      join(dir, 'values.yaml'),
      'replicas: 3\ncontroller:\n  resources:\n    limits:\n      memory: 1Gi\n',
    );
    const code = await runCli(['install', '--dry-run', ...args], {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      cwd: dir,
      isTTY: false,
      env: { HOME: dir },
      readStdin: async () => stdin,
    });
    return { code, stdout, stderr };
  };
  const deployment = (yaml: string) =>
    parseAllDocuments(yaml)
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'Deployment');

  test('metricsCertSecret mounts the Secret and serves /metrics with it; --metrics-cert-path in extraArgs is refused, naming the key', async () => {
    const r = await run(['--set', 'metricsCertSecret=kelos-metrics-tls']);
    expect(r.code).toBe(0);
    const pod = deployment(r.stdout).spec.template.spec;
    expect(pod.containers[0].args).toContain('--metrics-cert-path=/etc/kelos/metrics-tls');
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({
        name: 'metrics-tls',
        secret: expect.objectContaining({ secretName: 'kelos-metrics-tls' }),
      }),
    );
    const flag = await run(['--set', 'extraArgs={--metrics-cert-path=/certs}']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('metricsCertSecret, which also mounts the Secret');
  });

  test('a file, then --set over it, render into the Deployment', async () => {
    const r = await run(['-f', 'values.yaml', '--set', 'replicas=5,extraArgs={--workers=4}']);
    expect(r.code).toBe(0);
    const d = deployment(r.stdout);
    expect(d.spec.replicas).toBe(5);
    const container = d.spec.template.spec.containers[0];
    expect(container.resources.limits.memory).toBe('1024Mi');
    expect(container.args).toContain('--workers=4');
  });

  test('a toleration the API server would refuse: exit 1 naming the values key by its path, nothing printed', async () => {
    const r = await run([
      '--set',
      'tolerations[0].key=infra,tolerations[0].operator=Exists,tolerations[0].efect=NoSchedule',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('kelos: tolerations[0].efect: unknown field; did you mean "effect"?');
  });

  test('a problem of the merged values names the source that set each key it names', async () => {
    const r = await run(
      ['-f', 'values.yaml', '-f', '-', '--set', 'serviceMonitor.enabled=true'],
      'controller:\n  resources:\n    requests:\n      memory: 2Gi\npodMonitor: {enabled: true}\n',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'kelos: values keys "podMonitor.enabled" and "serviceMonitor.enabled": enable one monitor, not both (podMonitor.enabled from -f -; serviceMonitor.enabled from --set serviceMonitor.enabled=true)\n',
    );
    const memory = await run(
      ['-f', 'values.yaml', '-f', '-'],
      'controller:\n  resources:\n    requests:\n      memory: 2Gi\n',
    );
    expect(memory.stderr).toContain(
      '(controller.resources.requests.memory from -f -; controller.resources.limits.memory from -f values.yaml)',
    );
    // A key a later source resets with null is the default's again, which no source set.
    const reset = await run(
      ['-f', '-', '--set', 'tolerations=null,watchNamespaces={Bad_NS}'],
      'tolerations: [{operator: Sometimes}]\n',
    );
    expect(reset.stderr).toBe(
      `kelos: values key "watchNamespaces": "Bad_NS" is not a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters) (watchNamespaces from --set tolerations=null,watchNamespaces={Bad_NS})\n`,
    );
  });

  test('networkPolicy.dns: the operator resolves names through the DNS Pods it names, listed by --help; half of it, a bad namespace or label is refused', async () => {
    const policy = (yaml: string) =>
      parseAllDocuments(yaml)
        .map((d) => d.toJS())
        .find((o) => o?.kind === 'NetworkPolicy');
    const r = await run(
      ['-f', '-'],
      'networkPolicy:\n  dns:\n    namespace: openshift-dns\n    podSelector:\n      matchLabels:\n        dns.operator.openshift.io/daemonset-dns: default\n',
    );
    expect(r.code).toBe(0);
    expect(policy(r.stdout).spec.egress[0]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'openshift-dns' } },
          podSelector: { matchLabels: { 'dns.operator.openshift.io/daemonset-dns': 'default' } },
        },
      ],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    let help = '';
    await runCli(['install', '--help'], {
      stdout: (t) => {
        help += t;
      },
      stderr: () => {},
      cwd: tmpdir(),
      isTTY: false,
      env: {},
      readStdin: async () => '',
    });
    expect(help).toMatch(/^ {2}networkPolicy\.dns\.namespace +namespace name: /m);
    expect(help).toMatch(/^ {2}networkPolicy\.dns\.podSelector\.matchLabels +label map: /m);
    expect(help).toMatch(/^ {2}networkPolicy\.dns\.ports +port list: /m);
    // Ports alone keep the default DNS Pods.
    const ports = await run(['--set', 'networkPolicy.dns.ports={5353,53}']);
    expect(ports.code).toBe(0);
    expect(policy(ports.stdout).spec.egress[0]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { port: 5353, protocol: 'UDP' },
        { port: 5353, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
    // Each refusal names the key once, after its source, with the value given and what was expected.
    const refused = async (args: string[], message: string) => {
      const r = await run(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`kelos: ${message}\n`);
    };
    const NS_RULE =
      "a namespace name (a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";
    await refused(
      ['--set', 'networkPolicy.dns.namespace=openshift-dns'],
      '--set networkPolicy.dns.namespace=openshift-dns: values key "networkPolicy.dns.namespace" is "openshift-dns" but "networkPolicy.dns.podSelector.matchLabels" is not set: set both (the DNS Pods\' namespace and their labels), or neither for kube-system Pods labelled k8s-app: kube-dns',
    );
    await refused(
      ['-f', 'values.yaml', '--set', 'networkPolicy.dns.podSelector.matchLabels.app=coredns'],
      '--set networkPolicy.dns.podSelector.matchLabels.app=coredns: values key "networkPolicy.dns.podSelector.matchLabels" is {"app":"coredns"} but "networkPolicy.dns.namespace" is not set: set both (the DNS Pods\' namespace and their labels), or neither for kube-system Pods labelled k8s-app: kube-dns',
    );
    await refused(
      ['--set', 'networkPolicy.dns.namespace=5'],
      `--set networkPolicy.dns.namespace=5: values key "networkPolicy.dns.namespace" (/networkPolicy/dns/namespace) must be ${NS_RULE}; got 5`,
    );
    const badNs =
      'networkPolicy.dns.namespace=Kube_DNS,networkPolicy.dns.podSelector.matchLabels.k8s-app=kube-dns';
    await refused(
      ['--set', badNs],
      `--set ${badNs}: values key "networkPolicy.dns.namespace" (/networkPolicy/dns/namespace) must be ${NS_RULE}; got "Kube_DNS"`,
    );
    const labels =
      "a mapping of labels (each key a qualified name: an optional DNS subdomain prefix and '/', then at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character; each value, a string, a label value: empty, or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character)";
    const badLabel =
      'networkPolicy.dns.namespace=kube-system,networkPolicy.dns.podSelector.matchLabels.k8s-app=kube dns';
    await refused(
      ['--set', badLabel],
      `--set ${badLabel}: values key "networkPolicy.dns.podSelector.matchLabels" (/networkPolicy/dns/podSelector/matchLabels) must be ${labels}, and "k8s-app": "kube dns" is not a label; got {"k8s-app":"kube dns"}`,
    );
    const numeric = 'networkPolicy.dns.namespace=kube-system,networkPolicy.dns.podSelector.matchLabels.app=5';
    await refused(
      ['--set', numeric],
      `--set ${numeric}: values key "networkPolicy.dns.podSelector.matchLabels" (/networkPolicy/dns/podSelector/matchLabels) must be ${labels}, and "app": 5 is not a label; got {"app":5}`,
    );
    await refused(
      ['--set', 'networkPolicy.dns.port=53'],
      '--set networkPolicy.dns.port=53: unknown values key "networkPolicy.dns.port" (/networkPolicy/dns/port), set to 53; did you mean "networkPolicy.dns.ports"? the keys under "networkPolicy.dns" are networkPolicy.dns.namespace, networkPolicy.dns.podSelector.matchLabels, networkPolicy.dns.ports',
    );
  });

  test('agentImages.<type> pins an agent image through the operator flag; the flag in extraArgs is refused, naming the key', async () => {
    const pinned = `registry.example/codex@sha256:${'a'.repeat(64)}`;
    const r = await run(['--set', `agentImages.codex=${pinned}`]);
    expect(r.code).toBe(0);
    const args = deployment(r.stdout).spec.template.spec.containers[0].args as string[];
    expect(args).toContain(`--agent-image-codex=${pinned}`);
    expect(args.filter((a) => a.startsWith('--agent-image-'))).toHaveLength(1);
    const viaExtra = await run(['--set', 'extraArgs={--agent-image-claude-code=mine:1}']);
    expect(viaExtra.code).toBe(1);
    expect(viaExtra.stdout).toBe('');
    expect(viaExtra.stderr).toContain(
      'values key "extraArgs": the install sets --agent-image-claude-code itself; instead of --agent-image-claude-code use agentImages.claude-code',
    );
    const unknown = await run(['--set', 'agentImages.claude=mine:1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown values key "agentImages.claude"');
    const blank = await run(['--set', 'agentImages.gemini=a b']);
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain('agentImages.gemini');
  });

  test('defaultActiveDeadline passes --default-active-deadline to the operator; a bad one, or the flag in extraArgs, is refused naming the key', async () => {
    const args = async (set: string) =>
      deployment((await run(['--set', set])).stdout).spec.template.spec.containers[0].args as string[];
    expect(await args('defaultActiveDeadline=6h')).toContain('--default-active-deadline=6h');
    // --set types 3600 as a number; the operator reads a bare number as seconds.
    expect(await args('defaultActiveDeadline=3600')).toContain('--default-active-deadline=3600');
    // Unset by default, as upstream: an agent runs until it exits.
    expect((await args('replicas=1')).filter((a) => a.startsWith('--default-active-deadline'))).toEqual([]);
    const bad = await run(['--set', 'defaultActiveDeadline=6 hours']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'values key "defaultActiveDeadline" (/defaultActiveDeadline) must be a duration of at least 1s such as 6h or 90m (or a number of seconds); got "6 hours"',
    );
    const viaExtra = await run([
      '--set',
      'defaultActiveDeadline=6h,extraArgs={--default-active-deadline=1h}',
    ]);
    expect(viaExtra.code).toBe(1);
    expect(viaExtra.stderr).toContain(
      'the install sets --default-active-deadline itself; instead of --default-active-deadline use defaultActiveDeadline',
    );
  });

  test('values from stdin with -f -', async () => {
    const r = await run(['-f', '-'], 'image:\n  tag: v9.9.9\n');
    expect(r.code).toBe(0);
    expect(deployment(r.stdout).spec.template.spec.containers[0].image).toMatch(/:v9\.9\.9$/);
  });

  test('an extraArgs flag the operator does not take: exit 1 naming it and the likely one, nothing printed', async () => {
    const r = await run(['--set', 'extraArgs={--wokers=5,--log-level,debug}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'values key "extraArgs": kelos operator has no flag --wokers (did you mean --workers?); kelos operator --help lists them',
    );
  });

  test("an extraArgs list kelos operator would refuse at start-up: exit 1 with its own parser's reason, nothing printed", async () => {
    const switchWithValue = await run(['--set', 'extraArgs={--leader-elect=false}']);
    expect(switchWithValue.code).toBe(1);
    expect(switchWithValue.stdout).toBe('');
    expect(switchWithValue.stderr).toContain(
      `values key "extraArgs" [--leader-elect=false]: kelos operator would refuse it at start-up: unknown option '--leader-elect=false' (--leader-elect is a switch: it takes no value)`,
    );
    const badChoice = await run(['--set', 'extraArgs={--log-level=loud}']);
    expect(badChoice.code).toBe(1);
    expect(badChoice.stderr).toContain("option '--log-level <level>' argument 'loud' is invalid");
    const stray = await run(['--set', 'extraArgs={--workers=4,extra}']);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toContain('kelos operator would refuse it at start-up: too many arguments');
    const missingValue = await run(['--set', 'extraArgs={--workers}']);
    expect(missingValue.code).toBe(1);
    expect(missingValue.stderr).toContain("option '--workers <n>' argument missing");
  });

  test('--workspace-size-limit reaches the operator through extraArgs; a value that is not a size is refused before anything is applied', async () => {
    const r = await run(['--set', 'extraArgs={--workspace-size-limit=50Gi}']);
    expect(r.code).toBe(0);
    expect(deployment(r.stdout).spec.template.spec.containers[0].args).toContain(
      '--workspace-size-limit=50Gi',
    );
    const bad = await run(['--set', 'extraArgs={--workspace-size-limit=50GB}']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'values key "extraArgs" [--workspace-size-limit=50GB]: kelos operator would refuse it at start-up: --workspace-size-limit: "50GB" is not a size (expected a quantity such as 20Gi or 500Mi; 0 turns the limit off)',
    );
  });

  test('an extraArgs duration or worker count the operator would refuse at start-up is refused before anything is applied, naming its flag', async () => {
    for (const [arg, reason] of [
      ['--cache-sync-timeout=2 minutes', '--cache-sync-timeout: invalid duration "2 minutes"'],
      ['--resync=-5s', '--resync: invalid duration "-5s"'],
      ['--workers=four', '--workers must be a positive integer; got "four"'],
    ] as const) {
      const r = await run(['--set-string', `extraArgs={${arg}}`]);
      expect(r.code, arg).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `values key "extraArgs" [${arg}]: kelos operator would refuse it at start-up: ${reason}`,
      );
    }
    const good = await run(['--set-string', 'extraArgs={--cache-sync-timeout=5m,--resync=0,--workers=8}']);
    expect(good.code).toBe(0);
  });

  test('an extraArgs flag the install sets itself: exit 1 naming it and the install setting to use', async () => {
    const r = await run(['--set', 'extraArgs={--metrics-auth=none,-n,team-a,--workers=4}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'values key "extraArgs": the install sets --namespace, --metrics-auth itself; instead of --namespace use watchNamespaces (--watch-namespace), which also renders a Role in each watched namespace; --metrics-auth cannot be changed: /metrics stays behind the API server (TokenReview and SubjectAccessReview)',
    );
    // Flags the install sets only for some settings are free otherwise.
    const pinned = await run([
      '--set',
      `extraArgs={--agent-base-image=reg.example/agent-base@sha256:${'a'.repeat(64)}}`,
    ]);
    expect(pinned.code).toBe(0);
    const both = await run([
      '--agent-base-digest',
      `sha256:${'b'.repeat(64)}`,
      '--set',
      'extraArgs={--agent-base-image=x}',
    ]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('instead of --agent-base-image use --agent-base-digest');
  });

  test('an unknown key: exit 1 naming it and the valid keys, nothing printed', async () => {
    const r = await run(['--set', 'image.pullPolicy=Always']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'unknown values key "image.pullPolicy" (/image/pullPolicy), set to "Always"; the keys under "image" are image.repository, ',
    );
  });

  test('a values file nested too deep to parse, an alias bomb or two documents: exit 1 naming the file, nothing printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-values-'));
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [i, name] of [...'bcdefgh'].entries())
      levels.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`);
    writeFileSync(join(dir, 'bomb.yaml'), `${levels.join('\n')}\n`);
    expect(await run(['-f', '-'], `replicas: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`)).toStrictEqual({
      code: 1,
      stdout: '',
      stderr:
        'kelos: -:1:139: the file nests mappings and lists more than 128 levels deep (too deep to parse); no Kubernetes object does\n',
    });
    expect((await run(['-f', join(dir, 'bomb.yaml')])).stderr).toBe(
      `kelos: ${join(dir, 'bomb.yaml')}: cannot be read: its aliases expand beyond the bound on alias expansion (maxAliasCount: 100), which keeps a small file from expanding into a huge one (Excessive alias count indicates a resource exhaustion attack)\n`,
    );
    expect((await run(['-f', '-'], 'replicas: 1\n---\nreplicas: 2\n')).stderr).toBe(
      'kelos: -f -: holds 2 YAML documents; a values file is one\n',
    );
  });

  test('__proto__ or constructor as a key, in a file or --set: an unknown key, and Object.prototype is left alone', async () => {
    const file = await run(['-f', '-'], '__proto__:\n  replicas: 5\n');
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(
      /^kelos: -f -: unknown values key "__proto__" \(\/__proto__\), set to \{"replicas":5\}; valid keys: /,
    );
    const set = await run(['--set', '__proto__.replicas=5']);
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(
      /^kelos: --set __proto__.replicas=5: unknown values key "__proto__" \(\/__proto__\), set to \{"replicas":5\}; valid keys: /,
    );
    expect((await run(['--set', 'constructor=5'])).stderr).toMatch(
      /^kelos: --set constructor=5: unknown values key "constructor" \(\/constructor\), set to 5; valid keys: /,
    );
    expect(({} as Record<string, unknown>)['replicas']).toBeUndefined();
  });

  test('replicas past an int32, in a file or --replicas: exit 1 naming it, as the API server would refuse the Deployment', async () => {
    expect((await run(['-f', '-'], 'replicas: 99999999999999999999\n')).stderr).toBe(
      'kelos: -f -: values key "replicas" (/replicas) must be a positive integer of at most 2147483647 (an int32); got 100000000000000000000\n',
    );
    expect((await run(['--replicas', '2147483648'])).stderr).toBe(
      'kelos: --replicas must be a positive integer of at most 2147483647; got "2147483648"\n',
    );
  });

  test('a version no label value can hold, by --version or the values key: exit 1 naming it, nothing printed', async () => {
    const rule =
      "the app.kubernetes.io/version label: a label value: empty, or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
    expect(await run(['--version', '../../etc'])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: --version "../../etc" is not a version the install can label its objects with (${rule})\n`,
    });
    expect((await run(['--set', 'version=0.3.0+build.1'])).stderr).toBe(
      `kelos: values key "version" "0.3.0+build.1" is not a version the install can label its objects with (${rule}) (version from --set version=0.3.0+build.1)\n`,
    );
  });

  test("--set past Helm's bounds (list index 65536, 30 levels): exit 1 naming the flag, before a list that long is made", async () => {
    expect(await run(['--set', 'extraArgs[100000000]=x'])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr:
        'kelos: --set "extraArgs[100000000]=x": list index 100000000 is more than 65536, the largest Helm takes\n',
    });
    expect((await run(['--set', `a${'.a'.repeat(30)}=1`])).stderr).toBe(
      'kelos: --set "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a=1": the key nests 31 levels, more than the 30 Helm takes\n',
    );
  });

  test('an image tag or repository prefix no image reference can hold is refused naming the flag or values key, before anything is rendered', async () => {
    expect(await run(['--image-tag', 'v1 final'])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr:
        'kelos: --image-tag "v1 final" is not an image tag (letters, digits, "_", "." and "-", not starting with "." or "-", at most 128)\n',
    });
    expect(await run(['--set', 'image.repository=Registry.example.com/Team'])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr:
        'kelos: values key "image.repository" "Registry.example.com/Team" is not a registry and repository prefix an image can start with (e.g. ghcr.io/kelos-ts or localhost:5000/team: a registry host, then lowercase path components) (image.repository from --set image.repository=Registry.example.com/Team)\n',
    });
    for (const ok of [
      ['--image-tag', 'v0.2.0-rc.1_build'],
      ['--image-repository', 'localhost:5000/team/'],
      ['--image-repository', 'Registry.Example.com:8443/platform/kelos'],
      ['--image-repository', 'kelos'],
    ])
      expect((await run(ok)).code, ok.join(' ')).toBe(0);
  });

  test('a values file saved as Latin-1 is refused at the first byte that is no UTF-8, as Helm refuses it, not read with U+FFFD in its place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-latin1-'));
    const file = join(dir, 'latin1.yaml');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('replicas: 2\nimage:\n  tag: v'), Buffer.from([0xe9]), Buffer.from('\n')]),
    );
    expect(await run(['-f', file])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `kelos: ${file}:3:9: a character here is not UTF-8 (a file saved as Latin-1?), which Helm and kubectl refuse; save the file as UTF-8 (iconv -f latin1 -t utf-8), or write a U+FFFD meant as such "\\uFFFD" in a double-quoted string\n`,
    });
  });

  test('a values file or standard input that never ends (/dev/zero) is refused past 32 MiB, not read until memory runs out', async () => {
    expect(await run(['-f', '/dev/zero'])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: 'kelos: -f /dev/zero: more than 32 MiB, the most kelos reads of one file\n',
    });
    expect(await runOnEndlessStdin(['install', '--dry-run', '-f', '-'])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: 'kelos: -f -: more than 32 MiB, the most kelos reads of one file\n',
    });
  }, 60_000);
});
