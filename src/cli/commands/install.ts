/**
 * `kelos install`: applies the CRDs (server-side), waits until the API server serves them,
 * then applies the operator install, printing a line per object and a summary. Re-running it
 * is harmless: every object is server-side applied and reported as created, configured or
 * unchanged.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { parse, stringify } from 'yaml';
import { versionTag } from '../../api/version.ts';
import { IMAGE_DIGEST, operatorImage } from '../../install/index.ts';
import { parseNamespaceList } from '../../install/watch-namespaces.ts';
import type { ApiObject } from '../../kube/client.ts';
import { parseDuration } from '../../kube/duration.ts';
import { closest } from '../../validate/echo.ts';
import {
  CRD,
  DEPLOYMENT,
  describeObject,
  INSTALL_DEFAULTS,
  type InstallSettings,
  renderCrds,
  renderInstall,
  typeOfObject,
} from '../cluster/bundle.ts';
import { type Colours, colours } from '../cluster/colour.ts';
import { addClusterFlags, type Cluster, type ClusterFlags, withCluster } from '../cluster/connection.ts';
import {
  checkValues,
  mergeValues,
  parseSet,
  type SetFlavour,
  settingsFromValues,
  VALUE_KEYS,
  type Values,
} from '../cluster/install-values.ts';
import { type CliIo, type CommandFactory, ExitCode, UsageError } from '../io.ts';
import { packageVersion } from '../version.ts';

/** The Helm-style values flags. */
interface ValuesFlags {
  values?: string[];
  set?: string[];
  setString?: string[];
  setFile?: string[];
}

interface Flags extends ClusterFlags, ValuesFlags {
  dryRun?: boolean;
  version?: string;
  imageRepository?: string;
  imageTag?: string;
  imageDigest?: string;
  agentBaseDigest?: string;
  watchNamespace?: string[];
  replicas?: string;
  wait?: boolean;
  timeout: string;
}

/** The namespaces of `--watch-namespace` values (comma-separated, repeatable), as the operator reads them. */
const watchedNamespaces = (values: readonly string[]): string[] => {
  const parsed = parseNamespaceList(values);
  if ('problem' in parsed) throw new UsageError(`--watch-namespace: ${parsed.problem}`);
  return parsed.namespaces;
};

/**
 * The install settings of the flags shared by install and uninstall, over those of the
 * merged Helm-style `values`: a dedicated flag wins over a values key.
 */
export function installSettings(flags: Flags, values: Values = {}): InstallSettings {
  const fromValues = settingsFromValues(values);
  const replicas = flags.replicas === undefined ? fromValues.replicas : Number(flags.replicas);
  if (
    flags.replicas !== undefined &&
    (replicas === undefined || !Number.isInteger(replicas) || replicas < 1)
  ) {
    throw new UsageError(`--replicas must be a positive integer; got "${flags.replicas}"`);
  }
  const digest = flags.imageDigest ?? fromValues.imageDigest;
  for (const [where, value] of [
    [flags.imageDigest !== undefined ? '--image-digest' : 'values key "image.digest"', digest],
    ['--agent-base-digest', flags.agentBaseDigest],
  ] as const) {
    if (value !== undefined && !IMAGE_DIGEST.test(value)) {
      throw new UsageError(`${where} must be sha256: and 64 hex digits; got "${value}"`);
    }
  }
  const version = (flags.version ?? fromValues.version ?? packageVersion()).replace(/^v/, '');
  const watch = flags.watchNamespace ? watchedNamespaces(flags.watchNamespace) : fromValues.watchNamespaces;
  const repository = flags.imageRepository ?? fromValues.imageRepository;
  return {
    ...fromValues,
    namespace: flags.namespace ?? INSTALL_DEFAULTS.namespace,
    version,
    imageTag: flags.imageTag ?? fromValues.imageTag ?? versionTag(version),
    ...(digest ? { imageDigest: digest } : {}),
    ...(flags.agentBaseDigest ? { agentBaseDigest: flags.agentBaseDigest } : {}),
    ...(watch ? { watchNamespaces: watch } : {}),
    ...(repository ? { imageRepository: repository } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
  };
}

/**
 * Refuses an `extraArgs` flag `kelos operator` does not take: the operator would exit at
 * start-up and its Pods crash-loop, after the CRDs were applied. Checked against the operator
 * command's own options, so the list cannot fall behind.
 */
async function checkExtraArgs(args: readonly string[], io: CliIo): Promise<void> {
  const flags = args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] as string);
  if (flags.length === 0) return;
  const { operatorCommand } = await import('./operator.ts');
  const known = operatorCommand(io, () => {})
    .options.map((o) => o.long)
    .filter((l): l is string => l !== undefined);
  const unknown = flags.filter((f) => !known.includes(f));
  if (unknown.length > 0) {
    throw new UsageError(
      `values key "extraArgs": kelos operator has no flag ${unknown
        .map((f) => {
          const guess = closest(f, known);
          return `${f}${guess ? ` (did you mean ${guess}?)` : ''}`;
        })
        .join(', ')}; kelos operator --help lists them`,
    );
  }
}

/** Reads and merges the values of `-f`, `--set`, `--set-string` and `--set-file`, in Helm's order. */
export async function readInstallValues(flags: ValuesFlags, io: CliIo): Promise<Values> {
  const read = (flag: string) => async (path: string) =>
    path === '-'
      ? io.readStdin()
      : readFile(resolve(io.cwd, path), 'utf8').catch((e: Error) => {
          throw new UsageError(`${flag} ${path}: cannot read it (${e.message})`);
        });
  let merged: Values = {};
  for (const file of flags.values ?? []) {
    const source = `-f ${file}`;
    let doc: unknown;
    try {
      doc = parse(await read('-f')(file)) ?? {};
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${source}: not valid YAML (${(e as Error).message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new UsageError(`${source}: expected a mapping of values (image.tag, replicas, …)`);
    }
    checkValues(doc as Values, source);
    merged = mergeValues(merged, doc as Values);
  }
  const sets: Array<[SetFlavour, string[] | undefined]> = [
    ['set', flags.set],
    ['set-string', flags.setString],
    ['set-file', flags.setFile],
  ];
  for (const [flavour, args] of sets) {
    for (const arg of args ?? []) {
      const values = await parseSet(arg, flavour, read(`--${flavour}`));
      checkValues(values, `--${flavour} ${arg}`);
      merged = mergeValues(merged, values);
    }
  }
  return merged;
}

/** Seconds of a `--timeout` flag. */
export function timeoutSeconds(text: string): number {
  const s = parseDuration(text);
  if (s === undefined || s <= 0)
    throw new UsageError(`--timeout must be a positive duration, e.g. 2m; got "${text}"`);
  return s;
}

/** Polls `check` every half second until it returns true or `seconds` pass. */
export async function pollUntil(seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

type Outcome = 'created' | 'configured' | 'unchanged';

/** Server-side applies one object and says what happened to it. */
export async function applyObject(cluster: Cluster, obj: ApiObject): Promise<Outcome> {
  const type = typeOfObject(obj);
  const before = await cluster.client.get(type, obj.metadata.namespace, obj.metadata.name ?? '');
  const after = await cluster.client.apply(type, obj, { force: true });
  if (!before) return 'created';
  return before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured';
}

const established = (crd: ApiObject): boolean =>
  Boolean(
    (crd as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions?.some(
      (c) => c.type === 'Established' && c.status === 'True',
    ),
  );

/** Applies objects in order, one progress line each; returns the count per outcome. */
async function applyAll(cluster: Cluster, objects: readonly ApiObject[], io: CliIo, c: Colours) {
  const counts: Record<Outcome, number> = { created: 0, configured: 0, unchanged: 0 };
  for (const obj of objects) {
    const outcome = await applyObject(cluster, obj);
    counts[outcome]++;
    const word = outcome === 'unchanged' ? c.dim(outcome) : c.green(outcome);
    io.stdout(`${describeObject(obj)} ${word}\n`);
  }
  return counts;
}

export const installCommand: CommandFactory = (io, done) => {
  const command = new Command('install')
    .description(
      'install Kelos into the cluster: the CRDs, then the operator (cluster-wide unless --watch-namespace)',
    )
    .option('--dry-run', 'print what would be applied, as YAML, and change nothing')
    .option(
      '--version <version>',
      "Kelos version to install: the version label and the operator image tag v<version> (default: this CLI's version)",
    )
    .option(
      '--image-repository <prefix>',
      'registry and repository prefix of the operator image (default: ghcr.io/kelos-ts)',
    )
    .option('--image-tag <tag>', 'operator image tag, when it differs from v<version>')
    .option('--image-digest <digest>', 'pin the operator image by digest (sha256:…) instead of its tag')
    .option(
      '--agent-base-digest <digest>',
      'pin the agent base image the operator puts in agent Jobs by digest (sha256:…) instead of its tag',
    )
    .option(
      '--watch-namespace <namespaces>',
      'namespaced mode: the operator watches only these namespaces (comma-separated or repeated), with a Role in each',
      collect,
    )
    .option('--replicas <n>', 'operator replicas (leader-elected; default 2)')
    .option('--wait', 'wait until the operator Deployment is available')
    .option('--timeout <duration>', 'how long to wait for the CRDs (and the operator with --wait)', '2m')
    .option(
      '-f, --values <file>',
      'Helm-style values file (YAML; "-" for stdin); repeatable, later files win',
      collect,
    )
    .option(
      '--set <key=value>',
      'set values (key=value[,key=value]; typed as Helm types them); repeatable',
      collect,
    )
    .option('--set-string <key=value>', 'set values, always as strings; repeatable', collect)
    .option('--set-file <key=path>', "set a value to a file's content; repeatable", collect)
    .option('-n, --namespace <name>', `namespace of the operator (default: ${INSTALL_DEFAULTS.namespace})`)
    .addHelpText(
      'after',
      `\nValues keys (-f, --set; a dedicated flag wins over its key):\n${Object.entries(VALUE_KEYS)
        .map(([k, v]) => `  ${k.padEnd(38)} ${v.type}: ${v.help}`)
        .join('\n')}\n`,
    );
  addClusterFlags(command, { namespace: false, config: false });
  return command.action(async (flags: Flags) => {
    const settings = installSettings(flags, await readInstallValues(flags, io));
    await checkExtraArgs(settings.extraArgs ?? [], io);
    if (settings.version !== packageVersion()) {
      io.stderr(
        `warning: installing operator ${settings.version} with the CRDs of this CLI (${packageVersion()}); for exactly that version's CRDs and bundle run: npx kelos-ts@${settings.version} install\n`,
      );
    }
    const seconds = timeoutSeconds(flags.timeout);
    const crds = renderCrds();
    const bundle = await renderInstall(settings);
    if (flags.dryRun) {
      io.stdout([...crds, ...bundle].map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
      io.stderr(
        `dry run: ${crds.length} CRDs and ${bundle.length} objects would be applied; nothing was changed\n`,
      );
      done(ExitCode.Ok);
      return;
    }
    await withCluster(
      io,
      done,
      flags,
      async (cluster) => {
        const c = colours(io);
        io.stdout(c.bold(`Installing Kelos ${settings.imageTag} into ${cluster.server}\n`));
        const crdCounts = await applyAll(cluster, crds, io, c);
        io.stdout('waiting for the CRDs to be established…\n');
        const names = crds.map((crd) => crd.metadata.name ?? '');
        const ok = await pollUntil(seconds, async () => {
          for (const name of names) {
            const crd = await cluster.client.get(CRD, undefined, name);
            if (!crd || !established(crd)) return false;
          }
          return true;
        });
        if (!ok)
          throw new Error(
            `the CRDs were not established within ${flags.timeout}; check: kubectl get crd ${names.join(' ')}`,
          );
        const counts = await applyAll(cluster, bundle, io, c);
        const image = operatorImage(settings.imageRepository, settings.imageTag, settings.imageDigest);
        let ready = '';
        if (flags.wait) {
          io.stdout('waiting for the operator to be available…\n');
          const available = await pollUntil(seconds, async () => {
            const d = await cluster.client.get<ApiObject & { status?: { availableReplicas?: number } }>(
              DEPLOYMENT,
              settings.namespace,
              INSTALL_DEFAULTS.deployment,
            );
            return (d?.status?.availableReplicas ?? 0) > 0;
          });
          if (!available) {
            throw new Error(
              `the operator did not become available within ${flags.timeout}; check: kubectl -n ${settings.namespace} describe deployment ${INSTALL_DEFAULTS.deployment}`,
            );
          }
          ready = ', available';
        }
        const total = (k: 'created' | 'configured' | 'unchanged') => crdCounts[k] + counts[k];
        io.stdout(
          `${c.green('Kelos installed')}: ${crds.length} CRDs and ${bundle.length} objects (${total('created')} created, ${total('configured')} configured, ${total('unchanged')} unchanged)\n` +
            `  operator: ${image} in namespace ${settings.namespace}, ${settings.watchNamespaces ? `watching ${settings.watchNamespaces.join(', ')}` : 'watching every namespace'}${ready}\n` +
            '  next: kelos init, then kelos run -p "<what the agent should do>" -w\n',
        );
      },
      { readConfig: false },
    );
  });
};
