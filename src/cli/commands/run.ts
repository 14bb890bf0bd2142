/**
 * `kelos run`: creates a Task from a prompt (or from a TaskSpawner's template with
 * `--from`), and with `-w` follows its phase until it is done.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { AGENT_TYPES, isTerminalPhase, type Task, type TaskSpawner } from '../../api/index.ts';
import { effectiveWorkerField } from '../../api/worker-field.ts';
import { credentialEnvName } from '../../contract/credentials.ts';
import { type ApiObject, CoreResources, isConflict, type ResourceType } from '../../kube/client.ts';
import { CONFLICT_ATTEMPTS, retryOnConflict } from '../../kube/conflict-retry.ts';
import { describeMissingSecrets } from '../../operator/reconcilers/task/secrets.ts';
import { Resources } from '../../operator/resources.ts';
import { configDocuments } from '../../validate/yaml-errors.ts';
import { flagsByPointer, refuseInvalid, withFlagsOfRefusal } from '../cluster/built-objects.ts';
import { type Colours, colours, phaseColour } from '../cluster/colour.ts';
import { configPath, type KelosConfigFile } from '../cluster/config.ts';
import {
  addClusterFlags,
  type Cluster,
  type ClusterFlags,
  explainError,
  getOrThrow,
  withCluster,
} from '../cluster/connection.ts';
import { formatCost } from '../cluster/detail.ts';
import { lookUpOperator, noOperatorToRun, noReadyOperator } from '../cluster/kelos-objects.ts';
import { resolveKind } from '../cluster/kinds.ts';
import {
  CREDENTIAL_TYPES,
  madeByCli,
  planFromSpawner,
  planRun,
  type RetiredSecret,
  type RunFlags,
  randomSuffix,
  staleSecretKeys,
  tasksUsingSecret,
} from '../cluster/run-task.ts';
import { humanDuration } from '../cluster/table.ts';
import { readFlagFile } from '../files.ts';
import { BARE_NUMBER_SECONDS, type CliIo, type CommandFactory, ExitCode, UsageError } from '../io.ts';
import { listAll } from './get.ts';

interface Flags extends RunFlags, ClusterFlags {
  watch?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** How long `-w` waits for a first phase before suggesting the operator may not run. */
const NO_PHASE_HINT_MS = 30_000;

/** `-f` values: `key=value` pairs, or YAML/JSON files (`-` for stdin), merged in order. */
export async function readValues(args: readonly string[], io: CliIo): Promise<Record<string, unknown>> {
  // No prototype: a key named __proto__ is a template variable, not the object's prototype.
  const out: Record<string, unknown> = Object.create(null);
  for (const arg of args) {
    const kv = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(arg);
    if (kv) {
      out[kv[1]!] = kv[2]!;
      continue;
    }
    const text = await readFlagFile('-f', arg, io).catch((e: Error) => {
      throw new UsageError(
        `-f ${arg}: neither key=value nor a readable YAML/JSON file (${e.message.slice(`-f ${arg}: `.length)})`,
      );
    });
    let docs: unknown[];
    try {
      docs = configDocuments(text, arg);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const [doc] = docs;
    if (docs.length !== 1 || typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new UsageError(`-f ${arg}: expected a mapping of template variables (Title, Body, …)`);
    }
    Object.assign(out, doc);
  }
  return { ...out };
}

/** The prompt from `-p` or `--prompt-file` (`-` reads stdin); exactly one of them. */
async function readPrompt(flags: Flags, io: CliIo): Promise<string> {
  if (flags.prompt !== undefined && flags.promptFile !== undefined) {
    throw new UsageError('give the prompt with -p or --prompt-file, not both');
  }
  const text =
    flags.promptFile === undefined ? flags.prompt : await readFlagFile('--prompt-file', flags.promptFile, io);
  if (text === undefined || text.trim() === '') {
    throw new UsageError(
      'a prompt is required: -p "<prompt>", --prompt-file <file>, or --prompt-file - for stdin',
    );
  }
  return text;
}

/** The config file with `oauthToken`/`apiKey` `@path` values read. */
async function withTokens(
  config: KelosConfigFile | undefined,
  io: CliIo,
  path: string,
): Promise<KelosConfigFile | undefined> {
  if (!config) return config;
  // A file that cannot be read names the setting and the config file it is in: the bare
  // ENOENT says neither.
  const read = async (key: string, v: string | undefined) =>
    v?.startsWith('@')
      ? (
          await readFile(resolve(io.cwd, v.slice(1)), 'utf8').catch((e: Error) => {
            throw new UsageError(`config file ${path}: ${key} "${v}": cannot read the file: ${e.message}`);
          })
        ).trim()
      : v;
  const oauthToken = await read('oauthToken', config.oauthToken);
  const apiKey = await read('apiKey', config.apiKey);
  const app = config.workspace?.githubApp;
  if (app?.privateKeyPath) {
    const privateKey = await readFile(resolve(io.cwd, app.privateKeyPath), 'utf8').catch((e: Error) => {
      throw new UsageError(
        `config file ${path}: workspace.githubApp.privateKeyPath "${app.privateKeyPath}": cannot read the file: ${e.message}`,
      );
    });
    config = { ...config, workspace: { ...config.workspace, githubApp: { ...app, privateKey } } };
  }
  return { ...config, ...(oauthToken ? { oauthToken } : {}), ...(apiKey ? { apiKey } : {}) };
}

const TYPES: Readonly<Record<string, ResourceType>> = {
  Secret: CoreResources.Secret,
  Workspace: Resources.Workspace,
};

/**
 * Applies the config file's Secret and Workspace. An existing Workspace with another spec is
 * replaced only with `-y`, as upstream asks before overriding it.
 */
async function applyPrerequisites(cluster: Cluster, objects: readonly ApiObject[], yes: boolean, io: CliIo) {
  // Checked before anything is applied, so a refused run leaves the Secrets as they were.
  for (const obj of objects) {
    if (obj.kind !== 'Workspace' || yes) continue;
    const existing = await cluster.client.get<ApiObject & { spec?: unknown }>(
      Resources.Workspace,
      cluster.namespace,
      obj.metadata.name ?? '',
    );
    const want = (obj as ApiObject & { spec?: unknown }).spec;
    if (existing && JSON.stringify(existing.spec) !== JSON.stringify(want)) {
      throw new UsageError(
        `workspace "${obj.metadata.name}" exists with another spec than the config file's workspace; pass -y to replace it`,
      );
    }
  }
  for (const obj of objects) {
    if (obj.kind === 'Secret') {
      const removed = await applySecret(cluster, obj);
      io.stderr(
        `secret/${obj.metadata.name} applied${removed.length ? ` (removed ${removed.join(', ')}: no longer in the config file)` : ''}\n`,
      );
      continue;
    }
    const type = TYPES[obj.kind ?? '']!;
    await cluster.client.apply(type, obj, { force: true });
    io.stderr(`${obj.kind?.toLowerCase()}/${obj.metadata.name} applied\n`);
  }
}

/**
 * Applies a Secret of the config file so that it holds exactly the planned keys: a key left from
 * an earlier config (see {@link staleSecretKeys}) is removed, guarded by the version just
 * applied, and the two are made again if another writer came between. Resolves to the keys
 * removed.
 */
async function applySecret(cluster: Cluster, obj: ApiObject): Promise<string[]> {
  const name = obj.metadata.name ?? '';
  return retryOnConflict(async () => {
    const live = await cluster.client.apply(CoreResources.Secret, obj, { force: true });
    const stale = staleSecretKeys(live, obj);
    if (stale.length > 0) {
      await cluster.client.mergePatch(
        CoreResources.Secret,
        cluster.namespace,
        name,
        { data: Object.fromEntries(stale.map((k) => [k, null])) },
        { resourceVersion: live.metadata.resourceVersion ?? '' },
      );
    }
    return stale;
  }).catch((err: unknown) => {
    if (!isConflict(err)) throw err;
    throw new Error(
      `secret "${name}" in namespace "${cluster.namespace}" changed under each of ${CONFLICT_ATTEMPTS} attempts to make its data the config file's (another writer kept winning); it may still hold keys the config file no longer has. Run kelos run again, or check it with: kubectl get secret ${name} -n ${cluster.namespace} -o yaml --show-managed-fields`,
    );
  });
}

/**
 * What Task `task` names that the cluster does not hold: its Workspace, AgentConfigs and
 * credentials Secret. The operator waits for each (and says so in the Task's status); said at
 * once here, with what to create, rather than found later. A read that fails or that RBAC
 * forbids says nothing: the Task is created all the same.
 */
async function missingReferences(cluster: Cluster, task: Task): Promise<string[]> {
  const spec = task.spec as unknown as Record<string, unknown>;
  const name = task.metadata.name ?? '';
  const ns = cluster.namespace;
  const absent = (type: ResourceType, n: string) =>
    cluster.client.get(type, ns, n).then(
      (o) => o === undefined,
      () => false,
    );
  const waits = `task "${name}" waits for`;
  const out: string[] = [];
  const workspace = (effectiveWorkerField(spec, 'workspaceRef')?.value as { name?: string } | undefined)
    ?.name;
  if (workspace && (await absent(Resources.Workspace, workspace)))
    out.push(
      `${waits} Workspace "${workspace}", which does not exist in namespace "${ns}" (kelos create workspace ${workspace} --repo <url>)`,
    );
  const configs = (effectiveWorkerField(spec, 'agentConfigRefs')?.value ?? []) as Array<{ name?: string }>;
  for (const { name: config } of configs)
    if (config && (await absent(Resources.AgentConfig, config)))
      out.push(`${waits} AgentConfig "${config}", which does not exist in namespace "${ns}"`);
  const credentials = effectiveWorkerField(spec, 'credentials')?.value as
    | { type?: string; secretRef?: { name?: string } }
    | undefined;
  const secret = credentials?.secretRef?.name;
  if (secret && credentials?.type !== 'none' && (await absent(CoreResources.Secret, secret))) {
    const type = effectiveWorkerField(spec, 'type')?.value;
    const key = typeof type === 'string' ? credentialEnvName(type, String(credentials?.type)) : undefined;
    const field = 'spec.worker.credentials.secretRef';
    out.push(
      `${waits} its Secret: ${describeMissingSecrets(ns, [{ name: secret, field, keys: key ? [key] : [] }])}`,
    );
  }
  return out;
}

/**
 * Deletes the Secrets an earlier config file had kelos make that this one no longer asks for
 * (see `RunPlan.retired`), once the Workspace no longer names them. A Secret of that name the
 * CLI did not make is left alone and named on stderr: it may be the user's. So is one an
 * unfinished Task still takes its credentials from: its agent would not start without it.
 */
async function retireSecrets(cluster: Cluster, retired: readonly RetiredSecret[], io: CliIo): Promise<void> {
  // Listed once, and only when a Secret the CLI made is to go; a list the user may not make
  // (RBAC) leaves the Secrets in place rather than fail the run that already created its Task.
  let tasks: Task[] | Error | undefined;
  for (const { name, askedBy, reason } of retired) {
    const live = await cluster.client.get<ApiObject>(CoreResources.Secret, cluster.namespace, name);
    if (!live) continue;
    if (!madeByCli(live)) {
      io.stderr(
        `secret/${name} left in place: ${askedBy} no longer asks for it, but it has no app.kubernetes.io/managed-by=kelos-cli label, so kelos did not make it; delete it yourself if nothing uses it: kubectl delete secret ${name} -n ${cluster.namespace}\n`,
      );
      continue;
    }
    tasks ??= await listAll(cluster, resolveKind('task'), undefined).then(
      (items) => items as Task[],
      (err: unknown) => new Error(explainError(err, cluster)),
    );
    if (tasks instanceof Error) {
      io.stderr(
        `secret/${name} left in place: ${reason}, but kelos could not list the Tasks of namespace "${cluster.namespace}" to see whether an unfinished one still takes its credentials from it (${tasks.message}); delete it yourself once none does: kubectl delete secret ${name} -n ${cluster.namespace}\n`,
      );
      continue;
    }
    const users = tasksUsingSecret(tasks, name);
    if (users.length > 0) {
      const shown = users.slice(0, 5).map((t) => `task/${t}`);
      io.stderr(
        `secret/${name} left in place: ${reason}, but ${shown.join(', ')}${users.length > shown.length ? ` and ${users.length - shown.length} more` : ''} (not finished) ${users.length === 1 ? 'takes its' : 'take their'} credentials from it; a later kelos run deletes it once none is left unfinished, or delete it yourself when they finish: kubectl delete secret ${name} -n ${cluster.namespace}\n`,
      );
      continue;
    }
    // Guarded by the version read: a Secret someone rewrote since (a user taking it over) stays.
    await cluster.client
      .delete(CoreResources.Secret, cluster.namespace, name, {
        uid: live.metadata.uid ?? '',
        resourceVersion: live.metadata.resourceVersion ?? '',
      })
      .catch((err: unknown) => {
        if (!isConflict(err)) throw err;
        throw new Error(
          `secret "${name}" in namespace "${cluster.namespace}" changed while kelos was deleting it (${askedBy} no longer asks for it); it was left in place. Run kelos run again, or check it with: kubectl get secret ${name} -n ${cluster.namespace} -o yaml`,
        );
      });
    io.stderr(`secret/${name} deleted: ${reason}\n`);
  }
}

/** One line per phase change, until the Task is Succeeded or Failed; then a summary. */
export async function watchTask(cluster: Cluster, name: string, io: CliIo, c: Colours): Promise<Task> {
  let last = '';
  let task: Task | undefined;
  const report = (t: Task) => {
    const phase = t.status?.phase ?? '';
    const line = `${phase}|${t.status?.message ?? ''}`;
    if (!phase || line === last) return;
    last = line;
    const at = new Date().toISOString().slice(11, 19);
    io.stdout(
      `${c.dim(at)}  task/${name}  ${phaseColour(c, phase)}${t.status?.message ? `  ${t.status.message}` : ''}\n`,
    );
  };
  // A Task that never gets a phase has no operator reconciling it; say so once, keep waiting.
  const hint = setTimeout(() => {
    if (last === '') {
      io.stderr(`task/${name} has no phase yet: is the operator running? (check with: kelos version)\n`);
    }
  }, NO_PHASE_HINT_MS);
  hint.unref();
  try {
    return await follow();
  } finally {
    clearTimeout(hint);
  }
  async function follow(): Promise<Task> {
    for (;;) {
      task = await getOrThrow<Task>(cluster, Resources.Task, name);
      report(task);
      if (isTerminalPhase(task.status?.phase)) return task;
      const controller = new AbortController();
      await cluster.client
        .watch<Task>(
          Resources.Task,
          {
            namespace: cluster.namespace,
            resourceVersion: task.metadata.resourceVersion ?? '',
            timeoutSeconds: 60,
            signal: controller.signal,
          },
          (event) => {
            if (event.object.metadata?.name !== name) return;
            if (event.type === 'DELETED')
              throw new UsageError(`task "${name}" was deleted while being watched`);
            if (event.type === 'BOOKMARK') return;
            report(event.object);
            if (isTerminalPhase(event.object.status?.phase)) controller.abort();
          },
        )
        .catch((err: unknown) => {
          if (!controller.signal.aborted) throw err;
        });
    }
  }
}

/** The closing lines of a watched run: outcome, duration, PR, cost. */
export function summary(task: Task, c: Colours): string {
  const s = task.status ?? {};
  const lines = [`task/${task.metadata.name} ${phaseColour(c, s.phase ?? '')}`];
  const start = Date.parse(s.startTime ?? '');
  const end = Date.parse(s.completionTime ?? '');
  if (!Number.isNaN(start) && !Number.isNaN(end)) lines[0] += ` in ${humanDuration(end - start)}`;
  if (s.results?.['pr']) lines.push(`  PR:     ${s.results['pr']}`);
  if (s.results?.['branch']) lines.push(`  branch: ${s.results['branch']}`);
  if (s.usage?.costUSD !== undefined) lines.push(`  cost:   ${formatCost(s.usage.costUSD)}`);
  if (s.phase === 'Failed' && s.message) lines.push(`  reason: ${s.message}`);
  return `${lines.join('\n')}\n`;
}

/** The flag behind each field of the Task (and the objects before it) `kelos run` makes. */
const RUN_FLAGS = flagsByPointer({
  '/metadata/name': '--name',
  '/spec/prompt': '-p/--prompt',
  '/spec/type': '--type',
  '/spec/worker/type': '--type',
  '/spec/credentials': '--secret or --credential-type',
  '/spec/worker/credentials': '--secret or --credential-type',
  '/spec/model': '--model',
  '/spec/worker/model': '--model',
  '/spec/effort': '--effort',
  '/spec/worker/effort': '--effort',
  '/spec/image': '--image',
  '/spec/worker/image': '--image',
  '/spec/workspaceRef': '--workspace',
  '/spec/agentConfigRefs': '--agent-config',
  '/spec/dependsOn': '--depends-on',
  '/spec/branch': '--branch',
  '/spec/worker/podOverrides/activeDeadlineSeconds': '--timeout',
  '/spec/podOverrides/activeDeadlineSeconds': '--timeout',
  '/spec/worker/podOverrides/env': '--env',
  '/spec/podOverrides/env': '--env',
});

/** With `--from`, the TaskSpawner's template makes the Task; the flags set its name and values. */
const FROM_FLAGS = flagsByPointer({
  '/metadata/name': '--name',
  '/spec': 'the TaskSpawner template with -f values',
});

export const runCommand: CommandFactory = (io, done) => {
  const command = new Command('run')
    .description('run an AI coding agent: create a Task from a prompt (or from a TaskSpawner with --from)')
    .option('-p, --prompt <text>', 'the task for the agent')
    .option('--prompt-file <path>', 'read the prompt from a file ("-" for stdin)')
    // Choices, so shell completion offers them (and --help lists them) from the API's one list.
    .addOption(
      new Option(
        '-t, --type <agent>',
        "agent type (default: the config file's type, else claude-code)",
      ).choices(AGENT_TYPES),
    )
    .option('--secret <name>', 'Secret with the agent credential')
    .addOption(
      new Option(
        '--credential-type <type>',
        "how the agent authenticates (default: the config file's credentialType, else oauth with its oauthToken, else api-key)",
      ).choices(CREDENTIAL_TYPES),
    )
    .option('--model <model>', 'model the agent uses')
    .option('--effort <effort>', 'reasoning effort (agent-specific)')
    .option('--image <image>', 'agent image instead of the default one')
    .option('--name <name>', 'Task name (default: task-<random>)')
    .option('--workspace <name>', 'Workspace to work in')
    .option('--agent-config <name>', 'AgentConfig to use (repeatable)', collect)
    .option('--depends-on <task>', 'Task this one waits for (repeatable)', collect)
    .option('--branch <branch>', 'branch to work on')
    .option(
      '--timeout <duration>',
      `how long the agent may run (activeDeadlineSeconds), e.g. 30m or 1h30m (${BARE_NUMBER_SECONDS})`,
    )
    .option(
      '--env <NAME=VALUE>',
      'environment variable of the agent (repeatable; overrides the config file)',
      collect,
    )
    .option(
      '--from <taskspawner/name>',
      "create the Task from a TaskSpawner's template (not counted by its caps)",
    )
    .option(
      '-f, --values <key=value|file>',
      'template values for --from: key=value, or a YAML/JSON file ("-" for stdin); repeatable',
      collect,
    )
    .option('-w, --watch', 'follow the phase until the Task is done; exit 1 if it failed')
    .option('--dry-run', 'print the Task instead of creating it')
    .option('-y, --yes', 'replace an existing kelos-workspace without asking');
  addClusterFlags(command);
  return command.action(async (flags: Flags) => {
    if (flags.values?.length && !flags.from)
      throw new UsageError('-f/--values needs --from taskspawner/<name>');
    const from = flags.from ? /^(?:taskspawner|taskspawners|ts)\/(.+)$/.exec(flags.from)?.[1] : undefined;
    if (flags.from && !from) throw new UsageError(`--from expects taskspawner/<name>; got "${flags.from}"`);
    const shaping = [
      'prompt',
      'promptFile',
      'type',
      'secret',
      'credentialType',
      'model',
      'effort',
      'image',
      'workspace',
    ] as const;
    if (from && shaping.some((k) => flags[k] !== undefined)) {
      throw new UsageError(
        "--from takes the prompt and agent from the TaskSpawner's template; drop the other Task flags",
      );
    }
    const prompt = from ? '' : await readPrompt(flags, io);
    const values = from ? await readValues(flags.values ?? [], io) : {};
    await withCluster(
      io,
      done,
      flags,
      async (cluster) => {
        const c = colours(io);
        let task: Task;
        let prerequisites: readonly ApiObject[] = [];
        let retired: readonly RetiredSecret[] = [];
        let warnings: readonly string[] = [];
        if (from) {
          const spawner = await getOrThrow<TaskSpawner>(cluster, Resources.TaskSpawner, from);
          task = planFromSpawner(
            spawner,
            values,
            flags.name ?? `${from}-manual-${randomSuffix()}`,
            new Date(),
          );
        } else {
          const config = await withTokens(cluster.config, io, configPath(flags.config, io.env, io.cwd));
          ({
            task,
            prerequisites,
            retired = [],
            warnings = [],
          } = planRun(flags, prompt, config, cluster.namespace, flags.name ?? `task-${randomSuffix()}`));
        }
        refuseInvalid([...prerequisites, task], from ? FROM_FLAGS : RUN_FLAGS);
        for (const w of warnings) io.stderr(`warning: ${w}\n`);
        if (flags.dryRun) {
          for (const p of prerequisites)
            io.stderr(`would apply ${p.kind?.toLowerCase()}/${p.metadata.name}\n`);
          for (const { name } of retired)
            io.stderr(
              `would delete secret/${name} if kelos made it and no unfinished Task takes its credentials from it\n`,
            );
          io.stdout(stringify(task, { lineWidth: 0 }));
          return ExitCode.Ok;
        }
        await applyPrerequisites(cluster, prerequisites, Boolean(flags.yes), io);
        await retireSecrets(cluster, retired, io);
        try {
          await cluster.client.create(Resources.Task, task);
        } catch (err) {
          if ((err as { status?: number; reason?: string }).reason === 'AlreadyExists') {
            throw new UsageError(
              `task "${task.metadata.name}" already exists in namespace "${cluster.namespace}"; pick another --name`,
            );
          }
          // An admission policy offline validation does not know of (the cluster's own) refuses a
          // field by name; say which flag set it, as the offline errors do.
          throw withFlagsOfRefusal(err, from ? FROM_FLAGS : RUN_FLAGS);
        }
        io.stdout(`task/${task.metadata.name} created\n`);
        // With no operator installed the Task would wait for ever without a phase: said at once.
        // A lookup RBAC forbids, or that fails, says nothing: the Task is created all the same.
        const operator = await lookUpOperator(cluster).catch(() => undefined);
        if (operator?.state === 'absent')
          io.stderr(`warning: ${noOperatorToRun(task.metadata.name ?? '', operator.namespace)}\n`);
        // Scaled to 0 is how one runs the operator by hand instead: said only when it should run.
        else if (
          operator?.state === 'installed' &&
          operator.operator.replicas > 0 &&
          operator.operator.ready === 0
        )
          io.stderr(`warning: ${noReadyOperator(task.metadata.name ?? '', operator.operator)}\n`);
        for (const missing of await missingReferences(cluster, task)) io.stderr(`warning: ${missing}\n`);
        if (!flags.watch) return ExitCode.Ok;
        const finished = await watchTask(cluster, task.metadata.name ?? '', io, c);
        io.stdout(summary(finished, c));
        return finished.status?.phase === 'Succeeded' ? ExitCode.Ok : ExitCode.Error;
      },
      { offline: Boolean(flags.dryRun) },
    );
  });
};
