import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkConfig, loadConfig } from '../../../src/cli/cluster/config.ts';
import {
  addClusterFlags,
  type ClusterFlags,
  CrdsMissing,
  connect,
  explainError,
  ObjectNotFound,
  parseForbidden,
} from '../../../src/cli/cluster/connection.ts';
import { resolveKind } from '../../../src/cli/cluster/kinds.ts';
import { checkGetFlags } from '../../../src/cli/commands/get.ts';
import { installSettings } from '../../../src/cli/commands/install.ts';
import { UsageError } from '../../../src/cli/io.ts';
import { ApiError } from '../../../src/kube/client.ts';
import { KubeconfigError } from '../../../src/kube/kubeconfig.ts';

const parseFlags = (args: string[], opts: Parameters<typeof addClusterFlags>[1] = {}): ClusterFlags => {
  let seen: ClusterFlags = {};
  const cmd = addClusterFlags(new Command('x'), opts)
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .action((flags: ClusterFlags) => {
      seen = flags;
    });
  cmd.parse(args, { from: 'user' });
  return seen;
};

describe('addClusterFlags', () => {
  it('parses the connection flags, short and long', () => {
    expect(parseFlags(['--kubeconfig', 'k', '--context', 'c', '-n', 'ns', '--config', 'cfg'])).toEqual({
      kubeconfig: 'k',
      context: 'c',
      namespace: 'ns',
      config: 'cfg',
    });
    expect(parseFlags(['-A'], { allNamespaces: true })).toEqual({ allNamespaces: true });
  });

  it('offers -A only to listing commands, refuses -A with -n, and leaves out what a command opts out of', () => {
    expect(() => parseFlags(['-A'])).toThrow(/unknown option '-A'/);
    expect(() => parseFlags(['-A', '-n', 'x'], { allNamespaces: true })).toThrow(
      /cannot be used with option/,
    );
    expect(() => parseFlags(['--config', 'x'], { config: false })).toThrow(/unknown option '--config'/);
    expect(() => parseFlags(['-n', 'x'], { namespace: false })).toThrow(/unknown option '-n'/);
  });
});

/** A kubeconfig whose context has (or has not) a namespace; connect() only reads it. */
const kubeconfig = (namespace?: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-kc-'));
  const path = join(dir, 'config');
  writeFileSync(
    path,
    stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [
        { name: 'main', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } },
        { name: 'other', context: { cluster: 'c', user: 'u', namespace: 'from-other-context' } },
      ],
      'current-context': 'main',
    }),
  );
  return path;
};

const homeWithConfig = (text?: string): string => {
  const home = mkdtempSync(join(tmpdir(), 'kelos-home-'));
  if (text !== undefined) {
    mkdirSync(join(home, '.kelos'));
    writeFileSync(join(home, '.kelos', 'config.yaml'), text);
  }
  return home;
};

describe('namespace precedence: flag, config file, kubeconfig context, default', () => {
  const ns = async (flags: ClusterFlags, home: string) => {
    const cluster = await connect(flags, { env: { HOME: home }, cwd: '/' });
    cluster.close();
    return [cluster.namespace, cluster.namespaceFrom];
  };

  it('picks each source in turn', async () => {
    const withConfig = homeWithConfig('namespace: from-config\n');
    expect(await ns({ kubeconfig: kubeconfig('from-kc'), namespace: 'from-flag' }, withConfig)).toEqual([
      'from-flag',
      'flag',
    ]);
    expect(await ns({ kubeconfig: kubeconfig('from-kc') }, withConfig)).toEqual(['from-config', 'config']);
    expect(await ns({ kubeconfig: kubeconfig('from-kc') }, homeWithConfig())).toEqual([
      'from-kc',
      'kubeconfig',
    ]);
    expect(await ns({ kubeconfig: kubeconfig(), context: 'other' }, homeWithConfig())).toEqual([
      'from-other-context',
      'kubeconfig',
    ]);
    expect(await ns({ kubeconfig: kubeconfig() }, homeWithConfig())).toEqual(['default', 'default']);
  });

  it('reads --config instead of ~/.kelos/config.yaml, and fails when that file is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-cfg-'));
    writeFileSync(join(dir, 'team.yaml'), 'namespace: team\n');
    expect(
      await ns(
        { kubeconfig: kubeconfig(), config: join(dir, 'team.yaml') },
        homeWithConfig('namespace: home\n'),
      ),
    ).toEqual(['team', 'config']);
    await expect(
      ns({ kubeconfig: kubeconfig(), config: join(dir, 'missing.yaml') }, homeWithConfig()),
    ).rejects.toThrow(/config file .*missing\.yaml does not exist \(create one with: kelos init\)/);
  });
});

describe('the config file', () => {
  it('names every wrong field by JSON pointer', () => {
    expect(
      checkConfig({
        namepsace: 'x',
        model: 3,
        oauthToken: 'a',
        apiKey: 'b',
        workspace: { repo: 'r', token: 't', githubApp: { appID: '1' } },
        env: [{ name: '1X', value: 'v' }, { name: 'OK' }, 'bad'],
      }),
    ).toEqual([
      '/namepsace: unknown setting (expected one of oauthToken, apiKey, secret, credentialType, type, model, effort, namespace, agentConfig, workspace, env)',
      '/model: expected a string, got 3',
      '/workspace: token and githubApp exclude each other; keep one',
      '/apiKey: oauthToken and apiKey exclude each other',
      '/env/0/name: expected a variable name matching ^[A-Za-z_][A-Za-z0-9_]*$',
      '/env/1: expected exactly one of value and valueFrom',
      '/env/2: expected a mapping with name and value or valueFrom',
    ]);
    expect(checkConfig(null)).toEqual([]);
  });

  it('a malformed file is a usage error that names the file', () => {
    const home = homeWithConfig('type: [1\n');
    expect(() => loadConfig(undefined, { HOME: home }, '/')).toThrow(UsageError);
    expect(() => loadConfig(undefined, { HOME: home }, '/')).toThrow(
      /cannot read config file .*config\.yaml/,
    );
  });
});

describe('explainError', () => {
  const cluster = { server: 'https://10.0.0.1:6443', source: '/home/me/.kube/config', context: 'prod' };

  it('no cluster: names the server, the kubeconfig and the context', () => {
    const err = new ApiError(0, 'NetworkError', 'GET /x: connect ECONNREFUSED', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(explainError(err, cluster)).toBe(
      'cannot reach the Kubernetes API server at https://10.0.0.1:6443 (kubeconfig: /home/me/.kube/config, context "prod"): ECONNREFUSED. Check that the cluster is running and that --kubeconfig/--context name it (kubectl cluster-info).',
    );
  });

  it('a certificate the kubeconfig does not trust: names the check that failed, not an unreachable cluster', () => {
    const err = new ApiError(0, 'NetworkError', 'GET /x: unable to verify the first certificate', {
      cause: Object.assign(new Error('unable to verify the first certificate'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      }),
    });
    expect(explainError(err, cluster)).toBe(
      `the API server at https://10.0.0.1:6443 (kubeconfig: /home/me/.kube/config, context "prod") presented a certificate the kubeconfig does not let kelos trust: UNABLE_TO_VERIFY_LEAF_SIGNATURE. Check the cluster's certificate-authority-data (or certificate-authority) in the kubeconfig, and that --context names the right cluster.`,
    );
  });

  it('RBAC: parses who may not do what, where', () => {
    const message =
      'GET /apis/kelos.dev/v1alpha2/namespaces/team/tasks: 403 Forbidden: tasks.kelos.dev is forbidden: User "system:serviceaccount:team:ci" cannot list resource "tasks" in API group "kelos.dev" in the namespace "team"';
    expect(parseForbidden(message)).toEqual({
      user: 'system:serviceaccount:team:ci',
      verb: 'list',
      resource: 'tasks',
      group: 'kelos.dev',
      namespace: 'team',
    });
    expect(explainError(new ApiError(403, 'Forbidden', message), cluster)).toBe(
      'permission denied: system:serviceaccount:team:ci may not list tasks.kelos.dev in namespace "team". Ask a cluster admin for a Role granting "list" on "tasks" in API group "kelos.dev" (check with: kubectl auth can-i list tasks.kelos.dev -n team --as system:serviceaccount:team:ci).',
    );
    expect(
      parseForbidden('User "bob" cannot list resource "namespaces" in API group "" at the cluster scope'),
    ).toEqual({ user: 'bob', verb: 'list', resource: 'namespaces', group: '' });
  });

  it('RBAC at the cluster scope: a ClusterRole grants it, not a Role', () => {
    const message =
      'GET /apis/kelos.dev/v1alpha2/tasks: 403 Forbidden: tasks.kelos.dev is forbidden: User "bob" cannot list resource "tasks" in API group "kelos.dev" at the cluster scope';
    expect(explainError(new ApiError(403, 'Forbidden', message), cluster)).toBe(
      'permission denied: bob may not list tasks.kelos.dev at the cluster scope. Ask a cluster admin for a ClusterRole granting "list" on "tasks" in API group "kelos.dev" (check with: kubectl auth can-i list tasks.kelos.dev --as bob).',
    );
  });

  it('CRDs missing: from the error, and from a 404 on a Kelos collection', () => {
    expect(explainError(new CrdsMissing('tasks'), cluster)).toBe(
      'the cluster does not serve tasks.kelos.dev: its CRD is not installed or is out of date at https://10.0.0.1:6443; run: kelos install',
    );
    const notServed = new ApiError(
      404,
      'Unknown',
      'GET /apis/kelos.dev/v1alpha2/namespaces/a/taskspawners: 404 Unknown: 404 page not found',
    );
    expect(explainError(notServed, cluster)).toContain('does not serve taskspawners.kelos.dev');
    const objectGone = new ApiError(
      404,
      'NotFound',
      'GET /apis/kelos.dev/v1alpha2/namespaces/a/tasks/x: 404 NotFound: tasks.kelos.dev "x" not found',
    );
    expect(explainError(objectGone, cluster)).not.toContain('kelos install');
  });

  it('not found, 401 and kubeconfig problems say what to do', () => {
    expect(explainError(new ObjectNotFound('TaskSpawner', 'triage', 'team', 'taskspawners'))).toBe(
      'taskspawner "triage" not found in namespace "team"; list what exists with: kelos get taskspawners -n team',
    );
    expect(explainError(new ApiError(401, 'Unauthorized', 'x'), cluster)).toMatch(
      /refused the credentials .*Log in again/,
    );
    expect(
      explainError(new KubeconfigError('kubeconfig /k: clusters has no entry named "x" (it has "c")')),
    ).toBe(
      'kubeconfig /k: clusters has no entry named "x" (it has "c"); point --kubeconfig (or KUBECONFIG) at a usable kubeconfig',
    );
    expect(
      explainError(new KubeconfigError('kubeconfig /k: contexts has no entry named "x" (it has "a")')),
    ).toBe(
      'kubeconfig /k: contexts has no entry named "x" (it has "a"); pass --context one of them (kubectl config get-contexts)',
    );
  });
});

describe('kind names and get flags', () => {
  it('resolves kubectl-style names and refuses unknown or unserved kinds', () => {
    for (const name of ['task', 'tasks', 'Task', 'tk', 'tasks.kelos.dev'])
      expect(resolveKind(name).def.kind).toBe('Task');
    expect(resolveKind('ts').def.kind).toBe('TaskSpawner');
    expect(resolveKind('ws').type.plural).toBe('workspaces');
    expect(() => resolveKind('workerpools')).toThrow(/WorkerPool is not served/);
    expect(() => resolveKind('pods')).toThrow(
      /unknown kind "pods" of kelos.dev\/v1alpha2; expected one of: /,
    );
    expect(() => resolveKind('tsks')).toThrow(
      /unknown kind "tsks" of kelos.dev\/v1alpha2; did you mean "tasks"\? expected/,
    );
  });

  it('checks -o, --phase, -A and -d before anything is sent', () => {
    const task = resolveKind('task');
    expect(checkGetFlags(task, undefined, { phase: 'succeeded' })).toBe('Succeeded');
    expect(() => checkGetFlags(task, undefined, { output: 'table' })).toThrow(
      /--output must be one of yaml, json, wide, name/,
    );
    expect(() => checkGetFlags(task, 'a', { allNamespaces: true })).toThrow(/across all namespaces/);
    expect(() => checkGetFlags(task, undefined, { phase: 'Done' })).toThrow(
      /--phase must be one of Waiting, Pending/,
    );
    expect(() => checkGetFlags(resolveKind('ws'), undefined, { phase: 'Failed' })).toThrow(
      /--phase applies to Task and TaskSpawner/,
    );
    expect(() => checkGetFlags(task, undefined, { detail: true, output: 'json' })).toThrow(
      /--detail prints text/,
    );
  });
});

describe('kelos install --watch-namespace', () => {
  const settings = (values?: string[]) =>
    installSettings({ timeout: '2m', ...(values ? { watchNamespace: values } : {}) });

  it('reads comma-separated and repeated values as the operator does, each namespace once', () => {
    expect(settings(['team-a,team-b', 'team-c', 'team-a']).watchNamespaces).toEqual([
      'team-a',
      'team-b',
      'team-c',
    ]);
    expect(settings().watchNamespaces).toBeUndefined();
  });

  it('refuses a value that is not a namespace name, naming the flag and the value', () => {
    expect(() => settings(['team-a,Team_B'])).toThrow(UsageError);
    expect(() => settings(['team-a,Team_B'])).toThrow(/--watch-namespace: "Team_B" is not a namespace name/);
    expect(() => settings(['team-a,'])).toThrow(/has an empty namespace name/);
  });
});
