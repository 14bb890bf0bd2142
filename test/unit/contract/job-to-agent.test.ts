/**
 * The agent image contract, held from both ends: a Job rendered by the real render for a
 * Task with a workspace, agentsMD, plugins, a setup command and an MCP server with a
 * secret env value is run as local processes — its init containers, then the real agent
 * entrypoint through the image's `/kelos_entrypoint.sh` with a stand-in agent CLI — with
 * exactly the env, args, working directory and mounts the Job gives them (paths remapped
 * under a temporary root). The operator's parser then reads the termination message.
 *
 * Nothing here names an env var, a path or a marker of the contract: a name renamed on
 * one side only leaves the agent without its prompt, instructions, servers or outputs, and
 * this test fails.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AGENT_CONTAINER_NAME } from '../../../src/api/group.ts';
import { parseLogOutputs, parseTerminationMessage } from '../../../src/contract/outputs.ts';
import { BUNDLED_COMMAND, ENTRYPOINT_PATH, Env, MAX_INLINE_ENV_BYTES } from '../../../src/contract/pod.ts';
import { SetupBanners } from '../../../src/contract/setup.ts';
import { renderTaskJob } from '../../../src/render/task-job.ts';
import { BIN, b64, GIT_ENV, git } from '../agent/harness.ts';
import { layOutAgentRuntime } from '../agent/image-runtime.ts';
import { makeAgentConfig, makeTask, makeWorkspace } from '../render/fixtures.ts';
import { type ContainerRun, PodRunner } from './pod-runner.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const PROMPT = "Fix the failing test in widgets; don't touch main";
const AGENTS_MD = '# House rules\n\nRun `make test` before you commit.\n';
const agentsMd = (pad: number): string => AGENTS_MD + '\n'.repeat(pad);
const mcpArgs = (pad: number): string[] => ['--read-only', ...(pad > 0 ? [`--note=${'x'.repeat(pad)}`] : [])];
const MCP_PAT = 'ghp_from_the_secret';
const PR_URL = 'https://github.com/acme/widgets/pull/42';

interface Run {
  readonly dir: string;
  readonly repo: string;
  readonly home: string;
  readonly log: string;
  readonly pod: PodRunner;
  readonly renderedText: string;
  readonly init: Array<{ name: string } & ContainerRun>;
  readonly agent: ContainerRun;
  readonly command: readonly string[];
  readonly terminationMessage: string;
  readonly envNames: readonly string[];
}

/**
 * How the instructions and the MCP document travel: small ones both as env and as files,
 * large ones only as files. The bundled entrypoint reads the files first, so only the
 * second shape shows whether it finds the files without the env copies.
 */
const SHAPES = [
  { shape: 'small values (env and file)', pad: 0 },
  { shape: 'large values (file only)', pad: MAX_INLINE_ENV_BYTES },
] as const;

const runJob = (pad: number): Run => {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-contract-'));
  // The repository the Workspace names: a bare remote on the local filesystem.
  const seed = join(dir, 'seed');
  mkdirSync(seed);
  git(seed, 'init', '-q', '-b', 'main');
  writeFileSync(join(seed, 'README.md'), '# widgets\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '-q', '-m', 'initial');
  const remote = join(dir, 'widgets.git');
  git(dir, 'clone', '-q', '--bare', seed, remote);

  const task = makeTask({
    prompt: PROMPT,
    worker: {
      type: 'claude-code',
      credentials: { type: 'api-key', secretRef: { name: 'claude-key' } },
      workspaceRef: { name: 'repo' },
      agentConfigRefs: [{ name: 'cfg' }],
    },
  });
  const result = renderTaskJob({
    task,
    prompt: PROMPT,
    workspace: makeWorkspace({
      repo: `file://${remote}`,
      ref: 'main',
      secretRef: { name: 'gh-token' },
      setupCommand: ['sh', '-c', 'echo "setup in $(pwd)"; echo prepared > SETUP.txt'],
    }),
    agentConfigs: [
      makeAgentConfig('cfg', {
        agentsMD: agentsMd(pad),
        plugins: [{ name: 'review', skills: [{ name: 'lint', content: 'Run the linter.' }] }],
        mcpServers: [
          {
            name: 'github',
            type: 'stdio',
            command: 'github-mcp',
            args: mcpArgs(pad),
            env: [
              { name: 'GITHUB_PAT', valueFrom: { secretKeyRef: { name: 'mcp-secrets', key: 'pat' } } },
              { name: 'LOG_LEVEL', value: 'info' },
            ],
          },
        ],
      }),
    ],
  });
  if (result.errors.length > 0 || !result.job) throw new Error(JSON.stringify(result.errors, null, 2));
  const spec = result.job.spec!.template.spec!;

  const root = join(dir, 'pod');
  const pod = new PodRunner(spec, root, {
    secrets: {
      'claude-key': { ANTHROPIC_API_KEY: 'sk-ant-test' },
      'gh-token': { GITHUB_TOKEN: 'ghs_test' },
      'mcp-secrets': { pat: MCP_PAT },
    },
    configMaps: Object.fromEntries(result.configMaps.map((cm) => [cm.metadata!.name!, cm.data ?? {}])),
  });

  const init = (spec.initContainers ?? []).map((c) => ({
    name: c.name,
    ...pod.run(c, { imageEnv: { PATH: SYSTEM_PATH, GIT_CONFIG_NOSYSTEM: '1' } }),
  }));

  // The agent image: tini, /kelos_entrypoint.sh and the runtime it runs, a home, agent CLI
  // stand-ins and gh on PATH (as the Dockerfile's ENV provides them).
  const tini = join(dir, 'tini');
  writeFileSync(
    tini,
    '#!/bin/sh\nwhile [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n',
    {
      mode: 0o755,
    },
  );
  const home = join(root, 'home', 'agent');
  mkdirSync(home, { recursive: true });
  const log = join(dir, 'standin-log');
  const agentContainer = spec.containers.find((c) => c.name === AGENT_CONTAINER_NAME)!;
  // The runtime the image holds under /kelos (JavaScript built from src/agent), kept in `dir`.
  const laidOut = layOutAgentRuntime();
  const runtime = join(dir, 'kelos');
  cpSync(laidOut, runtime, { recursive: true });
  rmSync(laidOut, { recursive: true, force: true });
  const agent = pod.run(agentContainer, {
    imageFiles: { '/usr/bin/tini': tini, [ENTRYPOINT_PATH]: join(ROOT, 'images/kelos_entrypoint.sh') },
    imageEnv: {
      ...GIT_ENV,
      HOME: home,
      PATH: `${dirname(process.execPath)}:${BIN}:${SYSTEM_PATH}`,
      [Env.RuntimeDir]: runtime,
      STANDIN_LOG: log,
      STANDIN_PRS: JSON.stringify([{ url: PR_URL }]),
    },
  });
  return {
    dir,
    repo: pod.remap(agentContainer.workingDir!),
    home,
    log,
    pod,
    renderedText: JSON.stringify([result.job, result.configMaps]),
    init,
    agent,
    command: agentContainer.command ?? [],
    terminationMessage: readFileSync(pod.path(agentContainer.terminationMessagePath!), 'utf8'),
    envNames: (agentContainer.env ?? []).map((e) => e.name),
  };
};

describe.each(SHAPES)('a rendered Job runs the agent image entrypoint: $shape', ({ pad }) => {
  let run: Run;
  beforeAll(() => {
    run = runJob(pad);
    // The first run also compiles the agent runtime (tsc, a few seconds).
  }, 60_000);
  afterAll(() => {
    if (run) rmSync(run.dir, { recursive: true, force: true });
  });

  const claudeArgv = (): string[] =>
    readFileSync(join(run.log, 'claude-code.argv'), 'utf8').split('\0').slice(0, -1);

  test('the render chose this shape', () => {
    // The file-only shape drops the env copies of agentsMD and the MCP document.
    expect(run.envNames.includes(Env.AgentsMD)).toBe(pad === 0);
    expect(run.envNames.includes(Env.McpServers)).toBe(pad === 0);
  });

  test('the init containers prepare the workspace and plugins', () => {
    expect(run.init.map((c) => [c.name, c.code, c.stderr])).toEqual(run.init.map((c) => [c.name, 0, '']));
    expect(run.init.map((c) => c.name)).toEqual(['git-clone', 'plugin-setup']);
  });

  test('the agent exits 0 through the bundled command', () => {
    expect(run.command).toEqual([...BUNDLED_COMMAND]);
    expect(run.agent.code).toBe(0);
  });

  test('the agent CLI gets the prompt and the plugin directories', () => {
    const argv = claudeArgv();
    expect(argv[argv.indexOf('-p') + 1]).toBe(PROMPT);
    const pluginDirs = argv.flatMap((a, i) => (argv[i - 1] === '--plugin-dir' ? [a] : []));
    expect(pluginDirs).toHaveLength(1);
    expect(readFileSync(join(pluginDirs[0]!, 'skills', 'lint', 'SKILL.md'), 'utf8')).toContain(
      'Run the linter.',
    );
  });

  test('the setup command runs in the repository, between banners', () => {
    expect(run.agent.stderr).toBe(
      `${SetupBanners.Start}\nsetup in ${realpathSync(run.repo)}\n${SetupBanners.Done}\n`,
    );
    expect(readFileSync(join(run.repo, 'SETUP.txt'), 'utf8')).toBe('prepared\n');
  });

  test('the agent reads agentsMD as its user instructions', () => {
    expect(readFileSync(join(run.home, '.claude', 'CLAUDE.md'), 'utf8')).toBe(agentsMd(pad));
  });

  test('the MCP server reaches the agent with its secret resolved, and the secret is not in the Job', () => {
    const config = JSON.parse(readFileSync(join(run.home, '.claude.json'), 'utf8'));
    expect(config.mcpServers).toEqual({
      github: {
        type: 'stdio',
        command: 'github-mcp',
        args: mcpArgs(pad),
        env: { GITHUB_PAT: MCP_PAT, LOG_LEVEL: 'info' },
      },
    });
    expect(run.renderedText).not.toContain(MCP_PAT);
  });

  test('capture writes a termination message the operator reads back into the same outputs', () => {
    const commit = git(run.repo, 'rev-parse', 'HEAD');
    const expected = [
      'branch: kelos/fix',
      `pr: ${PR_URL}`,
      `commit: ${commit}`,
      'base-branch: main',
      'cost-usd: 0.0532',
      'input-tokens: 15230',
      'output-tokens: 4821',
      `response: ${b64(`Fixed the test and opened ${PR_URL}.`)}`,
    ];
    const parsed = parseTerminationMessage(run.terminationMessage);
    expect(parsed?.outputs).toEqual(expected);
    expect(parsed?.usage).toEqual({ costUSD: '0.0532', inputTokens: 15230, outputTokens: 4821 });
    // The log's marker block (the operator's fallback) says the same.
    expect(parseLogOutputs(run.agent.stdout)?.outputs).toEqual(expected);
    // The agent's commit reached the Workspace's remote.
    expect(git(run.repo, 'ls-remote', 'origin', 'refs/heads/kelos/fix').split('\t')[0]).toBe(commit);
  });
});
