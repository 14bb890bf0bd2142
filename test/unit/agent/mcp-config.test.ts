import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  claudeConfig,
  codexConfig,
  cursorConfig,
  geminiSettings,
  type McpServer,
  opencodeConfig,
  readSecretDir,
  resolveMcpServers,
  tomlString,
} from '../../../src/agent/mcp-config.ts';

const stdio: McpServer = {
  name: 'fs',
  type: 'stdio',
  command: 'npx',
  args: ['-y', '@mcp/fs'],
  headers: {},
  env: { ROOT: '/w' },
};
const http: McpServer = {
  name: 'docs',
  type: 'http',
  url: 'https://mcp/docs',
  args: [],
  headers: { 'X-Key': 'k' },
  env: {},
};
const sse: McpServer = {
  name: 'events',
  type: 'sse',
  url: 'https://mcp/sse',
  args: [],
  headers: {},
  env: {},
};

const ref = (n: number): string => `\${KELOS_MCP_SECRET_${n}}`;
/** A placeholder that is not ours and must stay literal. */
const foreign = 'literal $' + '{NOT_OURS}';

describe('resolveMcpServers', () => {
  test('resolves placeholders from env and drops unset optional ones', () => {
    const servers = resolveMcpServers(
      {
        mcpServers: {
          s: { type: 'stdio', command: 'c', env: { A: ref(0), B: ref(1), C: foreign } },
        },
      },
      { KELOS_MCP_SECRET_0: 'secret' },
      () => ({}),
    );
    expect(servers[0]?.env).toEqual({ A: 'secret', C: foreign });
  });

  test('mounted envFrom and headersFrom win over inline values', () => {
    const dirs: Record<string, Record<string, string>> = {
      '/env': { A: 'from-secret', NEW: 'n' },
      '/headers': { Authorization: 'Bearer s\n' },
    };
    const [s] = resolveMcpServers(
      {
        mcpServers: {
          s: {
            type: 'http',
            url: 'u',
            headers: { Authorization: 'x', Other: 'o' },
            headersFrom: '/headers',
            env: { A: 'inline' },
            envFrom: '/env',
          },
        },
      },
      {},
      (d) => dirs[d] ?? {},
    );
    expect(s?.headers).toEqual({ Authorization: 'Bearer s', Other: 'o' });
    expect(s?.env).toEqual({ A: 'from-secret', NEW: 'n' });
  });

  test('skips unknown transports', () => {
    expect(resolveMcpServers({ mcpServers: { x: { type: 'websocket' } } }, {})).toEqual([]);
  });
});

describe('readSecretDir', () => {
  test('reads files like a projected Secret volume, skipping hidden entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kelos-secret-'));
    try {
      mkdirSync(join(dir, '..2026_01_01'));
      writeFileSync(join(dir, '..2026_01_01', 'TOKEN'), 'abc');
      symlinkSync('..2026_01_01', join(dir, '..data'));
      symlinkSync('..data/TOKEN', join(dir, 'TOKEN'));
      expect(readSecretDir(dir)).toEqual({ TOKEN: 'abc' });
      expect(readSecretDir(join(dir, 'missing'))).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('agent configuration writers', () => {
  test('Claude Code merges mcpServers into existing settings', () => {
    const out = JSON.parse(
      claudeConfig('{"theme":"dark","mcpServers":{"old":{"command":"o"}}}', [stdio, http]),
    );
    expect(out).toEqual({
      theme: 'dark',
      mcpServers: {
        old: { command: 'o' },
        fs: { type: 'stdio', command: 'npx', args: ['-y', '@mcp/fs'], env: { ROOT: '/w' } },
        docs: { type: 'http', url: 'https://mcp/docs', headers: { 'X-Key': 'k' } },
      },
    });
  });

  test('Gemini uses httpUrl for HTTP and url for SSE', () => {
    expect(JSON.parse(geminiSettings(undefined, [stdio, http, sse])).mcpServers).toEqual({
      fs: { command: 'npx', args: ['-y', '@mcp/fs'], env: { ROOT: '/w' } },
      docs: { httpUrl: 'https://mcp/docs', headers: { 'X-Key': 'k' } },
      events: { url: 'https://mcp/sse' },
    });
  });

  test('Cursor writes mcpServers', () => {
    expect(JSON.parse(cursorConfig('', [stdio, http])).mcpServers).toEqual({
      fs: { command: 'npx', args: ['-y', '@mcp/fs'], env: { ROOT: '/w' } },
      docs: { url: 'https://mcp/docs', headers: { 'X-Key': 'k' } },
    });
  });

  test('OpenCode writes local and remote servers under mcp', () => {
    expect(
      JSON.parse(opencodeConfig('{"$schema":"https://opencode.ai/config.json"}', [stdio, http])),
    ).toEqual({
      $schema: 'https://opencode.ai/config.json',
      mcp: {
        fs: { type: 'local', command: ['npx', '-y', '@mcp/fs'], enabled: true, environment: { ROOT: '/w' } },
        docs: { type: 'remote', url: 'https://mcp/docs', enabled: true, headers: { 'X-Key': 'k' } },
      },
    });
  });

  test('Codex appends TOML tables, skipping SSE and servers already defined', () => {
    const existing = 'model = "gpt-5"\n\n[mcp_servers.docs]\nurl = "https://old"\n';
    const { text, skipped } = codexConfig(existing, [stdio, http, sse]);
    expect(text).toBe(
      `${existing}\n[mcp_servers."fs"]\ncommand = "npx"\nargs = ["-y", "@mcp/fs"]\nenv = { "ROOT" = "/w" }\n`,
    );
    expect(skipped).toEqual([
      { name: 'docs', reason: 'already defined in config.toml' },
      { name: 'events', reason: 'codex does not support SSE MCP servers' },
    ]);
  });

  test('Codex writes HTTP servers with url and http_headers', () => {
    expect(codexConfig(undefined, [http]).text).toBe(
      '[mcp_servers."docs"]\nurl = "https://mcp/docs"\nhttp_headers = { "X-Key" = "k" }\n',
    );
  });

  test('TOML strings escape quotes, backslashes and control characters', () => {
    expect(tomlString('a"b\\c\nd\u0001')).toBe('"a\\"b\\\\c\\nd\\u0001"');
  });

  test('a corrupt existing JSON file is an error, not silently replaced', () => {
    expect(() => claudeConfig('[1]', [stdio])).toThrow('expected a JSON object');
  });
});
