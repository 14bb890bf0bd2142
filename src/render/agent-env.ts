/**
 * The agent container's environment, in upstream's order, then the user's; large values
 * (agentsMD, the MCP document) travel as ConfigMap files.
 *
 * @packageDocumentation
 */
import { Labels } from '../api/group.ts';
import type { K8sType } from '../api/k8s/index.ts';
import { ownerRepo, repoHost } from '../api/repo-url.ts';
import { credentialEnvName } from '../contract/credentials.ts';
import {
  ALWAYS_RESERVED_ENV,
  CONFIG_DIR,
  ConfigKeys,
  Env,
  GH_CONFIG_DIR,
  GITHUB_TOKEN_FILE,
  MAX_INLINE_ENV_BYTES,
  PLUGIN_DIR,
  REPO_DIR,
} from '../contract/pod.ts';
import { literal } from './expansion.ts';
import { bytes, type Plan, secretEnv } from './plan.ts';
import type { Problems } from './problems.ts';
import { resolveCredentials, resolveEffort, resolveModel } from './resolve.ts';

type EnvVar = K8sType<'EnvVar'>;

/**
 * The agent container's env, in upstream's order, then the user's (names Kelos sets are
 * dropped); also fills the ConfigMap with agentsMD and the MCP document.
 */
export const agentEnv = (p: Plan, configData: Record<string, string>, problems: Problems): EnvVar[] => {
  const { task, ws, merged } = p;
  const env: EnvVar[] = [];
  const model = resolveModel(task);
  const effort = resolveEffort(task);
  if (model) env.push({ name: Env.Model, value: model.value });
  if (effort) env.push({ name: Env.Effort, value: effort.value });
  if (p.branch) env.push({ name: Env.Branch, value: p.branch });
  env.push({ name: Env.AgentType, value: p.agentType });
  env.push({ name: Env.TaskName, value: p.taskName });
  const spawner = task.metadata.labels?.[Labels.TaskSpawner];
  if (spawner) env.push({ name: Env.TaskSpawner, value: spawner });

  const creds = resolveCredentials(task);
  if (creds && creds.value.type !== 'none') {
    const name = credentialEnvName(p.agentType, creds.value.type);
    if (!creds.value.secretRef) {
      problems.error(
        'render/credentials-secret',
        `${creds.path}/secretRef`,
        `credentials.secretRef is required for ${creds.value.type} credentials`,
      );
    } else if (name) {
      env.push(secretEnv(name, creds.value.secretRef.name));
    }
  }

  const host = ws ? repoHost(ws.spec.repo) : undefined;
  const enterprise = host !== undefined && host !== 'github.com';
  if (p.tokenSecret && enterprise) env.push({ name: Env.GhHost, value: host! });
  if (ws?.spec.ref) env.push({ name: Env.BaseBranch, value: ws.spec.ref });
  const upstreamRemote = ws?.spec.remotes?.find((r) => r.name === 'upstream');
  const upstreamRepo = task.spec.upstreamRepo || (upstreamRemote ? ownerRepo(upstreamRemote.url) : undefined);
  if (upstreamRepo) env.push({ name: Env.UpstreamRepo, value: upstreamRepo });
  if (p.tokenSecret) {
    env.push(secretEnv(Env.GitHubToken, p.tokenSecret));
    env.push(secretEnv(enterprise ? Env.GhEnterpriseToken : Env.GhToken, p.tokenSecret, Env.GitHubToken));
    env.push({ name: Env.GhConfigDir, value: GH_CONFIG_DIR });
    env.push({ name: Env.GitHubTokenFile, value: GITHUB_TOKEN_FILE });
  }
  if (ws) env.push({ name: Env.RepoDir, value: REPO_DIR });
  if (ws?.spec.setupCommand && ws.spec.setupCommand.length > 0) {
    env.push({ name: Env.SetupCommand, value: JSON.stringify(ws.spec.setupCommand) });
  }

  // Large values travel only as ConfigMap files: Linux caps one env string at 128 KiB.
  const inline = (
    key: string,
    value: string,
    fileVar: string,
    envVar: string,
    code: string,
    what: string,
  ) => {
    configData[key] = value;
    env.push({ name: fileVar, value: `${CONFIG_DIR}/${key}` });
    if (bytes(value) <= MAX_INLINE_ENV_BYTES) env.push({ name: envVar, value });
    else {
      problems.warn(
        code,
        p.refsPath,
        `${what} is ${bytes(value)} bytes, so it is passed only as the file ${fileVar}, not also as ${envVar}; custom images must read the file`,
      );
    }
  };
  if (merged.agentsMD) {
    inline(
      ConfigKeys.AgentsMD,
      merged.agentsMD,
      Env.AgentsMDFile,
      Env.AgentsMD,
      'render/agents-md-file-only',
      'agentsMD',
    );
  }
  if (p.usesPluginDir) env.push({ name: Env.PluginDir, value: PLUGIN_DIR });
  if (merged.mcpServers.length > 0) {
    inline(
      ConfigKeys.McpServers,
      JSON.stringify(p.mcp.document),
      Env.McpServersFile,
      Env.McpServers,
      'render/mcp-file-only',
      'the MCP server document',
    );
  }
  env.push({ name: Env.TerminationMessagePath, value: p.terminationPath });
  env.push(...p.mcp.env);

  // Kelos' own values are literals; the user's podOverrides.env keeps Kubernetes' `$(VAR)`.
  for (const [i, e] of env.entries()) if (e.value !== undefined) env[i] = { ...e, value: literal(e.value) };
  const builtIn = new Set<string>([...env.map((e) => e.name), ...ALWAYS_RESERVED_ENV]);
  (p.overrides.env ?? []).forEach((e, i) => {
    if (builtIn.has(e.name)) {
      problems.warn(
        'render/env-dropped',
        `${p.poPath}/env/${i}/name`,
        `env ${JSON.stringify(e.name)} is set by Kelos and cannot be overridden; it was dropped`,
      );
    } else {
      env.push(e);
    }
  });
  return env;
};
