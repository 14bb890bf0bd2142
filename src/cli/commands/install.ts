/**
 * `kelos install`: applies the CRDs (server-side), waits until the API server serves them,
 * then applies the operator install, printing a line per object and a summary. Re-running it
 * is harmless: every object is server-side applied and reported as created, configured or
 * unchanged.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { stringify } from 'yaml';
import { versionTag } from '../../api/version.ts';
import { IMAGE_DIGEST, operatorImage } from '../../install/index.ts';
import { parseNamespaceList } from '../../install/watch-namespaces.ts';
import type { ApiObject } from '../../kube/client.ts';
import { parseDuration } from '../../kube/duration.ts';
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
import { type CliIo, type CommandFactory, ExitCode, UsageError } from '../io.ts';
import { packageVersion } from '../version.ts';

interface Flags extends ClusterFlags {
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

/** The install settings of the flags shared by install and uninstall. */
export function installSettings(flags: Flags): InstallSettings {
  const replicas = flags.replicas === undefined ? undefined : Number(flags.replicas);
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) {
    throw new UsageError(`--replicas must be a positive integer; got "${flags.replicas}"`);
  }
  for (const [flag, digest] of [
    ['--image-digest', flags.imageDigest],
    ['--agent-base-digest', flags.agentBaseDigest],
  ] as const) {
    if (digest !== undefined && !IMAGE_DIGEST.test(digest)) {
      throw new UsageError(`${flag} must be sha256: and 64 hex digits; got "${digest}"`);
    }
  }
  const version = (flags.version ?? packageVersion()).replace(/^v/, '');
  return {
    namespace: flags.namespace ?? INSTALL_DEFAULTS.namespace,
    version,
    imageTag: flags.imageTag ?? versionTag(version),
    ...(flags.imageDigest ? { imageDigest: flags.imageDigest } : {}),
    ...(flags.agentBaseDigest ? { agentBaseDigest: flags.agentBaseDigest } : {}),
    ...(flags.watchNamespace ? { watchNamespaces: watchedNamespaces(flags.watchNamespace) } : {}),
    ...(flags.imageRepository ? { imageRepository: flags.imageRepository } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
  };
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
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--replicas <n>', 'operator replicas (leader-elected; default 2)')
    .option('--wait', 'wait until the operator Deployment is available')
    .option('--timeout <duration>', 'how long to wait for the CRDs (and the operator with --wait)', '2m')
    .option('-n, --namespace <name>', `namespace of the operator (default: ${INSTALL_DEFAULTS.namespace})`);
  addClusterFlags(command, { namespace: false, config: false });
  return command.action(async (flags: Flags) => {
    const settings = installSettings(flags);
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
