/**
 * `kelos delete <kind> [name] [--all]`: deletes one Kelos object, or every one of a kind in
 * the namespace (`-A` with `--all`: in every namespace). Prints a line per object as kubectl
 * does; finalizers (the operator's on Tasks) finish the deletion afterwards.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import type { ApiObject } from '../../kube/client.ts';
import {
  addClusterFlags,
  type Cluster,
  type ClusterFlags,
  ensureServed,
  getOrThrow,
  withCluster,
} from '../cluster/connection.ts';
import { type CliKind, resolveKind } from '../cluster/kinds.ts';
import { type CliIo, type CommandFactory, UsageError } from '../io.ts';
import { listAll } from './get.ts';

interface DeleteFlags extends ClusterFlags {
  all?: boolean;
}

/** Checks the arguments before anything is sent. */
export function checkDeleteArgs(kind: CliKind, name: string | undefined, flags: DeleteFlags): void {
  const plural = kind.def.plural;
  if (name !== undefined && flags.all) {
    throw new UsageError(
      `--all deletes every ${kind.def.singular}; it cannot be combined with a name ("${name}")`,
    );
  }
  if (name === undefined && !flags.all) {
    throw new UsageError(
      `name the ${kind.def.singular} to delete, or delete every one with --all (kelos delete ${plural} --all)`,
    );
  }
  if (flags.allNamespaces && !flags.all) {
    throw new UsageError('-A/--all-namespaces applies only with --all');
  }
}

/** `<singular>.<group> "<name>" deleted`, as kubectl prints it. */
const deleted = (kind: CliKind, obj: ApiObject, allNamespaces: boolean): string =>
  `${kind.def.singular}.${kind.type.group} "${obj.metadata.name}" deleted${allNamespaces && obj.metadata.namespace ? ` from ${obj.metadata.namespace}` : ''}\n`;

/** Deletes every object of the kind in the namespace (or all of them); resolves to how many. */
async function deleteAll(cluster: Cluster, io: CliIo, kind: CliKind): Promise<number> {
  await ensureServed(cluster, kind.type);
  let count = 0;
  for (const obj of await listAll(cluster, kind, undefined)) {
    if (obj.metadata.deletionTimestamp) continue;
    // Gone between the list and now is what was asked for.
    if (await cluster.client.delete(kind.type, obj.metadata.namespace, obj.metadata.name ?? '')) {
      io.stdout(deleted(kind, obj, cluster.allNamespaces));
      count++;
    }
  }
  return count;
}

export const deleteCommand: CommandFactory = (io, done) => {
  const command = new Command('delete')
    .description('delete a Kelos object by name, or every one of a kind with --all')
    .argument(
      '<kind>',
      'kind: task(s), workspace(s)/ws, agentconfig(s)/ac, taskspawner(s)/ts, taskbudget(s)/tb, …',
    )
    .argument('[name]', 'name of the object')
    .option('--all', 'delete every object of the kind in the namespace');
  addClusterFlags(command, { allNamespaces: true });
  return command.action(async (kindArg: string, name: string | undefined, flags: DeleteFlags) => {
    const kind = resolveKind(kindArg);
    checkDeleteArgs(kind, name, flags);
    await withCluster(io, done, flags, async (cluster) => {
      if (name === undefined) {
        const count = await deleteAll(cluster, io, kind);
        const where =
          cluster.allNamespaces || !kind.type.namespaced ? '' : ` in namespace "${cluster.namespace}"`;
        if (count === 0) io.stderr(`no ${kind.def.plural} found${where}\n`);
        return;
      }
      const namespace = kind.type.namespaced ? cluster.namespace : undefined;
      const obj = await getOrThrow<ApiObject>(cluster, kind.type, name, namespace);
      // Deleted by someone else since the read: still not found for the user.
      if (!(await cluster.client.delete(kind.type, namespace, name, { uid: obj.metadata.uid ?? '' }))) {
        await getOrThrow(cluster, kind.type, name, namespace);
      }
      io.stdout(deleted(kind, obj, false));
    });
  });
};
