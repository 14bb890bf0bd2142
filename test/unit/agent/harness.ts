/**
 * Runs the agent entrypoint and the capture step as real local processes, in a clone of a
 * real (bare, file://) git repository, with the agent CLI stand-ins of
 * test/fixtures/agent-streams/bin first on PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
export const ENTRYPOINT = join(ROOT, 'src/agent/entrypoint.ts');
export const CAPTURE = join(ROOT, 'src/agent/capture.ts');
export const STREAMS = join(ROOT, 'test/fixtures/agent-streams');
export const BIN = join(STREAMS, 'bin');

const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Kelos Agent',
  GIT_AUTHOR_EMAIL: 'agent@kelos.dev',
  GIT_COMMITTER_NAME: 'Kelos Agent',
  GIT_COMMITTER_EMAIL: 'agent@kelos.dev',
  GIT_CONFIG_NOSYSTEM: '1',
};

export const git = (cwd: string, ...args: string[]): string => {
  const r = spawnSync('git', args, {
    cwd,
    env: { ...GIT_ENV, PATH: SYSTEM_PATH, HOME: cwd },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** A workspace like the one the init containers prepare: a clone of a bare remote. */
export interface Workspace {
  readonly dir: string;
  readonly remote: string;
  readonly repo: string;
  readonly home: string;
  readonly log: string;
  readonly terminationLog: string;
}

export const makeWorkspace = (): Workspace => {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-agent-'));
  const seed = join(dir, 'seed');
  mkdirSync(seed);
  git(seed, 'init', '-q', '-b', 'main');
  writeFileSync(join(seed, 'README.md'), '# widgets\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '-q', '-m', 'initial');
  const remote = join(dir, 'widgets.git');
  git(dir, 'clone', '-q', '--bare', seed, remote);
  git(dir, 'clone', '-q', `file://${remote}`, 'repo');
  const home = join(dir, 'home');
  mkdirSync(home);
  return {
    dir,
    remote,
    repo: join(dir, 'repo'),
    home,
    log: join(dir, 'log'),
    terminationLog: join(dir, 'termination-log'),
  };
};

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The base environment: stand-ins first on PATH, a private HOME, the termination path. */
export const baseEnv = (ws: Workspace, agentType: string): Record<string, string> => ({
  ...GIT_ENV,
  PATH: `${BIN}:${SYSTEM_PATH}`,
  HOME: ws.home,
  KELOS_AGENT_TYPE: agentType,
  KELOS_TERMINATION_MESSAGE_PATH: ws.terminationLog,
  STANDIN_LOG: ws.log,
});

/** Runs `node src/agent/entrypoint.ts <prompt>` in the workspace repository. */
export const runEntrypoint = (
  ws: Workspace,
  args: string[],
  env: Record<string, string>,
  cwd = ws.repo,
): RunResult => {
  const r = spawnSync(process.execPath, [ENTRYPOINT, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Runs `node src/agent/capture.ts` with `input` on stdin. */
export const runCapture = (ws: Workspace, input: string, env: Record<string, string>): RunResult => {
  const r = spawnSync(process.execPath, [CAPTURE], {
    cwd: ws.repo,
    env,
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** The stream a stand-in prints. */
export const stream = (name: string): string => readFileSync(join(STREAMS, `${name}.jsonl`), 'utf8');

/** The arguments a stand-in was started with. */
export const recordedArgv = (ws: Workspace, agent: string): string[] =>
  readFileSync(join(ws.log, `${agent}.argv`), 'utf8')
    .split('\0')
    .slice(0, -1);

export const readText = (path: string): string => readFileSync(path, 'utf8');

/** The marker block with these lines. */
export const block = (...lines: string[]): string =>
  ['---KELOS_OUTPUTS_START---', ...lines, '---KELOS_OUTPUTS_END---', ''].join('\n');

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
