/**
 * Turns merged MCP servers into the `KELOS_MCP_SERVERS` document and the Pod pieces that
 * carry their secrets. Secret values are never copied into the document or into plain env
 * values (upstream inlines them, so anyone who can read the Job sees them):
 *
 * - `env[].valueFrom.secretKeyRef` / `configMapKeyRef` become agent env vars
 *   `KELOS_MCP_SECRET_<n>` with the same `valueFrom`, and the document holds the
 *   placeholder `${KELOS_MCP_SECRET_<n>}`, which the entrypoint (and Claude Code, Gemini)
 *   expand at run time; an optional reference that is missing leaves the variable unset,
 *   and the entry is then dropped.
 * - `headersFrom` / `envFrom` Secrets are mounted read-only; the document holds the
 *   directory path, and the entrypoint reads one value per file (file name = key).
 *
 * @packageDocumentation
 */
import type { McpServerSpec } from '../api/agent-config.ts';
import type { K8sType } from '../api/k8s/index.ts';
import { type McpServerDocument, mcpPlaceholder } from '../contract/mcp.ts';
import { MCP_SECRET_ENV_PREFIX, mcpSecretMount } from '../contract/pod.ts';

type EnvVar = K8sType<'EnvVar'>;
type Volume = K8sType<'Volume'>;
type VolumeMount = K8sType<'VolumeMount'>;

/** A problem found while building the document, relative to one server. */
export interface McpProblem {
  readonly index: number;
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** What the MCP servers add to the Pod. */
export interface McpRender {
  readonly document: { mcpServers: Record<string, McpServerDocument> };
  readonly env: EnvVar[];
  readonly volumes: Volume[];
  readonly mounts: VolumeMount[];
  readonly problems: McpProblem[];
}

/** Names usable as a key in every agent's MCP configuration (JSON and TOML). */
export const MCP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Mode of mounted MCP Secret files: readable by the agent's group (fsGroup), nobody else. */
const SECRET_FILE_MODE = 0o440;

/** Builds the MCP document and the env vars, volumes and mounts that carry its secrets. */
export const renderMcpServers = (servers: readonly McpServerSpec[]): McpRender => {
  const mcpServers: Record<string, McpServerDocument> = {};
  const env: EnvVar[] = [];
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  const problems: McpProblem[] = [];

  const mountSecret = (index: number, kind: 'headers' | 'env', secretName: string): string => {
    const mount = mcpSecretMount(index, kind);
    volumes.push({ name: mount.name, secret: { secretName, defaultMode: SECRET_FILE_MODE } });
    mounts.push({ ...mount });
    return mount.mountPath;
  };

  servers.forEach((s, index) => {
    if (!MCP_NAME_PATTERN.test(s.name)) {
      problems.push({
        index,
        path: '/name',
        code: 'render/mcp-server-name',
        message: `MCP server name ${JSON.stringify(s.name)} must match ${MCP_NAME_PATTERN.source} (it becomes a key in agent configuration files)`,
      });
      return;
    }
    const doc: McpServerDocument = { type: s.type };
    if (s.command) doc.command = s.command;
    if (s.args && s.args.length > 0) doc.args = [...s.args];
    if (s.url) doc.url = s.url;
    if (s.headers && Object.keys(s.headers).length > 0) doc.headers = { ...s.headers };
    if (s.headersFrom) doc.headersFrom = mountSecret(index, 'headers', s.headersFrom.secretRef.name);
    const docEnv: Record<string, string> = {};
    (s.env ?? []).forEach((e, j) => {
      const from = e.valueFrom;
      if (from === undefined) {
        docEnv[e.name] = e.value ?? '';
        return;
      }
      if (from.secretKeyRef || from.configMapKeyRef) {
        const name = `${MCP_SECRET_ENV_PREFIX}${env.length}`;
        env.push({
          name,
          valueFrom: from.secretKeyRef
            ? { secretKeyRef: { ...from.secretKeyRef } }
            : { configMapKeyRef: { ...from.configMapKeyRef! } },
        });
        docEnv[e.name] = mcpPlaceholder(name);
        return;
      }
      problems.push({
        index,
        path: `/env/${j}/valueFrom`,
        code: 'render/mcp-env-source',
        message: `MCP server ${JSON.stringify(s.name)} env ${JSON.stringify(e.name)}: only value, valueFrom.secretKeyRef and valueFrom.configMapKeyRef are supported`,
      });
    });
    if (Object.keys(docEnv).length > 0) doc.env = docEnv;
    if (s.envFrom) doc.envFrom = mountSecret(index, 'env', s.envFrom.secretRef.name);
    mcpServers[s.name] = doc;
  });
  return { document: { mcpServers }, env, volumes, mounts, problems };
};
