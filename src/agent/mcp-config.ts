/**
 * MCP servers inside the agent image: resolve the `KELOS_MCP_SERVERS` document (secret
 * placeholders and mounted Secret directories) into concrete servers, and merge them into
 * each agent's own configuration file. The writers are pure (existing text in, new text
 * out) so they are tested without touching a home directory.
 *
 * @packageDocumentation
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { type McpServerDocument, mcpPlaceholderVar } from '../contract/mcp.ts';

export type { McpServerDocument };

/** A server with every value resolved. */
export interface McpServer {
  readonly name: string;
  readonly type: 'stdio' | 'http' | 'sse';
  readonly command?: string;
  readonly args: string[];
  readonly url?: string;
  readonly headers: Record<string, string>;
  readonly env: Record<string, string>;
}

/** Reads a mounted Secret directory: one value per regular file, named by the file. */
export const readSecretDir = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    // Kubernetes projects Secrets through hidden `..data` directories and symlinks.
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).isFile()) out[name] = readFileSync(path, 'utf8');
    } catch {
      // A key that vanished during a Secret update is skipped, not fatal.
    }
  }
  return out;
};

/**
 * Resolves the document: `${KELOS_MCP_SECRET_n}` placeholders from the environment (a
 * missing optional reference drops the entry), then mounted `envFrom` / `headersFrom`
 * directories, which win over inline values (upstream semantics).
 */
export const resolveMcpServers = (
  doc: { mcpServers?: Record<string, McpServerDocument> },
  env: NodeJS.ProcessEnv,
  readDir: (dir: string) => Record<string, string> = readSecretDir,
): McpServer[] => {
  const servers: McpServer[] = [];
  for (const [name, s] of Object.entries(doc.mcpServers ?? {})) {
    if (s.type !== 'stdio' && s.type !== 'http' && s.type !== 'sse') continue;
    const resolvedEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.env ?? {})) {
      const ref = mcpPlaceholderVar(v);
      if (ref === undefined) resolvedEnv[k] = v;
      else if (env[ref] !== undefined) resolvedEnv[k] = env[ref]!;
    }
    if (s.envFrom) Object.assign(resolvedEnv, readDir(s.envFrom));
    const headers: Record<string, string> = { ...s.headers };
    if (s.headersFrom) {
      for (const [k, v] of Object.entries(readDir(s.headersFrom))) headers[k] = v.replace(/\r?\n$/, '');
    }
    servers.push({
      name,
      type: s.type,
      ...(s.command ? { command: s.command } : {}),
      args: [...(s.args ?? [])],
      ...(s.url ? { url: s.url } : {}),
      headers,
      env: resolvedEnv,
    });
  }
  return servers;
};

const parseJsonObject = (text: string | undefined): Record<string, unknown> => {
  if (!text || text.trim() === '') return {};
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object');
  return v as Record<string, unknown>;
};

const nonEmpty = <T extends object>(o: T): T | undefined => (Object.keys(o).length > 0 ? o : undefined);

const mergeKey = (existing: string | undefined, key: string, entries: Record<string, unknown>): string => {
  const root = parseJsonObject(existing);
  const current = root[key];
  root[key] = { ...(typeof current === 'object' && current !== null ? current : {}), ...entries };
  return `${JSON.stringify(root, null, 2)}\n`;
};

/** Claude Code: `~/.claude.json` (or `$CLAUDE_CONFIG_DIR/.claude.json`), key `mcpServers`. */
export const claudeConfig = (existing: string | undefined, servers: readonly McpServer[]): string =>
  mergeKey(
    existing,
    'mcpServers',
    Object.fromEntries(
      servers.map((s) => [
        s.name,
        s.type === 'stdio'
          ? { type: 'stdio', command: s.command, args: s.args, env: s.env }
          : { type: s.type, url: s.url, ...(nonEmpty(s.headers) ? { headers: s.headers } : {}) },
      ]),
    ),
  );

/** Gemini CLI: `~/.gemini/settings.json`, key `mcpServers` (`httpUrl` for streamable HTTP, `url` for SSE). */
export const geminiSettings = (existing: string | undefined, servers: readonly McpServer[]): string =>
  mergeKey(
    existing,
    'mcpServers',
    Object.fromEntries(
      servers.map((s) => [
        s.name,
        s.type === 'stdio'
          ? { command: s.command, args: s.args, ...(nonEmpty(s.env) ? { env: s.env } : {}) }
          : {
              ...(s.type === 'http' ? { httpUrl: s.url } : { url: s.url }),
              ...(nonEmpty(s.headers) ? { headers: s.headers } : {}),
            },
      ]),
    ),
  );

/** Cursor: `~/.cursor/mcp.json`, key `mcpServers`. */
export const cursorConfig = (existing: string | undefined, servers: readonly McpServer[]): string =>
  mergeKey(
    existing,
    'mcpServers',
    Object.fromEntries(
      servers.map((s) => [
        s.name,
        s.type === 'stdio'
          ? { command: s.command, args: s.args, ...(nonEmpty(s.env) ? { env: s.env } : {}) }
          : { url: s.url, ...(nonEmpty(s.headers) ? { headers: s.headers } : {}) },
      ]),
    ),
  );

/** OpenCode: `~/.config/opencode/opencode.json`, key `mcp` (`local` and `remote` servers). */
export const opencodeConfig = (existing: string | undefined, servers: readonly McpServer[]): string =>
  mergeKey(
    existing,
    'mcp',
    Object.fromEntries(
      servers.map((s) => [
        s.name,
        s.type === 'stdio'
          ? {
              type: 'local',
              command: [s.command, ...s.args],
              enabled: true,
              ...(nonEmpty(s.env) ? { environment: s.env } : {}),
            }
          : {
              type: 'remote',
              url: s.url,
              enabled: true,
              ...(nonEmpty(s.headers) ? { headers: s.headers } : {}),
            },
      ]),
    ),
  );

/** A TOML basic string. */
export const tomlString = (s: string): string => {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
};

const tomlInlineTable = (m: Record<string, string>): string =>
  `{ ${Object.entries(m)
    .map(([k, v]) => `${tomlString(k)} = ${tomlString(v)}`)
    .join(', ')} }`;

/**
 * Codex: `$CODEX_HOME/config.toml`, one `[mcp_servers."name"]` table per server, appended.
 * A server whose table already exists is left alone (TOML forbids defining it twice);
 * SSE servers are skipped because Codex speaks stdio and streamable HTTP only. Returns
 * the new text and the names skipped, with why.
 */
export const codexConfig = (
  existing: string | undefined,
  servers: readonly McpServer[],
): { text: string; skipped: Array<{ name: string; reason: string }> } => {
  const base = existing ?? '';
  const skipped: Array<{ name: string; reason: string }> = [];
  const tables: string[] = [];
  for (const s of servers) {
    const header = `[mcp_servers.${tomlString(s.name)}]`;
    const bare = `[mcp_servers.${s.name}]`;
    if (base.includes(header) || base.includes(bare)) {
      skipped.push({ name: s.name, reason: 'already defined in config.toml' });
      continue;
    }
    if (s.type === 'sse') {
      skipped.push({ name: s.name, reason: 'codex does not support SSE MCP servers' });
      continue;
    }
    const lines = [header];
    if (s.type === 'stdio') {
      lines.push(`command = ${tomlString(s.command ?? '')}`);
      if (s.args.length > 0) lines.push(`args = [${s.args.map(tomlString).join(', ')}]`);
      if (nonEmpty(s.env)) lines.push(`env = ${tomlInlineTable(s.env)}`);
    } else {
      lines.push(`url = ${tomlString(s.url ?? '')}`);
      if (nonEmpty(s.headers)) lines.push(`http_headers = ${tomlInlineTable(s.headers)}`);
    }
    tables.push(lines.join('\n'));
  }
  if (tables.length === 0) return { text: base, skipped };
  const sep = base === '' ? '' : base.endsWith('\n') ? '\n' : '\n\n';
  return { text: `${base}${sep}${tables.join('\n\n')}\n`, skipped };
};
