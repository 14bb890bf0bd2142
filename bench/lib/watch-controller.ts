/**
 * The smallest watch-driven Task controller, the operator benchmark's second reference: it
 * lists and watches the Tasks of one namespace and, for each new Task, creates the Job the
 * operator would render for it (same render, owned by the Task), `inFlight` creates at a time.
 * Nothing else: no validation, no gates, no Secret check, no finalizer or status write, no Job
 * or Pod watch.
 *
 * The hand-made "ideal controller" of `bench/operator.ts` creates each Task and its Job from one
 * client, so it never waits for an event and never shares the API server with a second
 * client's requests in flight. This one does both, as every controller must; its burst is
 * the floor for a controller that learns of Tasks from a watch, on the same machine.
 *
 * Run as a process (so its CPU is its own, as the operator's is):
 * `node bench/lib/watch-controller.ts KUBECONFIG NAMESPACE [IN_FLIGHT]`. It prints `ready` once
 * its list is done (the watch starts from the list's resourceVersion, so no later Task is
 * missed) and runs until killed.
 *
 * @packageDocumentation
 */
import type { Task } from '../../src/api/index.ts';
import { type ApiObject, HttpKubeClient } from '../../src/kube/client.ts';
import { loadKubeconfigFile } from '../../src/kube/kubeconfig.ts';
import { Resources } from '../../src/operator/resources.ts';
import { renderTaskJob } from '../../src/render/task-job.ts';

const [kubeconfig, namespace, inFlightArg] = process.argv.slice(2);
if (!kubeconfig || !namespace) {
  process.stderr.write('usage: node bench/lib/watch-controller.ts KUBECONFIG NAMESPACE [IN_FLIGHT]\n');
  process.exit(1);
}
const inFlight = Number(inFlightArg ?? 64);
const client = new HttpKubeClient(await loadKubeconfigFile(kubeconfig), { maxSockets: inFlight + 2 });

const waiting: Task[] = [];
/** Tasks already queued, should a watch that ended be opened again from the list's version. */
const seen = new Set<string>();
let running = 0;

async function createJob(task: Task): Promise<void> {
  const job = renderTaskJob({ task, agentConfigs: [], prompt: task.spec.prompt ?? '' }).job;
  try {
    await client.createMetadataOnly(Resources.Job, job as unknown as ApiObject);
  } catch (err) {
    process.stderr.write(`Job of ${task.metadata.name}: ${(err as Error).message}\n`);
  }
}

function pump(): void {
  while (running < inFlight && waiting.length) {
    const task = waiting.shift() as Task;
    running++;
    void createJob(task).finally(() => {
      running--;
      pump();
    });
  }
}

const list = await client.list<Task>(Resources.Task, { namespace });
process.stdout.write('ready\n');
for (;;) {
  await client
    .watch<Task>(Resources.Task, { namespace, resourceVersion: list.metadata.resourceVersion }, (e) => {
      if (e.type !== 'ADDED' || seen.has(e.object.metadata.uid ?? '')) return;
      seen.add(e.object.metadata.uid ?? '');
      waiting.push(e.object);
      pump();
    })
    .catch((err: unknown) => process.stderr.write(`watch: ${(err as Error).message}\n`));
  // Not in a tight loop when the API server is gone.
  await new Promise((r) => setTimeout(r, 1000));
}
