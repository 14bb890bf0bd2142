/**
 * What a Task's `podOverrides` must mean for its Job to be accepted, beyond what the Task's
 * schema says. The API server validates the Task against the CRD, where `labels` and
 * `nodeSelector` are plain string maps and `resources` any ResourceRequirements; it validates
 * the Pod rules only when the operator creates the Job, so a bad value passes `kubectl apply`
 * and fails the Task at run time (`JobRejected`). These checks move that failure to CI:
 *
 * - `labels` and `nodeSelector`: keys are qualified names and values label values, as the API
 *   server checks a Pod's labels and node selector;
 * - `resources` of the agent and of every extra container: known resource names, no negative
 *   quantity, no request above its limit, and extended resources (`nvidia.com/gpu`) requested
 *   with an equal limit;
 * - `tolerations` and `affinity`: operators, effects, the values an operator needs, weights, at
 *   least one node selector term, as `kelos install` checks the operator's own Pods
 *   (`pod-scheduling.ts`);
 * - `volumeMounts` of the agent and of every extra container: a volume the Pod has, each path
 *   once per container ({@link mountProblems}, the rule the operator's render applies too, where
 *   a failure is `JobRenderFailed`).
 *
 * Not every rule the API server applies to a Pod: these are the ones a `podOverrides` value
 * reaches that the Task's schema does not already enforce.
 *
 * Checked on Tasks and on TaskSpawners' `taskTemplate`, both under `worker` and in the
 * deprecated top-level place.
 *
 * @packageDocumentation
 */

import { posix } from 'node:path';
import { API_VERSION } from '../api/group.ts';
import { effectiveWorkerField } from '../api/worker-field.ts';
import {
  type AgentConfigContent,
  agentConfigFacts,
  builtInVolumes,
  DEFAULT_TERMINATION_MESSAGE_PATH,
  isMcpSecretVolume,
  MCP_SECRET_VOLUMES_WHEN,
  type PodFacts,
} from '../contract/pod.ts';
import { type Diagnostic, type Finding, fieldPath, toPointer as pointer } from './diagnostic.ts';
import { type LoadedDocument, toDiagnostic } from './load.ts';
import {
  isLabelValue,
  isQualifiedName,
  isNode as isRecord,
  LABEL_VALUE_RULE,
  QUALIFIED_NAME_RULE,
} from './object-schema.ts';
import { affinityProblems, tolerationProblems } from './pod-scheduling.ts';
import { compareQuantities, quantityOf, quantitySign } from './quantity.ts';

/** What happens at run time, on every finding. */
const atRunTime = (kind: unknown): string =>
  kind === 'Task'
    ? 'the API server accepts the Task but refuses its Job, and the Task fails (JobRejected)'
    : 'the API server accepts the TaskSpawner but refuses the Jobs of its Tasks, and each Task fails (JobRejected)';

/** Where the execution fields of a Task or a TaskSpawner's Tasks sit: `spec`, `spec.taskTemplate`. */
const executionBase = (object: Readonly<Record<string, unknown>>): string[] =>
  object['kind'] === 'Task' ? ['spec'] : ['spec', 'taskTemplate'];

/** Where the podOverrides of an object sit, as JSON-pointer segments. */
function overridePlaces(object: Readonly<Record<string, unknown>>): string[][] {
  const base = executionBase(object);
  return [
    [...base, 'worker', 'podOverrides'],
    [...base, 'podOverrides'],
  ];
}

const at = (root: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);

/** Findings for a label-like map (`labels`, `nodeSelector`). */
function labelMapFindings(map: unknown, path: readonly string[], what: string, kind: unknown): Finding[] {
  if (!isRecord(map)) return [];
  const out: Finding[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (!isQualifiedName(key)) {
      out.push({
        severity: 'error',
        code: 'pod/label-key',
        path: pointer([...path, key]),
        message: `${what} key "${key}" must be ${QUALIFIED_NAME_RULE}; ${atRunTime(kind)}`,
      });
    }
    if (typeof value === 'string' && !isLabelValue(value)) {
      out.push({
        severity: 'error',
        code: 'pod/label-value',
        path: pointer([...path, key]),
        message: `${what} value "${value}" must be ${LABEL_VALUE_RULE}; ${atRunTime(kind)}`,
      });
    }
  }
  return out;
}

/**
 * Findings for `tolerations` and `affinity`, by the checks `kelos install` applies to the
 * operator's own Pods ({@link tolerationProblems}, {@link affinityProblems}), each at its field.
 */
function schedulingFindings(
  po: Readonly<Record<string, unknown>>,
  place: readonly string[],
  kind: unknown,
): Finding[] {
  const tolerations = Array.isArray(po['tolerations']) ? po['tolerations'] : [];
  return [
    ...tolerations.flatMap((t, i) =>
      tolerationProblems(t).map(
        (p): Finding => ({
          severity: 'error',
          code: 'pod/toleration',
          path: pointer([...place, 'tolerations', i, ...p.path]),
          message: `podOverrides.tolerations[${i}]: ${p.message}; ${atRunTime(kind)}`,
        }),
      ),
    ),
    ...affinityProblems(po['affinity'], ['affinity']).map(
      (p): Finding => ({
        severity: 'error',
        code: 'pod/affinity',
        path: pointer([...place, ...p.path]),
        message: `podOverrides.${fieldPath(pointer(p.path))} ${p.message}; ${atRunTime(kind)}`,
      }),
    ),
  ];
}

/** Container resources Kubernetes defines itself (besides `hugepages-<size>`). */
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/**
 * An extended resource (`nvidia.com/gpu`): a name with a domain outside `kubernetes.io`. The
 * API server cannot overcommit these, so a request needs a limit equal to it.
 */
const isExtended = (name: string): boolean =>
  name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.');

/**
 * Findings for one ResourceRequirements, as the API server validates a container's: known
 * resource names, no negative quantity, no request above its limit, and extended resources
 * requested only with an equal limit.
 */
function resourceFindings(resources: unknown, path: readonly (string | number)[], kind: unknown): Finding[] {
  if (!isRecord(resources)) return [];
  const requests = isRecord(resources['requests']) ? resources['requests'] : {};
  const limits = isRecord(resources['limits']) ? resources['limits'] : {};
  const out: Finding[] = [];
  const finding = (code: string, at: string, name: string, message: string, hint?: string) =>
    out.push({
      severity: 'error',
      code,
      path: pointer([...path, at, name]),
      message: `${message}; ${atRunTime(kind)}`,
      ...(hint ? { hint } : {}),
    });
  for (const [at, list] of [
    ['requests', requests],
    ['limits', limits],
  ] as const) {
    for (const [name, value] of Object.entries(list)) {
      if (!STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
        finding(
          'pod/resource-name',
          at,
          name,
          `${at}.${name} is not a container resource: use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource with a domain (example.com/gpu)`,
        );
        continue;
      }
      const q = quantityOf(value);
      if (q && quantitySign(q) < 0)
        finding('pod/resource-quantity', at, name, `${at}.${name} ${value} is negative`);
    }
  }
  for (const [name, request] of Object.entries(requests)) {
    const limit = limits[name];
    const r = quantityOf(request);
    const l = quantityOf(limit);
    if (isExtended(name) && r && !l) {
      finding(
        'pod/request-above-limit',
        'requests',
        name,
        `the ${name} request ${request} has no limit; an extended resource cannot be overcommitted, so it needs limits.${name} equal to the request`,
        `set limits.${name}: ${request}`,
      );
    } else if (isExtended(name) && r && l && compareQuantities(r, l) !== 0) {
      finding(
        'pod/request-above-limit',
        'requests',
        name,
        `the ${name} request ${request} differs from its limit ${limit}; an extended resource cannot be overcommitted, so the two must be equal`,
        `set requests.${name} and limits.${name} to the same quantity`,
      );
    } else if (r && l && compareQuantities(r, l) > 0) {
      finding(
        'pod/request-above-limit',
        'requests',
        name,
        `the ${name} request ${request} is above its limit ${limit}`,
        `lower requests.${name} or raise limits.${name}`,
      );
    }
  }
  return out;
}

/** Segments below podOverrides as a field path: `extraContainers[0].volumeMounts[1]`. */
const fieldOf = (segments: readonly (string | number)[]): string =>
  segments
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
    .join('')
    .slice(1);

/** A volumeMount of podOverrides that the Pod cannot have, as {@link mountProblems} finds it. */
export interface MountProblem {
  /** JSON-pointer segments of the field at fault, below the podOverrides. */
  readonly at: readonly (string | number)[];
  /**
   * `unknown-volume`: names a volume the Pod does not have; `path-taken`: its mountPath is
   * already a mount of the same container (a built-in one of the agent's included).
   */
  readonly kind: 'unknown-volume' | 'path-taken';
  /** The volume name, or the mount path, at fault, as the user wrote it. */
  readonly value: string;
  /** For `path-taken`, the path the mount takes once cleaned (`/workspace/` is `/workspace`). */
  readonly cleaned?: string;
  readonly message: string;
}

/**
 * A mount path as the container runtime takes it: POSIX-cleaned (`//a/./b` is `/a/b`), with
 * no trailing slash. The API server compares mount paths as written, so `/workspace/` passes
 * beside `/workspace`; the runtime then mounts both at one place, the later over the earlier.
 */
const cleanMountPath = (path: string): string =>
  path === '' ? path : posix.normalize(path).replace(/(?<=.)\/+$/, '');

/**
 * The volumeMounts of podOverrides that the Pod cannot have: the agent's (`volumeMounts`) and
 * each extra container's. One that names a volume the Pod does not have, which the API server
 * refuses (`volumeMounts[0].name: Not found`), and one whose mountPath an earlier mount of the
 * same container takes (`must be unique`), the agent's built-in mounts included. Paths are
 * compared cleaned, as the runtime mounts them, not as the API server compares them: a mount
 * at `/workspace/` would hide the built-in `/workspace` and the repository cloned there. The
 * render refuses them before it makes the Job, with every volume and built-in mount known;
 * `kelos validate` asks the same offline, where what depends on objects it cannot see is let be.
 *
 * @param hasVolume Whether the Pod has a volume of that name (or may have it, offline).
 * @param builtInPaths Mount paths the agent container has before the user's.
 */
export function mountProblems(
  overrides: unknown,
  hasVolume: (name: string) => boolean,
  builtInPaths: ReadonlySet<string> = new Set(),
): MountProblem[] {
  if (!isRecord(overrides)) return [];
  const out: MountProblem[] = [];
  const builtInByClean = new Map([...builtInPaths].map((p) => [cleanMountPath(p), p]));
  const check = (
    mounts: unknown,
    base: readonly (string | number)[],
    builtIn: ReadonlyMap<string, string>,
  ) => {
    if (!Array.isArray(mounts)) return;
    /** The earlier mounts of this container, by cleaned path: their index and path as written. */
    const taken = new Map<string, { index: number; path: string }>();
    mounts.forEach((m, i) => {
      if (!isRecord(m)) return;
      const { name, mountPath } = m;
      if (typeof name === 'string' && !hasVolume(name)) {
        out.push({
          at: [...base, i, 'name'],
          kind: 'unknown-volume',
          value: name,
          message: `volumeMount refers to volume ${JSON.stringify(name)}, which the Pod does not have`,
        });
        return;
      }
      if (typeof mountPath !== 'string') return;
      const cleaned = cleanMountPath(mountPath);
      const quoted = JSON.stringify(mountPath);
      const builtInPath = builtIn.get(cleaned);
      const earlier = taken.get(cleaned);
      let message: string | undefined;
      if (builtInPath === mountPath) message = `mountPath ${quoted} is used by a built-in mount`;
      else if (builtInPath !== undefined)
        message = `mountPath ${quoted} is the same path as the built-in mount at ${JSON.stringify(builtInPath)}: the API server compares the strings and lets it pass, but the container runtime cleans the path and mounts this volume over the built-in one`;
      else if (earlier?.path === mountPath)
        message = `mountPath ${quoted} is already mounted by ${fieldOf([...base, earlier.index])}; a container's mount paths must be unique`;
      else if (earlier !== undefined)
        message = `mountPath ${quoted} is the same path as ${JSON.stringify(earlier.path)} of ${fieldOf([...base, earlier.index])}: the API server compares the strings and lets it pass, but the container runtime cleans both to ${JSON.stringify(cleaned)}; a container's mount paths must be unique`;
      if (message !== undefined) {
        out.push({ at: [...base, i, 'mountPath'], kind: 'path-taken', value: mountPath, cleaned, message });
        return;
      }
      taken.set(cleaned, { index: i, path: mountPath });
    });
  };
  check(overrides['volumeMounts'], ['volumeMounts'], builtInByClean);
  for (const list of ['extraContainers', 'extraInitContainers'] as const) {
    const containers = overrides[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      if (isRecord(c)) check(c['volumeMounts'], [list, i, 'volumeMounts'], new Map());
    });
  }
  return out;
}

/** What happens at run time to a podOverrides the render refuses. */
const renderFails = (kind: unknown): string =>
  kind === 'Task'
    ? "the operator cannot build the Task's Job, and the Task fails (JobRenderFailed)"
    : 'the operator cannot build the Jobs of its Tasks, and each Task fails (JobRenderFailed)';

/**
 * The Workspace or AgentConfig of the bundle a reference names, when the bundle holds it and it
 * passes its own checks; `undefined` otherwise, and offline then does not know what it says.
 */
export type BundleLookup = (
  kind: 'Workspace' | 'AgentConfig',
  name: string,
) => Readonly<Record<string, unknown>> | undefined;

/** `true` when one fact is, `false` when all are not, `undefined` when that cannot be told. */
const anyOf = (...facts: (boolean | undefined)[]): boolean | undefined =>
  facts.includes(true) ? true : facts.every((f) => f === false) ? false : undefined;

/** The entries of an AgentConfig spec's list field; none when it is not a list. */
const listOf = (spec: Readonly<Record<string, unknown>>, field: string): unknown[] => {
  const value = spec[field];
  return Array.isArray(value) ? value : [];
};

/**
 * What the AgentConfigs `refs` names hold, summed as the render's merge appends them; `undefined`
 * when one is not in the bundle (or fails its own checks) or a reference names none.
 */
const agentConfigContentOf = (
  refs: unknown,
  lookup: BundleLookup,
): { content: AgentConfigContent; mcpSecrets: boolean } | undefined => {
  if (!Array.isArray(refs)) return undefined;
  const specs: Readonly<Record<string, unknown>>[] = [];
  for (const ref of refs) {
    const name = isRecord(ref) && typeof ref['name'] === 'string' ? ref['name'] : undefined;
    const config = name === undefined ? undefined : lookup('AgentConfig', name);
    if (!config || !isRecord(config['spec'])) return undefined;
    specs.push(config['spec']);
  }
  const count = (list: (spec: Readonly<Record<string, unknown>>) => unknown[]) =>
    specs.reduce((n, spec) => n + list(spec).length, 0);
  const plugins = (spec: Readonly<Record<string, unknown>>) => listOf(spec, 'plugins').filter(isRecord);
  const servers = specs.flatMap((spec) => listOf(spec, 'mcpServers').filter(isRecord));
  return {
    content: {
      agentsMD: specs.some((spec) => typeof spec['agentsMD'] === 'string' && spec['agentsMD'] !== ''),
      plugins: count((spec) => listOf(spec, 'plugins')),
      pluginFiles: count((spec) =>
        plugins(spec).flatMap((p) => [...listOf(p, 'skills'), ...listOf(p, 'agents')]),
      ),
      skills: count((spec) => listOf(spec, 'skills')),
      mcpServers: servers.length,
    },
    mcpSecrets: servers.some((s) => s['headersFrom'] !== undefined || s['envFrom'] !== undefined),
  };
};

/**
 * The {@link PodFacts} of a Task spec or task template as `kelos validate` can tell them: from
 * the object itself (no Workspace named: no workspace volume, no token; no AgentConfigs: no
 * plugins, no MCP Secrets) and from the Workspace and AgentConfigs it names where the bundle
 * holds them (every one of them, for the AgentConfigs: what a missing one adds is unknown).
 */
export function podFactsOf(spec: Readonly<Record<string, unknown>>, lookup: BundleLookup): PodFacts {
  const wsRef = effectiveWorkerField(spec, 'workspaceRef')?.value;
  const named = wsRef !== undefined;
  const wsName = isRecord(wsRef) && typeof wsRef['name'] === 'string' ? wsRef['name'] : undefined;
  const ws = wsName === undefined ? undefined : lookup('Workspace', wsName);
  const wsSpec = ws && isRecord(ws['spec']) ? ws['spec'] : undefined;
  const secretRef = wsSpec?.['secretRef'];
  // The operator mints an App token or mounts the Workspace's own Secret: either needs secretRef.
  const githubToken = !named ? false : wsSpec ? isRecord(secretRef) && Boolean(secretRef['name']) : undefined;
  const files = wsSpec?.['files'];
  const wsFiles = !named ? false : wsSpec ? Array.isArray(files) && files.length > 0 : undefined;
  const refs = effectiveWorkerField(spec, 'agentConfigRefs')?.value;
  const none = refs === undefined || (Array.isArray(refs) && refs.length === 0);
  const found = none ? undefined : agentConfigContentOf(refs, lookup);
  const configs = none
    ? { pluginDir: false, config: false, initContainers: false }
    : found && agentConfigFacts(found.content);
  return {
    workspace: named,
    githubToken,
    pluginDir: configs?.pluginDir,
    config: anyOf(wsFiles, configs?.config),
    initContainers: anyOf(named, configs?.initContainers),
    // A server reading a Secret gets mounts numbered by its place among the merged servers, where
    // a later one replaces an earlier one of its name in place: that merge is the render's, so
    // offline knows only that there are none when no server reads a Secret.
    mcpSecrets: none || found?.mcpSecrets === false ? [] : undefined,
  };
}

/**
 * {@link mountProblems} offline: the Pod's volumes are those podOverrides declares and the
 * built-in ones {@link podFactsOf} tells it has, and the agent's built-in mount paths theirs and
 * the termination message's. A volume or path that depends on what offline cannot see is let be.
 */
function mountFindings(
  spec: Readonly<Record<string, unknown>>,
  po: Readonly<Record<string, unknown>>,
  place: readonly string[],
  kind: unknown,
  lookup: BundleLookup,
): Finding[] {
  const facts = podFactsOf(spec, lookup);
  const builtIn = builtInVolumes(facts);
  const declared = (Array.isArray(po['volumes']) ? po['volumes'] : []).flatMap((v) =>
    isRecord(v) && typeof v['name'] === 'string' ? [v['name']] : [],
  );
  const hasVolume = (name: string): boolean => {
    if (declared.includes(name)) return true;
    const volume = builtIn.find((v) => v.name === name);
    if (volume) return volume.present !== false;
    return facts.mcpSecrets === undefined && isMcpSecretVolume(name);
  };
  // The operator never sets another termination message path than the default.
  const pathOwners = new Map<string, string>([
    [DEFAULT_TERMINATION_MESSAGE_PATH, "the agent's termination message"],
  ]);
  for (const v of builtIn) {
    if (v.present === true && v.agentMount) pathOwners.set(v.agentMount.mountPath, `volume "${v.name}"`);
  }
  const volumes = [...declared, ...builtIn.filter((v) => v.present === true).map((v) => v.name)];
  const unknownHint = (name: string): string => {
    const volume = builtIn.find((v) => v.name === name);
    if (volume) return `the Pod has volume ${JSON.stringify(name)} only when ${volume.when}`;
    if (isMcpSecretVolume(name))
      return `the Pod has volume ${JSON.stringify(name)} only when ${MCP_SECRET_VOLUMES_WHEN}`;
    const declare = `declare a volume named ${JSON.stringify(name)} under podOverrides.volumes`;
    return volumes.length > 0 ? `${declare}, or mount one the Pod has: ${volumes.join(', ')}` : declare;
  };
  return mountProblems(po, hasVolume, new Set(pathOwners.keys())).map((p): Finding => {
    const owner = p.kind === 'path-taken' ? pathOwners.get(p.cleaned ?? p.value) : undefined;
    const hint =
      p.kind === 'unknown-volume'
        ? unknownHint(p.value)
        : owner
          ? `the operator mounts ${owner} at ${p.cleaned ?? p.value}; mount at another path`
          : 'mount each path once per container';
    return {
      severity: 'error',
      code: p.kind === 'unknown-volume' ? 'pod/volume-mount' : 'pod/mount-path',
      path: pointer([...place, ...p.at]),
      message: `${p.message}; ${renderFails(kind)}`,
      hint,
    };
  });
}

/**
 * The findings for the podOverrides of one Task or TaskSpawner; none for other kinds.
 *
 * @param lookup The Workspace and AgentConfigs of the bundle, which tell more built-in volumes.
 */
export function podOverrideFindings(
  object: Readonly<Record<string, unknown>>,
  lookup: BundleLookup = () => undefined,
): Finding[] {
  if (object['apiVersion'] !== API_VERSION || (object['kind'] !== 'Task' && object['kind'] !== 'TaskSpawner'))
    return [];
  const out: Finding[] = [];
  for (const place of overridePlaces(object)) {
    const po = at(object, place);
    if (!isRecord(po)) continue;
    const kind = object['kind'];
    out.push(...labelMapFindings(po['labels'], [...place, 'labels'], 'podOverrides.labels', kind));
    out.push(
      ...labelMapFindings(po['nodeSelector'], [...place, 'nodeSelector'], 'podOverrides.nodeSelector', kind),
    );
    out.push(...resourceFindings(po['resources'], [...place, 'resources'], kind));
    out.push(...schedulingFindings(po, place, kind));
    const spec = at(object, executionBase(object));
    if (isRecord(spec)) out.push(...mountFindings(spec, po, place, kind, lookup));
    for (const list of ['extraContainers', 'extraInitContainers'] as const) {
      const containers = po[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c, i) => {
        if (isRecord(c))
          out.push(...resourceFindings(c['resources'], [...place, list, i, 'resources'], kind));
      });
    }
  }
  return out;
}

/**
 * {@link podOverrideFindings} for every object of a bundle, located in its file.
 *
 * @param lookup The bundle's object a document's reference names, when it passes its own checks.
 */
export const checkPodOverrides = (
  docs: readonly LoadedDocument[],
  lookup: (
    doc: LoadedDocument,
    kind: string,
    name: string,
  ) => Readonly<Record<string, unknown>> | undefined = () => undefined,
): Diagnostic[] =>
  docs.flatMap((d) =>
    podOverrideFindings(d.object, (kind, name) => lookup(d, kind, name)).map((f) => toDiagnostic(d, f)),
  );
