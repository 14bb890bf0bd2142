/**
 * `kelos delete <kind> [names...] [--all]`: deletes Kelos objects by name (each on its own, as
 * kubectl: a missing one is an error naming it, the others still deleted), or every one of a kind in
 * the namespace (`-A` with `--all`: in every namespace). Prints a line per object as kubectl
 * does (a TaskSpawner's says how many Tasks the garbage collector deletes with it), then, as kubectl's default `--wait=true`, waits until every deleted object is gone
 * (its finalizers, such as the operator's on Tasks, released). `--timeout` bounds the wait;
 * its default `0` means, as in kubectl, a week. `--wait=false` returns once the deletion
 * is accepted. A wait on a `kelos.dev/` finalizer past {@link OPERATOR_HINT_AFTER_SECONDS}
 * says once who releases it (the operator) and how to stop. The wait polls each object (a read with the client's deadline) every half
 * second: a handful of objects, and no watch to keep alive.
 *
 * @packageDocumentation
 */
import { Command, Option } from 'commander';
import { GROUP, KINDS, type Task, TaskPhase } from '../../api/index.ts';
import { INSTALL_NAMESPACE, OPERATOR_NAME } from '../../install/defaults.ts';
import { ApiError, type ApiObject, isConflict } from '../../kube/client.ts';
import { CONFLICT_ATTEMPTS, retryOnConflict } from '../../kube/conflict-retry.ts';
import {
  addClusterFlags,
  type Cluster,
  type ClusterFlags,
  ensureServed,
  explainError,
  getOrThrow,
  ObjectNotFound,
  withCluster,
} from '../cluster/connection.ts';
import {
  kelosFinalizers,
  lookUpOperator,
  noOperatorWayOut,
  type Stranded,
  strandedObjects,
  strandedWayOut,
} from '../cluster/kelos-objects.ts';
import { type CliKind, kindArgumentHelp, resolveKind, typeOf } from '../cluster/kinds.ts';
import { pollUntil } from '../cluster/poll.ts';
import { BARE_NUMBER_SECONDS, type CliIo, type CommandFactory, ExitCode, UsageError } from '../io.ts';
import { listAll } from './get.ts';
import { timeoutSeconds } from './install.ts';

interface DeleteFlags extends ClusterFlags {
  all?: boolean;
  wait: boolean;
  timeout: string;
}

/** What `--timeout 0` means, as in kubectl: a week. */
const WAIT_FOREVER_SECONDS = 7 * 24 * 3600;

/** `--wait`, `--wait=true` or `--wait=false`, as kubectl spells a boolean flag. */
export function parseWaitFlag(value: string | boolean | undefined): boolean {
  if (value === undefined || value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new UsageError(
    `--wait takes true or false (--wait=false, or --no-wait); got "${value}" (put --wait after the kind and name)`,
  );
}

/** Seconds of delete's `--timeout`: 0 is a week, as kubectl's. */
export function deleteTimeoutSeconds(text: string): number {
  if (/^0+[a-z]*$/.test(text.trim())) return WAIT_FOREVER_SECONDS;
  try {
    return timeoutSeconds(text);
  } catch {
    throw new UsageError(
      `--timeout must be a positive duration, e.g. 2m (${BARE_NUMBER_SECONDS}), or 0 to wait a week; got "${text}"`,
    );
  }
}

/** Checks the arguments before anything is sent. */
export function checkDeleteArgs(kind: CliKind, names: readonly string[], flags: DeleteFlags): void {
  const plural = kind.def.plural;
  if (names.length > 0 && flags.all) {
    throw new UsageError(
      `--all deletes every ${kind.def.singular}; it cannot be combined with a name ("${names[0]}")`,
    );
  }
  if (names.length === 0 && !flags.all) {
    throw new UsageError(
      `name the ${kind.def.singular} to delete, or delete every one with --all (kelos delete ${plural} --all)`,
    );
  }
  if (flags.allNamespaces && !flags.all) {
    throw new UsageError('-A/--all-namespaces applies only with --all');
  }
}

/**
 * `<singular>.<group> "<name>" deleted`, as kubectl prints it, and what the API server's
 * garbage collector deletes with it (`also`, from {@link ownedTasksNote}).
 */
const deleted = (kind: CliKind, obj: ApiObject, allNamespaces: boolean, also = ''): string =>
  `${kind.def.singular}.${kind.type.group} "${obj.metadata.name}" deleted${allNamespaces && obj.metadata.namespace ? ` from ${obj.metadata.namespace}` : ''}${also}\n`;

const TASK_TYPE = typeOf(KINDS.find((k) => k.kind === 'Task')!);

/**
 * What deleting `spawner` takes with it, as a suffix of its deleted line: the Tasks whose owner
 * references name its uid, which the garbage collector deletes after it (as upstream), their
 * running agents included; `''` when there are none. Label-only Tasks of an older spawner are
 * not counted: nothing deletes them.
 */
export function ownedTasksNote(spawner: ApiObject, tasks: readonly Task[]): string {
  const owned = tasks.filter((t) =>
    (t.metadata.ownerReferences ?? []).some((r) => r.uid === spawner.metadata.uid),
  );
  if (owned.length === 0) return '';
  const running = owned.filter((t) => t.status?.phase === TaskPhase.Running).length;
  return ` (and its ${owned.length} Task${owned.length === 1 ? '' : 's'}${running ? `, ${running} running` : ''}, by owner reference)`;
}

/**
 * The {@link ownedTasksNote} of `obj` when it is a TaskSpawner, read before it is deleted (the
 * garbage collector may take its Tasks at once); `''` for another kind, or when the user may
 * not list Tasks (the deletion itself is theirs to make).
 */
async function dependentsNote(cluster: Cluster, kind: CliKind, obj: ApiObject): Promise<string> {
  if (kind.def.kind !== 'TaskSpawner') return '';
  try {
    // Every Task of the namespace, not those with the spawner's label: the garbage collector
    // follows owner references, which a Task made by hand may carry without the label.
    const tasks = await cluster.client.list<Task>(TASK_TYPE, {
      namespace: obj.metadata.namespace ?? cluster.namespace,
    });
    return ownedTasksNote(obj, tasks.items);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return '';
    throw err;
  }
}

/** Deletes every object of the kind in the namespace (or all of them); resolves to those deleted. */
async function deleteAll(cluster: Cluster, io: CliIo, kind: CliKind): Promise<ApiObject[]> {
  await ensureServed(cluster, kind.type);
  const done: ApiObject[] = [];
  for (const obj of await listAll(cluster, kind, undefined)) {
    // One already being deleted (an earlier --wait=false, an operator that is down) is deleted
    // again, as kubectl does, and waited for: skipped, `--all` said "no … found" while it stayed.
    // Gone between the list and now is what was asked for.
    const also = await dependentsNote(cluster, kind, obj);
    if (await cluster.client.delete(kind.type, obj.metadata.namespace, obj.metadata.name ?? '')) {
      io.stdout(deleted(kind, obj, cluster.allNamespaces, also));
      done.push(obj);
    }
  }
  return done;
}

/** `<singular> "<name>"` (with its namespace when listing all), as wait messages name an object. */
const named = (kind: CliKind, obj: ApiObject, allNamespaces: boolean): string =>
  `${kind.def.singular} "${obj.metadata.name}"${allNamespaces && obj.metadata.namespace ? ` in ${obj.metadata.namespace}` : ''}`;

/**
 * How long the wait goes on before it says who releases a Kelos finalizer: the operator
 * releases one within a second or two, so a wait this long means it is not doing so.
 */
export const OPERATOR_HINT_AFTER_SECONDS = 10;

/**
 * What to say, once, about objects a Kelos finalizer keeps: that only the operator releases
 * it, how to see whether the operator runs, and how to stop waiting; undefined when none of
 * them carries one (another controller's finalizer is that controller's business). The CLI
 * never removes the finalizer itself: that would skip the operator's clean-up.
 */
export function operatorFinalizerHint(
  kind: CliKind,
  objects: readonly ApiObject[],
  allNamespaces: boolean,
): string | undefined {
  const held = objects.filter((o) => o.metadata.finalizers?.some((f) => f.startsWith(`${GROUP}/`)));
  if (held.length === 0) return undefined;
  const ours = [...new Set(held.flatMap((o) => o.metadata.finalizers ?? []))].filter((f) =>
    f.startsWith(`${GROUP}/`),
  );
  const what = held.length === 1 ? named(kind, held[0]!, allNamespaces) : `${held.length} ${kind.def.plural}`;
  const cleanUp =
    kind.def.kind === 'Task'
      ? " once it has recorded the Task's cost (its TaskRecord) and deleted its Job"
      : '';
  return (
    `${what} still ${held.length === 1 ? 'carries' : 'carry'} ${ours.join(', ')} after ${OPERATOR_HINT_AFTER_SECONDS}s: ` +
    `only the Kelos operator removes it${cleanUp}, so while no operator runs the wait lasts until --timeout. ` +
    `See whether it runs: kubectl get deployment ${OPERATOR_NAME} -n ${INSTALL_NAMESPACE} ` +
    `(or the namespace it was installed in; kelos version -n <namespace> names its version). ` +
    'To stop waiting, press Ctrl-C or pass --wait=false: the deletion stays requested, and completes when the operator runs.\n'
  );
}

/**
 * What to say, at once, of objects whose `kelos.dev/` finalizer nothing will release: the
 * installed operator does not watch their namespaces. Names them, what the operator watches,
 * and the ways out; asking whether the operator runs would send the user after the wrong thing.
 */
export function strandedHint(
  kind: CliKind,
  stranded: readonly Stranded[],
  operator: { namespace: string; watched: readonly string[] },
): string {
  const objects = stranded.flatMap((s) => s.objects);
  const finalizers = [...new Set(objects.flatMap(kelosFinalizers))].join(', ');
  const what =
    objects.length === 1
      ? named(kind, objects[0]!, true)
      : `${objects.length} ${kind.def.plural} in ${stranded.map((s) => s.namespace).join(', ')}`;
  return (
    `${what} ${objects.length === 1 ? 'carries' : 'carry'} ${finalizers}, but the Kelos operator ` +
    `(deployment/${OPERATOR_NAME} -n ${operator.namespace}) watches only ${operator.watched.join(', ')}: ` +
    `nothing releases it, and the wait lasts until --timeout; ${strandedWayOut(stranded, operator.watched)}. ` +
    'To stop waiting, press Ctrl-C or pass --wait=false: the deletion stays requested.\n'
  );
}

/** The objects of `objects` carrying a `kelos.dev/` finalizer, by namespace: none releases them when no operator is installed. */
const noOperatorStranded = (objects: readonly ApiObject[]): Stranded[] => {
  const by = new Map<string, ApiObject[]>();
  for (const o of objects.filter((o) => kelosFinalizers(o).length > 0)) {
    const ns = o.metadata.namespace ?? '';
    by.set(ns, [...(by.get(ns) ?? []), o]);
  }
  return [...by.entries()].map(([namespace, objs]) => ({ namespace, objects: objs }));
};

/**
 * What to say, at once, of objects whose `kelos.dev/` finalizer nothing will release because
 * no operator is installed (its Deployment's read answered 404): so, and how to remove it.
 */
export function noOperatorHint(kind: CliKind, stranded: readonly Stranded[], namespace: string): string {
  const objects = stranded.flatMap((s) => s.objects);
  const finalizers = [...new Set(objects.flatMap(kelosFinalizers))].join(', ');
  const what = objects.length === 1 ? named(kind, objects[0]!, true) : `${objects.length} ${kind.def.plural}`;
  return (
    `${what} ${objects.length === 1 ? 'carries' : 'carry'} ${finalizers}, but ${noOperatorWayOut(objects, namespace)}; ` +
    'the wait lasts until --timeout. To stop waiting, press Ctrl-C or pass --wait=false: the deletion stays requested.\n'
  );
}

/**
 * Waits until every object is gone: not found, or found with another uid (deleted, then made
 * again under the same name). Fails after `seconds`, naming what is left and its finalizers.
 */
async function waitGone(
  cluster: Cluster,
  io: CliIo,
  kind: CliKind,
  objects: readonly ApiObject[],
  seconds: number,
  timeout: string,
): Promise<void> {
  let left = [...objects];
  const check = async (): Promise<boolean> => {
    const still: ApiObject[] = [];
    for (const obj of left) {
      const now = await cluster.client.get(kind.type, obj.metadata.namespace, obj.metadata.name ?? '');
      if (now && now.metadata.uid === obj.metadata.uid) still.push(now);
    }
    left = still;
    return left.length === 0;
  };
  if (await check()) return;
  const finalizers = (o: ApiObject) => (o.metadata.finalizers ?? []).join(', ') || 'none';
  io.stderr(
    `waiting for ${left.map((o) => `${named(kind, o, cluster.allNamespaces)} (finalizers: ${finalizers(o)})`).join(', ')} to be deleted…\n`,
  );
  const started = Date.now();
  // Objects in a namespace the operator does not watch, or held when no operator is installed:
  // said at once, and left out of the later hint, which asks whether the operator runs.
  const found = left.some((o) => kelosFinalizers(o).length > 0)
    ? await lookUpOperator(cluster).catch(() => undefined)
    : undefined;
  const operator = found?.state === 'installed' ? found.operator : undefined;
  const stranded =
    found?.state === 'absent'
      ? noOperatorStranded(left)
      : operator?.watched
        ? strandedObjects(left, operator.watched)
        : [];
  if (found?.state === 'absent' && stranded.length > 0)
    io.stderr(noOperatorHint(kind, stranded, found.namespace));
  else if (operator?.watched && stranded.length > 0)
    io.stderr(strandedHint(kind, stranded, { namespace: operator.namespace, watched: operator.watched }));
  const strandedNs = new Set(stranded.map((s) => s.namespace));
  let hinted = false;
  const checkAndHint = async (): Promise<boolean> => {
    if (await check()) return true;
    if (!hinted && Date.now() - started >= OPERATOR_HINT_AFTER_SECONDS * 1000) {
      hinted = true;
      const hint = operatorFinalizerHint(
        kind,
        left.filter((o) => !strandedNs.has(o.metadata.namespace ?? '')),
        cluster.allNamespaces,
      );
      if (hint) io.stderr(hint);
    }
    return false;
  };
  if (await pollUntil(seconds, checkAndHint)) return;
  // What releases the finalizers left: the operator, unless none of them is in a namespace it watches.
  const watchedLeft = left.some((o) => !strandedNs.has(o.metadata.namespace ?? ''));
  throw new Error(
    `timed out after ${timeout} waiting for ${left
      .map((o) => `${named(kind, o, cluster.allNamespaces)} (finalizers: ${finalizers(o)})`)
      .join(', ')} to be deleted; ${
      watchedLeft
        ? 'a finalizer is released by the controller that set it (kelos.dev ones by the operator: is it running?)'
        : found?.state === 'absent'
          ? 'no Kelos operator is installed, so nothing releases its kelos.dev finalizers (see above)'
          : `the operator does not watch ${[...strandedNs].join(', ')}, so nothing releases its kelos.dev finalizers (see above)`
    }; kelos delete --wait=false returns without waiting`,
  );
}

/** An object deleted and created again by another writer under every attempt to delete it. */
class RecreatedEachTime extends Error {}

/**
 * Deletes one object by name: read, then deleted only if it is the one read (its uid); a
 * namesake created since the read is read again and deleted, as kubectl would. Resolves to the
 * object read and what its deletion takes with it.
 */
async function deleteOne(
  cluster: Cluster,
  kind: CliKind,
  name: string,
): Promise<{ read: ApiObject; also: string }> {
  const namespace = kind.type.namespaced ? cluster.namespace : undefined;
  let also = '';
  const read = await retryOnConflict(async () => {
    const obj = await getOrThrow<ApiObject>(cluster, kind.type, name, namespace);
    also = await dependentsNote(cluster, kind, obj);
    // The uid precondition: a namesake created since the read is a conflict, and the next
    // attempt reads and deletes that one, as kubectl would, instead of printing the 409.
    if (!(await cluster.client.delete(kind.type, namespace, name, { uid: obj.metadata.uid ?? '' }))) {
      // Deleted by someone else since the read: still not found for the user.
      await getOrThrow(cluster, kind.type, name, namespace);
    }
    return obj;
  }).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
    throw new RecreatedEachTime(
      `${kind.def.singular} "${name}"${namespace ? ` in namespace "${namespace}"` : ''} was deleted and created again by another writer under each of ${CONFLICT_ATTEMPTS} attempts to delete it; nothing was deleted. Run kelos delete ${kind.def.singular} ${name}${namespace ? ` -n ${namespace}` : ''} again once that writer has settled`,
    );
  });
  return { read, also };
}

export const deleteCommand: CommandFactory = (io, done) => {
  const command = new Command('delete')
    .description('delete Kelos objects by name, or every one of a kind with --all')
    .argument('<kind>', kindArgumentHelp())
    .argument('[names...]', 'names of the objects (each deleted on its own, as kubectl)')
    .option('--all', 'delete every object of the kind in the namespace')
    .addOption(
      // An optional value, so kubectl's --wait=false parses; choices, so a name after --wait is refused, not swallowed.
      new Option(
        '--wait [bool]',
        'wait until the objects are gone, their finalizers released (as kubectl; --wait=false: do not wait)',
      )
        .choices(['true', 'false'])
        .default(true),
    )
    .option('--no-wait', 'return once the deletion is accepted (same as --wait=false)')
    .option(
      '--timeout <duration>',
      `how long to wait for the objects to be gone, e.g. 2m (${BARE_NUMBER_SECONDS}); 0: a week, as kubectl`,
      '0s',
    );
  addClusterFlags(command, { allNamespaces: true });
  return command.action(async (kindArg: string, names: string[], flags: DeleteFlags) => {
    const kind = resolveKind(kindArg);
    checkDeleteArgs(kind, names, flags);
    const wait = parseWaitFlag(flags.wait);
    const seconds = deleteTimeoutSeconds(flags.timeout);
    await withCluster(io, done, flags, async (cluster) => {
      if (names.length === 0) {
        const gone = await deleteAll(cluster, io, kind);
        const where =
          cluster.allNamespaces || !kind.type.namespaced ? '' : ` in namespace "${cluster.namespace}"`;
        if (gone.length === 0) io.stderr(`no ${kind.def.plural} found${where}\n`);
        if (wait) await waitGone(cluster, io, kind, gone, seconds, flags.timeout);
        return;
      }
      // Each name on its own, as kubectl: one that is not there is an error naming it, and the
      // others are still deleted (and waited for); any such error makes the exit code 1.
      const gone: ApiObject[] = [];
      let failed = false;
      for (const name of new Set(names)) {
        try {
          const { read, also } = await deleteOne(cluster, kind, name);
          io.stdout(deleted(kind, read, false, also));
          gone.push(read);
        } catch (err) {
          const ofName = err instanceof ObjectNotFound || err instanceof RecreatedEachTime;
          if (names.length === 1 || !ofName) throw err;
          io.stderr(`kelos: ${explainError(err, cluster)}\n`);
          failed = true;
        }
      }
      if (wait) await waitGone(cluster, io, kind, gone, seconds, flags.timeout);
      return failed ? ExitCode.Error : ExitCode.Ok;
    });
  });
};
