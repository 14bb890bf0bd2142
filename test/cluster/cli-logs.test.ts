/**
 * `kelos logs` against the real API server: the operator turns Tasks into Jobs, the Job
 * controller makes the Pods, the test plays scheduler and kubelet (binds each Pod to a Node
 * whose kubelet is the fake on loopback, writes container logs and statuses), and the CLI
 * reads `pods/log` through the API server, following it live.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AGENT_CONTAINER_NAME, InitContainers, Labels } from '../../src/api/index.ts';
import { formatAgentLog } from '../../src/contract/agent-log/index.ts';
import type { ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { Resources } from '../../src/operator/resources.ts';
import { FakeKubelet } from '../support/fake-kubelet.ts';
import { kelos, startKelos } from './cli-helpers.ts';
import { kubeconfigPath, loadKubeConfig, waitFor } from './helpers.ts';
import { create, podFinished, task, useOperator, waitForPhase } from './operator-helpers.ts';

/** The run's admin kubeconfig, as a flag. */
const kc = (): string[] => ['--kubeconfig', kubeconfigPath()];
const STREAM = readFileSync(join(import.meta.dirname, '../fixtures/agent-streams/claude-code.jsonl'), 'utf8');
const AGENT = AGENT_CONTAINER_NAME;
const CLONE = InitContainers.GitClone;

let c: HttpKubeClient;
let ns: string;
let kubelet: FakeKubelet;
const node = `cli-logs-${randomBytes(3).toString('hex')}`;

useOperator('cli-logs', (s) => {
  ({ c, ns } = s);
});

beforeAll(async () => {
  kubelet = await FakeKubelet.start();
  await kubelet.registerNode(loadKubeConfig(), node);
  await create(c, ns, 'Workspace', {
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Workspace',
    metadata: { name: 'repo' },
    spec: { repo: 'https://github.com/acme/widgets.git' },
  });
});

afterAll(async () => {
  await kubelet?.close();
});

interface Pod extends ApiObject {
  spec?: { nodeName?: string; initContainers?: Array<{ name: string }> };
}

/** The Pod the Job controller made for Task `name`, bound to the fake kubelet's Node. */
async function boundPod(name: string): Promise<string> {
  return (await boundPodWithInits(name)).pod;
}

/** {@link boundPod}, with the names of the Pod's init containers. */
async function boundPodWithInits(name: string): Promise<{ pod: string; inits: string[] }> {
  let pod: Pod | undefined;
  await waitFor(`a Pod of Task ${name}`, async () => {
    pod = (await c.list<Pod>(Resources.Pod, { namespace: ns, labelSelector: `${Labels.Task}=${name}` }))
      .items[0];
    return pod !== undefined;
  });
  const podName = pod!.metadata.name!;
  if (!pod!.spec?.nodeName) await FakeKubelet.bindPod(loadKubeConfig(), ns, podName, node);
  return { pod: podName, inits: pod!.spec?.initContainers?.map((i) => i.name) ?? [] };
}

type State =
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string } }
  | {
      waiting: { reason: string; message?: string };
    };
const running = (): State => ({ running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } });
const exited = (exitCode: number): State => ({
  terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' },
});
const status = (name: string, state: State) => ({
  name,
  image: 'x',
  imageID: '',
  ready: false,
  restartCount: 0,
  state,
});

/** Plays the kubelet's status report for the Pod; `init` applies to every init container. */
async function podStatus(pod: string, phase: string, init: State | undefined, agent: State): Promise<void> {
  const inits = init ? ((await c.get<Pod>(Resources.Pod, ns, pod))?.spec?.initContainers ?? []) : [];
  await c.mergePatch(
    Resources.Pod,
    ns,
    pod,
    {
      status: {
        phase,
        ...(init ? { initContainerStatuses: inits.map((i) => status(i.name, init)) } : {}),
        containerStatuses: [status(AGENT, agent)],
      },
    },
    { subresource: 'status' },
  );
}

const onRepo = (name: string) =>
  task(name, {
    worker: { type: 'claude-code', credentials: { type: 'none' }, workspaceRef: { name: 'repo' } },
  } as never);

describe('kelos logs -f', () => {
  test('waits for the Pod, prints the init container’s log first, then the agent’s output made readable', async () => {
    await create(c, ns, 'Task', onRepo('follow'));
    const run = startKelos(['logs', 'follow', '-f', '-n', ns, ...kc()]);
    const pod = await boundPod('follow');
    await waitFor('the CLI to wait for git-clone to start', async () =>
      /waiting for git-clone/.test(run.stderr()),
    );
    kubelet.append(ns, pod, CLONE, 'Cloning into /workspace/repo...\n');
    await podStatus(pod, 'Pending', running(), { waiting: { reason: 'PodInitializing' } });
    await waitFor('a follower on git-clone', async () => kubelet.followers(ns, pod, CLONE) === 1);
    kubelet.append(ns, pod, CLONE, 'done.\n');
    kubelet.finish(ns, pod, CLONE);
    await podStatus(pod, 'Running', exited(0), running());
    kubelet.start(ns, pod, AGENT);
    await waitFor('a follower on the agent', async () => kubelet.followers(ns, pod, AGENT) === 1).catch(
      (err) => {
        throw new Error(`${err.message}; the CLI said: ${run.stderr()}`);
      },
    );
    // Line by line, as the agent prints: the CLI must join lines split across chunks.
    for (const line of STREAM.trimEnd().split('\n')) kubelet.append(ns, pod, AGENT, `${line}\n`);
    await waitFor('the first readable line', async () =>
      run.stdout().includes('Claude Code session started'),
    );
    kubelet.finish(ns, pod, AGENT);
    await podStatus(pod, 'Succeeded', exited(0), exited(0));
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toBe(`Cloning into /workspace/repo...\ndone.\n${formatAgentLog('claude-code', STREAM)}`);
    expect(stderr).toContain(`── ${CLONE} (init container) ──`);
    expect(stderr).toContain(`── ${AGENT} ──`);
    const cloneReads = kubelet.requests.filter((r) => r.startsWith(`/containerLogs/${ns}/${pod}/${CLONE}?`));
    expect(cloneReads.some((r) => new URL(r, 'https://x').searchParams.get('follow') === 'true')).toBe(true);
  });

  test('a stream the API server ends or the connection cuts is resumed: no line lost, none twice', async () => {
    await create(c, ns, 'Task', task('drops'));
    const pod = await boundPod('drops');
    await podStatus(pod, 'Running', undefined, running());
    kubelet.start(ns, pod, AGENT);
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i + 1}\n`);
    const write = (from: number, to: number) => {
      for (const line of lines.slice(from, to)) kubelet.append(ns, pod, AGENT, line);
    };
    const reads = () => kubelet.requests.filter((r) => r.startsWith(`/containerLogs/${ns}/${pod}/${AGENT}?`));
    write(0, 50);
    const run = startKelos(['logs', 'drops', '-f', '--raw', '-n', ns, ...kc()]);
    const attached = async (what: string, count: number) =>
      waitFor(what, async () => kubelet.followers(ns, pod, AGENT) === 1 && reads().length === count).catch(
        (err) => {
          throw new Error(`${err.message}; the CLI said: ${run.stderr()}`);
        },
      );
    await attached('the first follower', 1);
    write(50, 100);
    await waitFor('line 100', async () => run.stdout().includes('line 100\n'));
    // The server ends the stream while the agent runs; the agent goes on writing meanwhile.
    kubelet.drop(ns, pod, AGENT, 'end');
    write(100, 150);
    await attached('the follower to come back', 2);
    write(150, 200);
    await waitFor('line 200', async () => run.stdout().includes('line 200\n'));
    // The connection breaks.
    kubelet.drop(ns, pod, AGENT, 'destroy');
    write(200, 250);
    await attached('the follower to come back again', 3);
    write(250, 300);
    kubelet.finish(ns, pod, AGENT);
    await podStatus(pod, 'Succeeded', undefined, exited(0));
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toBe(lines.join(''));
    expect(stderr).toContain(`the log stream of ${AGENT} ended while it still runs; resuming`);
    expect(stderr).toMatch(
      new RegExp(`the log stream of ${AGENT} (was cut off \\(.*\\)|ended) while it still runs; resuming`),
    );
    // Each resumed read starts at the second of the last line printed, not at the beginning.
    const resumed = reads()
      .slice(1, 3)
      .map((r) => new URL(r, 'https://x').searchParams);
    for (const q of resumed) {
      expect(q.get('follow')).toBe('true');
      expect(q.get('timestamps')).toBe('true');
      expect(q.get('sinceTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  test('an agent whose exit the kubelet reports after its stream ended: the end, without a resume note', async () => {
    await create(c, ns, 'Task', task('lags'));
    const pod = await boundPod('lags');
    await podStatus(pod, 'Running', undefined, running());
    kubelet.append(ns, pod, AGENT, 'first\n');
    const run = startKelos(['logs', 'lags', '-f', '--raw', '-n', ns, ...kc()]);
    await waitFor('the follower', async () => kubelet.followers(ns, pod, AGENT) === 1);
    kubelet.append(ns, pod, AGENT, 'last\n');
    kubelet.finish(ns, pod, AGENT);
    // A real kubelet reports the exit up to a relist (1 s) after the stream ends.
    await new Promise((r) => setTimeout(r, 300));
    await podStatus(pod, 'Succeeded', undefined, exited(0));
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toBe('first\nlast\n');
    expect(stderr).not.toContain('resuming');
  });

  test('a container that restarts: the rest of its previous run, then the new one, each line once', async () => {
    await create(c, ns, 'Task', task('restarts'));
    const pod = await boundPod('restarts');
    await podStatus(pod, 'Running', undefined, running());
    kubelet.start(ns, pod, AGENT);
    const run = startKelos(['logs', 'restarts', '-f', '--raw', '-n', ns, ...kc()]);
    await waitFor('a follower', async () => kubelet.followers(ns, pod, AGENT) === 1);
    kubelet.append(ns, pod, AGENT, 'first run 1\n');
    await waitFor('the first line', async () => run.stdout().includes('first run 1\n'));
    // The status says restarted before the stream ends (the CLI reads it only after), then in
    // one step the stream breaks, the run writes one more line and the container restarts.
    await c.mergePatch(
      Resources.Pod,
      ns,
      pod,
      { status: { containerStatuses: [{ ...status(AGENT, running()), restartCount: 1 }] } },
      { subresource: 'status' },
    );
    kubelet.drop(ns, pod, AGENT, 'destroy');
    kubelet.append(ns, pod, AGENT, 'first run 2\n');
    kubelet.restart(ns, pod, AGENT);
    kubelet.append(ns, pod, AGENT, 'second run 1\n');
    await waitFor('the new run', async () => run.stdout().includes('second run 1\n'));
    kubelet.finish(ns, pod, AGENT);
    await c.mergePatch(
      Resources.Pod,
      ns,
      pod,
      {
        status: { phase: 'Succeeded', containerStatuses: [{ ...status(AGENT, exited(0)), restartCount: 1 }] },
      },
      { subresource: 'status' },
    );
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toBe('first run 1\nfirst run 2\nsecond run 1\n');
    expect(stderr).toContain(`${AGENT} restarted; reading the rest of its previous run`);
  });

  test('an init container that fails ends the follow with exit 1 naming it', async () => {
    await create(c, ns, 'Task', onRepo('clone-fails'));
    const pod = await boundPod('clone-fails');
    kubelet.append(ns, pod, CLONE, 'fatal: repository not found\n');
    kubelet.finish(ns, pod, CLONE);
    await podStatus(pod, 'Failed', exited(128), { waiting: { reason: 'PodInitializing' } });
    const { code, stdout, stderr } = await kelos(['logs', 'clone-fails', '-f', '-n', ns, ...kc()]);
    expect(code).toBe(1);
    expect(stdout).toBe('fatal: repository not found\n');
    expect(stderr).toContain(`init container ${CLONE} of task "clone-fails" failed (exit code 128, Error)`);
  });

  test('a Pod deleted while the CLI waits for its agent ends the wait, saying so', async () => {
    await create(c, ns, 'Task', task('deleted'));
    const pod = await boundPod('deleted');
    const run = startKelos(['logs', 'deleted', '-f', '-n', ns, ...kc()]);
    await waitFor('the CLI to wait for the agent', async () =>
      /waiting for kelos-agent/.test(run.stderr()),
    ).catch((err) => {
      throw new Error(`${err.message}; the CLI said: ${run.stderr()}`);
    });
    await c.delete(Resources.Pod, ns, pod);
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    // No kubelet confirms the deletion, so the Pod stays, terminating, with a deletionTimestamp.
    expect(stderr).toContain(
      `the Pod ${pod} of task "deleted" is being deleted; kelos-agent will not start in it`,
    );
  });
});

describe('kelos logs', () => {
  test('prints what the agent printed, readable; --raw prints the stream as it is', async () => {
    await create(c, ns, 'Task', task('done'));
    const pod = await boundPod('done');
    kubelet.append(ns, pod, AGENT, STREAM);
    kubelet.finish(ns, pod, AGENT);
    await podStatus(pod, 'Running', undefined, running());
    const readable = await kelos(['logs', 'done', '-n', ns, ...kc()]);
    expect(readable).toEqual({ code: 0, stdout: formatAgentLog('claude-code', STREAM), stderr: '' });
    expect(readable.stdout).toContain("→ Bash: git commit -am 'Fix test' && gh pr create --fill");
    expect(readable.stdout).toContain('✓ done · 5 turns · 48.2s · $0.0532 · tokens 15230 in / 4821 out');
    const raw = await kelos(['logs', 'done', '--raw', '-n', ns, ...kc()]);
    expect(raw).toEqual({ code: 0, stdout: STREAM, stderr: '' });
  });

  test('a Task that does not exist: exit 1, named, with where to look', async () => {
    const { code, stdout, stderr } = await kelos(['logs', 'nope', '-n', ns, ...kc()]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `kelos: task "nope" not found in namespace "${ns}"; list what exists with: kelos get tasks -n ${ns}\n`,
    );
  });

  test('a Task without a Pod yet: exit 1, saying its phase and to use -f', async () => {
    await create(c, ns, 'Task', task('blocked', { dependsOn: ['never-created'] }));
    await waitForPhase(c, ns, 'blocked', 'Waiting');
    const { code, stderr } = await kelos(['logs', 'blocked', '-n', ns, ...kc()]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /task "blocked" has no Pod yet \(Waiting.*\); wait for it with: kelos logs blocked -n \S+ -f/,
    );
  });

  test('a Task the operator failed before it had a Pod: says it has had none, with its phase and message, with and without -f', async () => {
    // The API server takes the branch; the operator fails the Task before making its Job.
    await create(c, ns, 'Task', task('podless', { branch: 'bad branch' }));
    await waitForPhase(c, ns, 'podless', 'Failed');
    for (const follow of [[], ['-f']]) {
      const { code, stdout, stderr } = await kelos(['logs', 'podless', ...follow, '-n', ns, ...kc()]);
      expect([code, stdout]).toEqual([1, '']);
      expect(stderr).toBe(
        `kelos: task "podless" has not had a Pod, so there is no log: it is Failed: Cannot build the Job: /spec/branch: branch "bad branch" is not a valid git branch name: it holds a space (no git name holds white space, a control character or any of ~ ^ : ? * [ \\); its status: kelos get task podless -n ${ns} -d\n`,
      );
    }
  });

  test('an agent that has not started: exit 1, with the waiting reason', async () => {
    await create(c, ns, 'Task', task('starting'));
    const pod = await boundPod('starting');
    await podStatus(pod, 'Pending', undefined, { waiting: { reason: 'ContainerCreating' } });
    const { code, stderr } = await kelos(['logs', 'starting', '-n', ns, ...kc()]);
    expect(code).toBe(1);
    expect(stderr).toContain('the agent of task "starting" has not started yet (ContainerCreating)');
  });

  test('an agent whose image cannot be pulled: exit 1, with the kubelet’s words, not “wait with -f”', async () => {
    await create(c, ns, 'Task', task('unpullable'));
    const pod = await boundPod('unpullable');
    await podStatus(pod, 'Pending', undefined, {
      waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x/agent:v9"' },
    });
    const { code, stderr } = await kelos(['logs', 'unpullable', '-n', ns, ...kc()]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `kelos: the agent of task "unpullable" cannot start: the agent container (kelos-agent): ImagePullBackOff: Back-off pulling image "x/agent:v9"; the Task: kelos get task unpullable -n ${ns} -d\n`,
    );
  });

  test('a Pod the scheduler cannot place: exit 1, with the scheduler’s words, one stop before the pointer to the Task', async () => {
    await create(c, ns, 'Task', task('unplaceable'));
    let pod: string | undefined;
    await waitFor('a Pod of Task unplaceable', async () => {
      pod = (await c.list<Pod>(Resources.Pod, { namespace: ns, labelSelector: `${Labels.Task}=unplaceable` }))
        .items[0]?.metadata.name;
      return pod !== undefined;
    });
    // Plays the scheduler's part: its message ends in a full stop of its own.
    await c.mergePatch(
      Resources.Pod,
      ns,
      pod!,
      {
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available: 3 Insufficient memory.',
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    const { code, stderr } = await kelos(['logs', 'unplaceable', '-n', ns, ...kc()]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `kelos: the agent of task "unplaceable" cannot start: Pod cannot be scheduled: 0/3 nodes are available: 3 Insufficient memory; the Task: kelos get task unplaceable -n ${ns} -d\n`,
    );
  });

  test('a finished Task whose Pod is gone: exit 1, pointing at its results', async () => {
    await create(c, ns, 'Task', task('gone'));
    const pod = await boundPod('gone');
    const job = (await c.get<{ status?: { jobName?: string } } & ApiObject>(Resources.Task, ns, 'gone'))
      ?.status?.jobName;
    await podFinished(c, ns, job ?? 'gone');
    await waitForPhase(c, ns, 'gone', 'Succeeded');
    await c.delete(Resources.Pod, ns, pod);
    await waitFor('the Pod to be gone', async () => (await c.get(Resources.Pod, ns, pod)) === undefined);
    for (const follow of [[], ['-f']]) {
      const { code, stderr } = await kelos(['logs', 'gone', ...follow, '-n', ns, ...kc()]);
      expect(code).toBe(1);
      expect(stderr).toContain(`task "gone" is Succeeded`);
      expect(stderr).toContain(`its results: kelos get task gone -n ${ns} -d`);
    }
  });
});
