/**
 * `kelos install`: applies the CRDs (server-side), waits until the API server serves them,
 * then applies the operator install, printing a line per object and a summary. Re-running it
 * is harmless: every object is server-side applied and reported as created, configured or
 * unchanged.
 *
 * @packageDocumentation
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { KELOS_CONFIG_NAME } from '../../api/group.ts';
import type { KelosConfig } from '../../api/index.ts';
import { VERSION_ANNOTATION, versionTag } from '../../api/version.ts';
import { IMAGE_DIGEST, operatorImage } from '../../install/index.ts';
import { ownedFlags, ownedFlagsMessage } from '../../install/owned-flags.ts';
import { parseNamespaceList } from '../../install/watch-namespaces.ts';
import { CoreResources } from '../../kube/api.ts';
import type { ApiObject } from '../../kube/client.ts';
import { parseDuration } from '../../kube/duration.ts';
import { IMAGE_TAG, isImagePrefix } from '../../kube/image-reference.ts';
import { certificatePairProblem } from '../../operator/metrics-tls.ts';
import { Resources } from '../../operator/resources.ts';
import { INT32_MAX } from '../../policy/config.ts';
import { clipName, closest } from '../../validate/echo.ts';
import { isLabelValue, LABEL_VALUE_RULE } from '../../validate/object-schema.ts';
import { configDocuments } from '../../validate/yaml-errors.ts';
import { agentIsolationSummary } from '../cluster/agent-isolation.ts';
import {
  CLUSTER_ROLE_BINDING,
  CRD,
  DEPLOYMENT,
  describeObject,
  INSTALL_DEFAULTS,
  type InstallSettings,
  installProps,
  NAMESPACE,
  renderCrds,
  renderInstall,
  typeOfObject,
} from '../cluster/bundle.ts';
import { type Colours, colours } from '../cluster/colour.ts';
import { addClusterFlags, type Cluster, type ClusterFlags, withCluster } from '../cluster/connection.ts';
import {
  foreignNamespaceReason,
  INSTALL_SELECTOR,
  inDeletionOrder,
  labelledInstallObjects,
  otherInstallNamespace,
  ownedBy,
  pruneCandidates,
} from '../cluster/install-objects.ts';
import {
  checkValues,
  mergeValues,
  parseSet,
  recordOrigins,
  type SetFlavour,
  settingsFromValues,
  VALUE_KEYS,
  type ValueOrigins,
  type Values,
  withOrigins,
} from '../cluster/install-values.ts';
import {
  countByKind,
  kelosObjects,
  type Stranded,
  strandedObjects,
  strandedWayOut,
} from '../cluster/kelos-objects.ts';
import { pollUntil } from '../cluster/poll.ts';
import { type DeploymentRolloutFields, type RolloutState, rolloutState } from '../cluster/rollout.ts';
import {
  type CrdVersions,
  type StoredVersionsProblem,
  storedVersionsMessage,
  unservedStoredVersions,
} from '../cluster/stored-versions.ts';
import { readFlagFile } from '../files.ts';
import { BARE_NUMBER_SECONDS, type CliIo, type CommandFactory, ExitCode, UsageError } from '../io.ts';
import { isNewerVersion, packageVersion } from '../version.ts';

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
  allowDowngrade?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `--watch-namespace`, one definition for install and uninstall: comma-separated or repeated,
 * collected into the list {@link installSettings} parses.
 */
export const watchNamespaceOption = (description: string): Option =>
  new Option('--watch-namespace <namespaces>', description).argParser(collect);

/** The namespaces of `--watch-namespace` values (comma-separated, repeatable), as the operator reads them. */
const watchedNamespaces = (values: readonly string[]): string[] => {
  const parsed = parseNamespaceList(values);
  if ('problem' in parsed) throw new UsageError(`--watch-namespace: ${parsed.problem}`);
  return parsed.namespaces;
};

/**
 * The install settings of the flags shared by install and uninstall, over those of the
 * merged Helm-style `values`: a dedicated flag wins over a values key. `origins` (the source
 * of each key) lets a problem name the file or flag to edit.
 */
export function installSettings(flags: Flags, values: Values = {}, origins?: ValueOrigins): InstallSettings {
  // A key its flag overrides is not read at all: its value, even one that would be refused,
  // is not what is installed.
  const overridden: Values = {
    ...(flags.version !== undefined && { version: null }),
    ...(flags.replicas !== undefined && { replicas: null }),
    ...(flags.watchNamespace && { watchNamespaces: null }),
    image: {
      ...(flags.imageRepository !== undefined && { repository: null }),
      ...(flags.imageTag !== undefined && { tag: null }),
      ...(flags.imageDigest !== undefined && { digest: null }),
    },
  };
  const fromValues = settingsFromValues(mergeValues(values, overridden), origins);
  const replicas = flags.replicas === undefined ? fromValues.replicas : Number(flags.replicas);
  if (
    flags.replicas !== undefined &&
    (replicas === undefined || !Number.isInteger(replicas) || replicas < 1 || replicas > INT32_MAX)
  ) {
    throw new UsageError(
      `--replicas must be a positive integer of at most ${INT32_MAX}; got "${flags.replicas}"`,
    );
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
  // It becomes the app.kubernetes.io/version label of every object: one the API server refuses
  // failed the whole apply, after a dry run that printed it.
  if (!isLabelValue(version))
    throw new UsageError(
      `${flags.version !== undefined ? '--version' : 'values key "version"'} ${JSON.stringify(clipName(version))} is not a version the install can label its objects with (the app.kubernetes.io/version label: ${LABEL_VALUE_RULE})`,
    );
  const watch = flags.watchNamespace ? watchedNamespaces(flags.watchNamespace) : fromValues.watchNamespaces;
  const repository = flags.imageRepository ?? fromValues.imageRepository;
  // Refused here, or the kubelet refuses the image (InvalidImageName) once everything is applied.
  const tag = flags.imageTag ?? fromValues.imageTag;
  if (tag !== undefined && !IMAGE_TAG.test(tag))
    throw new UsageError(
      `${flags.imageTag !== undefined ? '--image-tag' : 'values key "image.tag"'} ${JSON.stringify(clipName(tag))} is not an image tag (letters, digits, "_", "." and "-", not starting with "." or "-", at most 128)`,
    );
  if (repository !== undefined && !isImagePrefix(repository))
    throw new UsageError(
      `${flags.imageRepository !== undefined ? '--image-repository' : 'values key "image.repository"'} ${JSON.stringify(clipName(repository))} is not a registry and repository prefix an image can start with (e.g. ghcr.io/kelos-ts or localhost:5000/team: a registry host, then lowercase path components)`,
    );
  return {
    ...fromValues,
    namespace: flags.namespace ?? INSTALL_DEFAULTS.namespace,
    version,
    imageTag: tag ?? versionTag(version),
    ...(digest ? { imageDigest: digest } : {}),
    ...(flags.agentBaseDigest ? { agentBaseDigest: flags.agentBaseDigest } : {}),
    ...(watch ? { watchNamespaces: watch } : {}),
    ...(repository ? { imageRepository: repository } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
  };
}

/**
 * The long flags `args` set, parsed by a fresh `kelos operator` command with its action
 * replaced, so parsing starts nothing. Throws commander's error for what the operator would
 * refuse at start-up.
 */
async function operatorFlagsOf(args: readonly string[], io: CliIo): Promise<string[]> {
  const { operatorCommand } = await import('./operator.ts');
  const cmd = operatorCommand(io, () => {})
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .action(() => {});
  cmd.parse([...args], { from: 'user' });
  return cmd.options
    .filter((o) => o.long !== undefined && cmd.getOptionValueSource(o.attributeName()) === 'cli')
    .map((o) => o.long as string);
}

/**
 * Checks `extraArgs` before anything is applied, as `kelos operator` itself would parse them
 * at start-up (else the operator exits and its Pods crash-loop after the CRDs were applied):
 * a flag it does not take (with the likely one), a value it refuses, a flag without its value
 * or a switch given one; and refuses a flag the install sets itself (`ownArgs`, and always
 * `--namespace`), naming the install setting to use instead.
 */
export async function checkExtraArgs(
  args: readonly string[],
  ownArgs: readonly string[],
  io: CliIo,
): Promise<void> {
  if (args.length === 0) return;
  const { operatorCommand } = await import('./operator.ts');
  const known = operatorCommand(io, () => {})
    .options.map((o) => o.long)
    .filter((l): l is string => l !== undefined);
  const unknown = args
    .filter((a) => a.startsWith('--'))
    .map((a) => a.split('=')[0] as string)
    .filter((f) => !known.includes(f));
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
  let given: string[];
  try {
    given = await operatorFlagsOf(args, io);
  } catch (err) {
    const message = (err as Error).message.replace(/^error: /, '');
    const switchWithValue = /unknown option '(--[^=']+)=/.exec(message)?.[1];
    throw new UsageError(
      `values key "extraArgs" [${args.join(', ')}]: kelos operator would refuse it at start-up: ${message}${
        switchWithValue ? ` (${switchWithValue} is a switch: it takes no value)` : ''
      }`,
    );
  }
  const own = ownedFlags(ownArgs);
  const owned = given.filter((f) => own.has(f));
  if (owned.length > 0) throw new UsageError(`values key "extraArgs": ${ownedFlagsMessage(owned)}`);
}

/** The `kelos operator` flags the install renders for `settings`, without its `extraArgs`. */
async function installOwnArgs(settings: InstallSettings): Promise<string[]> {
  const { operatorArgs, resolveInstallProps } = await import('../../../constructs/install/index.ts');
  return operatorArgs(resolveInstallProps({ ...installProps(settings), extraArgs: [] })).slice(1);
}

/**
 * Reads and merges the values of `-f`, `--set`, `--set-string` and `--set-file`, in Helm's order,
 * with the source that set each key.
 */
export async function readInstallValues(
  flags: ValuesFlags,
  io: CliIo,
): Promise<{ values: Values; origins: ValueOrigins }> {
  const origins = new Map<string, string>();
  const read = (flag: string) => (path: string) => readFlagFile(flag, path, io);
  let merged: Values = {};
  for (const file of flags.values ?? []) {
    const source = `-f ${file}`;
    const text = await read('-f')(file);
    let docs: unknown[];
    try {
      docs = configDocuments(text, file);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (docs.length > 1)
      throw new UsageError(`${source}: holds ${docs.length} YAML documents; a values file is one`);
    const doc = docs[0] ?? {};
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new UsageError(`${source}: expected a mapping of values (image.tag, replicas, …)`);
    }
    checkValues(doc as Values, source);
    merged = mergeValues(merged, doc as Values);
    recordOrigins(doc as Values, source, origins);
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
      recordOrigins(values, `--${flavour} ${arg}`, origins);
    }
  }
  return { values: merged, origins };
}

/** Seconds of a `--timeout` flag. */
export function timeoutSeconds(text: string): number {
  const s = parseDuration(text);
  if (s === undefined || s <= 0)
    throw new UsageError(
      `--timeout must be a positive duration, e.g. 2m or 1h30m (${BARE_NUMBER_SECONDS}); got "${text}"`,
    );
  return s;
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

/**
 * Checks, before anything is applied, that the namespaces the install needs exist: a missing
 * watched namespace used to fail on its Role after the CRDs, the Namespace and the
 * ServiceAccount were applied. Leaves an existing Namespace the install did not create as it
 * is: the install's labels on it would make `kelos uninstall` delete it with all it holds.
 *
 * @returns the bundle objects to apply.
 */
async function preflight(
  cluster: Cluster,
  settings: InstallSettings,
  bundle: readonly ApiObject[],
  crds: readonly ApiObject[],
  allowDowngrade: boolean,
  origins: ValueOrigins,
  io: CliIo,
): Promise<ApiObject[]> {
  const own = bundle.find((o) => o.kind === NAMESPACE.kind);
  const live = await cluster.client.get(NAMESPACE, undefined, settings.namespace);
  const problems: string[] = [];
  // CRDs of a newer Kelos: this CLI's would drop what that version added, and the API server
  // prunes a field its schema lacks from every stored object it reads or writes.
  const client = packageVersion();
  let newer: string | undefined;
  const unserved: StoredVersionsProblem[] = [];
  const withObjects = new Set<string>();
  for (const crd of crds) {
    const live = await cluster.client.get<CrdVersions>(CRD, undefined, crd.metadata.name ?? '');
    const installed = live?.metadata.annotations?.[VERSION_ANNOTATION];
    if (installed && isNewerVersion(installed, newer ?? client)) newer = installed;
    const problem = live && unservedStoredVersions(live, crd);
    if (!problem) continue;
    unserved.push(problem);
    if (problem.storage && (await holdsObjects(cluster, live, problem.storage)))
      withObjects.add(problem.name);
  }
  if (unserved.length > 0) problems.push(storedVersionsMessage(unserved, withObjects));
  if (newer && !allowDowngrade) {
    problems.push(
      `the cluster's CRDs are of Kelos ${newer}, newer than this CLI (${client}): applying this CLI's would downgrade them, and the API server prunes a field the older schema lacks from the stored objects; install with that version's CLI (npx kelos-ts@${newer} install), or, to downgrade on purpose, see what would be lost (kubectl get crd -l app.kubernetes.io/part-of=kelos -o yaml > installed.yaml; kelos crds --check-against installed.yaml) and pass --allow-downgrade`,
    );
  }
  const missing: string[] = [];
  for (const ns of settings.watchNamespaces ?? []) {
    if (ns === settings.namespace && (own || live)) continue;
    if (!(await cluster.client.get(NAMESPACE, undefined, ns))) missing.push(ns);
  }
  if (missing.length > 0) {
    const one = missing.length === 1;
    problems.push(
      `the watched namespace${one ? '' : 's'} ${missing.join(', ')} ${one ? 'does' : 'do'} not exist: create ${one ? 'it' : 'them'} (${missing
        .map((ns) => `kubectl create namespace ${ns}`)
        .join('; ')}) or drop ${one ? 'it' : 'them'} from watchNamespaces (--watch-namespace)`,
    );
  }
  // A Namespace being deleted refuses new objects: the install would stop half-way.
  const terminating = [
    ...(live?.metadata.deletionTimestamp ? [settings.namespace] : []),
    ...(
      await Promise.all(
        (settings.watchNamespaces ?? [])
          .filter((ns) => ns !== settings.namespace && !missing.includes(ns))
          .map(async (ns) =>
            (await cluster.client.get(NAMESPACE, undefined, ns))?.metadata.deletionTimestamp ? ns : '',
          ),
      )
    ).filter((ns) => ns !== ''),
  ];
  if (terminating.length > 0) {
    problems.push(
      `namespace ${terminating.join(', ')} ${terminating.length === 1 ? 'is' : 'are'} being deleted: wait until ${terminating.length === 1 ? 'it is' : 'they are'} gone (kubectl wait --for=delete namespace/${terminating[0]}), then install again`,
    );
  }
  const other = otherInstallNamespace(
    (await cluster.client.list<ApiObject>(CLUSTER_ROLE_BINDING, { labelSelector: INSTALL_SELECTOR })).items,
    settings.namespace,
  );
  if (other) {
    problems.push(
      `a Kelos install already runs in namespace ${other}: a cluster holds one install, since the CRDs and the cluster-wide grants are shared (this one would take over its ClusterRoleBindings); change that one (kelos install -n ${other} …) or remove it first (kelos uninstall -n ${other})`,
    );
  }
  if (!own && !live) {
    problems.push(
      `the operator's namespace ${settings.namespace} does not exist and createNamespace is false: create it (kubectl create namespace ${settings.namespace}) or leave createNamespace unset, so the install creates it`,
    );
  }
  const certProblem = settings.metricsCertSecret
    ? await metricsCertProblem(cluster, settings.namespace, settings.metricsCertSecret, live !== undefined)
    : undefined;
  if (certProblem) problems.push(certProblem);
  // With several -f files, the merged value alone does not say which one to edit.
  if (problems.length > 0)
    throw new Error(withOrigins(`${problems.join('; ')}; nothing was applied`, origins));
  const reason = own && live ? foreignNamespaceReason(live) : undefined;
  if (!reason) return [...bundle];
  io.stdout(
    `namespace/${settings.namespace} exists and ${reason}: left as it is, without the install's labels (kelos uninstall keeps it)\n`,
  );
  return bundle.filter((o) => o !== own);
}

/** Whether any namespace holds an object of the live CRD, read at its storage version. */
async function holdsObjects(cluster: Cluster, crd: CrdVersions, version: string): Promise<boolean> {
  const { group = '', names = { plural: '', kind: '' }, scope } = crd.spec ?? {};
  const type = { group, version, plural: names.plural, kind: names.kind, namespaced: scope === 'Namespaced' };
  return (await cluster.client.list(type, { limit: 1 })).items.length > 0;
}

/**
 * Why the Secret `metricsCertSecret` names cannot serve `/metrics`, if it cannot: the
 * Deployment mounts it, and a missing Secret or key leaves the new Pod in ContainerCreating
 * (the old one keeps serving, so nothing says why until the rollout times out).
 */
async function metricsCertProblem(
  cluster: Cluster,
  namespace: string,
  name: string,
  namespaceExists: boolean,
): Promise<string | undefined> {
  const create = `create it (a cert-manager Certificate with secretName: ${name} in namespace ${namespace}, or kubectl create secret tls ${name} -n ${namespace} --cert=tls.crt --key=tls.key), then install again; or unset metricsCertSecret for a self-signed certificate`;
  if (!namespaceExists)
    return `metricsCertSecret names Secret ${namespace}/${name}, which cannot exist before its namespace: install without metricsCertSecret first (the install creates the namespace, with a self-signed certificate), then ${create}`;
  const secret = await cluster.client.get<ApiObject & { data?: Record<string, string> }>(
    CoreResources.Secret,
    namespace,
    name,
  );
  if (!secret) return `metricsCertSecret names Secret ${namespace}/${name}, which does not exist: ${create}`;
  const pem = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  const lacking = ['tls.crt', 'tls.key'].filter((key) => !pem(key));
  const invalid = lacking.length
    ? undefined
    : certificatePairProblem({ cert: pem('tls.crt'), key: pem('tls.key') });
  if (!lacking.length && !invalid) return undefined;
  // The operator refuses such a pair at start: the new Pod would crash-loop behind the old one.
  return `metricsCertSecret names Secret ${namespace}/${name}, ${invalid ? `whose ${invalid}` : `which has no ${lacking.join(' or ')}`}: /metrics serves tls.crt with tls.key, a certificate and its private key in PEM (a kubernetes.io/tls Secret, as cert-manager writes; replace it: kubectl create secret tls ${name} -n ${namespace} --cert=tls.crt --key=tls.key --dry-run=client -o yaml | kubectl apply -f -)`;
}

/**
 * Deletes what a previous install into the same operator namespace left and `applied` no
 * longer has: the cluster-wide ClusterRoleBinding after a switch to namespaced mode, the Role
 * of a namespace no longer watched, objects a new version renamed or dropped. Runs only after
 * the new bundle applied, so the operator is never left without an install. Never a CRD or
 * a Namespace (see {@link pruneCandidates}).
 *
 * @returns how many objects were deleted.
 */
async function prune(
  cluster: Cluster,
  namespace: string,
  applied: readonly ApiObject[],
  io: CliIo,
  c: Colours,
): Promise<number> {
  const stale = inDeletionOrder(
    pruneCandidates(ownedBy(await labelledInstallObjects(cluster), namespace), applied),
  );
  let count = 0;
  for (const o of stale) {
    const existed = await cluster.client.delete(
      typeOfObject(o),
      o.metadata.namespace,
      o.metadata.name ?? '',
      {
        propagationPolicy: 'Background',
      },
    );
    if (!existed) continue;
    count++;
    io.stdout(`${describeObject(o)} ${c.yellow('pruned')}\n`);
  }
  return count;
}

/**
 * The Kelos objects holding the operator's finalizer in namespaces a namespaced install does
 * not watch, read once the install is applied. A user who may not list them all is not
 * stopped: the install is done, and the check is said to be skipped.
 */
async function stranded(cluster: Cluster, watched: readonly string[]): Promise<Stranded[] | string> {
  try {
    return strandedObjects(await kelosObjects(cluster), watched);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Warns (stderr; the install succeeded) of Kelos objects whose finalizer nothing releases now
 * that the operator does not watch their namespace: deleting one waits forever, and
 * `kelos uninstall` cannot finish.
 */
function warnStranded(io: CliIo, found: Stranded[] | string, watched: readonly string[]): void {
  if (typeof found === 'string') {
    io.stderr(
      `warning: could not check for Kelos objects in namespaces the operator does not watch (${found})\n`,
    );
    return;
  }
  if (found.length === 0) return;
  const where = found.map((s) => `${s.namespace} (${countByKind(s.objects)})`).join(', ');
  io.stderr(
    `warning: the operator does not watch ${where}, whose Kelos objects carry its finalizer: ` +
      `${strandedWayOut(found, watched)}; until then deleting them waits, and kelos uninstall cannot finish\n`,
  );
}

/**
 * Waits until the operator Deployment is rolled out as `kubectl rollout status` judges it:
 * old Pods that are still available do not count, so an image that cannot be pulled fails the
 * wait instead of passing it. As kubectl does, it prints what it waits for each time that
 * changes, so a wait of minutes says where the rollout stands.
 */
async function waitForRollout(
  cluster: Cluster,
  io: CliIo,
  namespace: string,
  seconds: number,
  timeout: string,
) {
  const name = INSTALL_DEFAULTS.deployment;
  const check = `check: kubectl -n ${namespace} describe deployment ${name}`;
  let last: RolloutState = { state: 'waiting', reason: 'not read yet' };
  let said = '';
  const done = await pollUntil(seconds, async () => {
    last = rolloutState(await cluster.client.get<DeploymentRolloutFields>(DEPLOYMENT, namespace, name));
    if (last.state === 'waiting' && last.reason !== said) {
      said = last.reason;
      io.stdout(`deployment/${name} -n ${namespace}: ${last.reason}\n`);
    }
    if (last.state === 'failed') {
      throw new Error(`deployment/${name} -n ${namespace} did not roll out: ${last.reason}; ${check}`);
    }
    return last.state === 'done';
  });
  if (!done) {
    throw new Error(
      `deployment/${name} -n ${namespace} was not rolled out within ${timeout} (${last.reason}); ${check}`,
    );
  }
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
    .addOption(
      watchNamespaceOption(
        'namespaced mode: the operator watches only these namespaces (comma-separated or repeated), with a Role in each',
      ),
    )
    .option('--replicas <n>', 'operator replicas (leader-elected; default 2)')
    .option(
      '--wait',
      'wait until the operator Deployment is rolled out (every replica updated and available, as kubectl rollout status)',
    )
    .option(
      '--timeout <duration>',
      `how long to wait for the CRDs (and the operator with --wait), e.g. 5m (${BARE_NUMBER_SECONDS})`,
      '2m',
    )
    .option(
      '--allow-downgrade',
      "apply this CLI's CRDs over the newer ones of a newer Kelos (a field they lack is pruned from stored objects)",
    )
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
        .map(([k, v]) => `  ${k.padEnd(42)} ${v.type}: ${v.help}`)
        .join('\n')}\n`,
    );
  addClusterFlags(command, { namespace: false, config: false });
  return command.action(async (flags: Flags) => {
    const { values, origins } = await readInstallValues(flags, io);
    let settings: InstallSettings;
    let bundle: ApiObject[];
    try {
      settings = installSettings(flags, values, origins);
      // extraArgs before the render: kelos operator's own parser (short flags, switches given a
      // value) says more than the construct's check of the same flags. Settings the construct
      // refuses leave no own arguments; the render then says what is wrong with them.
      const own = await installOwnArgs(settings).catch(() => undefined);
      if (own !== undefined) await checkExtraArgs(settings.extraArgs ?? [], own, io);
      bundle = await renderInstall(settings);
    } catch (err) {
      throw err instanceof UsageError ? new UsageError(withOrigins(err.message, origins)) : err;
    }
    if (settings.version !== packageVersion()) {
      io.stderr(
        `warning: installing operator ${settings.version} with the CRDs of this CLI (${packageVersion()}); for exactly that version's CRDs and bundle run: npx kelos-ts@${settings.version} install\n`,
      );
    }
    const seconds = timeoutSeconds(flags.timeout);
    const crds = renderCrds();
    if (flags.dryRun) {
      io.stdout([...crds, ...bundle].map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
      io.stderr(
        `dry run: ${crds.length} CRDs and ${bundle.length} objects would be applied; nothing was changed (a dry run reads no cluster: which objects of a previous install are pruned is decided when the install is applied)\n`,
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
        // Before anything is applied: a missing namespace would fail the install half-way.
        const objects = await preflight(
          cluster,
          settings,
          bundle,
          crds,
          flags.allowDowngrade === true,
          origins,
          io,
        );
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
        const counts = await applyAll(cluster, objects, io, c);
        const pruned = await prune(cluster, settings.namespace, objects, io, c);
        if (settings.watchNamespaces)
          warnStranded(io, await stranded(cluster, settings.watchNamespaces), settings.watchNamespaces);
        const image = operatorImage(settings.imageRepository, settings.imageTag, settings.imageDigest);
        let ready = '';
        if (flags.wait) {
          io.stdout('waiting for the operator to be rolled out…\n');
          await waitForRollout(cluster, io, settings.namespace, seconds, flags.timeout);
          ready = ', rolled out';
        }
        const isolation = await cluster.client
          .get<KelosConfig>(Resources.KelosConfig, undefined, KELOS_CONFIG_NAME)
          .then(agentIsolationSummary, () => undefined);
        const total = (k: 'created' | 'configured' | 'unchanged') => crdCounts[k] + counts[k];
        io.stdout(
          `${c.green('Kelos installed')}: ${crds.length} CRDs and ${objects.length} objects (${total('created')} created, ${total('configured')} configured, ${total('unchanged')} unchanged${pruned ? `, ${pruned} pruned` : ''})\n` +
            `  operator: ${image} in namespace ${settings.namespace}, ${settings.watchNamespaces ? `watching ${settings.watchNamespaces.join(', ')}` : 'watching every namespace'}${ready}\n` +
            (isolation
              ? `  agent isolation: ${isolation.open ? c.yellow(isolation.text) : isolation.text}\n`
              : '') +
            '  next: kelos init, then kelos run -p "<what the agent should do>" -w\n',
        );
      },
      { readConfig: false },
    );
  });
};
