/**
 * `kelos version`: the CLI's version and, when the cluster is reachable, the operator's: the
 * tag of the operator Deployment's image, which `kelos install --version` sets.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import type { ApiObject } from '../../kube/client.ts';
import { DEPLOYMENT, INSTALL_DEFAULTS } from '../cluster/bundle.ts';
import type { ClusterFlags } from '../cluster/connection.ts';
import { addClusterFlags, connect, explainError } from '../cluster/connection.ts';
import { type CommandFactory, ExitCode } from '../io.ts';
import { packageVersion } from '../version.ts';

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

/** The tag of an image reference (`repo:tag`, `repo@sha256:…` gives the digest). */
export const imageTag = (image: string): string => {
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1);
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? image.slice(colon + 1) : 'latest';
};

export const versionCommand: CommandFactory = (io, done) => {
  const command = new Command('version')
    .description("print the client's version and, when the cluster is reachable, the operator's")
    .option('--client', 'only the client version; do not contact the cluster')
    .option('-o, --output <format>', 'json or yaml instead of text')
    .option('-n, --namespace <name>', `namespace of the operator (default: ${INSTALL_DEFAULTS.namespace})`);
  addClusterFlags(command, { namespace: false, config: false });
  return command.action(async (flags: Flags) => {
    const client = packageVersion();
    let operator: { version: string; image: string; namespace: string; ready: string } | undefined;
    let problem: string | undefined;
    if (!flags.client) {
      const namespace = flags.namespace ?? INSTALL_DEFAULTS.namespace;
      let cluster: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        cluster = await connect(flags, io, { readConfig: false });
        const d = await cluster.client.get<Deployment>(DEPLOYMENT, namespace, INSTALL_DEFAULTS.deployment);
        const image =
          d?.spec?.template?.spec?.containers?.find((x) => x.name === 'operator')?.image ??
          d?.spec?.template?.spec?.containers?.[0]?.image;
        if (d && image) {
          operator = {
            version: imageTag(image),
            image,
            namespace,
            ready: `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
          };
        } else {
          problem = `not installed (no Deployment ${INSTALL_DEFAULTS.deployment} in namespace ${namespace}; run kelos install)`;
        }
      } catch (err) {
        problem = `unknown: ${explainError(err, cluster)}`;
      } finally {
        cluster?.close();
      }
    }
    if (flags.output === 'json' || flags.output === 'yaml') {
      const doc = {
        clientVersion: client,
        ...(operator ? { operator } : {}),
        ...(problem ? { operatorProblem: problem } : {}),
      };
      io.stdout(
        flags.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : (await import('yaml')).stringify(doc),
      );
    } else {
      io.stdout(`Client Version: ${client}\n`);
      if (operator) {
        io.stdout(
          `Operator Version: ${operator.version} (${operator.image} in ${operator.namespace}, ${operator.ready} ready)\n`,
        );
      } else if (problem) io.stdout(`Operator Version: ${problem}\n`);
    }
    done(ExitCode.Ok);
  });
};
