/**
 * The objects `kelos run` creates, from its flags and the config file (flags win), pure: the
 * Task, and the Secret and Workspace the config file asks the CLI to make (upstream's
 * `kelos-credentials` and `kelos-workspace`). A manual run from a TaskSpawner
 * (`--from taskspawner/<name>`) renders the spawner's template over the given values and,
 * as upstream, carries no owner reference or spawner label, so the spawner's caps do not
 * count it.
 *
 * @packageDocumentation
 */
import { AGENT_TYPES, API_VERSION, GROUP, Labels } from '../../api/group.ts';
import type { Task, TaskSpawner, Workspace } from '../../api/object.ts';
import { isTerminalPhase, type TaskSpec } from '../../api/task.ts';
import { effectiveWorkerField } from '../../api/worker-field.ts';
import { credentialEnvName } from '../../contract/credentials.ts';
import type { ApiObject } from '../../kube/client.ts';
import { deadlineSeconds } from '../../kube/duration.ts';
import { buildTask } from '../../operator/spawner/task-build.ts';
import { rfc3339, templateVars, type WorkItem } from '../../operator/spawner/work-item.ts';
import { plural } from '../../policy/reporters/common.ts';
import type { GoValue } from '../../template/go-template.ts';
import { BARE_NUMBER_SECONDS, UsageError } from '../io.ts';
import type { ConfigEnvVar, KelosConfigFile } from './config.ts';

/** The flags of `kelos run` that shape the Task. */
export interface RunFlags {
  prompt?: string;
  promptFile?: string;
  type?: string;
  secret?: string;
  credentialType?: string;
  model?: string;
  effort?: string;
  image?: string;
  name?: string;
  workspace?: string;
  agentConfig?: string[];
  dependsOn?: string[];
  branch?: string;
  timeout?: string;
  env?: string[];
  from?: string;
  values?: string[];
}

/** Secret the CLI stores the config file's `oauthToken`/`apiKey` in, as upstream. */
export const CREDENTIALS_SECRET = 'kelos-credentials';
/** Workspace the CLI makes for the config file's inline `workspace.repo`, as upstream. */
export const CONFIG_WORKSPACE = 'kelos-workspace';
/** Secret with the config file's `workspace.token`, as upstream. */
export const WORKSPACE_SECRET = 'kelos-workspace-credentials';
/** Value of the `app.kubernetes.io/managed-by` label on what the CLI makes. */
const CLI_MANAGER = 'kelos-cli';

/** Annotations of a manual run from a TaskSpawner (upstream's keys). */
export const ManualRunAnnotations = {
  CreatedFrom: `${GROUP}/created-from-taskspawner`,
  TriggerType: `${GROUP}/trigger-type`,
  TriggerTime: `${GROUP}/trigger-time`,
} as const;

/** A Secret an earlier config file had the CLI make that this one no longer asks for. */
export interface RetiredSecret {
  readonly name: string;
  /** What of the config file asked for it: `the config file's workspace`, `the config file`. */
  readonly askedBy: string;
  /** Why it goes, for stderr: `the config file's workspace no longer has a token or githubApp`. */
  readonly reason: string;
}

/** What `kelos run` will create: the Task first-class, the rest applied before it. */
export interface RunPlan {
  readonly task: Task;
  /** Secrets and the Workspace the config file asks for, applied (server-side) before the Task. */
  readonly prerequisites: readonly ApiObject[];
  /**
   * Secrets an earlier config file had the CLI make that this one no longer asks for (the
   * workspace's credentials, once it has neither `token` nor `githubApp`; `kelos-credentials`,
   * once it has neither `oauthToken` nor `apiKey`): deleted after the prerequisites are applied
   * if the CLI made them ({@link madeByCli}) and no unfinished Task uses them
   * ({@link tasksUsingSecret}), left alone otherwise.
   */
  readonly retired?: readonly RetiredSecret[];
  /** What the flags make that is likely not what was meant, for stderr (without `warning: `). */
  readonly warnings?: readonly string[];
}

/**
 * The unfinished Tasks among `tasks` whose credentials name Secret `name`, by name, sorted: a
 * Task that has not started its agent yet would fail without it (a running agent read it at
 * start and keeps it).
 */
export function tasksUsingSecret(tasks: readonly Task[], name: string): string[] {
  return tasks
    .filter((t) => {
      if (isTerminalPhase(t.status?.phase)) return false;
      const credentials = effectiveWorkerField(
        t.spec as unknown as Record<string, unknown>,
        'credentials',
      )?.value;
      const ref = (credentials as { secretRef?: { name?: unknown } } | undefined)?.secretRef;
      return ref?.name === name;
    })
    .map((t) => t.metadata.name ?? '')
    .sort();
}

/** Whether the CLI made `obj` (its `app.kubernetes.io/managed-by=kelos-cli` label): a user's object of the same name is never deleted. */
export const madeByCli = (obj: ApiObject): boolean => obj.metadata.labels?.[Labels.ManagedBy] === CLI_MANAGER;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What `--credential-type` and the config file's `credentialType` take. */
export const CREDENTIAL_TYPES = ['api-key', 'oauth', 'none'] as const;

/** Parses repeated `NAME=VALUE` flags; later ones win. */
export function parseEnvFlags(values: readonly string[]): ConfigEnvVar[] {
  const out = new Map<string, ConfigEnvVar>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = eq < 0 ? v : v.slice(0, eq);
    if (eq < 0 || !ENV_NAME.test(name)) {
      throw new UsageError(`--env expects NAME=VALUE with NAME matching ${ENV_NAME.source}; got "${v}"`);
    }
    out.set(name, { name, value: v.slice(eq + 1) });
  }
  return [...out.values()];
}

/** A random Task name suffix of `n` characters from [a-z0-9]. */
export const randomSuffix = (n = 5, random: () => number = Math.random): string =>
  Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 36)]).join('');

// Under `data`, not `stringData`: server-side apply records ownership of the keys applied, and
// `stringData` keys never exist in the stored object, so a key the next apply drops would stay.
const secret = (name: string, namespace: string, data: Record<string, string>): ApiObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { [Labels.ManagedBy]: CLI_MANAGER } },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  }) as ApiObject;

/**
 * Keys of the live Secret that the planned one no longer has: a `GITHUB_TOKEN` after the config
 * file moved from `workspace.token` to `workspace.githubApp`, the App's keys after the move
 * back, an OAuth token after a switch to an API key. Server-side apply removes none of them
 * when an earlier `kelos run` wrote them under `stringData` (no manager owns them), and a
 * credential the user took out of the config file must not keep working.
 */
export function staleSecretKeys(live: ApiObject, planned: ApiObject): string[] {
  const keys = (o: ApiObject) => Object.keys((o as { data?: Record<string, unknown> }).data ?? {});
  const wanted = new Set(keys(planned));
  return keys(live)
    .filter((k) => !wanted.has(k))
    .sort();
}

/**
 * The Task and its prerequisites for a prompt. `tokens` are the config file's credentials
 * with `@path` already read.
 */
export function planRun(
  flags: RunFlags,
  prompt: string,
  config: KelosConfigFile | undefined,
  namespace: string,
  name: string,
): RunPlan {
  const cfg = config ?? {};
  const type = flags.type ?? cfg.type ?? 'claude-code';
  if (!(AGENT_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`--type must be one of ${AGENT_TYPES.join(', ')}; got "${type}"`);
  }
  const configCredential = cfg.oauthToken ? 'oauth' : cfg.apiKey ? 'api-key' : undefined;
  const credentialType = flags.credentialType ?? cfg.credentialType ?? configCredential ?? 'api-key';
  if (!(CREDENTIAL_TYPES as readonly string[]).includes(credentialType)) {
    throw new UsageError(
      `--credential-type must be one of ${CREDENTIAL_TYPES.join(', ')}; got "${credentialType}"`,
    );
  }
  const prerequisites: ApiObject[] = [];
  let secretName = flags.secret ?? cfg.secret;
  if (!secretName && credentialType !== 'none' && (cfg.oauthToken || cfg.apiKey)) {
    const key = credentialEnvName(type, credentialType);
    if (!key) throw new UsageError(`agent type ${type} takes no ${credentialType} credential`);
    secretName = CREDENTIALS_SECRET;
    prerequisites.push(secret(secretName, namespace, { [key]: (cfg.oauthToken || cfg.apiKey) ?? '' }));
  }
  if (!secretName && credentialType !== 'none') {
    throw new UsageError(
      `${/^[aeiou]/.test(credentialType) ? 'an' : 'a'} ${credentialType} credential needs a Secret: pass --secret <name>, set secret, apiKey or oauthToken in the config file (kelos init), or use --credential-type none`,
    );
  }
  const retired: RetiredSecret[] = [];
  // An API key or OAuth token taken out of the config file must not keep working either; a
  // Secret of that name this run still uses (`--secret kelos-credentials`) stays.
  if (config && !cfg.oauthToken && !cfg.apiKey && secretName !== CREDENTIALS_SECRET)
    retired.push({
      name: CREDENTIALS_SECRET,
      askedBy: 'the config file',
      reason: 'the config file no longer has an oauthToken or apiKey',
    });
  let workspace = flags.workspace ?? cfg.workspace?.name;
  if (!workspace && cfg.workspace?.repo) {
    workspace = CONFIG_WORKSPACE;
    const app = cfg.workspace.githubApp;
    const useApp = Boolean(app && (app.appID || app.installationID || app.privateKeyPath));
    if (cfg.workspace.token)
      prerequisites.push(secret(WORKSPACE_SECRET, namespace, { GITHUB_TOKEN: cfg.workspace.token }));
    else if (useApp) {
      // The keys the operator reads a GitHub App from (src/operator/github-app.ts).
      const missing = (['appID', 'installationID', 'privateKeyPath'] as const).filter((k) => !app?.[k]);
      if (missing.length) {
        throw new UsageError(
          `config file workspace.githubApp needs appID, installationID and privateKeyPath; ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`,
        );
      }
      prerequisites.push(
        secret(WORKSPACE_SECRET, namespace, {
          appID: app?.appID ?? '',
          installationID: app?.installationID ?? '',
          privateKey: app?.privateKey ?? '',
        }),
      );
    }
    const ws: Workspace = {
      apiVersion: API_VERSION,
      kind: 'Workspace',
      metadata: { name: CONFIG_WORKSPACE, namespace },
      spec: {
        repo: cfg.workspace.repo,
        ...(cfg.workspace.ref ? { ref: cfg.workspace.ref } : {}),
        ...(cfg.workspace.token || useApp ? { secretRef: { name: WORKSPACE_SECRET } } : {}),
      },
    };
    prerequisites.push(ws as ApiObject);
    // A token or App keys taken out of the config file must not keep working from the cluster.
    if (!cfg.workspace.token && !useApp)
      retired.push({
        name: WORKSPACE_SECRET,
        askedBy: "the config file's workspace",
        reason: "the config file's workspace no longer has a token or githubApp",
      });
  }
  const agentConfigs = flags.agentConfig?.length
    ? flags.agentConfig
    : cfg.agentConfig
      ? [cfg.agentConfig]
      : [];
  const env = new Map<string, ConfigEnvVar>();
  for (const e of [...(cfg.env ?? []), ...parseEnvFlags(flags.env ?? [])]) env.set(e.name, e);
  let activeDeadlineSeconds: number | undefined;
  if (flags.timeout !== undefined) {
    activeDeadlineSeconds = deadlineSeconds(flags.timeout);
    if (activeDeadlineSeconds === undefined) {
      throw new UsageError(
        `--timeout must be a duration of at least 1s (e.g. 30m, 2h, 90s; ${BARE_NUMBER_SECONDS}); got "${flags.timeout}"`,
      );
    }
  }
  const timeoutWarning = flags.timeout === undefined ? undefined : shortTimeoutWarning(flags.timeout);
  const model = flags.model ?? cfg.model;
  const effort = flags.effort ?? cfg.effort;
  const podOverrides = {
    ...(activeDeadlineSeconds ? { activeDeadlineSeconds } : {}),
    ...(env.size ? { env: [...env.values()] } : {}),
  };
  const spec: TaskSpec = {
    prompt,
    worker: {
      type: type as (typeof AGENT_TYPES)[number],
      credentials: {
        type: credentialType as 'api-key',
        ...(secretName ? { secretRef: { name: secretName } } : {}),
      },
      ...(model ? { model } : {}),
      ...(effort ? { effort } : {}),
      ...(flags.image ? { image: flags.image } : {}),
      ...(workspace ? { workspaceRef: { name: workspace } } : {}),
      ...(agentConfigs.length ? { agentConfigRefs: agentConfigs.map((n) => ({ name: n })) } : {}),
      ...(Object.keys(podOverrides).length ? { podOverrides } : {}),
    },
    ...(flags.dependsOn?.length ? { dependsOn: [...flags.dependsOn] } : {}),
    ...(flags.branch ? { branch: flags.branch } : {}),
  } as TaskSpec;
  return {
    task: { apiVersion: API_VERSION, kind: 'Task', metadata: { name, namespace }, spec } as Task,
    prerequisites,
    ...(retired.length ? { retired } : {}),
    ...(timeoutWarning ? { warnings: [timeoutWarning] } : {}),
  };
}

/** Bare numbers of `--timeout` below this are taken for minutes written without the `m`. */
const SHORT_BARE_TIMEOUT = 60;

/**
 * The warning for a `--timeout` that is a bare number under a minute: it is seconds, as
 * upstream reads it, but an agent stopped after `--timeout 5` seconds was most likely meant to
 * have 5 minutes. Only warned, not refused: a few seconds is a real (test) deadline.
 *
 * @returns the warning (without `warning: `), or `undefined` when the flag has a unit or is
 * at least a minute.
 */
export function shortTimeoutWarning(text: string): string | undefined {
  const bare = text.trim();
  if (!/^\d+$/.test(bare)) return undefined;
  const seconds = Number(bare);
  if (seconds < 1 || seconds >= SHORT_BARE_TIMEOUT) return undefined;
  return `--timeout ${bare} is ${plural(seconds, 'second')}, which stops the agent almost at once; write ${bare}m for minutes`;
}

/** The polling sources' template variables; `-f` names them in any case. */
const VALUE_KEYS = [
  'ID',
  'Number',
  'Title',
  'Body',
  'URL',
  'Labels',
  'Comments',
  'Kind',
  'Branch',
  'ReviewState',
  'ReviewComments',
  'Time',
  'Schedule',
] as const;

/** A value of the values file or `-f` as a template variable: strings, numbers, lists, maps. */
const goValueOf = (value: unknown): GoValue =>
  value === null || value === undefined
    ? ''
    : Array.isArray(value)
      ? value.map(goValueOf)
      : typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, x]) => [k, goValueOf(x)]))
        : typeof value === 'number' || typeof value === 'boolean'
          ? value
          : String(value);

/**
 * The work item of a manual run: the `-f` values by template variable name (any case). A
 * `Context` map fills `.Context` for spawners with context sources. Any other key is a
 * template variable of its own, as upstream passes the values file's keys: a webhook spawner's
 * `fieldMapping` keys (`{{.level}}`) are set that way.
 */
export function manualItem(
  values: Readonly<Record<string, unknown>>,
  now: Date,
): { item: WorkItem; context: Record<string, string>; extra: Record<string, GoValue> } {
  const v: Record<string, string> = {};
  let context: Record<string, string> = {};
  const extra: Record<string, GoValue> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.toLowerCase() === 'context' && typeof value === 'object' && value !== null) {
      context = Object.fromEntries(Object.entries(value).map(([k, x]) => [k, String(x)]));
      continue;
    }
    const known = VALUE_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    if (!known) {
      extra[key] = goValueOf(value);
      continue;
    }
    v[known] = Array.isArray(value) ? value.map(String).join(', ') : String(value);
  }
  const number = v['Number'] ? Number(v['Number']) : 0;
  if (!Number.isInteger(number)) throw new UsageError(`-f Number: expected an integer; got "${v['Number']}"`);
  const time = v['Time'] ? new Date(v['Time']) : undefined;
  if (time && Number.isNaN(time.getTime()))
    throw new UsageError(`-f Time: expected an RFC 3339 time; got "${v['Time']}"`);
  const item: WorkItem = {
    id: v['ID'] ?? `manual-${Math.floor(now.getTime() / 1000)}`,
    number,
    title: v['Title'] ?? '',
    body: v['Body'] ?? '',
    url: v['URL'] ?? '',
    labels: v['Labels'] ? v['Labels'].split(',').map((s) => s.trim()) : [],
    comments: v['Comments'] ?? '',
    kind: v['Kind'] ?? '',
    ...(v['Branch'] ? { branch: v['Branch'] } : {}),
    ...(v['ReviewState'] ? { reviewState: v['ReviewState'] } : {}),
    ...(v['ReviewComments'] ? { reviewComments: v['ReviewComments'] } : {}),
    ...(time ? { time } : {}),
    ...(v['Schedule'] ? { schedule: v['Schedule'] } : {}),
    annotations: {},
  };
  return { item, context, extra };
}

/** A manual run of `spawner` over `values`; see the module comment. */
export function planFromSpawner(
  spawner: TaskSpawner,
  values: Readonly<Record<string, unknown>>,
  name: string,
  now: Date,
): Task {
  const manual = manualItem(values, now);
  // A key no template reads is a typo more often than not (`Titel`): refuse it, naming the choices.
  const t = spawner.spec.taskTemplate;
  const templates = [
    t.promptTemplate ?? '',
    t.branch ?? '',
    t.nameTemplate ?? '',
    ...Object.values(t.metadata?.labels ?? {}),
    ...Object.values(t.metadata?.annotations ?? {}),
  ].join('\n');
  for (const key of Object.keys(manual.extra)) {
    const escaped = key.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    const read = new RegExp(`\\.${escaped}(?!\\w)`).test(templates);
    if (!read) {
      throw new UsageError(
        `-f ${key}: no template of taskspawner/${spawner.metadata.name} reads .${key}; expected one of ${VALUE_KEYS.join(', ')}, Context, or a variable its templates read`,
      );
    }
  }
  // A cron spawner's run stands for a tick now, as upstream's (`Time`, `Schedule`), unless given.
  const cron = spawner.spec.when.cron;
  const item: WorkItem = cron
    ? { ...manual.item, time: manual.item.time ?? now, schedule: manual.item.schedule ?? cron.schedule }
    : manual.item;
  const vars: GoValue = { ...(templateVars(item) as Record<string, GoValue>), ...manual.extra };
  const built = buildTask(spawner, item, { name, context: manual.context, vars });
  if (!built.ok) throw new UsageError(`taskspawner/${spawner.metadata.name}: ${built.error}`);
  const task = built.value;
  const labels = { ...task.metadata.labels };
  delete labels[Labels.TaskSpawner];
  delete labels[Labels.SpawnerCredential];
  const { ownerReferences: _, ...metadata } = task.metadata;
  return {
    ...task,
    metadata: {
      ...metadata,
      labels,
      annotations: {
        ...task.metadata.annotations,
        [ManualRunAnnotations.CreatedFrom]: spawner.metadata.name ?? '',
        [ManualRunAnnotations.TriggerType]: 'manual',
        [ManualRunAnnotations.TriggerTime]: rfc3339(now),
      },
    },
  };
}
