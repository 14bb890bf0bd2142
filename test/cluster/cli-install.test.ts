import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CONTAINER_NAME, type TaskRecord } from '../../src/api/index.ts';
import { DEPLOYMENT } from '../../src/cli/cluster/bundle.ts';
import { packageVersion } from '../../src/cli/version.ts';
import { formatAgentLog } from '../../src/contract/agent-log/index.ts';
import { type ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { Resources } from '../../src/operator/resources.ts';

const KELOS_CONFIG = Resources.KelosConfig;

import { FakeKubelet } from '../support/fake-kubelet.ts';
import { KELOS_MAIN, kelos, kelosProcess } from './cli-helpers.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { waitFor } from './helpers.ts';
import { outputsMessage, podFinished, podRunning, podsOf, waitForTask } from './operator-helpers.ts';
import { kill9 } from './operator-process.ts';

// A control plane of its own: these tests start from a cluster without the CRDs, install
// Kelos, and uninstall it with its CRDs, which the run's shared control plane must keep.
let cp: ControlPlane;
let admin: HttpKubeClient;
let operator: ChildProcess | undefined;
let operatorLog = '';

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new HttpKubeClient(await loadKubeconfigFile(cp.kubeconfigPath));
}, 180_000);
afterAll(async () => {
  if (operator) await kill9(operator);
  admin?.close();
  await cp?.stop();
});

describe('before kelos install', () => {
  it('says the CRDs are not installed and to run kelos install, for lists and for named objects', async () => {
    const list = await kelos(['get', 'tasks', '--kubeconfig', cp.kubeconfigPath]);
    expect(list.code).toBe(1);
    expect(list.stderr).toBe(
      `kelos: the cluster does not serve tasks.kelos.dev: its CRD is not installed or is out of date at ${cp.server}; run: kelos install\n`,
    );
    const one = await kelos(['get', 'taskspawner', 'x', '--kubeconfig', cp.kubeconfigPath]);
    expect(one.stderr).toContain('does not serve taskspawners.kelos.dev');
    expect(one.stderr).toContain('run: kelos install');
    const version = await kelos(['version', '--kubeconfig', cp.kubeconfigPath]);
    expect(version.stdout).toBe(
      `Client Version: ${packageVersion()}\nOperator Version: not installed (no Deployment kelos-operator in namespace kelos-system; run kelos install)\nCRD Version: not installed (run kelos install)\n`,
    );
  });

  it('install --dry-run prints the CRDs and the bundle and changes nothing', async () => {
    const r = await kelos(['install', '--dry-run', '--kubeconfig', cp.kubeconfigPath, '--version', '1.2.3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kind: CustomResourceDefinition');
    expect(r.stdout).toContain('image: ghcr.io/kelos-ts/kelos-operator:v1.2.3');
    expect(r.stderr).toMatch(/dry run: 7 CRDs and \d+ objects would be applied/);
    const crds = await admin.getText('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    expect(JSON.parse(crds).items).toEqual([]);
  });
});

describe('the five-minute path, from a fresh shell', () => {
  const home = mkdtempSync(join(tmpdir(), 'kelos-fresh-home-'));
  const env = () => ({ HOME: home, KUBECONFIG: cp.kubeconfigPath });

  it('kelos install applies the CRDs, waits for them, applies the operator, and is idempotent', async () => {
    const first = await kelosProcess(['install'], env());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('customresourcedefinition/tasks.kelos.dev created');
    expect(first.stdout).toContain('waiting for the CRDs to be established');
    expect(first.stdout).toContain('deployment/kelos-operator -n kelos-system created');
    expect(first.stdout).toMatch(
      /Kelos installed: 7 CRDs and \d+ objects \(\d+ created, 0 configured, 0 unchanged\)/,
    );
    // No KelosConfig yet: agents would reach in-cluster addresses on 443, and the admin is told.
    expect(first.stdout).toContain(
      "  agent isolation: on, but no KelosConfig kelos in the cluster (podCIDRs, serviceCIDRs, nodeCIDRs unset): agent Pods may reach the cluster's Pods, Services, nodes on their egress ports",
    );
    await admin.create(KELOS_CONFIG, {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'KelosConfig',
      metadata: { name: 'kelos' },
      spec: { networkIsolation: { podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/12'] } },
    } as ApiObject);
    const again = await kelosProcess(['install'], env());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      "  agent isolation: on, but KelosConfig kelos spec.networkIsolation leaves nodeCIDRs unset: agent Pods may reach the cluster's nodes on their egress ports",
    );
    expect(again.stdout).toMatch(
      /Kelos installed: 7 CRDs and \d+ objects \(0 created, 0 configured, \d+ unchanged\)/,
    );
    const version = await kelosProcess(['version'], env());
    expect(version.stdout).toContain(
      `Operator Version: ${packageVersion()} (ghcr.io/kelos-ts/kelos-operator:v${packageVersion()} in kelos-system, 0/2 ready)\nCRD Version: ${packageVersion()}\n`,
    );
    expect(version.stderr).not.toContain('mismatch');
    // Helm-style values, upstream's flags: a file, then --set over it, reach the applied Deployment.
    const values = join(home, 'values.yaml');
    writeFileSync(values, 'replicas: 3\ncontroller:\n  resources:\n    limits:\n      memory: 1Gi\n');
    const withValues = await kelosProcess(['install', '-f', values, '--set', 'replicas=1'], env());
    expect(withValues.stderr).toBe('');
    expect(withValues.stdout).toContain('deployment/kelos-operator -n kelos-system configured');
    const deployment = await admin.get<{
      metadata: object;
      spec: {
        replicas: number;
        template: { spec: { containers: Array<{ resources: { limits: object } }> } };
      };
    }>(DEPLOYMENT, 'kelos-system', 'kelos-operator');
    expect(deployment?.spec.replicas).toBe(1);
    expect(deployment?.spec.template.spec.containers[0]?.resources.limits).toMatchObject({ memory: '1Gi' });
    // Every range set: said plainly, without the colour of a warning.
    await admin.mergePatch(KELOS_CONFIG, undefined, 'kelos', {
      spec: { networkIsolation: { nodeCIDRs: ['10.0.0.0/16'] } },
    });
    const ranged = await kelosProcess(['install'], env());
    expect(ranged.stdout).toContain('  agent isolation: on, cluster ranges from KelosConfig kelos\n');
    const unknown = await kelosProcess(['install', '--set', 'image.pullPolicy=Always'], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'unknown values key "image.pullPolicy" (/image/pullPolicy), set to "Always"; the keys under "image" are ',
    );
  });

  it('kelos init, then kelos run -p … -w follows the Task to Succeeded; kelos logs shows the agent readable; kelos get tasks shows its PR and cost', async () => {
    // The kubelet that serves the agent's log through the API server: a fake on loopback.
    const kubelet = await FakeKubelet.start();
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    await kubelet.registerNode(kc, 'five-minute-node');
    const stream = readFileSync(
      join(import.meta.dirname, '../fixtures/agent-streams/claude-code.jsonl'),
      'utf8',
    );
    // No kubelet here: the operator runs as a process of its own, and the test plays kubelet.
    operator = spawn(
      process.execPath,
      [
        KELOS_MAIN,
        'operator',
        '--kubeconfig',
        cp.kubeconfigPath,
        '--metrics-addr',
        '0',
        '--health-addr',
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    operator.stdout?.on('data', (d: Buffer) => {
      operatorLog += d.toString();
    });
    operator.stderr?.on('data', (d: Buffer) => {
      operatorLog += d.toString();
    });
    await waitFor('the operator to run', async () => operatorLog.includes('"msg":"Operator running"'), {
      timeoutMs: 60_000,
    });

    const init = await kelosProcess(['init'], env());
    expect(init.code).toBe(0);
    const configFile = join(home, '.kelos', 'config.yaml');
    writeFileSync(
      configFile,
      readFileSync(configFile, 'utf8').replace('oauthToken: ""', 'oauthToken: "sk-oauth-test"'),
    );

    let watched = '';
    const run = kelosProcess(['run', '-p', 'fix the flaky test', '--name', 'first', '-w'], env(), {
      onStdout: (t) => {
        watched += t;
      },
    });
    const task = await waitForTask(admin, 'default', 'first', 'with a Job', (t) =>
      Boolean(t.status?.jobName),
    );
    const job = task.status?.jobName ?? '';
    let pod = '';
    await waitFor('the Pod of the Job', async () => {
      pod = (await podsOf(admin, 'default', job))[0]?.metadata.name ?? '';
      return pod !== '';
    });
    await FakeKubelet.bindPod(kc, 'default', pod, 'five-minute-node');
    kubelet.append('default', pod, AGENT_CONTAINER_NAME, stream);
    kubelet.finish('default', pod, AGENT_CONTAINER_NAME);
    await podRunning(admin, 'default', job);
    await waitFor('the watch to print Running', async () => watched.includes('Running'));
    await podFinished(admin, 'default', job, {
      message: outputsMessage({
        branch: 'kelos/first',
        pr: 'https://github.com/o/r/pull/42',
        'cost-usd': '0.37',
        'input-tokens': '1000',
        'output-tokens': '200',
      }),
    });
    const result = await run;
    // The install's Deployment has no ready replica here (no kubelet runs its Pods; the operator
    // runs as a process of its own), which kelos run says, leaving room for this very setup.
    expect(result.stderr).toBe(
      'secret/kelos-credentials applied\nwarning: the Kelos operator (deployment/kelos-operator -n kelos-system) has no ready replica (0/2), so task "first" waits until one is ready (kubectl rollout status deployment/kelos-operator -n kelos-system), unless an operator runs elsewhere (kelos operator)\n',
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('task/first created');
    const phases = lines.slice(1).flatMap((l) => /task\/first {2}(\w+)/.exec(l)?.[1] ?? []);
    expect(phases).toEqual(expect.arrayContaining(['Pending', 'Running', 'Succeeded']));
    expect(phases.at(-1)).toBe('Succeeded');
    expect(result.stdout).toMatch(
      /task\/first Succeeded in \S+\n {2}PR: {5}https:\/\/github\.com\/o\/r\/pull\/42\n/,
    );
    expect(result.stdout).toContain('cost:   $0.37');
    const secret = await admin.get<{ metadata: object; data?: Record<string, string> }>(
      Resources.Secret,
      'default',
      'kelos-credentials',
    );
    expect(Buffer.from(secret?.data?.['CLAUDE_CODE_OAUTH_TOKEN'] ?? '', 'base64').toString()).toBe(
      'sk-oauth-test',
    );

    const logs = await kelosProcess(['logs', 'first'], env());
    await kubelet.close();
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe(formatAgentLog('claude-code', stream));
    expect(logs.stdout).toContain('Claude Code session started');

    const get = await kelosProcess(['get', 'tasks'], env());
    expect(get.code).toBe(0);
    const row = get.stdout
      .split('\n')
      .find((l) => l.startsWith('first '))
      ?.split(/\s{2,}/);
    expect(row?.slice(0, 5)).toEqual([
      'first',
      'claude-code',
      'Succeeded',
      '0.37',
      'https://github.com/o/r/pull/42',
    ]);
  });

  it('kelos uninstall --keep-records deletes the Tasks (the operator releases them) and the operator, and keeps the TaskRecords; with --crds it is refused', async () => {
    const both = await kelosProcess(['uninstall', '--keep-records', '--crds'], env());
    expect(both.stderr).toBe(
      'kelos: --keep-records keeps the TaskRecords, and --crds deletes their CRD and with it every TaskRecord: give one of them\n',
    );
    expect(both.code).toBe(1);
    const r = await kelosProcess(['uninstall', '--keep-records'], env(), { timeoutMs: 170_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('task/first -n default deleting');
    expect(r.stdout).toContain('kelosconfig/kelos deleting');
    expect(r.stdout).not.toContain('taskrecord/');
    expect(r.stdout).toContain('deployment/kelos-operator -n kelos-system deleted');
    expect(r.stdout).toMatch(
      /Kelos uninstalled: 2 Kelos objects and \d+ install objects deleted; 1 TaskRecord kept; the CRDs are kept \(delete them with kelos uninstall --crds\)\n$/,
    );
    const records = await admin.list<TaskRecord>(Resources.TaskRecord, { namespace: 'default' });
    expect(records.items.map((t) => t.spec.taskRef.name)).toStrictEqual(['first']);
    expect(await admin.get(Resources.Task, 'default', 'first')).toBeUndefined();
  }, 180_000);

  it('kelos uninstall --crds deletes the TaskRecords kept, then the CRDs', async () => {
    const progress: string[] = [];
    const started = Date.now();
    const r = await kelosProcess(['uninstall', '--crds'], env(), {
      timeoutMs: 170_000,
      onStdout: (t) => progress.push(`${Date.now() - started}ms ${t.trimEnd()}`),
    });
    // On a slow run, the timings say which step waited.
    if (r.code !== 0) console.log(progress.join('\n'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    // The operator recorded the Task in a TaskRecord, which the uninstall above kept.
    expect(out.indexOf('taskrecord/')).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('deployment/kelos-operator -n kelos-system not found')).toBeGreaterThan(
      out.indexOf('taskrecord/'),
    );
    expect(out.indexOf('customresourcedefinition/tasks.kelos.dev deleted')).toBeGreaterThan(
      out.indexOf('deployment/kelos-operator'),
    );
    expect(out).toMatch(/Kelos uninstalled: 1 Kelos objects and \d+ install objects deleted\n$/);
    const get = await kelosProcess(['get', 'tasks'], env());
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('run: kelos install');
  }, 180_000);
});
