/**
 * `kelos create workspace|agentconfig <name>`: makes a Workspace or an AgentConfig from
 * flags, with upstream's flags. `@file` arguments read a file; `--dry-run` prints the object.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { stringify } from 'yaml';
import { API_VERSION, Labels } from '../../api/group.ts';
import type { AgentConfig, Workspace } from '../../api/object.ts';
import { type ApiObject, CoreResources, isAlreadyExists, isStatus } from '../../kube/client.ts';
import { Resources } from '../../operator/resources.ts';
import {
  flagsByPointer,
  type PointerFlags,
  refuseInvalid,
  withFlagsOfRefusal,
} from '../cluster/built-objects.ts';
import { addClusterFlags, type Cluster, type ClusterFlags, withCluster } from '../cluster/connection.ts';
import { type CliIo, type CommandFactory, ExitCode, UsageError } from '../io.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `@path` reads a file (relative to the working directory); anything else is the content. */
export async function contentOf(arg: string, io: Pick<CliIo, 'cwd'>, flag: string): Promise<string> {
  if (!arg.startsWith('@')) return arg;
  return readFile(resolve(io.cwd, arg.slice(1)), 'utf8').catch((e: Error) => {
    throw new UsageError(`${flag} ${arg}: cannot read the file: ${e.message}`);
  });
}

/** Splits `name=content` (content may be `@file`). */
export async function namedContent(
  arg: string,
  io: Pick<CliIo, 'cwd'>,
  flag: string,
): Promise<{ name: string; content: string }> {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} expects name=content or name=@file; got "${arg}"`);
  return { name: arg.slice(0, eq), content: await contentOf(arg.slice(eq + 1), io, flag) };
}

/** Fails when `flag` was given the same `values` entry twice. */
function refuseRepeated(flag: string, values: readonly string[]): void {
  const twice = values.filter((v, i) => values.indexOf(v) !== i);
  if (twice.length) throw new UsageError(`${flag} ${twice[0]} is given twice; give each once`);
}

/** The flag behind each field of the objects `kelos create workspace` makes. */
const WORKSPACE_FLAGS = flagsByPointer({
  '/metadata/name': 'the NAME argument',
  '/spec/repo': '--repo',
  '/spec/ref': '--ref',
  '/spec/secretRef': '--secret',
});

/** The flag behind each field of the AgentConfig `kelos create agentconfig` makes. */
const AGENT_CONFIG_FLAGS = flagsByPointer({
  '/metadata/name': 'the NAME argument',
  '/spec/agentsMD': '--agents-md',
  '/spec/plugins': '--skill or --agent',
  '/spec/skills': '--skills-sh',
  '/spec/mcpServers': '--mcp',
});

/**
 * Creates the objects in order, or prints them with `--dry-run`; either way only once they
 * pass offline validation.
 */
async function createAll(
  cluster: Cluster,
  objects: readonly ApiObject[],
  dryRun: boolean | undefined,
  io: CliIo,
  flagOf: PointerFlags,
) {
  refuseInvalid(objects, flagOf);
  if (dryRun) {
    io.stdout(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
    return ExitCode.Ok;
  }
  const typeOf = (obj: ApiObject) =>
    obj.kind === 'Secret'
      ? CoreResources.Secret
      : obj.kind === 'Workspace'
        ? Resources.Workspace
        : Resources.AgentConfig;
  const exists = (obj: ApiObject) =>
    new UsageError(
      `${obj.kind?.toLowerCase()} "${obj.metadata.name}" already exists in namespace "${cluster.namespace}"; delete it first or pick another name`,
    );
  // Every name is checked before the first create, so a refused Workspace leaves no token
  // Secret behind (which would then refuse the next try).
  if (objects.length > 1) {
    for (const obj of objects) {
      // A user who may create but not read Secrets: the create below still refuses a taken name.
      const found = await cluster.client
        .get(typeOf(obj), cluster.namespace, obj.metadata.name ?? '')
        .catch((err: unknown) => {
          if (isStatus(err, 403)) return undefined;
          throw err;
        });
      if (found) throw exists(obj);
    }
  }
  for (const obj of objects) {
    const type = typeOf(obj);
    try {
      await cluster.client.create(type, {
        ...obj,
        metadata: { ...obj.metadata, namespace: cluster.namespace },
      });
    } catch (err) {
      if (isAlreadyExists(err)) throw exists(obj);
      // The flags shape the Workspace and AgentConfig; the token Secret has no field they name.
      throw obj.kind === 'Secret' ? err : withFlagsOfRefusal(err, flagOf);
    }
    io.stdout(`${obj.kind?.toLowerCase()}/${obj.metadata.name} created\n`);
  }
  return ExitCode.Ok;
}

interface WorkspaceFlags extends ClusterFlags {
  repo: string;
  ref?: string;
  secret?: string;
  token?: string;
  dryRun?: boolean;
  yes?: boolean;
}

/** A Workspace (and, with `--token`, its Secret `<name>-credentials`) from the flags. */
export function workspaceObjects(name: string, namespace: string, flags: WorkspaceFlags): ApiObject[] {
  if (!/^(https?:\/\/|git:\/\/|git@)/.test(flags.repo)) {
    throw new UsageError(`--repo must be a clone URL (https://, git:// or git@); got "${flags.repo}"`);
  }
  if (flags.secret && flags.token) throw new UsageError('--secret and --token exclude each other');
  const secretName = flags.token ? `${name}-credentials` : flags.secret;
  const objects: ApiObject[] = [];
  if (flags.token) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace, labels: { [Labels.ManagedBy]: 'kelos-cli' } },
      type: 'Opaque',
      stringData: { GITHUB_TOKEN: flags.token },
    } as ApiObject);
  }
  const ws: Workspace = {
    apiVersion: API_VERSION,
    kind: 'Workspace',
    metadata: { name, namespace },
    spec: {
      repo: flags.repo,
      ...(flags.ref ? { ref: flags.ref } : {}),
      ...(secretName ? { secretRef: { name: secretName } } : {}),
    },
  };
  objects.push(ws as ApiObject);
  return objects;
}

interface AgentConfigFlags extends ClusterFlags {
  agentsMd?: string;
  skill?: string[];
  agent?: string[];
  mcp?: string[];
  skillsSh?: string[];
  dryRun?: boolean;
}

/** An AgentConfig from the flags: skills and sub-agents go into one plugin named like it. */
export async function agentConfigObject(
  name: string,
  namespace: string,
  flags: AgentConfigFlags,
  io: Pick<CliIo, 'cwd'>,
): Promise<AgentConfig> {
  const skills = await Promise.all((flags.skill ?? []).map((s) => namedContent(s, io, '--skill')));
  const agents = await Promise.all((flags.agent ?? []).map((s) => namedContent(s, io, '--agent')));
  // Two of one name would be written to one file of the plugin, the last one winning unseen.
  refuseRepeated(
    '--skill',
    skills.map((s) => s.name),
  );
  refuseRepeated(
    '--agent',
    agents.map((a) => a.name),
  );
  // As upstream: the same skills.sh package (or skill of it) twice is a mistake, not two skills.
  refuseRepeated('--skills-sh', flags.skillsSh ?? []);
  const mcpServers = await Promise.all(
    (flags.mcp ?? []).map(async (arg) => {
      const { name: server, content } = await namedContent(arg, io, '--mcp');
      let spec: unknown;
      try {
        spec = JSON.parse(content);
      } catch (e) {
        throw new UsageError(
          `--mcp ${server}: expected a JSON object ({"type":"stdio","command":…}): ${(e as Error).message}`,
        );
      }
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
        throw new UsageError(`--mcp ${server}: expected a JSON object`);
      }
      return { name: server, ...(spec as Record<string, unknown>) };
    }),
  );
  const skillsSh = (flags.skillsSh ?? []).map((arg) => {
    const colon = arg.lastIndexOf(':');
    // `https://host/repo.git` has colons of its own; only a colon after the last slash splits a skill off.
    return colon > arg.lastIndexOf('/')
      ? { source: arg.slice(0, colon), skill: arg.slice(colon + 1) }
      : { source: arg };
  });
  const agentsMD =
    flags.agentsMd === undefined ? undefined : await contentOf(flags.agentsMd, io, '--agents-md');
  const spec = {
    ...(agentsMD !== undefined ? { agentsMD } : {}),
    ...(skills.length || agents.length
      ? { plugins: [{ name, ...(skills.length ? { skills } : {}), ...(agents.length ? { agents } : {}) }] }
      : {}),
    ...(skillsSh.length ? { skills: skillsSh } : {}),
    ...(mcpServers.length ? { mcpServers } : {}),
  };
  return { apiVersion: API_VERSION, kind: 'AgentConfig', metadata: { name, namespace }, spec } as AgentConfig;
}

export const createCommand: CommandFactory = (io, done) => {
  const workspace = new Command('workspace')
    .alias('ws')
    .description('create a Workspace: the repository an agent clones and works in')
    .argument('<name>', 'name of the Workspace')
    .requiredOption('--repo <url>', 'clone URL (https://, git:// or git@)')
    .option('--ref <ref>', 'branch, tag or commit to check out (default: the remote default branch)')
    .option('--secret <name>', 'Secret with GITHUB_TOKEN (or GitHub App keys)')
    .option('--token <token>', 'GitHub token; stored in a new Secret <name>-credentials')
    .option('--dry-run', 'print the objects instead of creating them')
    .option('-y, --yes', 'do not ask (accepted for upstream compatibility; create never overwrites)');
  addClusterFlags(workspace);
  workspace.action(async (name: string, flags: WorkspaceFlags) => {
    await withCluster(
      io,
      done,
      flags,
      (cluster) =>
        createAll(
          cluster,
          workspaceObjects(name, cluster.namespace, flags),
          flags.dryRun,
          io,
          WORKSPACE_FLAGS,
        ),
      { offline: Boolean(flags.dryRun) },
    );
  });

  const agentConfig = new Command('agentconfig')
    .alias('ac')
    .description('create an AgentConfig: instructions, skills, sub-agents and MCP servers for agents')
    .argument('<name>', 'name of the AgentConfig')
    .option('--agents-md <content>', 'instructions (AGENTS.md); @file reads a file')
    .option('--skill <name=content>', 'a skill (SKILL.md content or @file); repeatable', collect)
    .option('--agent <name=content>', 'a sub-agent (content or @file); repeatable', collect)
    .option(
      '--mcp <name=json>',
      'an MCP server as JSON (or @file), e.g. {"type":"stdio","command":"npx"}; repeatable',
      collect,
    )
    .option(
      '--skills-sh <source[:skill]>',
      'a skills.sh package (owner/repo), optionally one skill of it; repeatable',
      collect,
    )
    .option('--dry-run', 'print the AgentConfig instead of creating it');
  addClusterFlags(agentConfig);
  agentConfig.action(async (name: string, flags: AgentConfigFlags) => {
    await withCluster(
      io,
      done,
      flags,
      async (cluster) =>
        createAll(
          cluster,
          [(await agentConfigObject(name, cluster.namespace, flags, io)) as ApiObject],
          flags.dryRun,
          io,
          AGENT_CONFIG_FLAGS,
        ),
      { offline: Boolean(flags.dryRun) },
    );
  });

  return new Command('create')
    .description('create a Workspace or an AgentConfig from flags')
    .addCommand(workspace)
    .addCommand(agentConfig);
};
