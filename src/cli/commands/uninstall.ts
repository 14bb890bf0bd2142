/**
 * `kelos uninstall`: removes Kelos in the order that leaves nothing stuck. First every Kelos
 * object in every namespace, waiting until they are gone (the operator, still running,
 * releases their finalizers: a Task's Job is deleted and its branch lock freed); then the
 * operator install, found by the labels on its objects (so a namespaced install's Roles go
 * without `--watch-namespace`) and by rendering it for the flags; then, only with `--crds`,
 * the CRDs. The operator's Namespace goes only when the install created it.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { KINDS } from '../../api/index.ts';
import type { ApiObject } from '../../kube/client.ts';
import {
  CRD,
  describeObject,
  INSTALL_DEFAULTS,
  NAMESPACE,
  renderCrds,
  renderInstall,
  typeOfObject,
} from '../cluster/bundle.ts';
import { type Colours, colours } from '../cluster/colour.ts';
import { addClusterFlags, type Cluster, type ClusterFlags, withCluster } from '../cluster/connection.ts';
import {
  foreignNamespaceReason,
  inDeletionOrder,
  labelledInstallObjects,
  ownedBy,
} from '../cluster/install-objects.ts';
import {
  countByKind,
  kelosObjects,
  lookUpOperator,
  noOperatorWayOut,
  strandedObjects,
  strandedWayOut,
} from '../cluster/kelos-objects.ts';
import { typeOf } from '../cluster/kinds.ts';
import { pollUntil } from '../cluster/poll.ts';
import { BARE_NUMBER_SECONDS, type CliIo, type CommandFactory, ExitCode, UsageError } from '../io.ts';
import { installSettings, timeoutSeconds, watchNamespaceOption } from './install.ts';

interface Flags extends ClusterFlags {
  crds?: boolean;
  keepRecords?: boolean;
  dryRun?: boolean;
  watchNamespace?: string[];
  timeout: string;
}

const kindType = (kind: string) => typeOf(KINDS.find((k) => k.kind === kind)!);

/**
 * Why Kelos objects are still there after the wait. Those in namespaces the installed
 * operator does not watch are named apart, with the ways out: that operator will never release
 * them, so "check that it runs" would send the user after the wrong thing; so would it with no
 * operator installed at all (an earlier uninstall removed it), where the way out is the patch.
 */
async function stuckMessage(
  cluster: Cluster,
  left: readonly ApiObject[],
  timeout: string,
  namespace: string,
): Promise<string> {
  const list = (objs: readonly ApiObject[]) =>
    `${objs.slice(0, 5).map(describeObject).join(', ')}${objs.length > 5 ? ', …' : ''}`;
  const head = `${left.length} Kelos objects still have finalizers after ${timeout}`;
  // Unknown when it cannot be read: the timeout is still what to report.
  const found = await lookUpOperator(cluster, namespace).catch(() => undefined);
  if (found?.state === 'absent') {
    return `${head} (${list(left)}); ${noOperatorWayOut(left, found.namespace)}; then run kelos uninstall again`;
  }
  const operator = found?.state === 'installed' ? found.operator : undefined;
  const stranded = operator?.watched ? strandedObjects(left, operator.watched) : [];
  const strandedKeys = new Set(stranded.flatMap((s) => s.objects.map(describeObject)));
  const rest = left.filter((o) => !strandedKeys.has(describeObject(o)));
  const runs = `the operator releases them, so check that it runs (kubectl -n ${namespace} get pods), then run kelos uninstall again`;
  if (!operator?.watched || stranded.length === 0) return `${head} (${list(left)}); ${runs}`;
  const where = stranded.map((s) => `${s.namespace} (${countByKind(s.objects)})`).join(', ');
  return (
    `${head}; ${where}: the operator (deployment/${INSTALL_DEFAULTS.deployment} -n ${operator.namespace}) watches only ${operator.watched.join(', ')}, so nothing releases them: ` +
    `${strandedWayOut(stranded, operator.watched)}; then run kelos uninstall again` +
    (rest.length ? `. The other ${rest.length} (${list(rest)}): ${runs}` : '')
  );
}

/**
 * What a dry run says of one object the run would delete, given what the cluster holds of it:
 * `would delete`, or that it is not there or already going. Returns whether it would delete it.
 */
function wouldDelete(o: ApiObject, live: ApiObject | undefined, io: CliIo, c: Colours): boolean {
  if (!live) io.stdout(`${describeObject(o)} ${c.dim('not found')}\n`);
  else if (live.metadata.deletionTimestamp)
    io.stdout(`${describeObject(o)} ${c.dim('already being deleted')}\n`);
  else io.stdout(`would delete ${describeObject(o)}\n`);
  return live !== undefined && !live.metadata.deletionTimestamp;
}

/**
 * Deletes the operator's Namespace only when the install created it (it carries the install's
 * labels): a namespace the admin made, with `createNamespace=false` or before the install,
 * may hold anything. Says what it did; returns whether it deleted it (with `dryRun`, whether
 * it would).
 */
async function deleteNamespace(
  cluster: Cluster,
  ns: ApiObject,
  io: CliIo,
  c: Colours,
  dryRun: boolean,
): Promise<boolean> {
  const name = ns.metadata.name ?? '';
  const live = await cluster.client.get(NAMESPACE, undefined, name);
  const reason = live ? foreignNamespaceReason(live) : undefined;
  if (live && reason) {
    io.stdout(`${describeObject(ns)} ${c.dim('kept')}: ${reason}; delete it yourself if it should go\n`);
    return false;
  }
  if (dryRun) return wouldDelete(ns, live, io, c);
  const existed = live ? await cluster.client.delete(NAMESPACE, undefined, name) : false;
  io.stdout(`${describeObject(ns)} ${existed ? c.green('deleted') : c.dim('not found')}\n`);
  return existed;
}

export const uninstallCommand: CommandFactory = (io, done) => {
  const command = new Command('uninstall')
    .description(
      'remove Kelos: every Kelos object (waiting for finalizers), then the operator, then with --crds the CRDs',
    )
    .option('--crds', 'also delete the CRDs (after every Kelos object is gone)')
    .option(
      '--keep-records',
      'keep the TaskRecords, the cost history TaskBudgets count, so a later install budgets from it',
    )
    .option('--dry-run', 'list what would be deleted and change nothing')
    .addOption(
      watchNamespaceOption(
        'the namespaces a namespaced install watches, as given to kelos install (not needed: the install is found by its labels)',
      ),
    )
    .option(
      '--timeout <duration>',
      `how long to wait for Kelos objects to be released, e.g. 5m (${BARE_NUMBER_SECONDS})`,
      '2m',
    )
    .option('-n, --namespace <name>', `namespace of the operator (default: ${INSTALL_DEFAULTS.namespace})`);
  addClusterFlags(command, { namespace: false, config: false });
  return command.action(async (flags: Flags) => {
    if (flags.keepRecords && flags.crds)
      throw new UsageError(
        '--keep-records keeps the TaskRecords, and --crds deletes their CRD and with it every TaskRecord: give one of them',
      );
    const seconds = timeoutSeconds(flags.timeout);
    // Image settings do not change names; the namespaces do.
    const settings = installSettings({ ...flags, imageTag: 'any' } as Parameters<typeof installSettings>[0]);
    const bundle = await renderInstall(settings);
    const crds = flags.crds ? renderCrds() : [];
    await withCluster(
      io,
      done,
      flags,
      async (cluster) => {
        const c = colours(io);
        const isKept = (o: ApiObject) => flags.keepRecords === true && o.kind === 'TaskRecord';
        // Finalizing a Task writes its TaskRecord: those are kept too.
        const toDelete = async () => (await kelosObjects(cluster)).filter((o) => !isKept(o));
        const kept = async () =>
          flags.keepRecords ? (await kelosObjects(cluster)).filter(isKept).length : 0;
        const keptNote = (n: number) =>
          flags.keepRecords ? `; ${n} TaskRecord${n === 1 ? '' : 's'} kept` : '';
        const objects = await toDelete();
        // What the flags render and what carries the install's labels, whatever settings
        // installed it; the Deployment before its RBAC, the Namespace last.
        const install = inDeletionOrder([
          ...bundle,
          ...ownedBy(await labelledInstallObjects(cluster), settings.namespace),
        ]);
        if (flags.dryRun) {
          // What is there, as the run would find it: an object the flags render that the
          // cluster does not hold is `not found`, as the run prints it, never `would delete`.
          // A Kelos object already terminating is not deleted again by the run (its sweep skips
          // it), so it is not counted as one the run would delete.
          let kelosWould = 0;
          for (const o of objects) if (wouldDelete(o, o, io, c)) kelosWould++;
          let would = 0;
          for (const o of [...install, ...crds]) {
            if (o.kind === NAMESPACE.kind) {
              if (await deleteNamespace(cluster, o, io, c, true)) would++;
              continue;
            }
            const live = await cluster.client.get(
              typeOfObject(o),
              o.metadata.namespace,
              o.metadata.name ?? '',
            );
            if (wouldDelete(o, live, io, c)) would++;
          }
          io.stdout(
            `dry run: ${kelosWould} Kelos objects and ${would} install objects would be deleted${keptNote(await kept())}; nothing was changed` +
              `${flags.crds ? '' : ' (the CRDs are kept without --crds)'}\n`,
          );
          return ExitCode.Ok;
        }
        // Deletes what is there and not yet being deleted, until nothing is left: finalizing a
        // Task writes its TaskRecord, which may appear after the first pass.
        const seen = new Set<string>();
        // Said once, as the dry run says it: one already terminating is waited for, not deleted again.
        const going = new Set<string>();
        let left: ApiObject[] = objects;
        const sweep = async () => {
          for (const o of left) {
            if (o.metadata.deletionTimestamp) {
              if (!seen.has(describeObject(o)) && !going.has(describeObject(o)))
                io.stdout(`${describeObject(o)} ${c.dim('already being deleted')}\n`);
              going.add(describeObject(o));
              continue;
            }
            await cluster.client.delete(kindType(o.kind ?? ''), o.metadata.namespace, o.metadata.name ?? '');
            if (!seen.has(describeObject(o))) io.stdout(`${describeObject(o)} ${c.yellow('deleting')}\n`);
            seen.add(describeObject(o));
          }
        };
        if (left.length) {
          await sweep();
          io.stdout(`waiting for the Kelos objects to be released by the operator…\n`);
          const gone = await pollUntil(seconds, async () => {
            left = await toDelete();
            await sweep();
            return left.length === 0;
          });
          if (!gone) throw new Error(await stuckMessage(cluster, left, flags.timeout, settings.namespace));
        }
        let deleted = 0;
        for (const o of [...install, ...crds]) {
          if (o.kind === NAMESPACE.kind) {
            if (await deleteNamespace(cluster, o, io, c, false)) deleted++;
            continue;
          }
          const existed = await cluster.client.delete(
            typeOfObject(o),
            o.metadata.namespace,
            o.metadata.name ?? '',
            {
              propagationPolicy: 'Background',
            },
          );
          if (existed) deleted++;
          io.stdout(`${describeObject(o)} ${existed ? c.green('deleted') : c.dim('not found')}\n`);
        }
        if (crds.length) {
          const names = crds.map((crd) => crd.metadata.name ?? '');
          await pollUntil(seconds, async () => {
            for (const name of names) if (await cluster.client.get(CRD, undefined, name)) return false;
            return true;
          });
        }
        io.stdout(
          `${c.green('Kelos uninstalled')}: ${seen.size} Kelos objects and ${deleted} install objects deleted${keptNote(await kept())}` +
            `${flags.crds ? '' : '; the CRDs are kept (delete them with kelos uninstall --crds)'}\n`,
        );
        return ExitCode.Ok;
      },
      { readConfig: false },
    );
  });
};
