/**
 * `kelos version`: the CLI's version and, when the cluster is reachable, the operator's (the
 * Deployment's `app.kubernetes.io/version` label, else its image tag) and the CRDs' (their
 * `kelos.dev/version` annotation). One package version is the version of all three; when they
 * differ (or the CRDs carry no version) it says so and how to bring them together. It stays informational (exit 0), as
 * `kubectl version` does on a client/server skew.
 *
 * @packageDocumentation
 */
import { Command, Option } from 'commander';
import { VERSION_ANNOTATION, VERSION_LABEL } from '../../api/version.ts';
import { generateCrds } from '../../crd/generate.ts';
import { ApiError, type ApiObject } from '../../kube/client.ts';
import { CRD, DEPLOYMENT, INSTALL_DEFAULTS } from '../cluster/bundle.ts';
import type { ClusterFlags } from '../cluster/connection.ts';
import { addClusterFlags, connect, explainError } from '../cluster/connection.ts';
import { lookUpOperator } from '../cluster/kelos-objects.ts';
import { type CommandFactory, ExitCode } from '../io.ts';
import { isNewerVersion, packageVersion } from '../version.ts';

interface Flags extends ClusterFlags {
  client?: boolean;
  output?: string;
}

type Deployment = ApiObject & {
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: Array<{ name: string; image?: string }> } };
  };
  status?: { readyReplicas?: number };
};

/** The names of the CRDs this package ships, each of which `kelos version` reads. */
const crdNames = (): string[] => generateCrds().map((crd) => crd.metadata.name);

/** The tag of an image reference (`repo:tag`, `repo@sha256:…` gives the digest). */
export const imageTag = (image: string): string => {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1);
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(colon + 1) : 'latest';
};

/** What `kelos version` found in the cluster. */
export interface OperatorInfo {
  /** The version label, else the image tag without its `v`, else undefined (pinned by digest). */
  readonly version: string | undefined;
  readonly image: string;
  readonly namespace: string;
  readonly ready: string;
}

/** The operator's version from its Deployment: the version label, else the image tag. */
export const operatorVersion = (labels: Readonly<Record<string, string>> | undefined, image: string) => {
  const label = labels?.[VERSION_LABEL];
  if (label) return label;
  const tag = imageTag(image);
  return tag.startsWith('sha256:') ? undefined : tag.replace(/^v(?=\d)/, '');
};

/**
 * Who puts no version on their CRDs: the reason a `kelos.dev/version` annotation is missing,
 * for a user coming from either.
 */
export const UNVERSIONED_CRDS = `no ${VERSION_ANNOTATION} annotation: Kelos-TS 0.1.0 or older, or upstream Kelos, whose CRDs carry none`;

/**
 * The Kelos CRDs as found in the cluster, by name: the `kelos.dev/version` annotation, `null`
 * for a CRD without one, `undefined` for one not installed.
 */
export type FoundCrds = ReadonlyArray<readonly [name: string, version: string | null | undefined]>;

/** CRDs that disagree with one another, as {@link versionMismatch} names them. */
export interface MixedCrds {
  /** Each version with the CRDs that carry it, e.g. `0.2.0 on tasks.kelos.dev; not installed: …`. */
  readonly mixed: string;
  /** The versions found, to tell a cluster ahead of the client. */
  readonly versions: readonly string[];
}

/**
 * What the Kelos CRDs' versions come to: none installed (`undefined`), one version for all
 * (`null` for none on every one), or, when they differ from one another or some are missing
 * (a half-applied install or upgrade), which CRD carries which version. The CRDs are written
 * and applied together, so one disagreeing is never the version of the others.
 */
export const crdVersions = (found: FoundCrds): string | null | undefined | MixedCrds => {
  const installed = found.filter(([, v]) => v !== undefined);
  if (installed.length === 0) return undefined;
  const distinct = [...new Set(found.map(([, v]) => v))];
  if (distinct.length === 1) return distinct[0];
  // The version most CRDs carry first, the ones that lag behind after it, the missing last.
  const groups = distinct
    .map((v) => [v, found.filter(([, w]) => w === v).map(([name]) => name)] as const)
    .sort(([v, a], [w, b]) => (v === undefined ? 1 : 0) - (w === undefined ? 1 : 0) || b.length - a.length)
    .map(([v, names]) =>
      v === undefined ? `not installed: ${names.join(', ')}` : `${v ?? 'no version'} on ${names.join(', ')}`,
    );
  return {
    mixed: groups.join('; '),
    versions: distinct.filter((v): v is string => typeof v === 'string'),
  };
};

/**
 * How to bring an older cluster to the client's version, by either install path: this CLI's
 * `kelos install`, or, where Argo CD syncs the install, the GitOps repository's kelos-ts.
 */
const UPGRADE =
  "upgrade the cluster with `kelos install` (this CLI's version) or, where Argo CD syncs the install, bump kelos-ts in the GitOps repository, `npx kelos synth` and commit dist/";

/**
 * The mismatch between the client, the operator and the CRDs, as one sentence, or undefined
 * when every known version is the client's. `crds` is `null` for CRDs installed without a
 * version annotation, which are some other version than the client's (older, or upstream's);
 * `undefined` versions (not installed, not readable) are not compared.
 */
export const versionMismatch = (
  client: string,
  operator: string | undefined,
  crds: string | null | undefined | MixedCrds,
): string | undefined => {
  const mixed = crds !== null && typeof crds === 'object' ? crds : undefined;
  const differing = [
    ...(operator !== undefined && operator !== client ? [`operator ${operator}`] : []),
    ...(crds === null ? [`CRDs of no known version (${UNVERSIONED_CRDS})`] : []),
    ...(typeof crds === 'string' && crds !== client ? [`CRDs ${crds}`] : []),
    ...(mixed ? [`CRDs of different versions (${mixed.mixed})`] : []),
  ];
  if (differing.length === 0) return undefined;
  // A cluster ahead of the client is not upgraded by this CLI's install: it would downgrade it.
  const ahead = [operator, ...(mixed ? mixed.versions : [crds])].find(
    (v) => typeof v === 'string' && isNewerVersion(v, client),
  );
  if (ahead) {
    return `version mismatch: client ${client}, ${differing.join(', ')}; the cluster runs a newer Kelos than this CLI: use the CLI of its version (\`npx kelos-ts@${ahead}\`); \`kelos install\` of this CLI would downgrade it`;
  }
  // The CLI of CRDs of no known version, or of CRDs of several, cannot be named: upgrading
  // (which applies every CRD) is the way.
  const orOlderCli =
    crds === null || mixed ? '' : " or use the CLI of the cluster's version (`npx kelos-ts@<version>`)";
  return `version mismatch: client ${client}, ${differing.join(', ')}; ${UPGRADE}${orOlderCli}`;
};

export const versionCommand: CommandFactory = (io, done) => {
  const command = new Command('version')
    .description(
      "print the client's version and, when the cluster is reachable, the operator's and the CRDs'; warns on stderr when they differ or the CRDs carry no version",
    )
    .option('--client', 'only the client version; do not contact the cluster')
    // Choices, so a typo (`-o jsno`) is refused instead of printing text a script cannot parse.
    .addOption(new Option('-o, --output <format>', 'json or yaml instead of text').choices(['json', 'yaml']))
    .option(
      '-n, --namespace <name>',
      `namespace of the operator (default: the one the install's labels are found in, else ${INSTALL_DEFAULTS.namespace})`,
    );
  addClusterFlags(command, { namespace: false, config: false });
  return command.action(async (flags: Flags) => {
    const client = packageVersion();
    let operator: OperatorInfo | undefined;
    let problem: string | undefined;
    let crdVersion: string | undefined;
    let crdProblem: string | undefined;
    /** What the CRDs' versions come to, for the mismatch. */
    let crds: ReturnType<typeof crdVersions>;
    if (!flags.client) {
      let namespace = flags.namespace ?? INSTALL_DEFAULTS.namespace;
      let cluster: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        cluster = await connect(flags, io, { readConfig: false });
        // Without -n, where the install is (found by its labels, as kelos run and delete find
        // it), so an install into another namespace is not told to run kelos install again.
        if (flags.namespace === undefined) {
          const found = await lookUpOperator(cluster).catch(() => undefined);
          if (found?.state === 'installed') namespace = found.operator.namespace;
        }
        // The Deployment and the CRDs are read apart, each with its own problem: a user may
        // read one and not the other (a Role in the operator's namespace, no grant on CRDs).
        // Only a denial lets the other be read; no cluster or refused credentials would fail
        // it the same way, so it is not asked.
        let reachable = true;
        try {
          const d = await cluster.client.get<Deployment>(DEPLOYMENT, namespace, INSTALL_DEFAULTS.deployment);
          const image =
            d?.spec?.template?.spec?.containers?.find((x) => x.name === 'operator')?.image ??
            d?.spec?.template?.spec?.containers?.[0]?.image;
          if (d && image) {
            operator = {
              version: operatorVersion(d.metadata.labels, image),
              image,
              namespace,
              ready: `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
            };
          } else {
            problem = `not installed (no Deployment ${INSTALL_DEFAULTS.deployment} in namespace ${namespace}; run kelos install)`;
          }
        } catch (err) {
          problem = `unknown: ${explainError(err, cluster)}`;
          reachable = err instanceof ApiError && err.status === 403;
        }
        if (reachable) {
          try {
            // Each by name (`get` is the grant `kelos version` needs, not `list`), together.
            const kube = cluster.client;
            const found = await Promise.all(
              crdNames().map(async (name) => {
                const crd = await kube.get(CRD, undefined, name);
                return [
                  name,
                  crd ? (crd.metadata.annotations?.[VERSION_ANNOTATION] ?? null) : undefined,
                ] as const;
              }),
            );
            crds = crdVersions(found);
            if (crds === undefined) crdProblem = 'not installed (run kelos install)';
            else if (crds === null) crdProblem = `unknown (${UNVERSIONED_CRDS})`;
            else if (typeof crds === 'string') crdVersion = crds;
            else crdProblem = `mixed, a half-applied install or upgrade: ${crds.mixed}`;
          } catch (err) {
            crdProblem = `unknown: ${explainError(err, cluster)}`;
          }
        }
      } catch (err) {
        problem = `unknown: ${explainError(err, cluster)}`;
      } finally {
        cluster?.close();
      }
    }
    const mismatch = versionMismatch(client, operator?.version, crds);
    if (flags.output === 'json' || flags.output === 'yaml') {
      const doc = {
        clientVersion: client,
        ...(operator ? { operator } : {}),
        ...(problem ? { operatorProblem: problem } : {}),
        ...(crdVersion ? { crdVersion } : {}),
        ...(crdProblem ? { crdProblem } : {}),
        ...(mismatch ? { mismatch } : {}),
      };
      io.stdout(
        flags.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : (await import('yaml')).stringify(doc),
      );
    } else {
      io.stdout(`Client Version: ${client}\n`);
      if (operator) {
        io.stdout(
          `Operator Version: ${operator.version ?? 'unknown (pinned by digest, no version label)'} (${operator.image} in ${operator.namespace}, ${operator.ready} ready)\n`,
        );
      } else if (problem) io.stdout(`Operator Version: ${problem}\n`);
      if (crdVersion || crdProblem) io.stdout(`CRD Version: ${crdVersion ?? crdProblem}\n`);
    }
    // On stderr whatever the format: a script reads the document on stdout, a person the warning.
    if (mismatch) io.stderr(`warning: ${mismatch}\n`);
    done(ExitCode.Ok);
  });
};
