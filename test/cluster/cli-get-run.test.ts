import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AgentConfig, Task, Workspace } from '../../src/api/index.ts';
import { CoreResources, type HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { kelos, standInOperator, tokenKubeconfig, unreachableKubeconfig } from './cli-helpers.ts';
import { eventually, freshNamespace, kubeconfigPath, kubectl } from './helpers.ts';
import { installCrds } from './install-crds.ts';
import { create, createSecret, getTask, testClient } from './operator-helpers.ts';
import { spawner } from './spawner-helpers.ts';

let c: HttpKubeClient;
let ns: string;
let other: string;
const as = (extra: string[] = []) => ['--kubeconfig', kubeconfigPath(), '-n', ns, ...extra];

/** Plays the operator's part: a finished Task's status. */
const finish = (name: string, namespace: string, status: Record<string, unknown>) =>
  c.mergePatch(Resources.Task, namespace, name, { status }, { subresource: 'status' });

let removeOperator: (() => Promise<void>) | undefined;

beforeAll(async () => {
  await installCrds();
  c = await testClient();
  ns = await freshNamespace('cli-get');
  other = await freshNamespace('cli-get-other');
  // These runs are not about the operator: with one (standing in) installed, none warns that
  // nothing will run its Task (cli-stranded-objects.test.ts tests that warning). In a namespace
  // of its own: kelos version -n ns below must find none in ns.
  removeOperator = await standInOperator(c, await freshNamespace('cli-get-operator'));
});
afterAll(async () => {
  await removeOperator?.();
  c?.close();
});

describe('kelos run', () => {
  it('creates the Task every flag describes', async () => {
    const r = await kelos([
      'run',
      ...as(),
      '-p',
      'fix the flaky test',
      '--name',
      'all-flags',
      '-t',
      'codex',
      '--secret',
      'codex-creds',
      '--credential-type',
      'oauth',
      '--model',
      'gpt-5',
      '--effort',
      'high',
      '--image',
      'registry.example/agent:1',
      '--workspace',
      'repo',
      '--agent-config',
      'a',
      '--agent-config',
      'b',
      '--depends-on',
      'first',
      '--branch',
      'fix/flaky',
      '--timeout',
      '30m',
      '--env',
      'A=1',
      '--env',
      'B=x=y',
    ]);
    // What the flags name and the namespace lacks is said at once (the Task waits for each).
    expect(r.stderr.split('\n')).toStrictEqual([
      `warning: task "all-flags" waits for Workspace "repo", which does not exist in namespace "${ns}" (kelos create workspace repo --repo <url>)`,
      `warning: task "all-flags" waits for AgentConfig "a", which does not exist in namespace "${ns}"`,
      `warning: task "all-flags" waits for AgentConfig "b", which does not exist in namespace "${ns}"`,
      `warning: task "all-flags" waits for its Secret: Secret ${ns}/codex-creds (referenced by spec.worker.credentials.secretRef) does not exist; create it: kubectl create secret generic codex-creds -n ${ns} --from-literal=CODEX_AUTH_JSON=<value>`,
      '',
    ]);
    expect(r).toMatchObject({ code: 0, stdout: 'task/all-flags created\n' });
    const task = await getTask(c, ns, 'all-flags');
    expect(task?.spec).toEqual({
      prompt: 'fix the flaky test',
      worker: {
        type: 'codex',
        credentials: { type: 'oauth', secretRef: { name: 'codex-creds' } },
        model: 'gpt-5',
        effort: 'high',
        image: 'registry.example/agent:1',
        workspaceRef: { name: 'repo' },
        agentConfigRefs: [{ name: 'a' }, { name: 'b' }],
        podOverrides: {
          activeDeadlineSeconds: 1800,
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: 'x=y' },
          ],
        },
      },
      dependsOn: ['first'],
      branch: 'fix/flaky',
    });
  });

  it('reads the prompt from stdin with --prompt-file -, and takes defaults from the config file under flags', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kelos-home-'));
    mkdirSync(join(home, '.kelos'));
    writeFileSync(
      join(home, '.kelos', 'config.yaml'),
      `namespace: ${ns}\nsecret: from-config\nmodel: config-model\nenv:\n  - name: LEVEL\n    value: debug\n`,
    );
    const r = await kelos(
      [
        'run',
        '--kubeconfig',
        kubeconfigPath(),
        '--prompt-file',
        '-',
        '--name',
        'stdin',
        '--model',
        'flag-model',
      ],
      {
        env: { HOME: home },
        stdin: 'prompt from stdin\n',
      },
    );
    expect(r).toMatchObject({ code: 0 });
    const task = await getTask(c, ns, 'stdin');
    expect(task?.spec.prompt).toBe('prompt from stdin\n');
    expect(task?.spec.worker).toMatchObject({
      type: 'claude-code',
      credentials: { type: 'api-key', secretRef: { name: 'from-config' } },
      model: 'flag-model',
      podOverrides: { env: [{ name: 'LEVEL', value: 'debug' }] },
    });
  });

  it('refuses a branch git refuses before creating anything, naming --branch, as kelos validate does', async () => {
    const r = await kelos([
      'run',
      ...as(['-p', 'x', '--name', 'bad-branch', '--credential-type', 'none', '--branch', 'bad branch']),
    ]);
    expect([r.code, r.stdout]).toStrictEqual([1, '']);
    expect(r.stderr).toContain('/spec/branch: branch "bad branch" is no name git takes');
    expect(r.stderr).toContain('(set by --branch) [git/ref-name]');
    expect(await getTask(c, ns, 'bad-branch')).toBeUndefined();
  });

  it('--dry-run prints the Task and creates nothing', async () => {
    const r = await kelos([
      'run',
      ...as(['-p', 'look only', '--name', 'dry', '--credential-type', 'none', '--dry-run']),
    ]);
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toMatchObject({
      kind: 'Task',
      metadata: { name: 'dry', namespace: ns },
      spec: { prompt: 'look only' },
    });
    expect(await getTask(c, ns, 'dry')).toBeUndefined();
  });

  it('--from taskspawner renders its template with -f values, without owner or spawner label', async () => {
    await create(
      c,
      ns,
      'TaskSpawner',
      spawner(
        'triage',
        { cron: { schedule: '0 * * * *' } },
        {},
        {
          workspaceRef: undefined,
          worker: { type: 'claude-code', credentials: { type: 'none' } },
          promptTemplate: 'Fix #{{.Number}}: {{.Title}}',
        },
      ),
    );
    const r = await kelos([
      'run',
      ...as([
        '--from',
        'taskspawner/triage',
        '-f',
        'Number=7',
        '-f',
        'Title=crash on start',
        '--name',
        'manual',
      ]),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const task = await getTask(c, ns, 'manual');
    expect(task?.spec.prompt).toBe('Fix #7: crash on start');
    expect(task?.metadata.ownerReferences).toBeUndefined();
    expect(task?.metadata.labels?.['kelos.dev/taskspawner']).toBeUndefined();
    expect(task?.metadata.annotations).toMatchObject({
      'kelos.dev/created-from-taskspawner': 'triage',
      'kelos.dev/trigger-type': 'manual',
    });
  });

  it("makes the config file's workspace.githubApp a GitHub App Secret of the Workspace; an incomplete one is refused", async () => {
    const appNs = await freshNamespace('cli-run-app');
    const dir = mkdtempSync(join(tmpdir(), 'kelos-config-'));
    writeFileSync(join(dir, 'app.pem'), '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
    const config = join(dir, 'config.yaml');
    const app = 'githubApp:\n    appID: "123"\n    installationID: "456"\n    privateKeyPath: app.pem\n';
    writeFileSync(config, `secret: s\nworkspace:\n  repo: https://github.com/o/r.git\n  ${app}`);
    const run = ['run', '--kubeconfig', kubeconfigPath(), '-n', appNs, '-p', 'x', '--config', config];
    const r = await kelos([...run, '--name', 'app'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: 'task/app created\n' });
    expect((await c.get<Workspace>(Resources.Workspace, appNs, 'kelos-workspace'))?.spec).toEqual({
      repo: 'https://github.com/o/r.git',
      secretRef: { name: 'kelos-workspace-credentials' },
    });
    const { stdout } = await kubectl([
      'get',
      'secret',
      'kelos-workspace-credentials',
      '-n',
      appNs,
      '-o',
      'json',
    ]);
    const data = (JSON.parse(stdout) as { data: Record<string, string> }).data;
    expect(
      Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])),
    ).toEqual({
      appID: '123',
      installationID: '456',
      privateKey: '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n',
    });

    writeFileSync(
      config,
      `secret: s\nworkspace:\n  repo: https://github.com/o/r.git\n  githubApp:\n    appID: "123"\n`,
    );
    const incomplete = await kelos([...run, '--dry-run'], { cwd: dir });
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toBe(
      'kelos: config file workspace.githubApp needs appID, installationID and privateKeyPath; installationID, privateKeyPath are not set\n',
    );
  });

  /** The data of Secret `name` in `namespace`, decoded. */
  const secretData = async (namespace: string, name: string): Promise<Record<string, string>> => {
    const { stdout } = await kubectl(['get', 'secret', name, '-n', namespace, '-o', 'json']);
    const data = (JSON.parse(stdout) as { data?: Record<string, string> }).data ?? {};
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  };
  const PEM = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';
  const REPO = 'workspace:\n  repo: https://github.com/o/r.git\n';
  const APP = `${REPO}  githubApp:\n    appID: "123"\n    installationID: "456"\n    privateKeyPath: app.pem\n`;
  const APP_DATA = { appID: '123', installationID: '456', privateKey: PEM };

  it('a config file switched between workspace.token and workspace.githubApp (and oauthToken and apiKey): the Secrets hold only what it now says', async () => {
    const swNs = await freshNamespace('cli-run-switch');
    const dir = mkdtempSync(join(tmpdir(), 'kelos-config-'));
    writeFileSync(join(dir, 'app.pem'), PEM);
    const config = join(dir, 'config.yaml');
    const run = ['run', '--kubeconfig', kubeconfigPath(), '-n', swNs, '-p', 'x', '--config', config];

    writeFileSync(config, `oauthToken: oauth-1\n${REPO}  token: ghp_old\n`);
    expect((await kelos([...run, '--name', 'one'], { cwd: dir })).code).toBe(0);
    expect(await secretData(swNs, 'kelos-workspace-credentials')).toEqual({ GITHUB_TOKEN: 'ghp_old' });
    expect(await secretData(swNs, 'kelos-credentials')).toEqual({ CLAUDE_CODE_OAUTH_TOKEN: 'oauth-1' });

    writeFileSync(config, `apiKey: key-1\n${APP}`);
    expect((await kelos([...run, '--name', 'two'], { cwd: dir })).code).toBe(0);
    // The token the user took out of the config file no longer lets anything clone or push.
    expect(await secretData(swNs, 'kelos-workspace-credentials')).toEqual(APP_DATA);
    expect(await secretData(swNs, 'kelos-credentials')).toEqual({ ANTHROPIC_API_KEY: 'key-1' });

    writeFileSync(config, `apiKey: key-1\n${REPO}  token: ghp_new\n`);
    expect((await kelos([...run, '--name', 'three'], { cwd: dir })).code).toBe(0);
    expect(await secretData(swNs, 'kelos-workspace-credentials')).toEqual({ GITHUB_TOKEN: 'ghp_new' });
  });

  it("a config file whose workspace drops its credentials altogether: the Secret kelos made is deleted; a user's of that name stays, and stderr says so", async () => {
    const dropNs = await freshNamespace('cli-run-drop');
    const dir = mkdtempSync(join(tmpdir(), 'kelos-config-'));
    const config = join(dir, 'config.yaml');
    const run = ['run', '--kubeconfig', kubeconfigPath(), '-n', dropNs, '-p', 'x', '--config', config];
    const exists = async (namespace: string) =>
      (await c.get(CoreResources.Secret, namespace, 'kelos-workspace-credentials')) !== undefined;

    writeFileSync(config, `secret: s\n${REPO}  token: ghp_gone\n`);
    expect((await kelos([...run, '--name', 'one'], { cwd: dir })).code).toBe(0);
    expect(await secretData(dropNs, 'kelos-workspace-credentials')).toEqual({ GITHUB_TOKEN: 'ghp_gone' });

    writeFileSync(config, `secret: s\n${REPO}`);
    const dry = await kelos([...run, '--dry-run'], { cwd: dir });
    expect(dry.stderr).toContain(
      'would delete secret/kelos-workspace-credentials if kelos made it and no unfinished Task takes its credentials from it\n',
    );
    expect(await exists(dropNs)).toBe(true);
    // -y: kelos-workspace is replaced by one without the secretRef.
    const r = await kelos([...run, '--name', 'two', '-y'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: 'task/two created\n' });
    expect(r.stderr).toContain(
      "secret/kelos-workspace-credentials deleted: the config file's workspace no longer has a token or githubApp\n",
    );
    // The token taken out of the config file no longer lets anything clone or push.
    expect(await exists(dropNs)).toBe(false);
    expect((await c.get<Workspace>(Resources.Workspace, dropNs, 'kelos-workspace'))?.spec).toEqual({
      repo: 'https://github.com/o/r.git',
    });
    // Nothing left to delete: no word of it.
    const again = await kelos([...run, '--name', 'three'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('kelos-workspace-credentials');

    // A Secret of that name the user made (no managed-by=kelos-cli label) is not kelos's to delete.
    const userNs = await freshNamespace('cli-run-user-secret');
    await createSecret(c, userNs, 'kelos-workspace-credentials', { GITHUB_TOKEN: 'ghp_users_own' });
    const userRun = ['run', '--kubeconfig', kubeconfigPath(), '-n', userNs, '-p', 'x', '--config', config];
    const kept = await kelos([...userRun, '--name', 'one'], { cwd: dir });
    expect(kept).toMatchObject({ code: 0, stdout: 'task/one created\n' });
    expect(kept.stderr).toContain(
      `secret/kelos-workspace-credentials left in place: the config file's workspace no longer asks for it, but it has no app.kubernetes.io/managed-by=kelos-cli label, so kelos did not make it; delete it yourself if nothing uses it: kubectl delete secret kelos-workspace-credentials -n ${userNs}\n`,
    );
    expect(await secretData(userNs, 'kelos-workspace-credentials')).toEqual({
      GITHUB_TOKEN: 'ghp_users_own',
    });
  });

  it("a config file that drops its oauthToken or apiKey: the kelos-credentials kelos made is deleted once no unfinished Task uses it; a user's of that name stays", async () => {
    const credNs = await freshNamespace('cli-run-cred-drop');
    // The Secret the runs below name, so kelos run has no missing one to warn of.
    await createSecret(c, credNs, 's', { ANTHROPIC_API_KEY: 'x' });
    const dir = mkdtempSync(join(tmpdir(), 'kelos-config-'));
    const config = join(dir, 'config.yaml');
    const run = ['run', '--kubeconfig', kubeconfigPath(), '-n', credNs, '-p', 'x', '--config', config];
    const exists = async (namespace: string) =>
      (await c.get(CoreResources.Secret, namespace, 'kelos-credentials')) !== undefined;

    writeFileSync(config, 'apiKey: key-gone\n');
    expect((await kelos([...run, '--name', 'one'], { cwd: dir })).code).toBe(0);
    expect(await secretData(credNs, 'kelos-credentials')).toEqual({ ANTHROPIC_API_KEY: 'key-gone' });

    writeFileSync(config, 'secret: s\n');
    const dry = await kelos([...run, '--dry-run'], { cwd: dir });
    expect(dry.stderr).toContain(
      'would delete secret/kelos-credentials if kelos made it and no unfinished Task takes its credentials from it\n',
    );
    expect(await exists(credNs)).toBe(true);
    // Task one has not finished: its agent would not start without the Secret.
    const waiting = await kelos([...run, '--name', 'two'], { cwd: dir });
    expect(waiting).toMatchObject({ code: 0, stdout: 'task/two created\n' });
    expect(waiting.stderr).toBe(
      `secret/kelos-credentials left in place: the config file no longer has an oauthToken or apiKey, but task/one (not finished) takes its credentials from it; a later kelos run deletes it once none is left unfinished, or delete it yourself when they finish: kubectl delete secret kelos-credentials -n ${credNs}\n`,
    );
    expect(await exists(credNs)).toBe(true);
    await finish('one', credNs, { phase: 'Succeeded' });
    const r = await kelos([...run, '--name', 'three'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: 'task/three created\n' });
    expect(r.stderr).toBe(
      'secret/kelos-credentials deleted: the config file no longer has an oauthToken or apiKey\n',
    );
    // The key taken out of the config file no longer lets an agent run.
    expect(await exists(credNs)).toBe(false);
    expect((await getTask(c, credNs, 'three'))?.spec.worker?.credentials).toEqual({
      type: 'api-key',
      secretRef: { name: 's' },
    });
    // Nothing left to delete: no word of it.
    const again = await kelos([...run, '--name', 'four'], { cwd: dir });
    expect(again).toMatchObject({ code: 0, stderr: '' });

    // A run that names kelos-credentials itself keeps it, whatever made it.
    writeFileSync(config, 'apiKey: key-2\n');
    expect((await kelos([...run, '--name', 'five'], { cwd: dir })).code).toBe(0);
    await finish('five', credNs, { phase: 'Failed' });
    writeFileSync(config, 'secret: kelos-credentials\n');
    const named = await kelos([...run, '--name', 'six'], { cwd: dir });
    expect(named).toMatchObject({ code: 0, stderr: '' });
    expect(await secretData(credNs, 'kelos-credentials')).toEqual({ ANTHROPIC_API_KEY: 'key-2' });

    // A Secret of that name the user made (no managed-by=kelos-cli label) is not kelos's to delete.
    const userNs = await freshNamespace('cli-run-user-cred');
    await createSecret(c, userNs, 's', { ANTHROPIC_API_KEY: 'x' });
    await createSecret(c, userNs, 'kelos-credentials', { ANTHROPIC_API_KEY: 'users-own' });
    writeFileSync(config, 'secret: s\n');
    const userRun = ['run', '--kubeconfig', kubeconfigPath(), '-n', userNs, '-p', 'x', '--config', config];
    const kept = await kelos([...userRun, '--name', 'one'], { cwd: dir });
    expect(kept).toMatchObject({ code: 0, stdout: 'task/one created\n' });
    expect(kept.stderr).toBe(
      `secret/kelos-credentials left in place: the config file no longer asks for it, but it has no app.kubernetes.io/managed-by=kelos-cli label, so kelos did not make it; delete it yourself if nothing uses it: kubectl delete secret kelos-credentials -n ${userNs}\n`,
    );
    expect(await secretData(userNs, 'kelos-credentials')).toEqual({ ANTHROPIC_API_KEY: 'users-own' });

    // A user who may create Tasks but not list them: the run goes on, the Secret stays, and why.
    const rbacNs = await freshNamespace('cli-run-cred-rbac');
    writeFileSync(config, 'apiKey: key-3\n');
    const adminRun = ['run', '--kubeconfig', kubeconfigPath(), '-n', rbacNs, '-p', 'x', '--config', config];
    expect((await kelos([...adminRun, '--name', 'one'], { cwd: dir })).code).toBe(0);
    await kubectl(['create', 'serviceaccount', 'runner', '-n', rbacNs]);
    await kubectl(['create', 'role', 'runner', '--verb=get', '--resource=secrets', '-n', rbacNs]);
    await kubectl([
      'create',
      'role',
      'task-creator',
      '--verb=create',
      '--resource=tasks.kelos.dev',
      '-n',
      rbacNs,
    ]);
    for (const role of ['runner', 'task-creator'])
      await kubectl([
        'create',
        'rolebinding',
        role,
        `--role=${role}`,
        `--serviceaccount=${rbacNs}:runner`,
        '-n',
        rbacNs,
      ]);
    const { stdout: token } = await kubectl(['create', 'token', 'runner', '-n', rbacNs, '--duration=1h']);
    const runner = await tokenKubeconfig(kubeconfigPath(), token.trim(), rbacNs);
    writeFileSync(config, 'secret: s\n');
    const limited = await eventually(
      'the Roles to take effect',
      () =>
        kelos(['run', '--kubeconfig', runner, '-p', 'x', '--config', config, '--name', 'two'], { cwd: dir }),
      (r) => r.code === 0,
    );
    expect(limited.stdout).toBe('task/two created\n');
    // Whether an operator is installed this user may not read: nothing is said of it.
    expect(limited.stderr).not.toContain('no Kelos operator is installed');
    expect(limited.stderr).toContain(
      `secret/kelos-credentials left in place: the config file no longer has an oauthToken or apiKey, but kelos could not list the Tasks of namespace "${rbacNs}" to see whether an unfinished one still takes its credentials from it (`,
    );
    expect(limited.stderr).toContain(
      `(permission denied: system:serviceaccount:${rbacNs}:runner may not list tasks.kelos.dev in namespace "${rbacNs}".`,
    );
    expect(await secretData(rbacNs, 'kelos-credentials')).toEqual({ ANTHROPIC_API_KEY: 'key-3' });
  });

  it('a Secret an earlier kelos run wrote under stringData loses the keys the config file no longer has, and says so', async () => {
    const oldNs = await freshNamespace('cli-run-legacy');
    // What kelos run wrote before 0.2.0: the keys under stringData, applied server-side.
    await kubectl(['apply', '--server-side', '--field-manager=kelos-cli', '-n', oldNs, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'kelos-workspace-credentials',
          labels: { 'app.kubernetes.io/managed-by': 'kelos-cli' },
        },
        type: 'Opaque',
        stringData: { GITHUB_TOKEN: 'ghp_legacy' },
      }),
    });
    const dir = mkdtempSync(join(tmpdir(), 'kelos-config-'));
    writeFileSync(join(dir, 'app.pem'), PEM);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `secret: s\n${APP}`);
    const run = ['run', '--kubeconfig', kubeconfigPath(), '-n', oldNs, '-p', 'x', '--config', config];
    const r = await kelos([...run, '--name', 'one'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: 'task/one created\n' });
    expect(r.stderr).toContain(
      'secret/kelos-workspace-credentials applied (removed GITHUB_TOKEN: no longer in the config file)\n',
    );
    expect(await secretData(oldNs, 'kelos-workspace-credentials')).toEqual(APP_DATA);
  });

  it('refuses to replace kelos-workspace of another spec without -y, and then changes nothing', async () => {
    const wsNs = await freshNamespace('cli-run-ws');
    const config = join(mkdtempSync(join(tmpdir(), 'kelos-config-')), 'config.yaml');
    const write = (token: string, ref: string) =>
      writeFileSync(
        config,
        `oauthToken: ${token}\nworkspace:\n  repo: https://github.com/o/r.git\n  ref: ${ref}\n`,
      );
    const run = ['run', '--kubeconfig', kubeconfigPath(), '-n', wsNs, '-p', 'x', '--config', config];
    const token = async () => {
      const { stdout } = await kubectl(['get', 'secret', 'kelos-credentials', '-n', wsNs, '-o', 'json']);
      const data = (JSON.parse(stdout) as { data: Record<string, string> }).data;
      return Buffer.from(data['CLAUDE_CODE_OAUTH_TOKEN'] ?? '', 'base64').toString();
    };
    write('first', 'main');
    expect((await kelos([...run, '--name', 'one'])).code).toBe(0);
    write('second', 'dev');
    const refused = await kelos([...run, '--name', 'two']);
    expect(refused).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'kelos: workspace "kelos-workspace" exists with another spec than the config file\'s workspace; pass -y to replace it\n',
    });
    expect(await token()).toBe('first');
    expect(await getTask(c, wsNs, 'two')).toBeUndefined();
    expect((await kelos([...run, '--name', 'two', '-y'])).code).toBe(0);
    expect(await token()).toBe('second');
    expect((await c.get<Workspace>(Resources.Workspace, wsNs, 'kelos-workspace'))?.spec.ref).toBe('dev');
  });

  it('a config file token @path that cannot be read names the setting and the config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-config-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `oauthToken: "@${join(dir, 'missing-token')}"\n`);
    const r = await kelos(['run', ...as(['-p', 'x', '--config', config])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kelos: config file ${config}: oauthToken "@${join(dir, 'missing-token')}": cannot read the file: ENOENT: no such file or directory, open '${join(dir, 'missing-token')}'\n`,
    );
  });

  it('refuses a run without a credential, naming the ways to give one', async () => {
    const r = await kelos(['run', ...as(['-p', 'x'])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--secret <name>.*--credential-type none/);
  });
});

describe('kelos get', () => {
  beforeAll(async () => {
    for (const [name, namespace] of [
      ['done', ns],
      ['failing', ns],
      ['elsewhere', other],
    ] as const) {
      const r = await kelos([
        'run',
        '--kubeconfig',
        kubeconfigPath(),
        '-n',
        namespace,
        '-p',
        `p ${name}`,
        '--name',
        name,
        '--credential-type',
        'none',
        '--branch',
        `b-${name}`,
      ]);
      expect(r.code).toBe(0);
    }
    await finish('done', ns, {
      phase: 'Succeeded',
      startTime: '2026-01-01T10:00:00Z',
      completionTime: '2026-01-01T10:03:00Z',
      results: { pr: 'https://github.com/o/r/pull/12', branch: 'b-done' },
      usage: { costUSD: '0.42', inputTokens: 1200, outputTokens: 340 },
      conditions: [
        {
          type: 'DependenciesReady',
          status: 'True',
          reason: 'Ready',
          message: 'all done',
          lastTransitionTime: '2026-01-01T10:00:00Z',
        },
      ],
    });
    await finish('failing', ns, { phase: 'Failed', message: 'agent exited 1' });
  });

  it('prints a table of the printer columns, with the PR and cost of a Task', async () => {
    const r = await kelos(['get', 'tasks', ...as()]);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['NAME', 'TYPE', 'PHASE', 'COST', 'PR', 'AGE']);
    const done = rows.find((l) => l.startsWith('done '))?.split(/\s{2,}/);
    expect(done?.slice(0, 5)).toEqual([
      'done',
      'claude-code',
      'Succeeded',
      '0.42',
      'https://github.com/o/r/pull/12',
    ]);
    expect(done?.[5]).toMatch(/^\d+s$/);
    expect(rows.some((l) => l.includes('elsewhere'))).toBe(false);
  });

  it('-o wide adds the priority-1 columns; -A adds NAMESPACE and lists every namespace', async () => {
    const wide = await kelos(['get', 'task', ...as(['-o', 'wide'])]);
    expect(wide.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual([
      'NAME',
      'TYPE',
      'PHASE',
      'BRANCH',
      'WORKSPACE',
      'DEPENDS ON',
      'COST',
      'PR',
      'AGE',
    ]);
    const all = await kelos(['get', 'tk', '--kubeconfig', kubeconfigPath(), '-A']);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+TYPE/);
    expect(all.stdout).toMatch(new RegExp(`${other}\\s+elsewhere`));
    expect(all.stdout).toMatch(new RegExp(`${ns}\\s+done`));
  });

  it('--phase filters, -o name names, -o json/yaml print the objects without managedFields', async () => {
    const failed = await kelos(['get', 'tasks', ...as(['--phase', 'failed', '-o', 'name'])]);
    expect(failed.stdout).toBe('task.kelos.dev/failing\n');
    const json = JSON.parse((await kelos(['get', 'task', 'done', ...as(['-o', 'json'])])).stdout) as Task;
    expect(json).toMatchObject({ kind: 'Task', metadata: { name: 'done' }, status: { phase: 'Succeeded' } });
    expect(json.metadata).not.toHaveProperty('managedFields');
    const list = parse((await kelos(['get', 'tasks', ...as(['-o', 'yaml'])])).stdout) as {
      kind: string;
      items: Task[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((t) => t.metadata.name).sort()).toEqual([
      'all-flags',
      'done',
      'failing',
      'manual',
      'stdin',
    ]);
    expect(list.items.every((t) => t.kind === 'Task' && !('managedFields' in t.metadata))).toBe(true);
  });

  it('-d shows status, duration, conditions, results, usage and cost', async () => {
    const r = await kelos(['get', 'task', 'done', ...as(['-d'])]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Phase:\s+Succeeded/);
    expect(r.stdout).toMatch(/Duration:\s+3m\n/);
    expect(r.stdout).toMatch(/Cost:\s+\$0\.42/);
    expect(r.stdout).toMatch(/Input tokens:\s+1200/);
    expect(r.stdout).toMatch(/pr:\s+https:\/\/github\.com\/o\/r\/pull\/12/);
    expect(r.stdout).toMatch(/DependenciesReady\s+True\s+Ready\s+\S+\s+all done/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it("-d shows a Task's timeout with its unit, and a TaskBudget's time zone and current period", async () => {
    const task = await kelos(['get', 'task', 'all-flags', ...as(['-d'])]);
    expect(task.stdout).toMatch(/\nTimeout:\s+30m\n/);
    await create(c, ns, 'TaskBudget', {
      apiVersion: 'kelos.dev/v1alpha2',
      kind: 'TaskBudget',
      metadata: { name: 'daily' },
      spec: { taskSelector: {}, period: { type: 'Daily', timezone: 'Europe/Berlin' }, maxCostUSD: '20' },
    });
    // Plays the operator's part: the window it computed. It ends a day from now.
    const end = new Date(Date.now() + 24 * 3_600_000 - 60_000);
    const start = new Date(end.getTime() - 24 * 3_600_000);
    const rfc3339 = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
    await c.mergePatch(
      Resources.TaskBudget,
      ns,
      'daily',
      { status: { currentPeriodStart: rfc3339(start), currentPeriodEnd: rfc3339(end) } },
      { subresource: 'status' },
    );
    const budget = await kelos(['get', 'tb', 'daily', ...as(['-d'])]);
    expect(budget.code).toBe(0);
    expect(budget.stdout).toMatch(/\nPeriod:\s+Daily\n/);
    expect(budget.stdout).toMatch(/\nTime Zone:\s+Europe\/Berlin\n/);
    expect(budget.stdout).toContain(`Current Period: ${rfc3339(start)} to ${rfc3339(end)} (resets in 23h)\n`);
  });

  it('refuses -l with a name, which would show the object whatever its labels', async () => {
    const r = await kelos(['get', 'task', 'any', ...as(['-l', 'no-such-label=x'])]);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'kelos: -l/--selector filters a list; it cannot be combined with a name\n',
    });
  });

  it('a -l the API server cannot parse is named as the flag, not as a request URL', async () => {
    const r = await kelos(['get', 'tasks', ...as(['-l', 'bad label'])]);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'kelos: -l "bad label" is not a label selector the API server accepts: unable to parse requirement: found \'label\', expected: in, notin, =, ==, !=, gt, lt\n',
    });
  });

  it('says so when a namespace has none', async () => {
    const r = await kelos(['get', 'workspaces', '--kubeconfig', kubeconfigPath(), '-n', other]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: `No workspaces found in ${other} namespace.\n` });
  });

  it('adds, on stderr, that a namespace with none does not exist, exit 0 as kubectl', async () => {
    for (const kind of [
      'tasks',
      'workspaces',
      'agentconfigs',
      'taskspawners',
      'taskbudgets',
      'taskrecords',
    ]) {
      const r = await kelos(['get', kind, '--kubeconfig', kubeconfigPath(), '-n', 'nosuchns']);
      expect(r).toMatchObject({ code: 0, stdout: '' });
      expect(r.stderr).toMatch(
        new RegExp(
          `^No ${kind} found in nosuchns namespace\\.\\nwarning: namespace "nosuchns" does not exist on the API server at https://\\S+ \\(kubeconfig: [^)]+\\)\\. Create it \\(kubectl create namespace nosuchns\\) or pass -n an existing namespace\\.\\n$`,
        ),
      );
    }
    const json = await kelos([
      'get',
      'tasks',
      '--kubeconfig',
      kubeconfigPath(),
      '-n',
      'nosuchns',
      '-o',
      'json',
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'List', items: [] });
    expect(json.stderr).toContain('warning: namespace "nosuchns" does not exist');
  });

  it('names no namespace when a cluster-scoped kind has none', async () => {
    // A selector no KelosConfig of another test file carries.
    const r = await kelos([
      'get',
      'kelosconfigs',
      '-l',
      `none-in=${other}`,
      '--kubeconfig',
      kubeconfigPath(),
      '-n',
      other,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: 'No kelosconfigs found.\n' });
  });
});

describe('kelos create', () => {
  it('a Workspace that exists is refused before its token Secret is created', async () => {
    const args = ['create', 'ws', 'taken', ...as(['--repo', 'https://github.com/o/r.git'])];
    expect((await kelos(args)).code).toBe(0);
    const r = await kelos([...args, '--token', 'ghp_y']);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `kelos: workspace "taken" already exists in namespace "${ns}"; delete it first or pick another name\n`,
    });
    const secrets = await kubectl(['get', 'secrets', '-n', ns, '-o', 'name']);
    expect(secrets.stdout).not.toContain('secret/taken-credentials');
  });

  it('refuses a --skills-sh, --skill or --agent given twice, creating nothing', async () => {
    for (const [flag, value, named] of [
      ['--skills-sh', 'owner/pkg:one', 'owner/pkg:one'],
      ['--skill', 'review=a', 'review'],
      ['--agent', 'critic=b', 'critic'],
    ] as const) {
      const r = await kelos(['create', 'ac', 'twice', ...as([flag, value, flag, value])]);
      expect(r).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `kelos: ${flag} ${named} is given twice; give each once\n`,
      });
    }
    expect(await c.get<AgentConfig>(Resources.AgentConfig, ns, 'twice')).toBeUndefined();
  });

  it('a usage error of create workspace or agentconfig returns exit 1 with its usage hint', async () => {
    const r = await kelos(['create', 'workspace', 'x', ...as()]);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        "error: required option '--repo <url>' not specified\n(run kelos create workspace --help for usage)\n",
    });
    const ac = await kelos(['create', 'ac', 'x', '--bogus', ...as()]);
    expect(ac).toMatchObject({
      code: 1,
      stderr: "error: unknown option '--bogus'\n(run kelos create agentconfig --help for usage)\n",
    });
  });

  it('creates a Workspace with a token Secret, and an AgentConfig from flags and files', async () => {
    const ws = await kelos([
      'create',
      'workspace',
      'repo',
      ...as(['--repo', 'https://github.com/o/r.git', '--ref', 'main', '--token', 'ghp_x']),
    ]);
    expect(ws).toMatchObject({
      code: 0,
      stdout: 'secret/repo-credentials created\nworkspace/repo created\n',
    });
    expect((await c.get<Workspace>(Resources.Workspace, ns, 'repo'))?.spec).toEqual({
      repo: 'https://github.com/o/r.git',
      ref: 'main',
      secretRef: { name: 'repo-credentials' },
    });
    const dir = mkdtempSync(join(tmpdir(), 'kelos-ac-'));
    writeFileSync(join(dir, 'AGENTS.md'), '# Rules\nRun the tests.\n');
    const ac = await kelos(
      [
        'create',
        'ac',
        'rules',
        ...as([
          '--agents-md',
          '@AGENTS.md',
          '--skill',
          'review=Review carefully.',
          '--agent',
          'critic=Be critical.',
          '--mcp',
          'gh={"type":"http","url":"https://mcp.example"}',
          '--skills-sh',
          'owner/pkg:one',
        ]),
      ],
      { cwd: dir },
    );
    expect(ac.stderr).toBe('');
    expect((await c.get<AgentConfig>(Resources.AgentConfig, ns, 'rules'))?.spec).toEqual({
      agentsMD: '# Rules\nRun the tests.\n',
      plugins: [
        {
          name: 'rules',
          skills: [{ name: 'review', content: 'Review carefully.' }],
          agents: [{ name: 'critic', content: 'Be critical.' }],
        },
      ],
      skills: [{ source: 'owner/pkg', skill: 'one' }],
      mcpServers: [{ name: 'gh', type: 'http', url: 'https://mcp.example' }],
    });
    const again = await kelos([
      'create',
      'workspace',
      'repo',
      ...as(['--repo', 'https://github.com/o/r.git']),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('workspace "repo" already exists');
  });
});

describe('cluster command errors', () => {
  it('not found: names kind, name and namespace, and how to list what exists', async () => {
    const r = await kelos(['get', 'task', 'nope', ...as()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kelos: task "nope" not found in namespace "${ns}"; list what exists with: kelos get tasks -n ${ns}\n`,
    );
  });

  it('a namespace that does not exist, or is being deleted: named, with what to do, not a missing CRD or grant', async () => {
    const missing = `${ns}-missing`;
    const run = await kelos(['run', ...as(), '-n', missing, '-p', 'x', '--credential-type', 'none']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^kelos: namespace "${missing}" does not exist on the API server at https://\\S+ \\(kubeconfig: `,
      ),
    );
    expect(run.stderr).toContain(
      `Create it (kubectl create namespace ${missing}) or pass -n an existing namespace.`,
    );
    const ws = await kelos([
      'create',
      'ws',
      'w',
      '--repo',
      'https://github.com/a/b.git',
      '--token',
      't',
      ...as(['-n', missing]),
    ]);
    expect(ws.stderr).toMatch(new RegExp(`^kelos: namespace "${missing}" does not exist`));

    // Held in Terminating by a ConfigMap's finalizer, released at the end.
    const going = await freshNamespace('cli-going');
    await kubectl(['create', 'configmap', 'hold', '-n', going]);
    await kubectl([
      'patch',
      'configmap',
      'hold',
      '-n',
      going,
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);
    await kubectl(['delete', 'namespace', going, '--wait=false']);
    const r = await eventually(
      'the namespace to refuse new objects',
      () => kelos(['run', ...as(['-n', going]), '-p', 'x', '--credential-type', 'none']),
      (result) => result.code === 1,
    );
    expect(r.stderr).toBe(
      `kelos: namespace "${going}" is being deleted: the API server creates nothing new in it. Pass -n another namespace, or wait until it is gone and create it again (kubectl get namespace ${going}).\n`,
    );
    await kubectl([
      'patch',
      'configmap',
      'hold',
      '-n',
      going,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
  });

  it('logs of a Task no operator has seen says it has no phase and asks whether the operator runs', async () => {
    expect(
      (await kelos(['run', ...as(['-p', 'x', '--name', 'unseen', '--credential-type', 'none'])])).code,
    ).toBe(0);
    const r = await kelos(['logs', 'unseen', ...as()]);
    expect(r).toMatchObject({
      code: 1,
      stderr: `kelos: task "unseen" has no Pod yet (no phase yet: is the operator running? check with: kelos version); wait for it with: kelos logs unseen -n ${ns} -f\n`,
    });
  });

  it('RBAC denied: names the user, verb, resource and namespace', async () => {
    await kubectl(['create', 'serviceaccount', 'nobody', '-n', ns]);
    const { stdout } = await kubectl(['create', 'token', 'nobody', '-n', ns, '--duration=1h']);
    const kubeconfig = await tokenKubeconfig(kubeconfigPath(), stdout.trim(), ns);
    const r = await kelos(['get', 'tasks', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `permission denied: system:serviceaccount:${ns}:nobody may not list tasks.kelos.dev in namespace "${ns}"`,
    );
    expect(r.stderr).toContain('kubectl auth can-i list tasks.kelos.dev');
    const run = await kelos(['run', '--kubeconfig', kubeconfig, '-p', 'x', '--credential-type', 'none']);
    expect(run.stderr).toMatch(/may not create tasks\.kelos\.dev in namespace/);
  });

  it('version reads the Deployment and the CRDs apart: a denial of one is told on its own line, the other still read', async () => {
    await kubectl(['create', 'serviceaccount', 'versionist', '-n', ns]);
    const { stdout } = await kubectl(['create', 'token', 'versionist', '-n', ns, '--duration=1h']);
    const kubeconfig = await tokenKubeconfig(kubeconfigPath(), stdout.trim(), ns);
    const user = `system:serviceaccount:${ns}:versionist`;
    // Deployments readable in its namespace, CRDs not.
    await kubectl(['create', 'role', 'deployment-reader', '--verb=get', '--resource=deployments', '-n', ns]);
    await kubectl([
      'create',
      'rolebinding',
      'deployment-reader',
      '--role=deployment-reader',
      `--serviceaccount=${ns}:versionist`,
      '-n',
      ns,
    ]);
    const r = await eventually(
      'the Role to take effect',
      () => kelos(['version', '--kubeconfig', kubeconfig, '-n', ns, '-o', 'json']),
      (result) => !result.stdout.includes('may not get deployments'),
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, string>;
    expect(doc['operatorProblem']).toBe(
      `not installed (no Deployment kelos-operator in namespace ${ns}; run kelos install)`,
    );
    expect(doc['crdProblem']).toMatch(
      new RegExp(
        `^unknown: permission denied: ${user} may not get customresourcedefinitions\\.apiextensions\\.k8s\\.io`,
      ),
    );
    // CRDs readable, the operator's namespace not: the CRDs' version is still reported.
    await kubectl([
      'create',
      'clusterrole',
      `${ns}-crd-reader`,
      '--verb=get',
      '--resource=customresourcedefinitions',
    ]);
    await kubectl([
      'create',
      'clusterrolebinding',
      `${ns}-crd-reader`,
      `--clusterrole=${ns}-crd-reader`,
      `--serviceaccount=${ns}:versionist`,
    ]);
    const text = await eventually(
      'the ClusterRole to take effect',
      () => kelos(['version', '--kubeconfig', kubeconfig]),
      (result) =>
        result.stdout.includes('CRD Version: ') &&
        !result.stdout.includes('may not get customresourcedefinitions'),
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^Client Version: \\S+\nOperator Version: unknown: permission denied: ${user} may not get deployments\\.apps in namespace "kelos-system".*\nCRD Version: \\S+\n$`,
      ),
    );
    await kubectl(['delete', 'clusterrolebinding', `${ns}-crd-reader`]);
    await kubectl(['delete', 'clusterrole', `${ns}-crd-reader`]);
  });

  it('no cluster: names the server and the kubeconfig, exit 1', async () => {
    const gone = await unreachableKubeconfig();
    const r = await kelos(['get', 'tasks', '--kubeconfig', gone.path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `cannot reach the Kubernetes API server at ${gone.server} (kubeconfig: ${gone.path})`,
    );
    expect(r.stderr).toContain('ECONNREFUSED');
    const install = await kelos(['install', '--kubeconfig', gone.path]);
    expect(install.code).toBe(1);
    expect(install.stderr).toContain(`cannot reach the Kubernetes API server at ${gone.server}`);
    // version still answers for the client, and says why it has no operator version.
    const version = await kelos(['version', '--kubeconfig', gone.path]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(
      /^Client Version: \S+\nOperator Version: unknown: cannot reach the Kubernetes API server at /,
    );
  });

  it('an unknown kind is a usage error listing the kinds', async () => {
    const r = await kelos(['get', 'pods', ...as()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown kind "pods".*tasks \(task, tk\)/);
  });
});
