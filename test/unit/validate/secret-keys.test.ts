/**
 * A Secret of the bundle without the key its reference reads: the Pod's secretKeyRef is not
 * optional, so the container never starts (CreateContainerConfigError) and the Task stays
 * Pending. Reported at the reference, naming the Secret, the keys it has and those expected.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
import { kelos } from './run-cli.ts';

const EXAMPLE_05 = '/work/shared/compat/kelos-examples/05-task-with-agentconfig';

const secret = (name: string, body: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n${body}`;
const workspace = (secretName: string) =>
  `apiVersion: kelos.dev/v1alpha2\nkind: Workspace\nmetadata:\n  name: app\nspec:\n  repo: https://github.com/acme/app.git\n  secretRef:\n    name: ${secretName}\n`;
const task = (type: string, credentials: string, secretName: string) =>
  `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: t\nspec:\n  prompt: p\n  worker:\n    type: ${type}\n    credentials:\n      type: ${credentials}\n      secretRef:\n        name: ${secretName}\n`;

/** Validates the documents as one file of a fresh directory; the secret-key findings. */
async function findings(...docs: string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'kelos-secret-keys-'));
  await writeFile(join(dir, 'bundle.yaml'), docs.join('---\n'));
  const run = await kelos(['validate', '--format', 'json', dir]);
  const out = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  return {
    code: run.code,
    found: out.diagnostics
      .filter((d) => d.code === 'ref/secret-key')
      .map((d) => ({ severity: d.severity, path: d.path, message: d.message })),
  };
}

describe('a Secret of the bundle without the key the Pod reads', () => {
  test("upstream's example 05: the Workspace's Secret holds token, not GITHUB_TOKEN", async () => {
    const run = await kelos(['validate', '--format', 'json', EXAMPLE_05]);
    const out = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
    expect(out.diagnostics.map((d) => [d.code, d.severity, d.path, d.message])).toStrictEqual([
      [
        'ref/secret-key',
        'error',
        '/spec/secretRef/name',
        'spec.secretRef names Secret "github-token", which has keys "token" but not GITHUB_TOKEN or the GitHub App keys appID, installationID, privateKey; the Pod of every Task on this Workspace cannot start (CreateContainerConfigError) and the Task stays Pending; a TaskSpawner on it polls GitHub without a token',
      ],
    ]);
    expect(run.code).toBe(2);
  });

  test('a Workspace Secret with GITHUB_TOKEN, or with all three App keys, is silent; two of the three are not enough', async () => {
    expect(await findings(workspace('gh'), secret('gh', 'stringData:\n  GITHUB_TOKEN: x\n'))).toStrictEqual({
      code: 0,
      found: [],
    });
    const app = 'stringData:\n  appID: "1"\n  installationID: "2"\n  privateKey: k\n';
    expect((await findings(workspace('gh'), secret('gh', app))).found).toStrictEqual([]);
    const partial = await findings(
      workspace('gh'),
      secret('gh', 'data:\n  appID: MQ==\nstringData:\n  privateKey: k\n'),
    );
    expect(partial.found.map((f) => f.message.split(';')[0])).toStrictEqual([
      'spec.secretRef names Secret "gh", which has keys "appID", "privateKey" but not GITHUB_TOKEN or the GitHub App keys appID, installationID, privateKey',
    ]);
  });

  test('a Secret with no keys at all is said to hold none, with what it needs', async () => {
    expect((await findings(workspace('gh'), secret('gh', 'type: Opaque\n'))).found).toStrictEqual([
      {
        severity: 'error',
        path: '/spec/secretRef/name',
        message:
          'spec.secretRef names Secret "gh", which holds no keys (it needs GITHUB_TOKEN or the GitHub App keys appID, installationID, privateKey); the Pod of every Task on this Workspace cannot start (CreateContainerConfigError) and the Task stays Pending; a TaskSpawner on it polls GitHub without a token',
      },
    ]);
  });

  test("a Task's credentials Secret without the key its agent and credential type read", async () => {
    const { code, found } = await findings(
      task('claude-code', 'api-key', 'creds'),
      secret('creds', 'stringData:\n  CLAUDE_CODE_OAUTH_TOKEN: x\n'),
    );
    expect(found).toStrictEqual([
      {
        severity: 'error',
        path: '/spec/worker/credentials/secretRef/name',
        message:
          'spec.worker.credentials.secretRef names Secret "creds", which has keys "CLAUDE_CODE_OAUTH_TOKEN" but not "ANTHROPIC_API_KEY" (what api-key credentials of claude-code read); its Pod cannot start (CreateContainerConfigError) and the Task stays Pending',
      },
    ]);
    expect(code).toBe(2);
    expect(
      (
        await findings(
          task('codex', 'oauth', 'creds'),
          secret('creds', 'stringData:\n  CODEX_AUTH_JSON: "{}"\n'),
        )
      ).found,
    ).toStrictEqual([]);
  });

  test("a TaskSpawner's template is read the same way, at its field", async () => {
    const spawner =
      'apiVersion: kelos.dev/v1alpha2\nkind: TaskSpawner\nmetadata:\n  name: s\nspec:\n  when:\n    cron:\n      schedule: "0 * * * *"\n  taskTemplate:\n    type: gemini\n    credentials:\n      type: api-key\n      secretRef:\n        name: creds\n';
    const { found } = await findings(spawner, secret('creds', 'stringData:\n  ANTHROPIC_API_KEY: x\n'));
    expect(found.map((f) => [f.path, f.message.split(';')[0]])).toStrictEqual([
      [
        '/spec/taskTemplate/credentials/secretRef/name',
        'spec.taskTemplate.credentials.secretRef names Secret "creds", which has keys "ANTHROPIC_API_KEY" but not "GEMINI_API_KEY" (what api-key credentials of gemini read)',
      ],
    ]);
  });

  test("a podOverrides env var's secretKeyRef whose key the Secret lacks; an optional one passes", async () => {
    const withEnv = (optional: string) =>
      `apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: t\nspec:\n  prompt: p\n  worker:\n    type: claude-code\n    credentials:\n      type: none\n    podOverrides:\n      env:\n        - name: PLAIN\n          value: x\n        - name: JIRA_TOKEN\n          valueFrom:\n            secretKeyRef:\n              name: jira\n              key: token${optional}\n`;
    const jira = secret('jira', 'stringData:\n  TOKEN: x\n');
    const { code, found } = await findings(withEnv(''), jira);
    expect(found).toStrictEqual([
      {
        severity: 'error',
        path: '/spec/worker/podOverrides/env/1/valueFrom/secretKeyRef/key',
        message:
          'spec.worker.podOverrides.env[1].valueFrom.secretKeyRef names Secret "jira", which has keys "TOKEN" but not "token"; its Pod cannot start (CreateContainerConfigError) and the Task stays Pending',
      },
    ]);
    expect(code).toBe(2);
    expect((await findings(withEnv('\n              optional: true'), jira)).found).toStrictEqual([]);
  });

  test("an AgentConfig's MCP env secretKeyRef and a private skills package's Secret are read too", async () => {
    const config =
      'apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata:\n  name: tools\nspec:\n  skills:\n    - source: acme/private-skills\n      secretRef:\n        name: skills\n  mcpServers:\n    - name: jira\n      type: stdio\n      command: jira-mcp\n      env:\n        - name: API_TOKEN\n          valueFrom:\n            secretKeyRef:\n              name: jira\n              key: api-token\n';
    const { found } = await findings(
      config,
      secret('skills', 'stringData:\n  token: x\n'),
      secret('jira', 'type: Opaque\n'),
    );
    expect(found.map((f) => [f.path, f.message])).toStrictEqual([
      [
        '/spec/skills/0/secretRef/name',
        'spec.skills[0].secretRef names Secret "skills", which has keys "token" but not GITHUB_TOKEN (what a private skills package is fetched with); the Pod of every Task that uses this AgentConfig cannot start (CreateContainerConfigError) and the Task stays Pending',
      ],
      [
        '/spec/mcpServers/0/env/0/valueFrom/secretKeyRef/key',
        'spec.mcpServers[0].env[0].valueFrom.secretKeyRef names Secret "jira", which holds no keys (it needs "api-token"); the Pod of every Task that uses this AgentConfig cannot start (CreateContainerConfigError) and the Task stays Pending',
      ],
    ]);
  });

  test('a Secret outside the bundle, and credentials of type none, are not judged', async () => {
    expect((await findings(workspace('gh'))).found).toStrictEqual([]);
    expect(
      (await findings(task('claude-code', 'none', 'creds'), secret('creds', 'stringData:\n  X: y\n'))).found,
    ).toStrictEqual([]);
  });
});
