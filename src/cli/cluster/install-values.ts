/**
 * Helm-style values of `kelos install`, with upstream's flags and meaning: `-f/--values FILE`
 * (YAML, repeatable, `-` for stdin), `--set key=value[,key=value]` (typed as Helm types them:
 * `true`/`false`, integers, `null`, `{a,b}` lists, else strings), `--set-string` (always
 * strings) and `--set-file key=path` (the file's content). Sources merge in Helm's order:
 * the files in order (maps merged deeply, later wins), then every `--set`, `--set-string`,
 * `--set-file` in that order; `null` resets a key to its default.
 *
 * The keys are the settings our install renderer has ({@link VALUE_KEYS}); upstream's chart
 * names are kept where the setting is the same (`image.tag`, `controller.resources.*`,
 * `podMonitor.enabled`). An unknown key or a value of the wrong type is a usage error naming
 * the source, the key and what was expected.
 *
 * The `--set` parser is written here: Helm's `strvals` grammar is small (dotted keys, `[i]`
 * indices, `{}` lists, `\` escapes) and no maintained npm package implements it.
 *
 * @packageDocumentation
 */
import { AGENT_TYPES, type AgentType } from '../../api/group.ts';
import { isNamespaceName, NAMESPACE_NAME_RULE, parseNamespaceList } from '../../install/watch-namespaces.ts';
import { deadlineSeconds } from '../../kube/duration.ts';
import { INT32_MAX } from '../../policy/config.ts';
import { DEFAULT_DNS } from '../../render/agent-network-policy.ts';
import { clipName, clipPointer, closest, show } from '../../validate/echo.ts';
import {
  isLabelValue,
  isQualifiedName,
  LABEL_VALUE_RULE,
  QUALIFIED_NAME_RULE,
} from '../../validate/object-schema.ts';
import { parseQuantity, type Quantity } from '../../validate/quantity.ts';
import { UsageError } from '../io.ts';
import type { InstallSettings } from './bundle.ts';

/** The type of one value key. */
type ValueType =
  | 'string'
  | 'positive integer'
  | 'boolean'
  | 'string list'
  | 'port list'
  | 'CPU quantity'
  | 'memory quantity'
  | 'string map'
  | 'namespace name'
  | 'label map'
  | 'mapping'
  | 'list of mappings'
  | 'Secret name list'
  | 'duration';

/** Every key `kelos install` reads from values, its type and what it sets. */
export const VALUE_KEYS: Readonly<Record<string, { type: ValueType; help: string }>> = {
  version: { type: 'string', help: 'Kelos version (as --version)' },
  'image.repository': { type: 'string', help: 'operator image registry and prefix (as --image-repository)' },
  'image.tag': { type: 'string', help: 'operator image tag (as --image-tag)' },
  'image.digest': { type: 'string', help: 'operator image digest sha256:… (as --image-digest)' },
  ...Object.fromEntries(
    AGENT_TYPES.map((type) => [
      `agentImages.${type}`,
      {
        type: 'string' as const,
        help: `default image of ${type} agents, e.g. pinned by digest (the operator's --agent-image-${type})`,
      },
    ]),
  ),
  replicas: { type: 'positive integer', help: 'operator replicas (as --replicas)' },
  watchNamespaces: { type: 'string list', help: 'namespaces the operator watches (as --watch-namespace)' },
  createNamespace: { type: 'boolean', help: 'create the operator namespace (default true)' },
  'controller.resources.requests.cpu': { type: 'CPU quantity', help: 'operator CPU request (default 100m)' },
  'controller.resources.requests.memory': {
    type: 'memory quantity',
    help: 'operator memory request (default 256Mi)',
  },
  'controller.resources.limits.memory': {
    type: 'memory quantity',
    help: 'operator memory limit (default 512Mi)',
  },
  'podMonitor.enabled': { type: 'boolean', help: 'a PodMonitor for the metrics endpoint' },
  'serviceMonitor.enabled': { type: 'boolean', help: 'a ServiceMonitor for the metrics endpoint' },
  metricsCertSecret: {
    type: 'string',
    help: 'a kubernetes.io/tls Secret in the operator namespace whose certificate /metrics serves (default: self-signed)',
  },
  defaultActiveDeadline: {
    type: 'duration',
    help: "activeDeadlineSeconds of agent Jobs whose Task sets none, e.g. 6h (the operator's --default-active-deadline; default none)",
  },
  extraArgs: { type: 'string list', help: 'extra kelos operator flags' },
  'networkPolicy.enabled': {
    type: 'boolean',
    help: "render the operator's NetworkPolicy (default true)",
  },
  'networkPolicy.egressPorts': {
    type: 'port list',
    help: 'TCP ports the operator may reach besides 443 and 6443 (Jira, GitHub Enterprise)',
  },
  'networkPolicy.dns.namespace': {
    type: 'namespace name',
    help: 'namespace of the cluster DNS Pods the operator resolves names with (default kube-system; with podSelector.matchLabels)',
  },
  'networkPolicy.dns.podSelector.matchLabels': {
    type: 'label map',
    help: 'labels of those DNS Pods (default k8s-app: kube-dns; with dns.namespace)',
  },
  'networkPolicy.dns.ports': {
    type: 'port list',
    help: 'ports those DNS Pods serve on, as the Pods see them, each for UDP and TCP (default [53]; OpenShift: [5353])',
  },
  'networkPolicy.metrics.namespaceSelector.matchLabels': {
    type: 'label map',
    help: 'labels of the namespaces whose Pods may scrape /metrics (8080); with podSelector, both must match (default: from anywhere)',
  },
  'networkPolicy.metrics.podSelector.matchLabels': {
    type: 'label map',
    help: 'labels of the Pods that may scrape /metrics, in any namespace unless namespaceSelector narrows it (default: from anywhere)',
  },
  'rbac.aggregateToDefaultRoles': {
    type: 'boolean',
    help: 'ClusterRoles kelos-edit and kelos-view, aggregated into the built-in admin, edit and view (default true; false where admins forbid aggregation)',
  },
  imagePullSecrets: {
    type: 'Secret name list',
    help: 'Secrets in the operator namespace to pull the operator image with (names, or {name: …})',
  },
  nodeSelector: { type: 'string map', help: "the operator Pods' nodeSelector" },
  tolerations: { type: 'list of mappings', help: "the operator Pods' tolerations" },
  affinity: { type: 'mapping', help: "the operator Pods' affinity" },
  priorityClassName: { type: 'string', help: "the operator Pods' priorityClassName" },
};

/** A mapping of values, as YAML or `--set` give it. */
export type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

const keyList = (): string => Object.keys(VALUE_KEYS).join(', ');

/** Why `value` is not of `type`, or undefined when it is (null always is: it resets). */
function typeProblem(type: ValueType, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'positive integer':
      // Deployment replicas is an int32: the API server refuses more, not this check.
      return !Number.isInteger(value) || (value as number) < 1
        ? 'a positive integer'
        : (value as number) > INT32_MAX
          ? `a positive integer of at most ${INT32_MAX} (an int32)`
          : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'string list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : 'a list of strings';
    case 'port list':
      return Array.isArray(value) && value.every((v) => Number.isInteger(v) && v >= 1 && v <= 65535)
        ? undefined
        : 'a list of port numbers from 1 to 65535';
    case 'CPU quantity':
      return quantityOfValue(value) ? undefined : 'a CPU quantity such as 250m or 1';
    case 'memory quantity':
      return quantityOfValue(value) ? undefined : 'a memory quantity such as 256Mi or 1Gi';
    case 'string map':
      return isMap(value) && Object.values(value).every((v) => typeof v === 'string')
        ? undefined
        : 'a mapping of strings to strings';
    case 'namespace name':
      return typeof value === 'string' && isNamespaceName(value) ? undefined : NAMESPACE_NAME_RULE;
    case 'label map': {
      // The entry the API server would refuse, named: a selector may hold several labels.
      const expected = `a mapping of labels (each key ${QUALIFIED_NAME_RULE}; each value, a string, ${LABEL_VALUE_RULE})`;
      if (!isMap(value)) return expected;
      const bad = Object.entries(value).find(
        ([k, v]) => !isQualifiedName(k) || typeof v !== 'string' || !isLabelValue(v),
      );
      return bad ? `${expected}, and ${show(bad[0])}: ${show(bad[1])} is not a label` : undefined;
    }
    case 'mapping':
      return isMap(value) ? undefined : 'a mapping';
    case 'list of mappings':
      return Array.isArray(value) && value.every(isMap) ? undefined : 'a list of mappings';
    case 'Secret name list':
      return Array.isArray(value) &&
        value.every(
          (v) =>
            typeof v === 'string' ||
            (isMap(v) && typeof v['name'] === 'string' && Object.keys(v).length === 1),
        )
        ? undefined
        : 'a list of Secret names (each a string or {name: …})';
    case 'duration':
      return (typeof value === 'string' || Number.isInteger(value)) &&
        deadlineSeconds(String(value)) !== undefined
        ? undefined
        : 'a duration of at least 1s such as 6h or 90m (or a number of seconds)';
  }
}

const quantityOfValue = (value: unknown): Quantity | undefined =>
  typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
    ? parseQuantity(String(value))
    : undefined;

/**
 * Checks one source's values: every key known, every value of its key's type.
 *
 * @throws UsageError naming the source, the key (dotted and as a JSON pointer) and what was expected.
 */
export function checkValues(values: Values, source: string, prefix: readonly string[] = []): void {
  for (const [key, value] of Object.entries(values)) {
    const path = [...prefix, key];
    const dotted = path.join('.');
    // Own keys only: `__proto__` or `constructor` is an unknown key, not the object's prototype.
    const known = Object.hasOwn(VALUE_KEYS, dotted) ? VALUE_KEYS[dotted] : undefined;
    const pointer = clipPointer(
      `/${path.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`,
    );
    if (known) {
      const problem = typeProblem(known.type, value);
      if (problem) {
        throw new UsageError(
          `${source}: values key "${dotted}" (${pointer}) must be ${problem}; got ${show(value)}`,
        );
      }
      continue;
    }
    const isPrefix = Object.keys(VALUE_KEYS).some((k) => k.startsWith(`${dotted}.`));
    if (isPrefix && isMap(value)) {
      checkValues(value, source, path);
      continue;
    }
    if (isPrefix && value === null) continue;
    // Under a known mapping (networkPolicy.dns), its own keys say more than all of them.
    const parent = prefix.join('.');
    const under = parent ? Object.keys(VALUE_KEYS).filter((k) => k.startsWith(`${parent}.`)) : [];
    throw new UsageError(
      isPrefix
        ? `${source}: values key "${dotted}" (${pointer}) must be a mapping; got ${show(value)}`
        : `${source}: unknown values key "${clipName(dotted)}" (${pointer}), set to ${show(value)};${didYouMean(dotted)} ${
            under.length ? `the keys under "${parent}" are ${under.join(', ')}` : `valid keys: ${keyList()}`
          }`,
    );
  }
}

/** ` did you mean "<key>"?` for a key one typo from a known one (`watchNamespace`), else nothing. */
const didYouMean = (dotted: string): string => {
  const near = closest(dotted, Object.keys(VALUE_KEYS));
  return near ? ` did you mean "${near}"?` : '';
};

/** Merges `over` into `base` as Helm does: maps deeply, anything else replaced. */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isMap(v) && isMap(out[k]) ? mergeValues(out[k], v) : v;
  return out;
}

/** The source (`-f values.yaml`, `--set replicas=2`) that last set each values key, by its dotted name. */
export type ValueOrigins = ReadonlyMap<string, string>;

/**
 * Records `source` as the origin of every key `values` sets (a `null` resets the key to its
 * default, which no source then owns). Run in merge order, the last source wins, as in merging.
 */
export function recordOrigins(
  values: Values,
  source: string,
  into: Map<string, string>,
  prefix: readonly string[] = [],
): void {
  for (const [key, value] of Object.entries(values)) {
    const dotted = [...prefix, key].join('.');
    if (!VALUE_KEYS[dotted] && isMap(value)) recordOrigins(value, source, into, [...prefix, key]);
    else if (value === null) {
      for (const k of [...into.keys()]) if (k === dotted || k.startsWith(`${dotted}.`)) into.delete(k);
    } else into.set(dotted, source);
  }
}

/**
 * A problem found in the merged values, with the source of each key it names: with several
 * `-f` files (a base and an environment's), the merged value alone does not say which file to
 * edit.
 */
export function withOrigins(message: string, origins: ValueOrigins): string {
  const named = [...origins]
    .map(([key, from]) => ({
      key,
      from,
      at: message.search(new RegExp(`(?:^|[\\s"(,])${key.replaceAll('.', '\\.')}(?:$|[\\s"\\[.:,)])`)),
    }))
    // A message that starts with a key's source (`--set …: values key "…"`) already says it.
    .filter((n) => n.at >= 0 && !message.startsWith(`${n.from}: `))
    .sort((a, b) => a.at - b.at);
  return named.length === 0
    ? message
    : `${message} (${named.map((n) => `${n.key} from ${n.from}`).join('; ')})`;
}

/** How a `--set` flavour types its values. */
export type SetFlavour = 'set' | 'set-string' | 'set-file';

/** Helm's typing of a `--set` scalar. */
function typed(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  // As Helm's strvals: a leading zero keeps it a string ("0755"), except "0" itself.
  if (/^-?[1-9]\d*$|^0$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

/** Splits on `sep` outside `{…}`, honouring `\` escapes (kept, for the next step). */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[++i];
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === sep && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

const unescapeText = (text: string): string => text.replace(/\\(.)/g, '$1');

/** The largest list index `--set` takes, as Helm's strvals (`MaxIndex`). */
const MAX_SET_INDEX = 65536;
/** How many names and indices deep a `--set` key may go, as Helm's strvals (`MaxNestedNameLevel`). */
const MAX_SET_NESTING = 30;

/** Sets `value` at `path` (names and list indices) inside `target`, making what is missing. */
function setAt(target: Values, path: ReadonlyArray<string | number>, value: unknown): void {
  let node: Values | unknown[] = target;
  path.forEach((step, i) => {
    const last = i === path.length - 1;
    const next = path[i + 1];
    const slot = node as Record<string | number, unknown>;
    // Defined, not assigned, and read only when own: `--set __proto__.replicas=5` makes a key
    // named __proto__ (refused as unknown) instead of writing into Object.prototype.
    const put = (v: unknown) =>
      Object.defineProperty(slot, step, { value: v, writable: true, enumerable: true, configurable: true });
    if (last) {
      put(value);
      return;
    }
    const want = typeof next === 'number' ? 'list' : 'map';
    const have = Object.hasOwn(slot, step) ? slot[step] : undefined;
    if (want === 'list' ? !Array.isArray(have) : !isMap(have)) put(want === 'list' ? [] : {});
    node = slot[step] as Values | unknown[];
  });
}

/**
 * Parses one `--set`-style argument (`a.b=1,c[0]=x,d={p,q}`) into values. For `set-file`
 * the values are file paths, read by the caller through `readFile`.
 *
 * @throws UsageError naming the flag and the part that is not `key=value`.
 */
export async function parseSet(
  arg: string,
  flavour: SetFlavour,
  readFile: (path: string) => Promise<string>,
): Promise<Values> {
  const out: Values = {};
  for (const part of splitUnescaped(arg, ',')) {
    const eq = /^((?:\\.|[^=\\])+)=(.*)$/s.exec(part);
    if (!eq) throw new UsageError(`--${flavour} "${arg}": expected key=value, got "${part}"`);
    const path: Array<string | number> = [];
    for (const segment of splitUnescaped(eq[1]!, '.')) {
      const m = /^((?:\\.|[^[\\])+)((?:\[\d+\])*)$/.exec(segment);
      if (!m) throw new UsageError(`--${flavour} "${arg}": "${unescapeText(eq[1]!)}" is not a key`);
      path.push(unescapeText(m[1]!));
      for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) {
        // Helm's bound (strvals' MaxIndex): a list index past it would allocate a list that long.
        if (Number(index[1]) > MAX_SET_INDEX)
          throw new UsageError(
            `--${flavour} "${clipName(arg)}": list index ${clipName(index[1]!)} is more than ${MAX_SET_INDEX}, the largest Helm takes`,
          );
        path.push(Number(index[1]));
      }
    }
    if (path.length > MAX_SET_NESTING)
      throw new UsageError(
        `--${flavour} "${clipName(arg)}": the key nests ${path.length} levels, more than the ${MAX_SET_NESTING} Helm takes`,
      );
    const raw = eq[2]!;
    let value: unknown;
    if (flavour === 'set-file') value = await readFile(unescapeText(raw));
    else if (/^\{.*\}$/s.test(raw)) {
      const items = raw.slice(1, -1) === '' ? [] : splitUnescaped(raw.slice(1, -1), ',').map(unescape);
      value = flavour === 'set' ? items.map(typed) : items;
    } else value = flavour === 'set' ? typed(unescapeText(raw)) : unescapeText(raw);
    setAt(out, path, value);
  }
  return out;
}

/** The value at a dotted key of merged values (null and absent are both undefined). */
export function valueAt(values: Values, key: string): unknown {
  let node: unknown = values;
  for (const step of key.split('.')) node = isMap(node) ? node[step] : undefined;
  return node ?? undefined;
}

/** A checked CPU quantity in millicores. */
export function cpuMillis(value: unknown, key: string): number {
  const q = quantityOfValue(value)!;
  const millis = (q.numerator * 1000n) / 10n ** BigInt(q.scale);
  if ((q.numerator * 1000n) % 10n ** BigInt(q.scale) !== 0n || millis <= 0n) {
    throw new UsageError(
      `values key "${key}" must be a positive whole number of millicores; got ${show(value)}`,
    );
  }
  return Number(millis);
}

/** A checked memory quantity in MiB. */
export function memoryMiB(value: unknown, key: string): number {
  const q = quantityOfValue(value)!;
  const denominator = 10n ** BigInt(q.scale) * 2n ** 20n;
  if (q.numerator % denominator !== 0n || q.numerator <= 0n) {
    throw new UsageError(
      `values key "${key}" must be a positive whole number of Mi (e.g. 256Mi, 1Gi); got ${show(value)}`,
    );
  }
  return Number(q.numerator / denominator);
}

/**
 * The install settings merged values set (only those they set). Namespaces are checked as
 * `--watch-namespace` checks them.
 *
 * @param origins - the source of each key, for a problem that one key alone has (it then
 *   starts with that source, as {@link checkValues} messages do).
 */
export function settingsFromValues(
  values: Values,
  origins?: ValueOrigins,
): Partial<Omit<InstallSettings, 'namespace'>> {
  const at = (key: string) => valueAt(values, key);
  const str = (key: string) => at(key) as string | undefined;
  const watch = at('watchNamespaces') as string[] | undefined;
  let watchNamespaces: string[] | undefined;
  if (watch) {
    const parsed = parseNamespaceList(watch);
    if ('problem' in parsed) throw new UsageError(`values key "watchNamespaces": ${parsed.problem}`);
    watchNamespaces = parsed.namespaces;
  }
  const cpu = at('controller.resources.requests.cpu');
  const memory = at('controller.resources.requests.memory');
  const limit = at('controller.resources.limits.memory');
  const resources = {
    ...(cpu !== undefined ? { cpuRequestMillis: cpuMillis(cpu, 'controller.resources.requests.cpu') } : {}),
    ...(memory !== undefined
      ? { memoryRequestMiB: memoryMiB(memory, 'controller.resources.requests.memory') }
      : {}),
    ...(limit !== undefined
      ? { memoryLimitMiB: memoryMiB(limit, 'controller.resources.limits.memory') }
      : {}),
  };
  const pod = at('podMonitor.enabled') === true;
  const service = at('serviceMonitor.enabled') === true;
  if (pod && service) {
    throw new UsageError(
      'values keys "podMonitor.enabled" and "serviceMonitor.enabled": enable one monitor, not both',
    );
  }
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  const dnsNamespace = str('networkPolicy.dns.namespace');
  const dnsLabels = at('networkPolicy.dns.podSelector.matchLabels') as Record<string, string> | undefined;
  // Both or neither, as the construct's prop: half a selector would silently keep the other
  // half's default (kube-system's labels in OpenShift's namespace), selecting no DNS Pod.
  if ((dnsNamespace === undefined) !== (dnsLabels === undefined)) {
    const [given, value, missing] =
      dnsNamespace !== undefined
        ? ['networkPolicy.dns.namespace', dnsNamespace, 'networkPolicy.dns.podSelector.matchLabels']
        : ['networkPolicy.dns.podSelector.matchLabels', dnsLabels, 'networkPolicy.dns.namespace'];
    const source = origins?.get(given);
    throw new UsageError(
      `${source ? `${source}: ` : ''}values key "${given}" is ${show(value)} but "${missing}" is not set: set both (the DNS Pods' namespace and their labels), or neither for kube-system Pods labelled k8s-app: kube-dns`,
    );
  }
  const dnsPorts = at('networkPolicy.dns.ports') as number[] | undefined;
  const metricsPeer = Object.fromEntries(
    (['namespaceSelector', 'podSelector'] as const).flatMap((selector) => {
      const labels = at(`networkPolicy.metrics.${selector}.matchLabels`) as
        | Record<string, string>
        | undefined;
      return labels === undefined ? [] : [[selector, { matchLabels: { ...labels } }]];
    }),
  );
  const networkPolicy = {
    ...optional('enabled', at('networkPolicy.enabled') as boolean | undefined),
    ...(Object.keys(metricsPeer).length ? { metrics: metricsPeer } : {}),
    ...optional('egressPorts', at('networkPolicy.egressPorts') as number[] | undefined),
    ...(dnsNamespace !== undefined && dnsLabels !== undefined
      ? {
          dns: {
            namespace: dnsNamespace,
            podSelector: { matchLabels: { ...dnsLabels } },
            ...optional('ports', dnsPorts),
          },
        }
      : dnsPorts !== undefined
        ? { dns: { ...structuredClone(DEFAULT_DNS), ports: dnsPorts } }
        : {}),
  };
  const agentImages: Partial<Record<AgentType, string>> = {};
  for (const type of AGENT_TYPES) {
    const image = str(`agentImages.${type}`);
    if (image !== undefined) agentImages[type] = image;
  }
  const deadline = at('defaultActiveDeadline') as string | number | undefined;
  const pullSecrets = at('imagePullSecrets') as Array<string | { name: string }> | undefined;
  return {
    ...optional('version', str('version')),
    ...optional('imageRepository', str('image.repository')),
    ...optional('imageTag', str('image.tag')),
    ...optional('imageDigest', str('image.digest')),
    ...(Object.keys(agentImages).length ? { agentImages } : {}),
    ...optional('replicas', at('replicas') as number | undefined),
    ...optional('watchNamespaces', watchNamespaces),
    ...optional('createNamespace', at('createNamespace') as boolean | undefined),
    ...(Object.keys(resources).length ? { resources } : {}),
    ...(pod ? { monitor: 'PodMonitor' as const } : service ? { monitor: 'ServiceMonitor' as const } : {}),
    ...optional('metricsCertSecret', str('metricsCertSecret')),
    // `--set defaultActiveDeadline=3600` types it as a number: the flag takes it as seconds.
    ...optional('defaultActiveDeadline', deadline === undefined ? undefined : String(deadline)),
    ...optional('extraArgs', at('extraArgs') as string[] | undefined),
    ...(Object.keys(networkPolicy).length ? { networkPolicy } : {}),
    ...optional(
      'imagePullSecrets',
      pullSecrets?.map((s) => (typeof s === 'string' ? s : s.name)),
    ),
    ...optional('nodeSelector', at('nodeSelector') as InstallSettings['nodeSelector']),
    ...optional('tolerations', at('tolerations') as InstallSettings['tolerations']),
    ...optional('affinity', at('affinity') as InstallSettings['affinity']),
    ...optional('priorityClassName', str('priorityClassName')),
    ...optional('aggregateToDefaultRoles', at('rbac.aggregateToDefaultRoles') as boolean | undefined),
  };
}
