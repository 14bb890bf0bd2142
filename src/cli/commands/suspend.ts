/**
 * `kelos suspend taskspawner <name>` and `kelos resume taskspawner <name>`: set or clear the
 * spawner's `spec.suspend`. Idempotent: a spawner already in the asked state is left alone
 * (no write) and the command says so and succeeds.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import type { TaskSpawner } from '../../api/index.ts';
import { addClusterFlags, type ClusterFlags, getOrThrow, withCluster } from '../cluster/connection.ts';
import { resolveKind } from '../cluster/kinds.ts';
import { type CliIo, type CommandFactory, type ExitCode, UsageError } from '../io.ts';

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
      .argument('<kind>', 'taskspawner (or ts)')
      .argument('<name>', 'name of the TaskSpawner');
    addClusterFlags(command);
    return command.action(async (kindArg: string, name: string, flags: ClusterFlags) => {
      const kind = spawnerKind(kindArg, verb);
      await withCluster(io, done, flags, async (cluster) => {
        const spawner = await getOrThrow<TaskSpawner>(cluster, kind.type, name);
        if ((spawner.spec.suspend === true) === suspend) {
          io.stdout(`taskspawner "${name}" is ${suspend ? 'already suspended' : 'not suspended'}\n`);
          return;
        }
        // The version precondition turns a concurrent delete-and-recreate into a conflict, not a write to another spawner.
        await cluster.client.mergePatch(
          kind.type,
          cluster.namespace,
          name,
          { spec: { suspend } },
          { resourceVersion: spawner.metadata.resourceVersion ?? '' },
        );
        io.stdout(`taskspawner "${name}" ${suspend ? 'suspended' : 'resumed'}\n`);
      });
    });
  };

/** `kelos suspend taskspawner <name>`. */
export const suspendCommand: CommandFactory = toggleCommand('suspend', true);
/** `kelos resume taskspawner <name>`. */
export const resumeCommand: CommandFactory = toggleCommand('resume', false);
