import { describe, expect, test } from 'vitest';
import { parseManifests } from '../../../src/validate/load.ts';
import { checkReferences, findCycles, type ReferenceOptions } from '../../../src/validate/references.ts';

const task = (name: string, spec: string, namespace?: string) =>
  `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  prompt: p\n${spec}`;
const workspace = (name: string, namespace?: string) =>
  `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  repo: https://github.com/acme/app.git\n`;
const secret = (name: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n`;

const check = (docs: string[], options: ReferenceOptions = {}) =>
  checkReferences(parseManifests(docs.join('---\n'), 'b.yaml').documents, options).map((d) => ({
    code: d.code,
    severity: d.severity,
    path: d.path,
    message: d.message,
    line: d.source?.line,
  }));

const WORKER = (ws: string) =>
  `  worker:\n    type: codex\n    credentials:\n      type: api-key\n      secretRef:\n        name: key\n    workspaceRef:\n      name: ${ws}\n`;

describe('checkReferences', () => {
  test('references that resolve in the bundle, in the same namespace, are silent', () => {
    expect(check([task('t', WORKER('app')), workspace('app'), secret('key')])).toEqual([]);
  });

  test('an external reference is a warning saying it must exist in the cluster', () => {
    // The namespace is Argo CD's or kubectl's to decide when the object names none.
    expect(check([task('t', WORKER('app')), secret('key')])).toEqual([
      {
        code: 'ref/external',
        severity: 'warning',
        path: '/spec/worker/workspaceRef/name',
        message:
          'spec.worker.workspaceRef names Workspace "app", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another)',
        line: 14,
      },
    ]);
  });

  test('a reference to an object the bundle has only under an unserved version says so, not that it is missing', () => {
    // Upstream's 15-workerpool example: a kelos.dev/v1alpha1 Workspace beside v1alpha2 objects.
    const legacy = workspace('app').replace('kelos.dev/v1alpha2', 'kelos.dev/v1alpha1');
    const unserved = {
      code: 'ref/unserved',
      path: '/spec/worker/workspaceRef/name',
      message:
        'spec.worker.workspaceRef names Workspace "app", which this bundle has only as kelos.dev/v1alpha1 (b.yaml:16:1), a version this Kelos does not serve: the API server refuses that object, so the reference does not resolve',
      line: 14,
    };
    expect(check([task('t', WORKER('app')), legacy, secret('key')])).toEqual([
      { ...unserved, severity: 'warning' },
    ]);
    expect(check([task('t', WORKER('app')), legacy, secret('key')], { requireRefs: true })).toEqual([
      { ...unserved, severity: 'error' },
    ]);
  });

  test('a reference that misses a name in the bundle, or a declared external Secret, by a typo says which', () => {
    const [workspaceRef] = check([task('t', WORKER('ap')), workspace('app'), secret('key')]);
    expect(workspaceRef?.message).toBe(
      'spec.worker.workspaceRef names Workspace "ap", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another); did you mean "app"?',
    );
    const secretRef = check(
      [task('t', WORKER('app').replace('name: key', 'name: claude-oauth-tokn')), workspace('app')],
      {
        externalSecrets: ['other/claude-oauth-tokens', 'claude-oauth-token'],
      },
    );
    expect(secretRef.map((d) => d.message)).toEqual([
      'spec.worker.credentials.secretRef names Secret "claude-oauth-tokn", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another); did you mean "claude-oauth-token"?',
    ]);
  });

  test('a Task is never suggested as the dependency it names by a typo of itself', () => {
    const deps = (name: string) => `  dependsOn: [${name}]\n${WORKER('app')}`;
    const [own] = check([task('t1', deps('t2')), workspace('app'), secret('key')]);
    expect(own?.message).toBe(
      'spec.dependsOn names Task "t2", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another)',
    );
    // Another Task of the bundle still is.
    const [other] = check([
      task('t1', deps('t2')),
      task('t3', WORKER('app')),
      workspace('app'),
      secret('key'),
    ]);
    expect(other?.message).toMatch(/; did you mean "t3"\?$/);
  });

  test('externalRefs: error makes it an error; requireRefs makes it ref/dangling', () => {
    expect(check([task('t', WORKER('app')), secret('key')], { externalRefs: 'error' })[0]).toMatchObject({
      code: 'ref/external',
      severity: 'error',
    });
    expect(check([task('t', WORKER('app')), secret('key')], { requireRefs: true })[0]).toMatchObject({
      code: 'ref/dangling',
      severity: 'error',
      message:
        'spec.worker.workspaceRef names Workspace "app", which is not in this bundle (namespace "default"); every reference must resolve within the bundle',
    });
  });

  test('namespaces: objects without one are in the default namespace, or the one given', () => {
    const docs = [task('t', WORKER('app'), 'agents'), workspace('app'), secret('key')];
    const [ref] = check(docs, { requireRefs: true });
    expect(ref?.message).toContain('(namespace "agents")');
    expect(check(docs, { namespace: 'agents' }).map((d) => d.code)).toEqual([]);
    // A namespace the object or the caller names is where the reference must exist.
    expect(check([task('t', WORKER('app'), 'agents')])[0]?.message).toContain(
      'it must exist in namespace "agents" in the cluster',
    );
    expect(check([task('t', WORKER('app')), secret('key')], { namespace: 'team' })[0]?.message).toContain(
      'it must exist in namespace "team" in the cluster',
    );
  });

  test('a Secret outside the bundle is a ref/secret-external warning; with requireRefs an error, unless externalSecrets lists it', () => {
    const docs = [task('t', WORKER('app')), workspace('app')];
    expect(check(docs, { requireRefs: true })).toEqual([
      {
        code: 'ref/secret-external',
        severity: 'error',
        path: '/spec/worker/credentials/secretRef/name',
        message:
          'spec.worker.credentials.secretRef names Secret "key", which is not in this bundle (namespace "default") nor listed under externalSecrets; every reference must resolve within the bundle or, for a Secret created outside git, be listed there',
        line: 12,
      },
    ]);
    expect(check(docs, { requireRefs: true, externalSecrets: ['key'] })).toEqual([]);
    expect(check(docs, { requireRefs: true, externalSecrets: ['default/key'] })).toEqual([]);
    const found = check(docs);
    expect(found).toEqual([
      {
        code: 'ref/secret-external',
        severity: 'warning',
        path: '/spec/worker/credentials/secretRef/name',
        message:
          'spec.worker.credentials.secretRef names Secret "key", which is not in this bundle; it must exist in the cluster, in the namespace the object is applied to (it names none: "default" unless kubectl -n or the Argo CD Application\'s destination sets another)',
        line: 12,
      },
    ]);
  });

  test('a reference to a name no object can have is a ref/invalid-name error, strict or not, listed or not', () => {
    // The API server takes any string in a reference; only the object it names is held to the rule.
    const docs = [
      task('t', WORKER('Infra_Repo').replace('name: key', 'name: GitHub-Token')),
      workspace('infra-repo'),
    ];
    const words =
      "a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (at most 253 characters)";
    const expected = [
      {
        code: 'ref/invalid-name',
        severity: 'error',
        path: '/spec/worker/workspaceRef/name',
        message: `spec.worker.workspaceRef names Workspace "Infra_Repo", which no Workspace can be named, so the reference never resolves: a Workspace's name is ${words}; did you mean "infra-repo"?`,
        line: 14,
      },
      {
        code: 'ref/invalid-name',
        severity: 'error',
        path: '/spec/worker/credentials/secretRef/name',
        message: `spec.worker.credentials.secretRef names Secret "GitHub-Token", which no Secret can be named, so the reference never resolves: a Secret's name is ${words}; did you mean "github-token"?`,
        line: 12,
      },
    ];
    expect(check(docs)).toStrictEqual(expected);
    expect(check(docs, { requireRefs: true, externalSecrets: ['GitHub-Token'] })).toStrictEqual(expected);
    // No lowercase form to offer when lowering the case does not make a name either.
    expect(
      check([task('t', WORKER('app').replace('name: key', 'name: "-key"')), workspace('app')]),
    ).toStrictEqual([
      {
        code: 'ref/invalid-name',
        severity: 'error',
        path: '/spec/worker/credentials/secretRef/name',
        message: `spec.worker.credentials.secretRef names Secret "-key", which no Secret can be named, so the reference never resolves: a Secret's name is ${words}`,
        line: 12,
      },
    ]);
  });

  test('a Secret declared in externalSecrets (by name or namespace/name) is not reported; any other still is', () => {
    const docs = [task('t', WORKER('app')), workspace('app')];
    expect(check(docs, { externalSecrets: ['key'] })).toEqual([]);
    expect(check(docs, { externalSecrets: ['default/key'] })).toEqual([]);
    expect(check(docs, { externalSecrets: ['other/key', 'kee'] }).map((d) => d.code)).toEqual([
      'ref/secret-external',
    ]);
  });

  test('secret references of every kind are followed', () => {
    const agentConfig = `apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata:\n  name: ac\nspec:\n  skills:\n    - source: a/b\n      secretRef: {name: s1}\n  mcpServers:\n    - name: m\n      type: http\n      url: https://x\n      headersFrom: {secretRef: {name: s2}}\n      envFrom: {secretRef: {name: s3}}\n      env:\n        - name: T\n          valueFrom: {secretKeyRef: {name: s4, key: k}}\n`;
    const spawner = `apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: sp\nspec:\n  when:\n    jira: {baseUrl: https://j, project: P, secretRef: {name: s5}}\n    webhook: {source: w, fieldMapping: {id: $.id}, secretRef: {name: s6}}\n    githubWebhook: {events: [issues], secretRef: {name: s12}}\n    linearWebhook: {types: [Issue], secretRef: {name: s13}}\n  taskTemplate:\n    type: codex\n    credentials: {type: api-key, secretRef: {name: s7}}\n    contextSources:\n      - name: c\n        http:\n          url: https://c\n          headersFrom: [{header: A, secretName: s8, secretKey: k}]\n          githubAppAuth: {secretRef: {name: s9}}\n  credentials:\n    - {name: a, type: api-key, secretRef: {name: s10}}\n`;
    const ws = `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: w\nspec:\n  repo: https://x\n  secretRef: {name: s11}\n`;
    const names = check([agentConfig, spawner, ws])
      .filter((d) => d.code === 'ref/secret-external')
      .map((d) => d.message.match(/Secret "(\w+)"/)?.[1])
      .sort((a, b) => Number(a?.slice(1)) - Number(b?.slice(1)));
    expect(names).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 's12', 's13']);
  });

  test('a dependsOn cycle is one error naming the cycle, at the dependency that closes it', () => {
    const found = check([
      task('b', '  dependsOn: [c]\n'),
      task('a', '  dependsOn: [b, external]\n'),
      task('c', '  dependsOn: [a]\n'),
    ]).filter((d) => d.code === 'ref/cycle');
    expect(found).toEqual([
      {
        code: 'ref/cycle',
        severity: 'error',
        path: '/spec/dependsOn/0',
        message: 'dependsOn forms a cycle: a → b → c → a; none of these Tasks can ever start',
        line: 15,
      },
    ]);
  });

  test('the same name in two namespaces is no cycle and no duplicate', () => {
    expect(
      check([
        task('a', '  dependsOn: [a]\n', 'one').replace('dependsOn: [a]', 'dependsOn: [b]'),
        task('b', '  dependsOn: [a]\n', 'two'),
      ]).filter((d) => d.code === 'ref/cycle' || d.code === 'bundle/duplicate'),
    ).toEqual([]);
  });

  test('a name that exists only in other namespaces is named in the hint, with its article and plural', () => {
    const agentConfig = (namespace: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata:\n  name: ac\n  namespace: ${namespace}\nspec:\n  agentsMD: hi\n`;
    const refs = `  agentConfigRefs: [{name: ac}]\n${WORKER('app')}`;
    const hints = (docs: string[]) =>
      checkReferences(parseManifests(docs.join('---\n'), 'b.yaml').documents, {})
        .filter((d) => d.path === '/spec/agentConfigRefs/0/name')
        .map((d) => d.hint);
    expect(hints([task('t', refs, 'team-c'), agentConfig('team-a')])).toEqual([
      'an AgentConfig "ac" exists in namespace team-a; references only resolve within the same namespace',
    ]);
    expect(hints([task('t', refs, 'team-c'), agentConfig('team-a'), agentConfig('team-b')])).toEqual([
      'an AgentConfig "ac" exists in namespaces team-a, team-b; references only resolve within the same namespace',
    ]);
  });

  test('a duplicate cluster-scoped object is named without a namespace, which it has none of', () => {
    const crd =
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n';
    const found = checkReferences(parseManifests([crd, crd].join('---\n'), 'crds.yaml').documents, {}).filter(
      (d) => d.code === 'bundle/duplicate',
    );
    expect(found.map((d) => d.message.split(':')[0])).toEqual([
      'CustomResourceDefinition "widgets.example.com" is defined twice',
    ]);
  });

  test('a duplicate kind/namespace/name names both places', () => {
    expect(check([workspace('app'), workspace('app', 'default')])).toEqual([
      {
        code: 'bundle/duplicate',
        severity: 'error',
        path: '',
        message: 'Workspace "default/app" is defined twice: here and at b.yaml:1:1',
        line: 8,
      },
    ]);
  });

  test('a duplicate across two directories says how to make each directory a bundle of its own', () => {
    const documents = [
      ...parseManifests(secret('github-token'), 'manifests/01-simple-task/secret.yaml').documents,
      ...parseManifests(secret('github-token'), 'manifests/02-workspace/secret.yaml').documents,
      ...parseManifests(workspace('app'), 'manifests/02-workspace/ws.yaml').documents,
      ...parseManifests(workspace('app'), 'manifests/02-workspace/ws-copy.yaml').documents,
    ];
    expect(checkReferences(documents, {}).map((d) => [d.source?.file, d.hint])).toEqual([
      [
        'manifests/02-workspace/secret.yaml',
        'object names must be unique per kind and namespace in one bundle; if manifests/01-simple-task/ and manifests/02-workspace/ are deployed apart (an Argo CD Application each), validate them with the Application or ApplicationSet that syncs them (name its file too), which makes each directory it syncs a bundle of its own, or give each a kustomization.yaml; else rename or remove one of them',
      ],
      [
        'manifests/02-workspace/ws-copy.yaml',
        'object names must be unique per kind and namespace; rename or remove one of them',
      ],
    ]);
  });

  test('a WorkerPool reference is a warning that nothing will run the Task', () => {
    expect(check([task('t', '  workerPoolRef: {name: pool}\n')])).toEqual([
      {
        code: 'ref/unserved',
        severity: 'warning',
        path: '/spec/workerPoolRef/name',
        message:
          'spec.workerPoolRef names WorkerPool "pool"; WorkerPools are not served by this version of Kelos, so nothing will run it',
        line: 7,
      },
    ]);
  });
});

describe('findCycles', () => {
  const graph = (edges: Record<string, string[]>) =>
    new Map(Object.entries(edges).map(([k, v]) => [k, v.map((to) => ({ to }))]));

  test('finds each cycle once, rotated to start at its smallest node', () => {
    expect(findCycles(graph({ c: ['a'], a: ['b'], b: ['c'], d: ['d'], e: ['a'] }))).toEqual([
      ['a', 'b', 'c', 'a'],
      ['d', 'd'],
    ]);
  });

  test('a chain of 20,000 dependencies does not overflow the stack', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 20_000; i++)
      edges[`t${String(i).padStart(5, '0')}`] = [`t${String(i + 1).padStart(5, '0')}`];
    edges['t20000'] = ['t00000'];
    const cycles = findCycles(graph(edges));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(20_002);
  });
});
