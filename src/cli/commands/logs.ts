/**
 * `kelos logs <task> [-f]`: the agent's output of a Task, made readable from the agent's JSON
 * stream (`--raw` prints it as it is). With `-f` it waits for the Task's Pod, prints each init
 * container's log as it runs (headed on stderr), then follows the agent until it exits.
 *
 * Waiting polls the Task and its Pod once a second, each request with the client's deadline;
 * the wait itself has no limit (it ends when the Pod appears, the Task finishes without one,
 * or the user interrupts), as `kubectl logs -f` has none once streaming.
 *
 * @packageDocumentation
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import type { Task } from '../../api/index.ts';
import { AgentLogReader, type Paint, renderEntry } from '../../contract/agent-log/index.ts';
import { ApiError, isNotFound } from '../../kube/client.ts';
import { podProblem } from '../../operator/children.ts';
import { Resources } from '../../operator/resources.ts';
import { colours } from '../cluster/colour.ts';
import {
  addClusterFlags,
  type Cluster,
  type ClusterFlags,
  getOrThrow,
  withCluster,
} from '../cluster/connection.ts';
import { LogCursor } from '../cluster/log-cursor.ts';
import {
  agentContainerOf,
  agentTypeOf,
  containerState,
  failedInit,
  findTaskPod,
  hasStarted,
  initContainersOf,
  type LogPod,
  logPath,
  phaseWords,
  restartCount,
  taskFinished,
} from '../cluster/task-pod.ts';
import { type CliIo, type CommandFactory, ExitCode } from '../io.ts';

/** How often a follow re-reads the Task and its Pod while it waits. */
export const POLL_MS = 1_000;

interface LogsFlags extends ClusterFlags {
  follow?: boolean;
  raw?: boolean;
}

/** Writes a log to stdout line by line, readable unless raw; `agentType` '' passes lines through. */
class LogPrinter {
  readonly #io: CliIo;
  readonly #reader: AgentLogReader | undefined;
  readonly #paint: Paint;
  #pending = '';

  constructor(io: CliIo, agentType: string, raw: boolean, paint: Paint) {
    this.#io = io;
    this.#reader = raw ? undefined : new AgentLogReader(agentType);
    this.#paint = paint;
  }

  write(text: string): void {
    if (!this.#reader) {
      this.#io.stdout(text);
      return;
    }
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) this.#print(this.#reader.line(line));
  }

  end(): void {
    if (!this.#reader) return;
    if (this.#pending !== '') this.#print(this.#reader.line(this.#pending));
    this.#pending = '';
    this.#print(this.#reader.end());
  }

  #print(entries: ReturnType<AgentLogReader['line']>): void {
    for (const e of entries) this.#io.stdout(`${renderEntry(e, this.#paint)}\n`);
  }
}

/** Everything one `kelos logs` run works with. */
interface LogsRun {
  readonly cluster: Cluster;
  readonly io: CliIo;
  readonly name: string;
  readonly flags: LogsFlags;
  readonly paint: Paint;
  /** Prints a status line on stderr, once per distinct text. */
  readonly note: (text: string) => void;
}

const notFoundAnyMore = (run: LogsRun, pod: string): Error =>
  new Error(
    `the Pod ${pod} of task "${run.name}" is gone (deleted, or removed by the Job's ttlSecondsAfterFinished); ` +
      `its results stay on the Task: kelos get task ${run.name} -n ${run.cluster.namespace} -d`,
  );

/**
 * A finished Task with no Pod to read: one whose status never named a Pod (the operator failed
 * it before making one, a PodSecurityViolation, a branch git refuses) has no log at all, and
 * its phase and message say why; one that had a Pod has lost it.
 */
const finishedWithoutPod = (run: LogsRun, task: Task): Error => {
  const where = `kelos get task ${run.name} -n ${run.cluster.namespace} -d`;
  const podName = task.status?.podName;
  return new Error(
    podName
      ? `task "${run.name}" is ${phaseWords(task)}, and its Pod ${podName} is gone; its results: ${where}`
      : `task "${run.name}" has not had a Pod, so there is no log: it is ${phaseWords(task)}; its status: ${where}`,
  );
};

const initFailedError = (run: LogsRun, init: NonNullable<ReturnType<typeof failedInit>>): Error =>
  new Error(
    `init container ${init.name} of task "${run.name}" failed (exit code ${init.exitCode}${init.reason ? `, ${init.reason}` : ''}); the agent did not run`,
  );

/** Reads a container's whole log and prints it. */
async function printLog(run: LogsRun, pod: LogPod, container: string, agentType: string): Promise<void> {
  const podName = pod.metadata.name ?? '';
  let text: string;
  try {
    text = await run.cluster.client.getText(logPath(run.cluster.namespace, podName, container));
  } catch (err) {
    if (isNotFound(err)) throw notFoundAnyMore(run, podName);
    throw err;
  }
  const printer = new LogPrinter(run.io, agentType, Boolean(run.flags.raw), run.paint);
  printer.write(text);
  printer.end();
}

/** `kelos logs <task>`: what the agent printed so far, or why there is nothing yet. */
async function printOnce(run: LogsRun, task: Task): Promise<ExitCode> {
  const pod = await findTaskPod(run.cluster, task);
  if (!pod) {
    if (taskFinished(task)) {
      throw finishedWithoutPod(run, task);
    }
    throw new Error(
      `task "${run.name}" has no Pod yet (${phaseWords(task)}); wait for it with: kelos logs ${run.name} -n ${run.cluster.namespace} -f`,
    );
  }
  const agent = agentContainerOf(pod);
  const state = containerState(pod, agent);
  if (!hasStarted(state)) {
    const init = failedInit(pod);
    if (init) {
      await printLog(run, pod, init.name, '');
      throw initFailedError(run, init);
    }
    // A Pod that cannot start without someone acting (image, Secret, scheduling): waiting
    // for it with -f would wait forever, so say what is wrong instead.
    const problem = podProblem(pod.status);
    if (problem) {
      throw new Error(
        // The scheduler ends its message with a full stop, which `; the Task` would double.
        `the agent of task "${run.name}" cannot start: ${problem.replace(/\.$/, '')}; the Task: kelos get task ${run.name} -n ${run.cluster.namespace} -d`,
      );
    }
    const why = state?.waiting?.reason ?? pod.status?.phase ?? 'Pending';
    throw new Error(
      `the agent of task "${run.name}" has not started yet (${why}); wait for it with: kelos logs ${run.name} -n ${run.cluster.namespace} -f`,
    );
  }
  await printLog(run, pod, agent, agentTypeOf(task, pod));
  return ExitCode.Ok;
}

/** Waits for the Task's Pod; fails when the Task ends without one. */
async function waitForPod(run: LogsRun, first: Task): Promise<{ task: Task; pod: LogPod }> {
  let task = first;
  for (;;) {
    const pod = await findTaskPod(run.cluster, task);
    if (pod) return { task, pod };
    if (taskFinished(task)) {
      throw finishedWithoutPod(run, task);
    }
    run.note(`waiting for the Pod of task "${run.name}" (${phaseWords(task)})`);
    await sleep(POLL_MS);
    task = await getOrThrow<Task>(run.cluster, Resources.Task, run.name);
  }
}

/** Waits until `container` has started; fails when the Pod is gone or can no longer start it. */
async function waitForContainer(
  run: LogsRun,
  podName: string,
  container: string,
  init: boolean,
): Promise<LogPod> {
  for (;;) {
    const pod = await run.cluster.client.get<LogPod>(Resources.Pod, run.cluster.namespace, podName);
    if (!pod) throw notFoundAnyMore(run, podName);
    if (pod.metadata.deletionTimestamp) {
      throw new Error(
        `the Pod ${podName} of task "${run.name}" is being deleted; ${container} will not start in it`,
      );
    }
    const state = containerState(pod, container, init);
    if (hasStarted(state)) return pod;
    const failed = failedInit(pod);
    if (failed) throw initFailedError(run, failed);
    const phase = pod.status?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') {
      throw new Error(
        `container ${container} of task "${run.name}" never started: its Pod ${podName} is ${phase}`,
      );
    }
    run.note(
      `waiting for ${container} of task "${run.name}" to start (${podProblem(pod.status) ?? state?.waiting?.reason ?? phase ?? 'Pending'})`,
    );
    await sleep(POLL_MS);
  }
}

/** How a read of a followed log ended: cleanly (the server ended it) or cut off (`why`). */
type ReadEnd = { clean: true } | { clean: false; why: string };

/**
 * One followed read of a container's log, from where the cursor stopped. A failure the
 * follow can recover from (the connection broke, the API server could not reach the kubelet)
 * ends the read as cut off; any other failure is thrown.
 */
async function followRead(
  run: LogsRun,
  podName: string,
  container: string,
  cursor: LogCursor,
  print: (line: string) => void,
): Promise<ReadEnd | 'not-started'> {
  const path = logPath(run.cluster.namespace, podName, container, {
    follow: true,
    timestamps: true,
    sinceTime: cursor.sinceTime,
  });
  cursor.begin();
  try {
    await run.cluster.client.streamText(path, (t) => cursor.feed(t, print));
    return { clean: true };
  } catch (err) {
    if (isNotFound(err)) throw notFoundAnyMore(run, podName);
    // The kubelet answers 400 for a container its status says started but it has not yet.
    if (err instanceof ApiError && err.status === 400) return 'not-started';
    if (err instanceof ApiError && (err.status === 0 || err.status >= 500)) {
      return { clean: false, why: err.message };
    }
    throw err;
  }
}

/** Reads the rest of a log that will not grow any more (a container that exited). */
async function catchUp(
  run: LogsRun,
  podName: string,
  container: string,
  cursor: LogCursor,
  print: (line: string) => void,
  previous: boolean,
): Promise<void> {
  const path = logPath(run.cluster.namespace, podName, container, {
    timestamps: true,
    sinceTime: cursor.sinceTime,
    previous,
  });
  cursor.begin();
  try {
    cursor.feed(await run.cluster.client.getText(path), print);
  } catch (err) {
    // The Pod (or the previous instance's log) is gone: what was printed is all there is.
    if (!isNotFound(err) && !(err instanceof ApiError && err.status === 400)) throw err;
  }
}

/**
 * Streams one container's log until the container exits or the Task finishes. When the
 * stream ends while the container still runs (the API server closed it, the connection
 * broke) it resumes where it stopped; when the container restarted, the rest of the previous
 * instance's log is read first. Every line is printed once ({@link LogCursor}).
 */
async function followContainer(
  run: LogsRun,
  podName: string,
  container: string,
  init: boolean,
  agentType: string,
): Promise<void> {
  const printer = new LogPrinter(run.io, agentType, Boolean(run.flags.raw), run.paint);
  const print = (line: string) => printer.write(line);
  const cursor = new LogCursor();
  let restarts: number | undefined;
  /** Reads the rest of the previous run when the container restarted since the last look. */
  const restarted = async (pod: LogPod): Promise<boolean> => {
    const now = restartCount(pod, container, init);
    const before = restarts ?? now;
    restarts = now;
    if (now <= before) return false;
    run.io.stderr(`kelos: ${container} restarted; reading the rest of its previous run, then the new one\n`);
    await catchUp(run, podName, container, cursor, print, true);
    cursor.nextLog();
    return true;
  };
  for (;;) {
    await restarted(await waitForContainer(run, podName, container, init));
    const ended = await followRead(run, podName, container, cursor, print);
    if (ended === 'not-started') {
      await sleep(POLL_MS);
      continue;
    }
    const pod = await run.cluster.client.get<LogPod>(Resources.Pod, run.cluster.namespace, podName);
    if (!pod) {
      if (!ended.clean) throw notFoundAnyMore(run, podName);
      break;
    }
    if (await restarted(pod)) continue;
    const task = await run.cluster.client.get<Task>(Resources.Task, run.cluster.namespace, run.name);
    if (containerState(pod, container, init)?.terminated || !task || taskFinished(task)) {
      await catchUp(run, podName, container, cursor, print, false);
      break;
    }
    if (ended.clean && (await exitedSince(run, podName, container, init))) {
      // The kubelet ends the stream as the container exits and reports the exit a moment
      // later: this was the end of the run, not a stream to resume (no note at every end).
      await catchUp(run, podName, container, cursor, print, false);
      break;
    }
    run.io.stderr(
      `kelos: the log stream of ${container} ${ended.clean ? 'ended' : `was cut off (${ended.why})`} while it still runs; resuming\n`,
    );
    await sleep(POLL_MS);
  }
  cursor.end(print);
  printer.end();
}

/** After a poll interval, whether the container has terminated (or its Pod is gone). */
async function exitedSince(
  run: LogsRun,
  podName: string,
  container: string,
  init: boolean,
): Promise<boolean> {
  await sleep(POLL_MS);
  const pod = await run.cluster.client.get<LogPod>(Resources.Pod, run.cluster.namespace, podName);
  return !pod || Boolean(containerState(pod, container, init)?.terminated);
}

/** `kelos logs <task> -f`: init containers first, then the agent, as they run. */
async function follow(run: LogsRun, first: Task): Promise<ExitCode> {
  const { task, pod } = await waitForPod(run, first);
  const podName = pod.metadata.name ?? '';
  const inits = initContainersOf(pod);
  const agent = agentContainerOf(pod);
  const header = (text: string) => run.io.stderr(`${colours(run.io).dim(`── ${text} ──`)}\n`);
  for (const init of inits) {
    header(`${init} (init container)`);
    await followContainer(run, podName, init, true, '');
    const after = await run.cluster.client.get<LogPod>(Resources.Pod, run.cluster.namespace, podName);
    const failed = after && failedInit(after);
    if (failed) throw initFailedError(run, failed);
  }
  if (inits.length > 0) header(agent);
  await followContainer(run, podName, agent, false, agentTypeOf(task, pod));
  return ExitCode.Ok;
}

export const logsCommand: CommandFactory = (io, done) => {
  const command = new Command('logs')
    .description("print a Task's agent output, made readable from the agent's JSON stream")
    .argument('<task>', 'name of the Task')
    .option(
      '-f, --follow',
      'wait for the Pod and stream: init containers first, then the agent until it exits',
    )
    .option('--raw', "print the agent's output as it is (its JSON stream), not made readable");
  addClusterFlags(command);
  return command.action(async (name: string, flags: LogsFlags) =>
    withCluster(io, done, flags, async (cluster) => {
      const c = colours(io);
      const paint: Paint = (style, text) => (style === 'cyan' ? c.bold(text) : c[style](text));
      const seen = new Set<string>();
      const note = (text: string) => {
        if (seen.has(text)) return;
        seen.add(text);
        io.stderr(`${c.dim(`kelos: ${text}`)}\n`);
      };
      const run: LogsRun = { cluster, io, name, flags, paint, note };
      const task = await getOrThrow<Task>(cluster, Resources.Task, name);
      return flags.follow ? follow(run, task) : printOnce(run, task);
    }),
  );
};
