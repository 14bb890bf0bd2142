/**
 * `kelos suspend taskspawner <name>` and `kelos resume taskspawner <name>`: set or clear the
 * spawner's `spec.suspend`. Idempotent: a spawner already in the asked state is left alone
 * (no write) and the command says so and succeeds. A write that loses a race with another
 * writer (409 Conflict) is read and made again, a few times, as kubectl does.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { KINDS, type TaskSpawner } from '../../api/index.ts';
import { isConflict } from '../../kube/client.ts';
import { CONFLICT_ATTEMPTS, retryOnConflict } from '../../kube/conflict-retry.ts';
import { addClusterFlags, type ClusterFlags, getOrThrow, withCluster } from '../cluster/connection.ts';
import { kindArgumentHelp, resolveKind } from '../cluster/kinds.ts';
import { type CliIo, type CommandFactory, type ExitCode, UsageError } from '../io.ts';

/** The one kind these commands take, listed in `--help` with every name `resolveKind` accepts for it. */
const SPAWNER_KINDS = KINDS.filter((k) => k.kind === 'TaskSpawner');

/** The one kind these commands act on, resolved from what the user typed. */
const spawnerKind = (arg: string, verb: 'suspend' | 'resume') => {
  const kind = resolveKind(arg);
  if (kind.def.kind !== 'TaskSpawner') {
    throw new UsageError(
      `only taskspawners can be ${verb === 'suspend' ? 'suspended' : 'resumed'}; got ${kind.def.plural} (kelos ${verb} taskspawner <name>)`,
    );
  }
  return kind;
};

/** Builds `suspend` (suspend: true) or `resume` (suspend: false). */
const toggleCommand =
  (verb: 'suspend' | 'resume', suspend: boolean): CommandFactory =>
  (io: CliIo, done: (code: ExitCode) => void) => {
    const command = new Command(verb)
      .description(
        suspend
          ? 'stop a TaskSpawner from creating Tasks (running Tasks go on); no-op when already suspended'
          : 'let a suspended TaskSpawner create Tasks again; no-op when it is not suspended',
      )
      .argument('<kind>', kindArgumentHelp(SPAWNER_KINDS))
      .argument('<name>', 'name of the TaskSpawner');
    addClusterFlags(command);
    return command.action(async (kindArg: string, name: string, flags: ClusterFlags) => {
      const kind = spawnerKind(kindArg, verb);
      await withCluster(io, done, flags, async (cluster) => {
        const changed = await retryOnConflict(async () => {
          // Read afresh on every attempt: the operator writes the spawner's status all the time.
          const spawner = await getOrThrow<TaskSpawner>(cluster, kind.type, name);
          if ((spawner.spec.suspend === true) === suspend) return false;
          // The version precondition keeps the decision above true of what is written: any write
          // since the read (a delete-and-recreate too) is a conflict, and the next attempt decides again.
          await cluster.client.mergePatch(
            kind.type,
            cluster.namespace,
            name,
            { spec: { suspend } },
            { resourceVersion: spawner.metadata.resourceVersion ?? '' },
          );
          return true;
        }).catch((err: unknown) => {
          if (!isConflict(err)) throw err;
          throw new Error(
            `taskspawner "${name}" in namespace "${cluster.namespace}" changed under each of ${CONFLICT_ATTEMPTS} attempts to set spec.suspend to ${suspend} (another writer, such as the operator updating its status, kept winning); nothing was changed. Run kelos ${verb} taskspawner ${name} -n ${cluster.namespace} again; if it keeps failing, see which manager writes it: kubectl get taskspawner ${name} -n ${cluster.namespace} -o yaml --show-managed-fields`,
          );
        });
        if (!changed) {
          io.stdout(`taskspawner "${name}" is ${suspend ? 'already suspended' : 'not suspended'}\n`);
          return;
        }
        io.stdout(`taskspawner "${name}" ${suspend ? 'suspended' : 'resumed'}\n`);
      });
    });
  };

/** `kelos suspend taskspawner <name>`. */
export const suspendCommand: CommandFactory = toggleCommand('suspend', true);
/** `kelos resume taskspawner <name>`. */
export const resumeCommand: CommandFactory = toggleCommand('resume', false);
