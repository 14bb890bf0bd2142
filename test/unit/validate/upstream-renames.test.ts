/**
 * A team migrating from upstream changes `kelos.dev/v1alpha1` to `v1alpha2` and keeps the fields
 * upstream renamed or moved between the two: the unknown-field error says what each became and
 * how to write it, not a spelling or indentation guess that reads as their typo.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../../../src/validate/diagnostic.ts';
import { kelos } from './run-cli.ts';

/** The unknown-field findings of `text`, validated as a file, by path. */
async function unknownFields(text: string): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'kelos-renames-'));
  await writeFile(join(dir, 'migrated.yaml'), text);
  const run = await kelos(['validate', '--format', 'json', dir]);
  const { diagnostics } = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  return Object.fromEntries(
    diagnostics.filter((d) => d.code === 'schema/unknown-field').map((d) => [d.path, d.message]),
  );
}

describe('fields upstream renamed or moved from v1alpha1 to v1alpha2', () => {
  test("a Task's single agentConfigRef is told it became the list agentConfigRefs, with the list to write", async () => {
    const found = await unknownFields(
      'apiVersion: kelos.dev/v1alpha2\nkind: Task\nmetadata:\n  name: t\nspec:\n  prompt: p\n  type: claude-code\n  credentials: {type: none}\n  agentConfigRef:\n    name: reviewer\n',
    );
    expect(found).toStrictEqual({
      '/spec/agentConfigRef':
        'unknown field "spec.agentConfigRef"; "agentConfigRef" is upstream\'s kelos.dev/v1alpha1 field, a single reference, which v1alpha2 made the list "agentConfigRefs": write agentConfigRefs: [{name: reviewer}]',
    });
  });

  test("a TaskSpawner's triggerComment, excludeComments and root pollInterval are told where v1alpha2 moved them", async () => {
    const found = await unknownFields(
      [
        'apiVersion: kelos.dev/v1alpha2',
        'kind: TaskSpawner',
        'metadata:',
        '  name: s',
        'spec:',
        '  pollInterval: 10m',
        '  when:',
        '    githubPullRequests:',
        '      triggerComment: /kelos review',
        '      excludeComments: [/kelos stop]',
        '  taskTemplate:',
        '    type: claude-code',
        '    credentials: {type: none}',
        '    workspaceRef: {name: w}',
        '    worker:',
        '      agentConfigRef: {name: reviewer}',
        '',
      ].join('\n'),
    );
    expect(found).toStrictEqual({
      '/spec/pollInterval':
        'unknown field "spec.pollInterval"; "pollInterval" is upstream\'s kelos.dev/v1alpha1 field, which v1alpha2 moved into the polling source: write pollInterval: 10m under spec.when.githubPullRequests',
      '/spec/when/githubPullRequests/triggerComment':
        'unknown field "spec.when.githubPullRequests.triggerComment"; "triggerComment" is upstream\'s kelos.dev/v1alpha1 field, which v1alpha2 moved into "commentPolicy" (with allowedUsers, allowedTeams, minimumPermission): write commentPolicy: {triggerComment: "/kelos review", excludeComments: ["/kelos stop"]} under spec.when.githubPullRequests',
      '/spec/when/githubPullRequests/excludeComments':
        'unknown field "spec.when.githubPullRequests.excludeComments"; "excludeComments" is upstream\'s kelos.dev/v1alpha1 field, which v1alpha2 moved into "commentPolicy" (with allowedUsers, allowedTeams, minimumPermission): write commentPolicy: {triggerComment: "/kelos review", excludeComments: ["/kelos stop"]} under spec.when.githubPullRequests',
      '/spec/taskTemplate/worker/agentConfigRef':
        'unknown field "spec.taskTemplate.worker.agentConfigRef"; "agentConfigRef" is upstream\'s kelos.dev/v1alpha1 field, a single reference, which v1alpha2 made the list "agentConfigRefs": write agentConfigRefs: [{name: reviewer}]',
    });
  });

  test('beside the v1alpha2 field already written, the fix adds to it rather than writing the key twice', async () => {
    const found = await unknownFields(
      [
        'apiVersion: kelos.dev/v1alpha2',
        'kind: TaskSpawner',
        'metadata: {name: s}',
        'spec:',
        '  when:',
        '    githubIssues:',
        '      triggerComment: /kelos go',
        '      commentPolicy: {allowedUsers: [alice]}',
        '  taskTemplate:',
        '    type: claude-code',
        '    credentials: {type: none}',
        '    agentConfigRef: {name: reviewer}',
        '    agentConfigRefs: [{name: base}]',
        '',
      ].join('\n'),
    );
    expect(found).toStrictEqual({
      '/spec/when/githubIssues/triggerComment':
        'unknown field "spec.when.githubIssues.triggerComment"; "triggerComment" is upstream\'s kelos.dev/v1alpha1 field, which v1alpha2 moved into "commentPolicy" (with allowedUsers, allowedTeams, minimumPermission): add triggerComment: "/kelos go" to the commentPolicy spec.when.githubIssues has',
      '/spec/taskTemplate/agentConfigRef':
        'unknown field "spec.taskTemplate.agentConfigRef"; "agentConfigRef" is upstream\'s kelos.dev/v1alpha1 field, a single reference, which v1alpha2 made the list "agentConfigRefs": add {name: reviewer} to the agentConfigRefs this object has',
    });
  });

  test("a v1alpha1 env map is written out whole, its numbers, booleans and empty values as the strings an env var's value must be", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-renames-'));
    await writeFile(
      join(dir, 'agent-config.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata:\n  name: a\nspec:\n  mcpServers:\n    - name: gh\n      type: stdio\n      command: gh-mcp\n      env:\n        PORT: 8080\n        DEBUG: true\n        EMPTY: ""\n        LOG: debug\n',
    );
    const run = await kelos(['validate', '--format', 'json', dir]);
    const { diagnostics } = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
    expect(
      diagnostics.filter((d) => d.code === 'schema/type').map((d) => d.message.split(': write ')[1]),
    ).toStrictEqual([
      'env: [{name: PORT, value: "8080"}, {name: DEBUG, value: "true"}, {name: EMPTY, value: ""}, {name: LOG, value: debug}]',
    ]);
  });

  test("an AgentConfig MCP server's env written as v1alpha1's map is told the list to write", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-renames-'));
    await writeFile(
      join(dir, 'agent-config.yaml'),
      'apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata:\n  name: a\nspec:\n  mcpServers:\n    - name: gh\n      type: stdio\n      command: gh-mcp\n      env:\n        GITHUB_HOST: github.com\n        LOG: debug\n',
    );
    const run = await kelos(['validate', '--format', 'json', dir]);
    const { diagnostics } = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
    expect(diagnostics.filter((d) => d.code === 'schema/type').map((d) => [d.path, d.message])).toStrictEqual(
      [
        [
          '/spec/mcpServers/0/env',
          'must be an array; got an object {"GITHUB_HOST":"github.com","LOG":"debug"}; a map of env vars is upstream\'s kelos.dev/v1alpha1 form, which v1alpha2 made a list (with valueFrom for a Secret or ConfigMap key): write env: [{name: GITHUB_HOST, value: github.com}, {name: LOG, value: debug}]',
        ],
      ],
    );
  });

  test('an object still at v1alpha1 is also read as v1alpha2: one run names the version and every renamed field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kelos-renames-'));
    await writeFile(
      join(dir, 'task.yaml'),
      'apiVersion: kelos.dev/v1alpha1\nkind: Task\nmetadata:\n  name: t\nspec:\n  prompt: p\n  type: claude-code\n  credentials: {type: none}\n  agentConfigRef: {name: reviewer}\n',
    );
    const run = await kelos(['validate', '--format', 'json', dir]);
    const { diagnostics } = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
    expect(diagnostics.map((d) => [d.code, d.path, d.hint ?? d.message.split('; ').at(-1)])).toStrictEqual([
      [
        'version/unserved',
        '/apiVersion',
        'change apiVersion to kelos.dev/v1alpha2 and fix what the other findings on this object say v1alpha2 refuses',
      ],
      ['schema/unknown-field', '/spec/agentConfigRef', expect.stringContaining('known fields here:')],
    ]);
    expect(diagnostics[1]?.message).toContain('write agentConfigRefs: [{name: reviewer}]');
    expect(run.code).toBe(2);
  });

  test('the same names elsewhere keep the usual guesses', async () => {
    const found = await unknownFields(
      'apiVersion: kelos.dev/v1alpha2\nkind: AgentConfig\nmetadata:\n  name: a\nspec:\n  agentConfigRef: {name: x}\n',
    );
    expect(found['/spec/agentConfigRef']).not.toContain('v1alpha1');
  });
});
