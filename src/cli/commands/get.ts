/**
 * `kelos get <kind> [name]`: lists or shows Kelos objects the way `kubectl get` does, as a
 * table of the kind's printer columns, `-o wide|name|yaml|json`, or `-d` in detail.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { stringify } from 'yaml';
import { KINDS } from '../../api/index.ts';
import { ApiError, type ApiObject } from '../../kube/client.ts';
import { NAMESPACE } from '../cluster/bundle.ts';
import { colours } from '../cluster/colour.ts';
import {
  addClusterFlags,
  type Cluster,
  type ClusterFlags,
  getOrThrow,
  missingNamespaceText,
  withCluster,
} from '../cluster/connection.ts';
import { renderDetail } from '../cluster/detail.ts';
import { type CliKind, kindArgumentHelp, resolveKind } from '../cluster/kinds.ts';
import { columnsOf, renderTable } from '../cluster/table.ts';
import { type CommandFactory, UsageError } from '../io.ts';

/** Output formats of `kelos get`. */
export const GET_FORMATS = ['yaml', 'json', 'wide', 'name'] as const;

/** Phases `--phase` accepts, per kind. */
const PHASES: Readonly<Record<string, readonly string[]>> = {
  Task: ['Waiting', 'Pending', 'Running', 'Succeeded', 'Failed'],
  TaskSpawner: ['Pending', 'Running', 'Suspended', 'Failed'],
};

interface GetFlags extends ClusterFlags {
  output?: string;
  phase?: string;
  detail?: boolean;
  selector?: string;
}

/** Checks the flags before anything is sent; returns the canonical phase, if any. */
export function checkGetFlags(kind: CliKind, name: string | undefined, flags: GetFlags): string | undefined {
  if (flags.output !== undefined && !(GET_FORMATS as readonly string[]).includes(flags.output)) {
    throw new UsageError(`--output must be one of ${GET_FORMATS.join(', ')}; got "${flags.output}"`);
  }
  if (name !== undefined && flags.allNamespaces) {
    throw new UsageError(
      'a name cannot be looked up across all namespaces; give -n <namespace> instead of -A',
    );
  }
  // As kubectl refuses it: a named object is shown whatever its labels, so the selector
  // would be silently ignored.
  if (name !== undefined && flags.selector !== undefined) {
    throw new UsageError('-l/--selector filters a list; it cannot be combined with a name');
  }
  if (flags.detail && flags.output !== undefined && flags.output !== 'wide') {
    throw new UsageError(`--detail prints text; it cannot be combined with -o ${flags.output}`);
  }
  if (flags.phase === undefined) return undefined;
  const phases = PHASES[kind.def.kind];
  if (!phases) throw new UsageError(`--phase applies to ${Object.keys(PHASES).join(' and ')} only`);
  const phase = phases.find((p) => p.toLowerCase() === flags.phase?.toLowerCase());
  if (!phase) throw new UsageError(`--phase must be one of ${phases.join(', ')}; got "${flags.phase}"`);
  if (name !== undefined) throw new UsageError('--phase filters a list; it cannot be combined with a name');
  return phase;
}

/** Every object of a kind, page by page. */
export async function listAll(
  cluster: Cluster,
  kind: CliKind,
  selector: string | undefined,
): Promise<ApiObject[]> {
  const items: ApiObject[] = [];
  let cont: string | undefined;
  do {
    const page = await cluster.client
      .list<ApiObject>(kind.type, {
        ...(cluster.allNamespaces ? {} : { namespace: cluster.namespace }),
        ...(selector ? { labelSelector: selector } : {}),
        limit: 500,
        ...(cont ? { continue: cont } : {}),
      })
      .catch((err: unknown) => {
        // The API server's 400 for a selector it cannot parse names the request URL, not the flag.
        if (selector && err instanceof ApiError && err.status === 400) {
          const why = err.message.replace(/^.*?: 400 BadRequest: /s, '');
          throw new UsageError(`-l "${selector}" is not a label selector the API server accepts: ${why}`);
        }
        throw err;
      });
    // Items of a list carry no apiVersion and kind on some servers; -o yaml must show them.
    items.push(
      ...page.items.map((i) => ({
        apiVersion: `${kind.type.group}/${kind.type.version}`,
        kind: kind.def.kind,
        ...i,
      })),
    );
    cont = page.metadata.continue || undefined;
  } while (cont);
  return items;
}

/**
 * Whether the API server answers that the cluster's namespace does not exist (one GET). Not
 * known (false) when the user may not read it, or the read fails: the listing still stands.
 */
async function namespaceMissing(cluster: Cluster): Promise<boolean> {
  try {
    return (await cluster.client.get(NAMESPACE, undefined, cluster.namespace)) === undefined;
  } catch {
    return false;
  }
}

/** What kubectl strips from `get -o yaml` unless asked: managedFields are noise to a reader. */
const forOutput = (obj: ApiObject): ApiObject => {
  const { managedFields: _, ...metadata } = obj.metadata as ApiObject['metadata'] & {
    managedFields?: unknown;
  };
  return { ...obj, metadata };
};

export const getCommand: CommandFactory = (io, done) => {
  const command = new Command('get')
    .description(`list Kelos objects (${KINDS.map((k) => k.plural).join(', ')}) or show one`)
    .argument('<kind>', kindArgumentHelp())
    .argument('[name]', 'name of one object')
    .option('-o, --output <format>', `output format: ${GET_FORMATS.join('|')} (default: a table)`)
    .option(
      '--phase <phase>',
      `only objects in this phase (${Object.entries(PHASES)
        .map(([kind, phases]) => `${kind}s: ${phases.join(', ')}`)
        .join('; ')})`,
    )
    .option('-d, --detail', 'show each object in detail: status, conditions, results, usage and cost')
    .option('-l, --selector <selector>', 'label selector, e.g. kelos.dev/taskspawner=triage');
  addClusterFlags(command, { allNamespaces: true });
  return command.action(async (kindArg: string, name: string | undefined, flags: GetFlags) => {
    const kind = resolveKind(kindArg);
    const phase = checkGetFlags(kind, name, flags);
    await withCluster(io, done, flags, async (cluster) => {
      const now = Date.now();
      let items: ApiObject[];
      if (name !== undefined) items = [await getOrThrow<ApiObject>(cluster, kind.type, name)];
      else {
        items = await listAll(cluster, kind, flags.selector);
        if (phase)
          items = items.filter((o) => (o as { status?: { phase?: string } }).status?.phase === phase);
      }
      const single = name !== undefined;
      // An empty list of a namespace that does not exist reads as "nothing there yet", which a
      // misspelt -n is not: say so on stderr. kubectl exits 0 here, and so does kelos get.
      const missing =
        !single && items.length === 0 && !cluster.allNamespaces && kind.type.namespaced
          ? await namespaceMissing(cluster)
          : false;
      const warnMissing = () => {
        if (missing) io.stderr(`warning: ${missingNamespaceText(cluster.namespace, cluster)}\n`);
      };
      if (flags.output === 'json' || flags.output === 'yaml') {
        const out = single
          ? forOutput(items[0]!)
          : {
              apiVersion: 'v1',
              kind: 'List',
              items: items.map(forOutput),
              metadata: { resourceVersion: '' },
            };
        io.stdout(
          flags.output === 'json' ? `${JSON.stringify(out, null, 2)}\n` : stringify(out, { lineWidth: 0 }),
        );
        warnMissing();
        return;
      }
      if (!items.length) {
        const where =
          cluster.allNamespaces || !kind.type.namespaced ? '' : ` in ${cluster.namespace} namespace`;
        io.stderr(`No ${kind.def.plural}${phase ? ` in phase ${phase}` : ''} found${where}.\n`);
        warnMissing();
        return;
      }
      if (flags.output === 'name') {
        io.stdout(items.map((o) => `${kind.def.singular}.${kind.type.group}/${o.metadata.name}\n`).join(''));
        return;
      }
      if (flags.detail) {
        io.stdout(
          items
            .map((o) => renderDetail(o as unknown as Record<string, unknown>, colours(io), now))
            .join('\n'),
        );
        return;
      }
      const columns = columnsOf(kind.def, {
        wide: flags.output === 'wide',
        allNamespaces: cluster.allNamespaces,
        now,
      });
      io.stdout(renderTable(columns, items as unknown as Record<string, unknown>[]));
    });
  });
};
