/**
 * `~/.kelos/config.yaml`: the user's defaults for the cluster commands, in upstream's format
 * (`internal/cli/config.go`). Flags always win over it.
 *
 * Read strictly: an unknown key or a value of the wrong type is an error naming the field's
 * JSON pointer, because a misspelt `namepsace:` silently ignored would send Tasks elsewhere.
 *
 * @packageDocumentation
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../io.ts';

/** An `env` entry: a literal value or a reference to a Secret or ConfigMap key. */
export interface ConfigEnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string };
  };
}

/** The workspace of `kelos run`: an existing one by name, or a repository the CLI makes one for. */
export interface ConfigWorkspace {
  readonly name?: string;
  readonly repo?: string;
  readonly ref?: string;
  readonly token?: string;
  readonly githubApp?: {
    readonly appID?: string;
    readonly installationID?: string;
    readonly privateKeyPath?: string;
    /**
     * The key file's content: not a setting of the file (it is refused there), filled in by
     * `kelos run` from `privateKeyPath` before it plans the Secret.
     */
    readonly privateKey?: string;
  };
}

/** The contents of `~/.kelos/config.yaml`. Every field is optional. */
export interface KelosConfigFile {
  readonly oauthToken?: string;
  readonly apiKey?: string;
  readonly secret?: string;
  readonly credentialType?: string;
  readonly type?: string;
  readonly model?: string;
  readonly effort?: string;
  readonly namespace?: string;
  readonly workspace?: ConfigWorkspace;
  readonly agentConfig?: string;
  readonly env?: readonly ConfigEnvVar[];
}

/** The config file's template, as `kelos init` writes it (upstream's, comments included). */
export const CONFIG_TEMPLATE = `# Kelos configuration file
# See: https://github.com/kelos-dev/kelos
# Flags given on the command line override every value here.

# OAuth token for the agent (claude-code). Use "@path" to read it from a file.
# The CLI stores it in the Secret "kelos-credentials".
oauthToken: ""

# Or an API key instead of an OAuth token (the two exclude each other).
# apiKey: ""

# Or the name of an existing Secret holding the credentials.
# secret: ""

# Credential type: api-key, oauth or none (by default oauth with oauthToken, else api-key).
# credentialType: oauth

# Agent type: claude-code, codex, gemini, opencode or cursor.
# type: claude-code

# Model and reasoning effort passed to the agent.
# model: ""
# effort: ""

# Namespace the commands use when -n is not given.
# namespace: default

# Workspace the agent works in: the name of an existing Workspace, or a repository
# (the CLI then creates the Workspace "kelos-workspace").
# workspace:
#   name: my-workspace
#   repo: https://github.com/org/repo.git
#   ref: main
#   token: ""
#   # Or a GitHub App instead of a token (the two exclude each other):
#   githubApp:
#     appID: ""
#     installationID: ""
#     privateKeyPath: ""

# AgentConfig the Tasks use.
# agentConfig: my-agent-config

# Extra environment variables of the agent.
# env:
#   - name: LOG_LEVEL
#     value: debug
`;

/** Where the config file is read from: `--config`, else `$HOME/.kelos/config.yaml`. */
export const configPath = (
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
) => (flag ? resolve(cwd, flag) : join(env['HOME'] || homedir(), '.kelos', 'config.yaml'));

const STRING_KEYS = [
  'oauthToken',
  'apiKey',
  'secret',
  'credentialType',
  'type',
  'model',
  'effort',
  'namespace',
  'agentConfig',
] as const;
const WORKSPACE_KEYS = ['name', 'repo', 'ref', 'token'] as const;
const GITHUB_APP_KEYS = ['appID', 'installationID', 'privateKeyPath'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed config document; returns what is wrong, each as `pointer: problem`. */
export function checkConfig(doc: unknown): string[] {
  if (doc === null || doc === undefined) return [];
  if (!isDict(doc)) return ['/: expected a mapping of settings'];
  const problems: string[] = [];
  const known = new Set<string>([...STRING_KEYS, 'workspace', 'env']);
  const strings = (obj: Dict, keys: readonly string[], at: string) => {
    for (const key of keys) {
      const v = obj[key];
      if (v !== undefined && v !== null && typeof v !== 'string') {
        problems.push(`${at}/${key}: expected a string, got ${JSON.stringify(v)}`);
      }
    }
  };
  const unknown = (obj: Dict, allowed: ReadonlySet<string>, at: string) => {
    for (const key of Object.keys(obj)) {
      if (!allowed.has(key)) {
        problems.push(`${at}/${key}: unknown setting (expected one of ${[...allowed].join(', ')})`);
      }
    }
  };
  unknown(doc, known, '');
  strings(doc, STRING_KEYS, '');
  const ws = doc['workspace'];
  if (ws !== undefined && ws !== null) {
    if (!isDict(ws)) problems.push('/workspace: expected a mapping with name or repo');
    else {
      unknown(ws, new Set([...WORKSPACE_KEYS, 'githubApp']), '/workspace');
      strings(ws, WORKSPACE_KEYS, '/workspace');
      const app = ws['githubApp'];
      if (app !== undefined && app !== null) {
        if (!isDict(app)) problems.push('/workspace/githubApp: expected a mapping');
        else {
          unknown(app, new Set(GITHUB_APP_KEYS), '/workspace/githubApp');
          strings(app, GITHUB_APP_KEYS, '/workspace/githubApp');
        }
        if (ws['token']) problems.push('/workspace: token and githubApp exclude each other; keep one');
      }
    }
  }
  if (doc['oauthToken'] && doc['apiKey']) problems.push('/apiKey: oauthToken and apiKey exclude each other');
  const env = doc['env'];
  if (env !== undefined && env !== null) {
    if (!Array.isArray(env)) problems.push('/env: expected a list of {name, value} or {name, valueFrom}');
    else {
      env.forEach((e: unknown, i) => {
        const at = `/env/${i}`;
        if (!isDict(e)) {
          problems.push(`${at}: expected a mapping with name and value or valueFrom`);
          return;
        }
        if (typeof e['name'] !== 'string' || !ENV_NAME.test(e['name'])) {
          problems.push(`${at}/name: expected a variable name matching ${ENV_NAME.source}`);
        }
        if ((e['value'] === undefined) === (e['valueFrom'] === undefined)) {
          problems.push(`${at}: expected exactly one of value and valueFrom`);
        }
        if (e['value'] !== undefined && typeof e['value'] !== 'string') {
          problems.push(`${at}/value: expected a string (quote numbers and booleans)`);
        }
      });
    }
  }
  return problems;
}

/**
 * Reads the config file. A missing file is no config unless it was named with `--config`;
 * a malformed one is a {@link UsageError} listing every problem.
 */
export function loadConfig(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): KelosConfigFile | undefined {
  const path = configPath(flag, env, cwd);
  if (!existsSync(path)) {
    if (flag) throw new UsageError(`config file ${path} does not exist (create one with: kelos init)`);
    return undefined;
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  const problems = checkConfig(doc);
  if (problems.length) {
    throw new UsageError(`config file ${path} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return (doc ?? {}) as KelosConfigFile;
}
