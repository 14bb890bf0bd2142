/**
 * Fields upstream renamed or moved from `kelos.dev/v1alpha1` to `kelos.dev/v1alpha2`
 * (upstream's `internal/conversion`). A team migrating changes `apiVersion` and keeps the old
 * fields, which v1alpha2 refuses as unknown; the unknown-field error then says what the field
 * became and how to write it, where a spelling guess (`did you mean "agentConfigRefs"?`) or an
 * indentation guess would read as a typo of theirs.
 *
 * @packageDocumentation
 */
import { show } from './echo.ts';
import { isNode } from './object-schema.ts';

/** The polling sources a v1alpha1 TaskSpawner's root-level `pollInterval` applied to. */
const POLLED_SOURCES = ['githubIssues', 'githubPullRequests', 'jira'] as const;

/** The GitHub sources whose `triggerComment` and `excludeComments` moved into `commentPolicy`. */
const COMMENT_SOURCES = ['githubIssues', 'githubPullRequests'];

const MIGRATED = "is upstream's kelos.dev/v1alpha1 field";

/** Where a Task spec's or task template's execution fields sit: `spec`, `spec.worker`, …. */
const isExecutionPlace = (kind: unknown, at: readonly string[]): boolean => {
  const base = kind === 'Task' ? ['spec'] : kind === 'TaskSpawner' ? ['spec', 'taskTemplate'] : undefined;
  if (!base) return false;
  const rest = at.slice(base.length);
  return (
    base.every((s, i) => at[i] === s) && (rest.length === 0 || (rest.length === 1 && rest[0] === 'worker'))
  );
};

/** A value written back in YAML's flow style, for the fix a message shows: `{name: x}`. */
const flow = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (isNode(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(', ')}}`;
  // A word or a Go duration YAML reads as a string as it stands goes unquoted; else JSON, clipped.
  return typeof value === 'string' &&
    ((/^[A-Za-z][\w.-]*$/.test(value) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(value)) ||
      /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/.test(value))
    ? value
    : show(value);
};

/**
 * What an unknown field `name`, under `at` (JSON pointer segments) of `object`, became in
 * kelos.dev/v1alpha2, said for an unknown-field message (`; … write …`); undefined when it is
 * no field upstream renamed or moved.
 */
export function upstreamRename(object: unknown, at: readonly string[], name: string): string | undefined {
  if (!isNode(object)) return undefined;
  const kind = object['kind'];
  let parent: unknown = object;
  for (const s of at)
    parent = isNode(parent) ? parent[s] : Array.isArray(parent) ? parent[Number(s)] : undefined;
  const value = isNode(parent) ? parent[name] : undefined;

  if (name === 'agentConfigRef' && isExecutionPlace(kind, at)) {
    const ref = isNode(value) ? value : { name: 'x' };
    const made = `; "agentConfigRef" ${MIGRATED}, a single reference, which v1alpha2 made the list "agentConfigRefs"`;
    // Written beside the list already: a second agentConfigRefs key would be a duplicate.
    return isNode(parent) && Array.isArray(parent['agentConfigRefs'])
      ? `${made}: add ${flow(ref)} to the agentConfigRefs this object has`
      : `${made}: write agentConfigRefs: [${flow(ref)}]`;
  }
  if (
    (name === 'triggerComment' || name === 'excludeComments') &&
    kind === 'TaskSpawner' &&
    at.length === 3 &&
    at[0] === 'spec' &&
    at[1] === 'when' &&
    COMMENT_SOURCES.includes(at[2] ?? '')
  ) {
    const moved = `; "${name}" ${MIGRATED}, which v1alpha2 moved into "commentPolicy" (with allowedUsers, allowedTeams, minimumPermission)`;
    const source = parent as Record<string, unknown>;
    const example = value ?? (name === 'triggerComment' ? '/kelos pick-up' : ['/kelos stop']);
    if (isNode(source['commentPolicy']))
      return `${moved}: add ${name}: ${flow(example)} to the commentPolicy spec.when.${at[2]} has`;
    // Both moved fields at once: one commentPolicy holding both, which each message shows whole.
    const policy = Object.fromEntries(
      (['triggerComment', 'excludeComments'] as const).flatMap((field) =>
        field === name ? [[field, example]] : source[field] !== undefined ? [[field, source[field]]] : [],
      ),
    );
    return `${moved}: write commentPolicy: ${flow(policy)} under spec.when.${at[2]}`;
  }
  if (name === 'pollInterval' && kind === 'TaskSpawner' && at.length === 1 && at[0] === 'spec') {
    const when = (object['spec'] as Record<string, unknown>)['when'];
    const used = isNode(when)
      ? Object.keys(when).filter((s) => when[s] !== undefined && when[s] !== null)
      : [];
    const polled = used.find((s) => (POLLED_SOURCES as readonly string[]).includes(s));
    const moved = `; "pollInterval" ${MIGRATED}, which v1alpha2 moved into the polling source`;
    const interval = flow(value ?? '5m');
    if (polled) return `${moved}: write pollInterval: ${interval} under spec.when.${polled}`;
    // A source that is not polled (cron, a webhook) takes no interval at all.
    if (used.length > 0)
      return `${moved} (${POLLED_SOURCES.join(', ')}); spec.when.${used[0]} is not polled and takes none: remove it`;
    return `${moved}: write pollInterval: ${interval} under spec.when.${POLLED_SOURCES.slice(0, -1).join(', ')} or ${POLLED_SOURCES.at(-1)}, whichever the spawner polls`;
  }
  return undefined;
}

/**
 * What a value of the type upstream changed from `kelos.dev/v1alpha1` to `v1alpha2` became,
 * for a type error at `path` (JSON pointer segments): an AgentConfig MCP server's `env`, a map
 * in v1alpha1, is a list of env vars in v1alpha2. Undefined for any other type error.
 */
export function upstreamRetyped(object: unknown, path: readonly string[]): string | undefined {
  if (!isNode(object) || object['kind'] !== 'AgentConfig') return undefined;
  const [spec, servers, index, field] = path;
  if (path.length !== 4 || spec !== 'spec' || servers !== 'mcpServers' || field !== 'env') return undefined;
  const list = (object['spec'] as Record<string, unknown> | undefined)?.['mcpServers'];
  const env = Array.isArray(list)
    ? (list[Number(index)] as Record<string, unknown> | undefined)?.['env']
    : undefined;
  if (!isNode(env)) return undefined;
  const entries = Object.entries(env);
  // Every entry, so the fix can be applied as it stands. An env var's value is a string: 8080
  // or true would be refused in the list as well, and an empty value is "".
  const shown = entries.map(([name, value]) =>
    flow({ name, value: typeof value === 'string' ? value : value === null ? '' : String(value) }),
  );
  return `; a map of env vars is upstream's kelos.dev/v1alpha1 form, which v1alpha2 made a list (with valueFrom for a Secret or ConfigMap key): write env: [${shown.join(', ')}]`;
}
