/**
 * The agent base image, built with buildah from images/agent-base.Dockerfile and run as a
 * container (its ENTRYPOINT under tini, its USER 61100, its WORKDIR /workspace/repo): the
 * entrypoint runs a stand-in agent CLI against a real git repository mounted where the Job
 * mounts the workspace, and leaves the outputs as the termination message, in a file mounted
 * where the Job's terminationMessagePath points (not /dev/termination-log: chroot isolation
 * mounts its own /dev over a mount there). The capture step reads a stream piped into it. It needs no control plane; it lives in the cluster tier because that
 * is where the slow, real-component tests run.
 */
import { chmod, chown, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_UID, BUNDLED_COMMAND, Env, REPO_DIR, WORKSPACE_MOUNT_PATH } from '../../src/contract/pod.ts';
import { renderTaskJob } from '../../src/render/task-job.ts';
import {
  b64,
  block,
  GIT_ENV,
  git,
  makeWorkspace,
  readText,
  stream,
  type Workspace,
} from '../unit/agent/harness.ts';
import { withWorker, makeWorkspace as workspaceObject } from '../unit/render/fixtures.ts';
import {
  type BuiltImage,
  buildImage,
  type Container,
  completion,
  container,
  imageConfig,
  mb,
} from './image-build.ts';

const STREAMS = resolve(import.meta.dirname, '../fixtures/agent-streams');
const TERMINATION_LOG = '/kelos/termination-log';
/** The repositories belong to the agent user now; git run by root on the host must accept that. */
const SAFE = ['-c', 'safe.directory=*'];

/** Gives every file of `dir` to the agent user, as the Pod's fsGroup would. */
async function giveToAgent(dir: string): Promise<void> {
  await chown(dir, AGENT_UID, AGENT_UID);
  for (const entry of await readdir(dir, { recursive: true })) {
    await chown(join(dir, entry), AGENT_UID, AGENT_UID);
  }
}

describe('the agent base image', () => {
  let built: BuiltImage;
  let ctr: Container;
  const workspaces: Workspace[] = [];

  beforeAll(async () => {
    built = await buildImage('agent-base');
    process.stderr.write(
      `agent base image ${built.image}: ${mb(built.bytes)} uncompressed (${built.built ? 'built' : 'reused'})\n`,
    );
    ctr = await container(built.image);
  }, 30 * 60_000);

  afterAll(async () => {
    await ctr?.remove();
    for (const w of workspaces) await rm(w.dir, { recursive: true, force: true });
  });

  /** A workspace as the init containers leave it: a clone whose origin is a bare repository. */
  const workspace = async (): Promise<Workspace> => {
    const w = makeWorkspace();
    workspaces.push(w);
    // The clone's origin as the container sees it: the workspace is mounted at /workspace.
    git(w.repo, 'remote', 'set-url', 'origin', `file://${WORKSPACE_MOUNT_PATH}/widgets.git`);
    await writeFile(w.terminationLog, '');
    await chmod(w.dir, 0o755);
    await giveToAgent(w.dir);
    return w;
  };

  const runIn = (ws: Workspace, command: readonly string[], agentType: string) =>
    ctr.spawn(command, {
      mounts: [
        `${ws.dir}:${WORKSPACE_MOUNT_PATH}`,
        `${ws.terminationLog}:${TERMINATION_LOG}`,
        `${STREAMS}:/standin:ro`,
      ],
      env: {
        ...GIT_ENV,
        PATH: '/standin/bin:/home/agent/.local/bin:/usr/local/bin:/usr/bin:/bin',
        [Env.AgentType]: agentType,
        // buildah's chroot isolation has no PID namespace, so tini is not PID 1 as in a Pod;
        // as a subreaper it reaps the agent's orphans all the same (and says nothing).
        TINI_SUBREAPER: '1',
        [Env.TerminationMessagePath]: TERMINATION_LOG,
        STANDIN_LOG: `${WORKSPACE_MOUNT_PATH}/log`,
      },
    });

  it('has the contract entrypoint and user', async () => {
    const { entrypoint, user } = await imageConfig(built.image);
    expect(entrypoint).toEqual([...BUNDLED_COMMAND]);
    expect(user).toBe(`${AGENT_UID}:${AGENT_UID}`);
  });

  it('runs the agent through its entrypoint against a real repository and leaves the outputs', async () => {
    const ws = await workspace();
    const { entrypoint } = await imageConfig(built.image);
    const r = await completion(runIn(ws, [...entrypoint, 'Fix it'], 'gemini'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The stand-in ran as the agent user in the repository and pushed its branch.
    expect(readText(join(ws.log, 'gemini.cwd')).trim()).toBe(REPO_DIR);
    const commit = git(ws.repo, ...SAFE, 'rev-parse', 'HEAD');
    expect(git(ws.remote, ...SAFE, 'rev-parse', 'kelos/fix')).toBe(commit);
    expect(git(ws.repo, ...SAFE, 'log', '-1', '--format=%an <%ae>')).toBe('Kelos Agent <agent@kelos.dev>');
    const outputs = block(
      'branch: kelos/fix',
      `commit: ${commit}`,
      'base-branch: main',
      'input-tokens: 8000',
      'output-tokens: 3200',
      `response: ${b64('Fixed the test and committed it.')}`,
    );
    expect(r.stdout).toBe(stream('gemini') + outputs);
    expect(readText(ws.terminationLog)).toBe(outputs);
  });

  it('runs the Job’s git init containers as the render makes them: the clone at its ref, then the Task’s branch', async () => {
    const ws = makeWorkspace();
    workspaces.push(ws);
    // The init containers make the clone; only the bare repository is there before them.
    await rm(ws.repo, { recursive: true, force: true });
    // A release branch one commit ahead of main: the clone must land on it, not on main.
    const seed = join(ws.dir, 'seed');
    git(seed, 'commit', '-q', '--allow-empty', '-m', 'release');
    git(seed, 'push', '-q', ws.remote, 'HEAD:refs/heads/release');
    await chmod(ws.dir, 0o755);
    await giveToAgent(ws.dir);
    const { job, errors } = renderTaskJob({
      task: withWorker({ workspaceRef: { name: 'repo' } }, { branch: 'kelos/fix' }),
      workspace: workspaceObject({ repo: `file://${WORKSPACE_MOUNT_PATH}/widgets.git`, ref: 'release' }),
      agentConfigs: [],
      prompt: 'Fix it',
      options: { agentBaseImage: built.image },
    });
    expect(errors).toEqual([]);
    const init = job?.spec?.template.spec?.initContainers ?? [];
    // The image's WORKDIR is the clone, which git-clone has yet to make: each init container
    // names a directory that exists (the runtime would create a missing one as root).
    expect(init.map((c) => [c.name, c.image, c.workingDir])).toEqual([
      ['git-clone', built.image, '/tmp'],
      ['branch-setup', built.image, '/tmp'],
    ]);
    for (const c of init) {
      // Kubernetes turns $$ into $ when it expands the container's command, args and env.
      const kube = (v: string) => v.replaceAll('$$', '$');
      const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, kube(e.value ?? '')]));
      const r = await completion(
        ctr.spawn([...(c.command ?? []), ...(c.args ?? [])].map(kube), {
          mounts: [`${ws.dir}:${WORKSPACE_MOUNT_PATH}`],
          env: { ...env, GIT_CONFIG_GLOBAL: '/dev/null' },
          ...(c.workingDir ? { workingDir: c.workingDir } : {}),
        }),
      );
      expect(r.stderr, c.name).toBe('');
      expect(r.code, c.name).toBe(0);
    }
    // Cloned at the Workspace's ref, now on the Task's branch, owned by the agent user.
    const release = git(ws.remote, ...SAFE, 'rev-parse', 'release');
    expect(release).not.toBe(git(ws.remote, ...SAFE, 'rev-parse', 'main'));
    expect(git(ws.repo, ...SAFE, 'rev-parse', 'HEAD')).toBe(release);
    expect(git(ws.repo, ...SAFE, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('kelos/fix');
  });

  it('captures the outputs of an agent stream piped into /kelos/kelos-capture', async () => {
    const ws = await workspace();
    const child = runIn(ws, ['/kelos/kelos-capture'], 'cursor');
    const done = completion(child);
    child.stdin?.end(stream('cursor'));
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(stream('cursor'))).toBe(true);
    expect(readText(ws.terminationLog)).toContain('input-tokens: 36067\noutput-tokens: 227\n');
    expect(readText(ws.terminationLog)).toBe(r.stdout.slice(stream('cursor').length));
  });
});
