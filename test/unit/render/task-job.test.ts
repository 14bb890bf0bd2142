import { describe, expect, test } from 'vitest';
import { ownerRepo, repoHost } from '../../../src/api/repo-url.ts';
import { DEFAULT_IMAGE_TAG } from '../../../src/api/version.ts';
import { BUNDLED_COMMAND, CUSTOM_COMMAND } from '../../../src/contract/pod.ts';
import {
  configMapName,
  DEFAULT_POD_FAILURE_POLICY,
  DEFAULT_WORKSPACE_SIZE_LIMIT,
  isValidBranchName,
  workspaceFilePathProblem,
} from '../../../src/render/task-job.ts';
import { expandK8sVars } from '../contract/pod-runner.ts';
import { makeAgentConfig, makeTask, makeWorkspace, render, renderOk, withWorker } from './fixtures.ts';

const wsTask = (spec: Parameters<typeof withWorker>[1] = {}, worker: Parameters<typeof withWorker>[0] = {}) =>
  withWorker({ workspaceRef: { name: 'repo' }, ...worker }, spec);

describe('renderTaskJob: the Job', () => {
  test('is named after the Task, in its namespace', () => {
    const { job } = renderOk();
    expect([job.apiVersion, job.kind, job.metadata?.name, job.metadata?.namespace]).toEqual([
      'batch/v1',
      'Job',
      'fix-bug',
      'team-a',
    ]);
  });

  test('never retries the agent: backoffLimit 0 and restartPolicy Never', () => {
    const { job, pod } = renderOk();
    expect(job.spec?.backoffLimit).toBe(0);
    expect(pod.restartPolicy).toBe('Never');
  });

  test('is controlled by the Task, which blocks its deletion', () => {
    expect(renderOk().job.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'Task',
        name: 'fix-bug',
        uid: '6f1c0b9e-1111-2222-3333-444455556666',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  test('has no owner reference when the Task has no uid yet (preview)', () => {
    const { job } = renderOk({ task: makeTask({}, { uid: undefined }) });
    expect(job.metadata?.ownerReferences).toBeUndefined();
  });

  test("carries the built-in labels on the Job and its Pod, upstream's too", () => {
    const want = {
      'app.kubernetes.io/name': 'kelos',
      'app.kubernetes.io/component': 'task',
      'app.kubernetes.io/managed-by': 'kelos-operator',
      // Upstream's, so selectors written for upstream's agents still match.
      'kelos.dev/name': 'kelos',
      'kelos.dev/component': 'task',
      'kelos.dev/managed-by': 'kelos-controller',
      'kelos.dev/task': 'fix-bug',
      'kelos.dev/agent-type': 'claude-code',
    };
    const { job } = renderOk();
    expect(job.metadata?.labels).toEqual(want);
    expect(job.spec?.template.metadata?.labels).toEqual(want);
  });

  test('merges podOverrides labels, and built-in labels win', () => {
    const { job } = renderOk({
      task: withWorker({ podOverrides: { labels: { team: 'a', 'kelos.dev/task': 'spoofed' } } }),
    });
    expect(job.spec?.template.metadata?.labels).toMatchObject({ team: 'a', 'kelos.dev/task': 'fix-bug' });
  });

  test('takes activeDeadlineSeconds from podOverrides, else the configured default', () => {
    expect(
      renderOk({ task: withWorker({ podOverrides: { activeDeadlineSeconds: 600 } }) }).job.spec
        ?.activeDeadlineSeconds,
    ).toBe(600);
    expect(
      renderOk({ options: { defaultActiveDeadlineSeconds: 3600 } }).job.spec?.activeDeadlineSeconds,
    ).toBe(3600);
    expect(
      renderOk({
        task: withWorker({ podOverrides: { activeDeadlineSeconds: 60 } }),
        options: { defaultActiveDeadlineSeconds: 3600 },
      }).job.spec?.activeDeadlineSeconds,
    ).toBe(60);
    expect(renderOk().job.spec?.activeDeadlineSeconds).toBeUndefined();
  });

  test("copies the Task's podFailurePolicy verbatim", () => {
    const policy = { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] };
    expect(renderOk({ task: makeTask({ podFailurePolicy: policy }) }).job.spec?.podFailurePolicy).toEqual(
      policy,
    );
  });

  test('by default ignores disruptions (eviction, preemption, drain) instead of failing the Task', () => {
    expect(renderOk().job.spec?.podFailurePolicy).toEqual(DEFAULT_POD_FAILURE_POLICY);
    expect(DEFAULT_POD_FAILURE_POLICY).toEqual({
      rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
    });
  });

  test('refuses a Task name longer than 63 characters', () => {
    const r = render({ task: makeTask({}, { name: 'x'.repeat(64) }) });
    expect(r.job).toBeUndefined();
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'render/task-name',
        path: '/metadata/name',
        message:
          'Task name is 64 characters; its Job needs a name of at most 63 (Job names become a Pod label value)',
        resource: {
          apiVersion: 'kelos.dev/v1alpha2',
          kind: 'Task',
          name: 'x'.repeat(64),
          namespace: 'team-a',
        },
      }),
    ]);
  });

  test('refuses a WorkerPool Task', () => {
    const r = render({ task: makeTask({ worker: undefined, workerPoolRef: { name: 'pool' } }) });
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([
      ['render/worker-pool', '/spec/workerPoolRef'],
      ['render/agent-type', '/spec/worker/type'],
    ]);
  });

  test('refuses a prompt Linux cannot pass as one argument', () => {
    const r = render({ prompt: 'x'.repeat(128 * 1024) });
    expect(r.errors[0]).toMatchObject({
      code: 'render/prompt-size',
      path: '/spec/prompt',
      message:
        'prompt is 131072 bytes; the agent receives it as one argument, which Linux limits to 131071 bytes',
    });
  });

  test('reports every problem at once and renders no objects', () => {
    const r = render({
      task: wsTask(
        { branch: '-bad' },
        {
          agentConfigRefs: [{ name: 'missing' }],
          podOverrides: { volumes: [{ name: 'kelos-x', emptyDir: {} }] },
        },
      ),
    });
    expect(r.job).toBeUndefined();
    expect(r.configMaps).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual([
      'render/workspace-missing',
      'render/branch-name',
      'render/agent-config-missing',
      'render/reserved-volume-name',
    ]);
  });
});

describe('renderTaskJob: the agent container', () => {
  test('is kelos-agent running the bundled image of its type under tini', () => {
    const { agent } = renderOk({ options: { imageTag: 'v1.2.3' } });
    expect(agent.name).toBe('kelos-agent');
    expect(agent.image).toBe('ghcr.io/kelos-ts/claude-code:v1.2.3');
    expect(agent.command).toEqual(['/usr/bin/tini', '-g', '--', '/kelos_entrypoint.sh']);
    expect(agent.command).toEqual([...BUNDLED_COMMAND]);
  });

  test.each(['claude-code', 'codex', 'gemini', 'opencode', 'cursor'] as const)(
    'defaults the %s image',
    (type) => {
      expect(renderOk({ task: withWorker({ type, credentials: { type: 'none' } }) }).agent.image).toBe(
        `ghcr.io/kelos-ts/${type}:${DEFAULT_IMAGE_TAG}`,
      );
    },
  );

  test('takes the bundled images from the configured registry and repository', () => {
    const { agent } = renderOk({ options: { imageRepository: 'registry.local/kelos', imageTag: 'v2' } });
    expect(agent.image).toBe('registry.local/kelos/claude-code:v2');
  });

  test('uses the configured image of the agent type', () => {
    const { agent } = renderOk({ options: { agentImages: { 'claude-code': 'registry.local/claude:7' } } });
    expect(agent.image).toBe('registry.local/claude:7');
  });

  test("runs a Task's custom image without tini", () => {
    const { agent } = renderOk({
      task: withWorker({ image: 'acme/agent:1' }),
      options: { agentImages: { 'claude-code': 'x' } },
    });
    expect(agent.image).toBe('acme/agent:1');
    expect(agent.command).toEqual([...CUSTOM_COMMAND]);
  });

  test('passes the rendered prompt as the only argument', () => {
    expect(renderOk({ prompt: 'Work on branch feat --now' }).agent.args).toEqual([
      'Work on branch feat --now',
    ]);
  });

  test('applies the pull policy to every built-in container', () => {
    const { pod } = renderOk({
      task: wsTask(),
      workspace: makeWorkspace(),
      options: { imagePullPolicy: 'Always' },
    });
    expect([...(pod.initContainers ?? []), ...pod.containers].map((c) => c.imagePullPolicy)).toEqual([
      'Always',
      'Always',
    ]);
  });

  test('reports outputs through its termination message, falling back to logs on error', () => {
    const { agent, env } = renderOk();
    expect([agent.terminationMessagePath, agent.terminationMessagePolicy]).toEqual([
      '/dev/termination-log',
      'FallbackToLogsOnError',
    ]);
    expect(env('KELOS_TERMINATION_MESSAGE_PATH')?.value).toBe('/dev/termination-log');
  });

  test('uses a configured termination message path in the container and its env', () => {
    const { agent, env } = renderOk({ options: { terminationMessagePath: '/tmp/kelos-outputs' } });
    expect(agent.terminationMessagePath).toBe('/tmp/kelos-outputs');
    expect(env('KELOS_TERMINATION_MESSAGE_PATH')?.value).toBe('/tmp/kelos-outputs');
  });

  test('works in the repository when there is a workspace, else in the image default', () => {
    expect(renderOk({ task: wsTask(), workspace: makeWorkspace() }).agent.workingDir).toBe('/workspace/repo');
    expect(renderOk().agent.workingDir).toBeUndefined();
  });

  test('takes resources from podOverrides', () => {
    const resources = { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } };
    expect(renderOk({ task: withWorker({ podOverrides: { resources } }) }).agent.resources).toEqual(
      resources,
    );
  });
});

describe('renderTaskJob: credentials', () => {
  test.each([
    ['claude-code', 'api-key', 'ANTHROPIC_API_KEY'],
    ['claude-code', 'oauth', 'CLAUDE_CODE_OAUTH_TOKEN'],
    ['codex', 'api-key', 'CODEX_API_KEY'],
    ['codex', 'oauth', 'CODEX_AUTH_JSON'],
    ['gemini', 'api-key', 'GEMINI_API_KEY'],
    ['gemini', 'oauth', 'GEMINI_API_KEY'],
    ['opencode', 'api-key', 'OPENCODE_API_KEY'],
    ['opencode', 'oauth', 'OPENCODE_API_KEY'],
    ['cursor', 'api-key', 'CURSOR_API_KEY'],
    ['cursor', 'oauth', 'CURSOR_API_KEY'],
  ] as const)('%s with %s reads %s from the Secret by reference', (type, credType, envName) => {
    const { env } = renderOk({
      task: withWorker({ type, credentials: { type: credType, secretRef: { name: 'creds' } } }),
    });
    expect(env(envName)).toEqual({
      name: envName,
      valueFrom: { secretKeyRef: { name: 'creds', key: envName } },
    });
  });

  test('none injects nothing, so podOverrides env may provide the key', () => {
    const { agent } = renderOk({
      task: withWorker({
        credentials: { type: 'none' },
        podOverrides: {
          env: [{ name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'mine', key: 'k' } } }],
        },
      }),
    });
    expect(agent.env?.filter((e) => e.name === 'ANTHROPIC_API_KEY')).toEqual([
      { name: 'ANTHROPIC_API_KEY', valueFrom: { secretKeyRef: { name: 'mine', key: 'k' } } },
    ]);
  });

  test('api-key without a secretRef is an error', () => {
    const r = render({ task: withWorker({ credentials: { type: 'api-key' } }) });
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'render/credentials-secret',
        path: '/spec/worker/credentials/secretRef',
        message: 'credentials.secretRef is required for api-key credentials',
      }),
    ]);
  });

  test('honours the deprecated top-level fields', () => {
    const task = makeTask({
      worker: undefined,
      type: 'codex',
      credentials: { type: 'oauth', secretRef: { name: 'codex-auth' } },
      model: 'gpt-5',
      image: 'legacy/codex:1',
    });
    const { agent, env } = renderOk({ task });
    expect(agent.image).toBe('legacy/codex:1');
    expect(env('CODEX_AUTH_JSON')?.valueFrom?.secretKeyRef?.name).toBe('codex-auth');
    expect(env('KELOS_MODEL')?.value).toBe('gpt-5');
    expect(env('KELOS_AGENT_TYPE')?.value).toBe('codex');
  });
});

describe('renderTaskJob: environment', () => {
  const fullTask = () =>
    wsTask(
      { branch: 'feature/x', upstreamRepo: 'up/widgets' },
      { model: 'opus', effort: 'high', agentConfigRefs: [{ name: 'cfg' }] },
    );
  const fullWorkspace = () =>
    makeWorkspace({ ref: 'main', secretRef: { name: 'gh' }, setupCommand: ['make', 'deps'] });
  const cfg = makeAgentConfig('cfg', {
    agentsMD: 'Be brief.',
    plugins: [{ name: 'review', skills: [{ name: 'lint', content: 'Run lint' }] }],
    mcpServers: [{ name: 'docs', type: 'http', url: 'https://mcp.example/docs' }],
  });

  test('sets built-in variables in the upstream order', () => {
    const { agent } = renderOk({
      task: {
        ...fullTask(),
        metadata: { ...fullTask().metadata, labels: { 'kelos.dev/taskspawner': 'issues' } },
      },
      workspace: fullWorkspace(),
      agentConfigs: [cfg],
    });
    expect(agent.env?.map((e) => e.name)).toEqual([
      'KELOS_MODEL',
      'KELOS_EFFORT',
      'KELOS_BRANCH',
      'KELOS_AGENT_TYPE',
      'KELOS_TASK_NAME',
      'KELOS_TASKSPAWNER',
      'ANTHROPIC_API_KEY',
      'KELOS_BASE_BRANCH',
      'KELOS_UPSTREAM_REPO',
      'GITHUB_TOKEN',
      'GH_TOKEN',
      'GH_CONFIG_DIR',
      'KELOS_GITHUB_TOKEN_FILE',
      'KELOS_REPO_DIR',
      'KELOS_SETUP_COMMAND',
      'KELOS_AGENTS_MD_FILE',
      'KELOS_AGENTS_MD',
      'KELOS_PLUGIN_DIR',
      'KELOS_MCP_SERVERS_FILE',
      'KELOS_MCP_SERVERS',
      'KELOS_TERMINATION_MESSAGE_PATH',
    ]);
  });

  test('sets model, effort and branch only when given', () => {
    const names = renderOk().agent.env?.map((e) => e.name);
    expect(names).toEqual([
      'KELOS_AGENT_TYPE',
      'KELOS_TASK_NAME',
      'ANTHROPIC_API_KEY',
      'KELOS_TERMINATION_MESSAGE_PATH',
    ]);
  });

  test('passes the setup command as a JSON array', () => {
    const { env } = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({ setupCommand: ['sh', '-c', 'make "deps"'] }),
    });
    expect(env('KELOS_SETUP_COMMAND')?.value).toBe('["sh","-c","make \\"deps\\""]');
  });

  test('appends podOverrides env and drops names Kelos sets, with a warning each', () => {
    const r = renderOk({
      task: withWorker({
        podOverrides: {
          env: [
            { name: 'FOO', value: 'bar' },
            { name: 'KELOS_AGENT_TYPE', value: 'codex' },
            { name: 'KELOS_SETUP_COMMAND', value: '["rm","-rf","/"]' },
            { name: 'KELOS_SESSION_SETUP_ONLY', value: '1' },
            { name: 'KELOS_RUNTIME_DIR', value: '/tmp/evil' },
          ],
        },
      }),
    });
    expect(r.agent.env?.at(-1)).toEqual({ name: 'FOO', value: 'bar' });
    expect(r.env('KELOS_AGENT_TYPE')?.value).toBe('claude-code');
    expect(r.env('KELOS_SETUP_COMMAND')).toBeUndefined();
    expect(r.env('KELOS_SESSION_SETUP_ONLY')).toBeUndefined();
    expect(r.env('KELOS_RUNTIME_DIR')).toBeUndefined();
    expect(r.warnings.map((w) => [w.code, w.path, w.message])).toEqual([
      [
        'render/env-dropped',
        '/spec/worker/podOverrides/env/1/name',
        'env "KELOS_AGENT_TYPE" is set by Kelos and cannot be overridden; it was dropped',
      ],
      [
        'render/env-dropped',
        '/spec/worker/podOverrides/env/2/name',
        'env "KELOS_SETUP_COMMAND" is set by Kelos and cannot be overridden; it was dropped',
      ],
      [
        'render/env-dropped',
        '/spec/worker/podOverrides/env/3/name',
        'env "KELOS_SESSION_SETUP_ONLY" is set by Kelos and cannot be overridden; it was dropped',
      ],
      [
        'render/env-dropped',
        '/spec/worker/podOverrides/env/4/name',
        'env "KELOS_RUNTIME_DIR" is set by Kelos and cannot be overridden; it was dropped',
      ],
    ]);
  });

  test('legacy podOverrides are honoured and diagnosed at their own path', () => {
    const task = makeTask({
      worker: undefined,
      type: 'claude-code',
      credentials: { type: 'none' },
      podOverrides: { env: [{ name: 'KELOS_TASK_NAME', value: 'x' }] },
    });
    expect(render({ task }).warnings[0]?.path).toBe('/spec/podOverrides/env/0/name');
  });
});

describe('renderTaskJob: workspace and git', () => {
  test('reads the GitHub token by reference and mounts it as a refreshable file', () => {
    const { env, pod } = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({ secretRef: { name: 'gh' } }),
    });
    expect(env('GITHUB_TOKEN')).toEqual({
      name: 'GITHUB_TOKEN',
      valueFrom: { secretKeyRef: { name: 'gh', key: 'GITHUB_TOKEN' } },
    });
    expect(env('GH_TOKEN')).toEqual({
      name: 'GH_TOKEN',
      valueFrom: { secretKeyRef: { name: 'gh', key: 'GITHUB_TOKEN' } },
    });
    expect(env('GH_CONFIG_DIR')?.value).toBe('/workspace/.gh-config');
    expect(env('KELOS_GITHUB_TOKEN_FILE')?.value).toBe('/kelos/github-token/GITHUB_TOKEN');
    expect(pod.volumes?.find((v) => v.name === 'kelos-github-token')).toEqual({
      name: 'kelos-github-token',
      secret: {
        secretName: 'gh',
        items: [{ key: 'GITHUB_TOKEN', path: 'GITHUB_TOKEN' }],
        defaultMode: 0o440,
        optional: true,
      },
    });
  });

  test('uses GH_HOST and GH_ENTERPRISE_TOKEN for GitHub Enterprise', () => {
    const { env } = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({
        repo: 'https://ghe.acme.internal/acme/widgets.git',
        secretRef: { name: 'gh' },
      }),
    });
    expect(env('GH_HOST')?.value).toBe('ghe.acme.internal');
    expect(env('GH_ENTERPRISE_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'gh', key: 'GITHUB_TOKEN' });
    expect(env('GH_TOKEN')).toBeUndefined();
  });

  test('uses the minted token Secret of a GitHub App workspace', () => {
    const { env, pod } = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({ secretRef: { name: 'app-keys' } }),
      githubTokenSecretName: 'fix-bug-github-token',
    });
    expect(env('GITHUB_TOKEN')?.valueFrom?.secretKeyRef?.name).toBe('fix-bug-github-token');
    expect(pod.volumes?.find((v) => v.name === 'kelos-github-token')?.secret?.secretName).toBe(
      'fix-bug-github-token',
    );
  });

  test('the git init containers follow the agent base image (mirror, digest pin), or --git-image', () => {
    const task = wsTask();
    const workspace = makeWorkspace({ ref: 'v2.0', secretRef: { name: 'gh' } });
    const mirrored = renderOk({ task, workspace, options: { imageRepository: 'registry.acme.com/kelos' } });
    expect(mirrored.init('git-clone')?.image).toBe(`registry.acme.com/kelos/agent-base:${DEFAULT_IMAGE_TAG}`);
    const pinned = `ghcr.io/kelos-ts/agent-base@sha256:${'a'.repeat(64)}`;
    expect(renderOk({ task, workspace, options: { agentBaseImage: pinned } }).init('git-clone')?.image).toBe(
      pinned,
    );
    const own = renderOk({
      task,
      workspace,
      options: { agentBaseImage: pinned, gitImage: 'alpine/git:v2.47.2' },
    });
    expect(own.init('git-clone')?.image).toBe('alpine/git:v2.47.2');
  });

  test('clones the repository at its ref, with the token only as a mounted file', () => {
    const { init } = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({ ref: 'v2.0', secretRef: { name: 'gh' } }),
    });
    const clone = init('git-clone')!;
    // Our own agent base image, not a third-party one by tag: the token is mounted here.
    expect(clone.image).toBe(`ghcr.io/kelos-ts/agent-base:${DEFAULT_IMAGE_TAG}`);
    expect(clone.command?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(clone.env).toEqual([
      { name: 'HOME', value: '/tmp' },
      { name: 'KELOS_REPO', value: 'https://github.com/acme/widgets.git' },
      { name: 'KELOS_REF', value: 'v2.0' },
      { name: 'KELOS_REPO_DIR', value: '/workspace/repo' },
      { name: 'KELOS_GITHUB_TOKEN_FILE', value: '/kelos/github-token/GITHUB_TOKEN' },
    ]);
    expect(clone.volumeMounts?.map((m) => m.mountPath)).toEqual([
      '/workspace',
      '/kelos/github-token',
      '/tmp',
    ]);
    expect(JSON.stringify(clone)).not.toContain('x-access-token:');
  });

  test('clones without credentials when the workspace has no secret', () => {
    const { init, env } = renderOk({ task: wsTask(), workspace: makeWorkspace() });
    expect(init('git-clone')?.env?.map((e) => e.name)).toEqual(['HOME', 'KELOS_REPO', 'KELOS_REPO_DIR']);
    expect(env('GITHUB_TOKEN')).toBeUndefined();
  });

  test('sets KELOS_BASE_BRANCH from the ref', () => {
    expect(
      renderOk({ task: wsTask(), workspace: makeWorkspace({ ref: 'develop' }) }).env('KELOS_BASE_BRANCH')
        ?.value,
    ).toBe('develop');
  });

  test('derives KELOS_UPSTREAM_REPO from the upstream remote; the Task field wins', () => {
    const workspace = makeWorkspace({
      remotes: [{ name: 'upstream', url: 'git@github.com:origin-org/widgets.git' }],
    });
    expect(renderOk({ task: wsTask(), workspace }).env('KELOS_UPSTREAM_REPO')?.value).toBe(
      'origin-org/widgets',
    );
    expect(
      renderOk({ task: wsTask({ upstreamRepo: 'other/repo' }), workspace }).env('KELOS_UPSTREAM_REPO')?.value,
    ).toBe('other/repo');
  });

  test('adds remotes as name/url argument pairs', () => {
    const { init } = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({
        remotes: [
          { name: 'upstream', url: 'https://github.com/up/widgets.git' },
          { name: 'fork', url: 'https://github.com/me/widgets.git' },
        ],
      }),
    });
    expect(init('remote-setup')?.args).toEqual([
      'upstream',
      'https://github.com/up/widgets.git',
      'fork',
      'https://github.com/me/widgets.git',
    ]);
  });

  test('sets up the branch only when the Task has one', () => {
    const withBranch = renderOk({ task: wsTask({ branch: 'feature/auth' }), workspace: makeWorkspace() });
    expect(withBranch.init('branch-setup')?.env).toContainEqual({
      name: 'KELOS_BRANCH',
      value: 'feature/auth',
    });
    expect(renderOk({ task: wsTask(), workspace: makeWorkspace() }).init('branch-setup')).toBeUndefined();
  });

  test('runs the built-in init containers in order, then the user ones', () => {
    const { pod } = renderOk({
      task: wsTask(
        { branch: 'b' },
        {
          agentConfigRefs: [{ name: 'cfg' }],
          podOverrides: { extraInitContainers: [{ name: 'warm-cache', image: 'busybox' }] },
        },
      ),
      workspace: makeWorkspace({
        remotes: [{ name: 'upstream', url: 'https://github.com/u/w' }],
        files: [{ path: 'a.txt', content: 'a' }],
      }),
      agentConfigs: [
        makeAgentConfig('cfg', {
          plugins: [{ name: 'p', skills: [{ name: 's', content: 'c' }] }],
          skills: [{ source: 'acme/skills' }],
        }),
      ],
    });
    expect(pod.initContainers?.map((c) => c.name)).toEqual([
      'git-clone',
      'remote-setup',
      'branch-setup',
      'workspace-files',
      'plugin-setup',
      'skills-install',
      'warm-cache',
    ]);
  });

  test('reports a missing or different Workspace', () => {
    expect(render({ task: wsTask() }).errors[0]).toMatchObject({
      code: 'render/workspace-missing',
      path: '/spec/worker/workspaceRef/name',
      message: 'Workspace "repo" was not found',
    });
    expect(render({ task: wsTask(), workspace: makeWorkspace({}, 'other') }).errors[0]).toMatchObject({
      code: 'render/workspace-mismatch',
      message: 'Task names Workspace "repo" but Workspace "other" was given',
    });
  });

  test('warns that a branch without a workspace only serializes', () => {
    expect(render({ task: makeTask({ branch: 'b' }) }).warnings[0]).toMatchObject({
      severity: 'warning',
      code: 'render/branch-without-workspace',
      path: '/spec/branch',
    });
  });

  test.each([
    '-x',
    'a..b',
    'with space',
    'a~1',
    'x.lock',
    'a//b',
    'trailing/',
    '.hidden',
    'a/.b',
    'x@{1}',
    'ctl\u0001',
  ])('refuses branch name %j', (branch) => {
    expect(isValidBranchName(branch)).toBe(false);
    expect(render({ task: wsTask({ branch }), workspace: makeWorkspace() }).errors[0]?.code).toBe(
      'render/branch-name',
    );
  });

  test.each(['main', 'feature/auth', 'kelos/issue-42', 'v1.2', 'UPPER_case'])(
    'accepts branch name %j',
    (b) => {
      expect(isValidBranchName(b)).toBe(true);
    },
  );
});

describe('renderTaskJob: workspace files', () => {
  test('carries files in the ConfigMap and copies them with key/path pairs', () => {
    const r = renderOk({
      task: wsTask(),
      workspace: makeWorkspace({
        files: [
          { path: '.env.example', content: 'A=1\n' },
          { path: 'docs/notes/readme.md', content: '# hi' },
        ],
      }),
    });
    expect(r.configMaps[0]?.data).toEqual({ 'file-0': 'A=1\n', 'file-1': '# hi' });
    expect(r.init('workspace-files')?.args).toEqual([
      'file-0',
      '.env.example',
      'file-1',
      'docs/notes/readme.md',
    ]);
    expect(r.init('workspace-files')?.volumeMounts?.map((m) => [m.name, m.readOnly ?? false])).toEqual([
      ['workspace', false],
      ['kelos-config', true],
      ['kelos-tmp', false],
    ]);
  });

  test.each([
    ['/etc/passwd', 'must be relative to the repository root'],
    ['a\\b', 'must not contain backslashes'],
    ['../escape', 'must not contain .. segments'],
    ['a/../../b', 'must not contain .. segments'],
    ['a//b', 'must not contain empty or . segments'],
    ['./a', 'must not contain empty or . segments'],
    ['.git/hooks/pre-commit', 'must not write into .git'],
    ['bad\nname', 'must not contain control characters'],
  ])('refuses %j: %s', (path, problem) => {
    expect(workspaceFilePathProblem(path)).toBe(problem);
    const r = render({
      task: wsTask(),
      workspace: makeWorkspace({
        files: [
          { path: 'ok.txt', content: '' },
          { path, content: 'x' },
        ],
      }),
    });
    expect(r.errors).toEqual([
      {
        severity: 'error',
        code: 'render/workspace-file-path',
        path: '/spec/files/1/path',
        message: `file path ${JSON.stringify(path)} ${problem}`,
        resource: { apiVersion: 'kelos.dev/v1alpha2', kind: 'Workspace', name: 'repo', namespace: 'team-a' },
      },
    ]);
  });

  test('refuses the same path twice', () => {
    const r = render({
      task: wsTask(),
      workspace: makeWorkspace({
        files: [
          { path: 'a', content: '1' },
          { path: 'a', content: '2' },
        ],
      }),
    });
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([
      ['render/workspace-file-duplicate', '/spec/files/1/path'],
    ]);
  });
});

describe('renderTaskJob: AgentConfigs', () => {
  test('joins agentsMD with a blank line in the order the Task names them', () => {
    const r = renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'second' }, { name: 'first' }] }),
      agentConfigs: [
        makeAgentConfig('first', { agentsMD: 'One.' }),
        makeAgentConfig('second', { agentsMD: 'Two.' }),
      ],
    });
    expect(r.env('KELOS_AGENTS_MD')?.value).toBe('Two.\n\nOne.');
    expect(r.env('KELOS_AGENTS_MD_FILE')?.value).toBe('/kelos/config/agents.md');
    expect(r.configMaps[0]?.data?.['agents.md']).toBe('Two.\n\nOne.');
  });

  test('passes large agentsMD only as a file, with a warning', () => {
    const big = 'x'.repeat(40 * 1024);
    const r = renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [makeAgentConfig('a', { agentsMD: big })],
    });
    expect(r.env('KELOS_AGENTS_MD')).toBeUndefined();
    expect(r.configMaps[0]?.data?.['agents.md']).toBe(big);
    expect(r.warnings.map((w) => w.code)).toEqual(['render/agents-md-file-only']);
  });

  test('reports a missing AgentConfig at its reference', () => {
    const r = render({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }, { name: 'gone' }] }),
      agentConfigs: [makeAgentConfig('a', {})],
    });
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'render/agent-config-missing',
        path: '/spec/worker/agentConfigRefs/1/name',
        message: 'AgentConfig "gone" was not found',
      }),
    ]);
  });

  test('writes plugin skills and agents through the ConfigMap into the plugin volume', () => {
    const r = renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [
        makeAgentConfig('a', {
          plugins: [
            {
              name: 'review',
              skills: [{ name: 'lint', content: 'Run the linter' }],
              agents: [{ name: 'critic', content: 'You criticise' }],
            },
          ],
        }),
      ],
    });
    expect(r.configMaps[0]?.data).toEqual({
      'plugin-0-skill-0': 'Run the linter',
      'plugin-0-agent-0': 'You criticise',
    });
    expect(r.init('plugin-setup')?.args).toEqual([
      'plugin-0-skill-0',
      'review/skills/lint/SKILL.md',
      'plugin-0-agent-0',
      'review/agents/critic.md',
    ]);
    expect(r.env('KELOS_PLUGIN_DIR')?.value).toBe('/kelos/plugin');
    expect(r.agent.volumeMounts).toContainEqual({ name: 'kelos-plugin', mountPath: '/kelos/plugin' });
  });

  test.each([
    ['../evil', '/spec/plugins/0/name'],
    ['a/b', '/spec/plugins/0/name'],
  ])('refuses plugin name %j on the AgentConfig', (name, path) => {
    const r = render({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [makeAgentConfig('a', { plugins: [{ name }] })],
    });
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'render/plugin-name',
        path,
        resource: { apiVersion: 'kelos.dev/v1alpha2', kind: 'AgentConfig', name: 'a', namespace: 'team-a' },
      }),
    ]);
  });

  test('refuses a skill name that would escape its plugin', () => {
    const r = render({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [
        makeAgentConfig('a', { plugins: [{ name: 'p', skills: [{ name: '..', content: 'x' }] }] }),
      ],
    });
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([
      ['render/plugin-name', '/spec/plugins/0/skills/0/name'],
    ]);
  });

  test('reserves the plugin name skills-sh when skills are installed, and refuses duplicates', () => {
    const r = render({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }, { name: 'b' }] }),
      agentConfigs: [
        makeAgentConfig('a', {
          plugins: [{ name: 'skills-sh' }, { name: 'p' }],
          skills: [{ source: 'x/y' }],
        }),
        makeAgentConfig('b', { plugins: [{ name: 'p' }] }),
      ],
    });
    expect(r.errors.map((e) => [e.code, e.resource?.name, e.path])).toEqual([
      ['render/plugin-name', 'a', '/spec/plugins/0/name'],
      ['render/plugin-duplicate', 'b', '/spec/plugins/0/name'],
    ]);
  });

  test('runs skills-install in the agent base image the operator pins, leaving the agent image alone', () => {
    const pinned = `registry.local/kelos/agent-base@sha256:${'0a'.repeat(32)}`;
    const r = renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [makeAgentConfig('a', { skills: [{ source: 'acme/public' }] })],
      options: { imageTag: 'v9', imageRepository: 'registry.local/kelos', agentBaseImage: pinned },
    });
    expect(r.init('skills-install')!.image).toBe(pinned);
    expect(r.agent.image).toBe('registry.local/kelos/claude-code:v9');
  });

  test('installs skills with their token by reference, one env var per Secret', () => {
    const r = renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [
        makeAgentConfig('a', {
          skills: [
            { source: 'acme/public' },
            { source: 'https://ghe.acme/skills.git', skill: 'deploy', secretRef: { name: 'skills-token' } },
            { source: 'acme/private', secretRef: { name: 'skills-token' } },
          ],
        }),
      ],
      options: { imageTag: 'v9', imageRepository: 'registry.local/kelos' },
    });
    const c = r.init('skills-install')!;
    expect(c.image).toBe('registry.local/kelos/agent-base:v9');
    expect(c.args).toEqual([
      'acme/public',
      '',
      '',
      'https://ghe.acme/skills.git',
      'deploy',
      'KELOS_SKILLS_GITHUB_TOKEN_0',
      'acme/private',
      '',
      'KELOS_SKILLS_GITHUB_TOKEN_0',
    ]);
    expect(c.env?.filter((e) => e.name.startsWith('KELOS_SKILLS'))).toEqual([
      {
        name: 'KELOS_SKILLS_GITHUB_TOKEN_0',
        valueFrom: { secretKeyRef: { name: 'skills-token', key: 'GITHUB_TOKEN' } },
      },
    ]);
    expect(c.securityContext?.runAsUser).toBe(61100);
  });
});

describe('renderTaskJob: MCP servers', () => {
  const task = withWorker({ agentConfigRefs: [{ name: 'a' }, { name: 'b' }] });

  test('describes servers in KELOS_MCP_SERVERS and the ConfigMap', () => {
    const r = renderOk({
      task,
      agentConfigs: [
        makeAgentConfig('a', {
          mcpServers: [
            {
              name: 'fs',
              type: 'stdio',
              command: 'npx',
              args: ['-y', '@mcp/fs'],
              env: [{ name: 'ROOT', value: '/workspace' }],
            },
            { name: 'docs', type: 'http', url: 'https://mcp.example/docs', headers: { 'X-Team': 'a' } },
          ],
        }),
        makeAgentConfig('b', {}),
      ],
    });
    const doc = {
      mcpServers: {
        fs: { type: 'stdio', command: 'npx', args: ['-y', '@mcp/fs'], env: { ROOT: '/workspace' } },
        docs: { type: 'http', url: 'https://mcp.example/docs', headers: { 'X-Team': 'a' } },
      },
    };
    expect(JSON.parse(r.env('KELOS_MCP_SERVERS')!.value!)).toEqual(doc);
    expect(JSON.parse(r.configMaps[0]!.data!['mcp-servers.json']!)).toEqual(doc);
    expect(r.env('KELOS_MCP_SERVERS_FILE')?.value).toBe('/kelos/config/mcp-servers.json');
  });

  test('references secret env values instead of copying them', () => {
    const r = renderOk({
      task,
      agentConfigs: [
        makeAgentConfig('a', {
          mcpServers: [
            {
              name: 'github',
              type: 'stdio',
              command: 'github-mcp',
              env: [
                { name: 'GITHUB_PAT', valueFrom: { secretKeyRef: { name: 'mcp-secrets', key: 'pat' } } },
                {
                  name: 'ORG',
                  valueFrom: { configMapKeyRef: { name: 'mcp-config', key: 'org', optional: true } },
                },
              ],
            },
          ],
        }),
        makeAgentConfig('b', {}),
      ],
    });
    // As the process sees it, after the kubelet's `$(VAR)` / `$$` expansion.
    expect(JSON.parse(expandK8sVars(r.env('KELOS_MCP_SERVERS')!.value!, {})).mcpServers.github.env).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax is the point
      GITHUB_PAT: '${KELOS_MCP_SECRET_0}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder syntax is the point
      ORG: '${KELOS_MCP_SECRET_1}',
    });
    expect(r.env('KELOS_MCP_SECRET_0')).toEqual({
      name: 'KELOS_MCP_SECRET_0',
      valueFrom: { secretKeyRef: { name: 'mcp-secrets', key: 'pat' } },
    });
    expect(r.env('KELOS_MCP_SECRET_1')?.valueFrom).toEqual({
      configMapKeyRef: { name: 'mcp-config', key: 'org', optional: true },
    });
  });

  test('mounts headersFrom and envFrom Secrets read-only and points the document at them', () => {
    const r = renderOk({
      task,
      agentConfigs: [
        makeAgentConfig('a', {
          mcpServers: [
            {
              name: 'api',
              type: 'sse',
              url: 'https://x/sse',
              headersFrom: { secretRef: { name: 'api-headers' } },
            },
            { name: 'tool', type: 'stdio', command: 't', envFrom: { secretRef: { name: 'tool-env' } } },
          ],
        }),
        makeAgentConfig('b', {}),
      ],
    });
    const servers = JSON.parse(r.env('KELOS_MCP_SERVERS')!.value!).mcpServers;
    expect(servers.api.headersFrom).toBe('/kelos/mcp/0/headers');
    expect(servers.tool.envFrom).toBe('/kelos/mcp/1/env');
    expect(r.pod.volumes?.filter((v) => v.name.startsWith('kelos-mcp-'))).toEqual([
      { name: 'kelos-mcp-0-headers', secret: { secretName: 'api-headers', defaultMode: 0o440 } },
      { name: 'kelos-mcp-1-env', secret: { secretName: 'tool-env', defaultMode: 0o440 } },
    ]);
    expect(r.agent.volumeMounts).toContainEqual({
      name: 'kelos-mcp-0-headers',
      mountPath: '/kelos/mcp/0/headers',
      readOnly: true,
    });
  });

  test('a later AgentConfig replaces a server of the same name in place', () => {
    const r = renderOk({
      task,
      agentConfigs: [
        makeAgentConfig('a', {
          mcpServers: [
            { name: 'one', type: 'stdio', command: 'old' },
            { name: 'two', type: 'stdio', command: 'two' },
          ],
        }),
        makeAgentConfig('b', { mcpServers: [{ name: 'one', type: 'http', url: 'https://new' }] }),
      ],
    });
    expect(JSON.parse(r.env('KELOS_MCP_SERVERS')!.value!).mcpServers).toEqual({
      one: { type: 'http', url: 'https://new' },
      two: { type: 'stdio', command: 'two' },
    });
  });

  test('refuses env sources other than value, secretKeyRef and configMapKeyRef', () => {
    const r = render({
      task,
      agentConfigs: [
        makeAgentConfig('a', {}),
        makeAgentConfig('b', {
          mcpServers: [
            {
              name: 's',
              type: 'stdio',
              command: 'c',
              env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            },
          ],
        }),
      ],
    });
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'render/mcp-env-source',
        path: '/spec/mcpServers/0/env/0/valueFrom',
        message:
          'MCP server "s" env "NODE": only value, valueFrom.secretKeyRef and valueFrom.configMapKeyRef are supported',
        resource: expect.objectContaining({ kind: 'AgentConfig', name: 'b' }),
      }),
    ]);
  });

  test('refuses a server name that cannot be a configuration key', () => {
    const r = render({
      task,
      agentConfigs: [
        makeAgentConfig('a', { mcpServers: [{ name: 'bad"name', type: 'stdio', command: 'c' }] }),
        makeAgentConfig('b', {}),
      ],
    });
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([
      ['render/mcp-server-name', '/spec/mcpServers/0/name'],
    ]);
  });
});

describe('renderTaskJob: ephemeral storage', () => {
  /** A Task with a workspace and a plugin, so the Pod has all three built-in emptyDirs. */
  const withAllEmptyDirs = (
    podOverrides: NonNullable<Parameters<typeof withWorker>[0]['podOverrides']> = {},
  ) => ({
    task: wsTask({}, { agentConfigRefs: [{ name: 'a' }], podOverrides }),
    workspace: makeWorkspace(),
    agentConfigs: [
      makeAgentConfig('a', { plugins: [{ name: 'review', skills: [{ name: 'lint', content: 'x' }] }] }),
    ],
  });
  const emptyDirs = (pod: { volumes?: Array<{ name: string; emptyDir?: object }> }) =>
    Object.fromEntries((pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => [v.name, v.emptyDir]));

  test('bounds every built-in emptyDir by default: the workspace at 20Gi, plugin and tmp at 1Gi', () => {
    expect(DEFAULT_WORKSPACE_SIZE_LIMIT).toBe('20Gi');
    expect(emptyDirs(renderOk(withAllEmptyDirs()).pod)).toStrictEqual({
      workspace: { sizeLimit: '20Gi' },
      'kelos-plugin': { sizeLimit: '1Gi' },
      'kelos-tmp': { sizeLimit: '1Gi' },
    });
  });

  test('takes the workspace limit from the options (--workspace-size-limit)', () => {
    const { pod } = renderOk({ ...withAllEmptyDirs(), options: { workspaceSizeLimit: '50Gi' } });
    expect(emptyDirs(pod)).toStrictEqual({
      workspace: { sizeLimit: '50Gi' },
      'kelos-plugin': { sizeLimit: '1Gi' },
      'kelos-tmp': { sizeLimit: '1Gi' },
    });
  });

  test.each(['', '0', '0Gi'])(
    'renders no workspace limit when the option is %j, keeping the small ones',
    (off) => {
      const { pod } = renderOk({ ...withAllEmptyDirs(), options: { workspaceSizeLimit: off } });
      expect(emptyDirs(pod)).toStrictEqual({
        workspace: {},
        'kelos-plugin': { sizeLimit: '1Gi' },
        'kelos-tmp': { sizeLimit: '1Gi' },
      });
    },
  );

  test("a Task's own ephemeral-storage limit wins: no built-in emptyDir gets a sizeLimit, whatever the option says", () => {
    const resources = { limits: { 'ephemeral-storage': '200Gi', memory: '8Gi' } };
    const { pod, agent } = renderOk({
      ...withAllEmptyDirs({ resources }),
      options: { workspaceSizeLimit: '10Gi' },
    });
    expect(emptyDirs(pod)).toStrictEqual({ workspace: {}, 'kelos-plugin': {}, 'kelos-tmp': {} });
    expect(agent.resources).toStrictEqual(resources);
  });

  test('an ephemeral-storage request alone does not lift the default limit', () => {
    const { pod } = renderOk(withAllEmptyDirs({ resources: { requests: { 'ephemeral-storage': '5Gi' } } }));
    expect(emptyDirs(pod)['workspace']).toStrictEqual({ sizeLimit: '20Gi' });
  });

  test("leaves the user's own emptyDirs as written", () => {
    const { pod } = renderOk(
      withAllEmptyDirs({
        volumes: [
          { name: 'cache', emptyDir: {} },
          { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
        ],
      }),
    );
    expect(emptyDirs(pod)).toStrictEqual({
      workspace: { sizeLimit: '20Gi' },
      'kelos-plugin': { sizeLimit: '1Gi' },
      'kelos-tmp': { sizeLimit: '1Gi' },
      cache: {},
      scratch: { medium: 'Memory', sizeLimit: '256Mi' },
    });
  });

  test('honours the limit in the deprecated top-level podOverrides too', () => {
    const { pod } = renderOk({
      task: makeTask({
        workspaceRef: { name: 'repo' },
        podOverrides: { resources: { limits: { 'ephemeral-storage': '40Gi' } } },
      }),
      workspace: makeWorkspace(),
    });
    expect(emptyDirs(pod)['workspace']).toStrictEqual({});
  });
});

describe('renderTaskJob: pod overrides', () => {
  test.each(['kelos-cache', 'workspace'])('refuses the reserved volume name %j', (name) => {
    const r = render({ task: withWorker({ podOverrides: { volumes: [{ name, emptyDir: {} }] } }) });
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'render/reserved-volume-name',
        path: '/spec/worker/podOverrides/volumes/0/name',
        message: `volume name ${JSON.stringify(name)} is reserved: names must not start with "kelos-" or be "workspace"`,
      }),
    ]);
  });

  test('refuses duplicate volume names', () => {
    const r = render({
      task: withWorker({
        podOverrides: {
          volumes: [
            { name: 'c', emptyDir: {} },
            { name: 'c', emptyDir: {} },
          ],
        },
      }),
    });
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([
      ['render/duplicate-volume-name', '/spec/worker/podOverrides/volumes/1/name'],
    ]);
  });

  test('adds user volumes after the built-in ones and mounts them in the agent', () => {
    const { pod, agent } = renderOk({
      task: wsTask(
        {},
        {
          podOverrides: {
            volumes: [{ name: 'cache', emptyDir: {} }],
            volumeMounts: [
              { name: 'cache', mountPath: '/home/agent/.cache' },
              { name: 'workspace', mountPath: '/data', subPath: 'data' },
            ],
          },
        },
      ),
      workspace: makeWorkspace(),
    });
    expect(pod.volumes?.map((v) => v.name)).toEqual(['workspace', 'kelos-tmp', 'cache']);
    expect(agent.volumeMounts?.map((m) => m.mountPath)).toEqual([
      '/workspace',
      '/home/agent/.cache',
      '/data',
    ]);
  });

  test('refuses a mount of an unknown volume or over a built-in path', () => {
    const r = render({
      task: withWorker({
        podOverrides: {
          volumes: [{ name: 'v', emptyDir: {} }],
          volumeMounts: [
            { name: 'nope', mountPath: '/x' },
            { name: 'v', mountPath: '/dev/termination-log' },
          ],
        },
      }),
    });
    expect(r.errors.map((e) => [e.code, e.path])).toEqual([
      ['render/volume-mount-unknown', '/spec/worker/podOverrides/volumeMounts/0/name'],
      ['render/volume-mount-path', '/spec/worker/podOverrides/volumeMounts/1/mountPath'],
    ]);
  });

  test("refuses an extra container's mount of an unknown volume, and a mount path taken twice, as kelos validate does", () => {
    const r = render({
      task: withWorker({
        podOverrides: {
          volumes: [{ name: 'v', emptyDir: {} }],
          volumeMounts: [
            { name: 'v', mountPath: '/data' },
            { name: 'v', mountPath: '/data', subPath: 'x' },
          ],
          extraContainers: [
            { name: 'db', image: 'postgres:16', volumeMounts: [{ name: 'pg', mountPath: '/pg' }] },
          ],
        },
      }),
    });
    expect(r.errors.map((e) => [e.code, e.path, e.message])).toEqual([
      [
        'render/volume-mount-path',
        '/spec/worker/podOverrides/volumeMounts/1/mountPath',
        `mountPath "/data" is already mounted by volumeMounts[0]; a container's mount paths must be unique`,
      ],
      [
        'render/volume-mount-unknown',
        '/spec/worker/podOverrides/extraContainers/0/volumeMounts/0/name',
        'volumeMount refers to volume "pg", which the Pod does not have',
      ],
    ]);
  });

  test('runs extra containers beside the agent', () => {
    const { pod } = renderOk({
      task: withWorker({ podOverrides: { extraContainers: [{ name: 'postgres', image: 'postgres:16' }] } }),
    });
    expect(pod.containers.map((c) => c.name)).toEqual(['kelos-agent', 'postgres']);
  });

  test.each(['kelos-sidecar', 'git-clone', 'skills-install'])(
    'refuses the reserved container name %j',
    (name) => {
      const r = render({ task: withWorker({ podOverrides: { extraContainers: [{ name, image: 'x' }] } }) });
      expect(r.errors.map((e) => [e.code, e.path])).toEqual([
        ['render/reserved-container-name', '/spec/worker/podOverrides/extraContainers/0/name'],
      ]);
    },
  );

  test('refuses a name used by both an extra container and an extra init container', () => {
    const r = render({
      task: withWorker({
        podOverrides: {
          extraContainers: [{ name: 'db', image: 'x' }],
          extraInitContainers: [{ name: 'db', image: 'y' }],
        },
      }),
    });
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'render/duplicate-container-name',
        path: '/spec/worker/podOverrides/extraInitContainers/0/name',
        message: 'container name "db" is already used in extraContainers',
      }),
    ]);
  });

  test('passes scheduling, pull secrets and service account through', () => {
    const { pod } = renderOk({
      task: withWorker({
        podOverrides: {
          nodeSelector: { pool: 'agents' },
          tolerations: [{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }],
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }],
              },
            },
          },
          imagePullSecrets: [{ name: 'regcred' }],
          serviceAccountName: 'agent-irsa',
        },
      }),
    });
    expect(pod.nodeSelector).toEqual({ pool: 'agents' });
    expect(pod.tolerations).toEqual([{ key: 'agents', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.affinity?.nodeAffinity).toBeDefined();
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod.serviceAccountName).toBe('agent-irsa');
    expect(pod.automountServiceAccountToken).toBeUndefined();
  });

  test('mounts no service account token unless a service account is asked for', () => {
    expect(renderOk().pod.automountServiceAccountToken).toBe(false);
  });
});

describe('renderTaskJob: hardened defaults', () => {
  test('the Pod runs as the agent user with RuntimeDefault seccomp', () => {
    expect(renderOk().pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 61100,
      runAsGroup: 61100,
      fsGroup: 61100,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('the agent cannot escalate privileges and has no capabilities', () => {
    expect(renderOk().agent.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
    });
  });

  test('built-in init containers also have a read-only root filesystem', () => {
    const { pod } = renderOk({ task: wsTask(), workspace: makeWorkspace() });
    expect(pod.initContainers?.[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 61100,
      runAsGroup: 61100,
    });
  });

  test('podSecurityContext overrides field by field and fsGroup stays when unset', () => {
    const { pod } = renderOk({
      task: withWorker({
        podOverrides: { podSecurityContext: { runAsUser: 1000, supplementalGroups: [5] } },
      }),
    });
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 61100,
      fsGroup: 61100,
      seccompProfile: { type: 'RuntimeDefault' },
      supplementalGroups: [5],
    });
  });

  test('containerSecurityContext overrides the agent defaults field by field', () => {
    const { agent } = renderOk({
      task: withWorker({ podOverrides: { containerSecurityContext: { readOnlyRootFilesystem: true } } }),
    });
    expect(agent.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
    });
  });

  test('service links are disabled so Services do not flood the agent env', () => {
    expect(renderOk().pod.enableServiceLinks).toBe(false);
  });
});

describe('renderTaskJob: ConfigMap', () => {
  test('is owned by the Task, labelled like the Job, and mounted read-only', () => {
    const r = renderOk({
      task: withWorker({ agentConfigRefs: [{ name: 'a' }] }),
      agentConfigs: [makeAgentConfig('a', { agentsMD: 'x' })],
    });
    expect(r.configMaps).toHaveLength(1);
    expect(r.configMaps[0]?.metadata).toEqual({ ...r.job.metadata, name: 'fix-bug-agent-config' });
    expect(configMapName('fix-bug')).toBe('fix-bug-agent-config');
    expect(r.pod.volumes).toContainEqual({
      name: 'kelos-config',
      configMap: { name: 'fix-bug-agent-config', defaultMode: 0o444 },
    });
    expect(r.agent.volumeMounts).toContainEqual({
      name: 'kelos-config',
      mountPath: '/kelos/config',
      readOnly: true,
    });
  });

  test('is not created when there is nothing to carry', () => {
    const r = renderOk();
    expect(r.configMaps).toEqual([]);
    expect(r.pod.volumes).toBeUndefined();
  });

  test('refuses content beyond 900 KiB', () => {
    const r = render({
      task: wsTask(),
      workspace: makeWorkspace({
        files: [
          { path: 'a', content: 'x'.repeat(500 * 1024) },
          { path: 'b', content: 'x'.repeat(500 * 1024) },
        ],
      }),
    });
    expect(r.errors.map((e) => e.code)).toEqual(['render/config-size']);
  });
});

describe('renderTaskJob: determinism and snapshots', () => {
  const full = () => ({
    task: wsTask(
      {
        branch: 'feature/auth',
        dependsOn: ['scaffold'],
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [3] } }] },
      },
      {
        model: 'claude-sonnet-4-5',
        effort: 'high',
        agentConfigRefs: [{ name: 'team' }],
        podOverrides: {
          labels: { team: 'platform' },
          resources: { limits: { memory: '2Gi' } },
          activeDeadlineSeconds: 1800,
          env: [{ name: 'CI', value: 'true' }],
          extraContainers: [{ name: 'redis', image: 'redis:7' }],
        },
      },
    ),
    workspace: makeWorkspace({
      ref: 'main',
      secretRef: { name: 'github-token' },
      remotes: [{ name: 'upstream', url: 'https://github.com/upstream/widgets.git' }],
      files: [{ path: '.kelos/notes.md', content: 'notes' }],
      setupCommand: ['npm', 'ci'],
    }),
    agentConfigs: [
      makeAgentConfig('team', {
        agentsMD: 'Follow the style guide.',
        plugins: [{ name: 'review', skills: [{ name: 'lint', content: 'Lint first.' }] }],
        skills: [{ source: 'acme/skills', skill: 'release' }],
        mcpServers: [
          {
            name: 'github',
            type: 'stdio',
            command: 'github-mcp',
            env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'mcp', key: 'token' } } }],
          },
        ],
      }),
    ],
    prompt: 'Write tests for branch feature/auth.',
    options: { imageTag: 'v0.1.0' },
  });

  test('renders the same objects for the same input', () => {
    expect(JSON.stringify(render(full()))).toBe(JSON.stringify(render(full())));
  });

  test('minimal Task', () => {
    expect(renderOk()).toMatchSnapshot();
  });

  test('Task with workspace, branch, AgentConfig and overrides', () => {
    const r = renderOk(full());
    expect({ job: r.job, configMaps: r.configMaps, warnings: r.warnings }).toMatchSnapshot();
  });
});

describe('URL helpers', () => {
  test.each([
    ['https://github.com/acme/widgets.git', 'github.com', 'acme/widgets'],
    ['https://user@GHE.acme.io/org/repo', 'ghe.acme.io', 'org/repo'],
    ['git@github.com:acme/widgets.git', 'github.com', 'acme/widgets'],
    ['git://example.com/a/b/c.git', 'example.com', 'b/c'],
    ['https://host/only', 'host', undefined],
  ])('%s → host %s, repo %s', (url, host, repo) => {
    expect(repoHost(url)).toBe(host);
    expect(ownerRepo(url)).toBe(repo);
  });
});
