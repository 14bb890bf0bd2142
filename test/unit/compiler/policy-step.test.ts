import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { synthPolicyDiagnostics } from '../../../src/compiler/policy-step.ts';

const spawner = (name: string) => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: { name, namespace: 'team-a' },
  spec: {
    when: { cron: { schedule: '0 9 * * 1' } },
    taskTemplate: {
      worker: {
        type: 'claude-code',
        credentials: { type: 'api-key', secretRef: { name: 'anthropic' } },
        podOverrides: { activeDeadlineSeconds: 3600, resources: { limits: { memory: '8Gi' } } },
      },
      ttlSecondsAfterFinished: 60,
    },
    maxConcurrency: 1,
    maxTotalTasks: 10,
  },
});
const budget = {
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskBudget',
  metadata: { name: 'all', namespace: 'team-a' },
  spec: { taskSelector: {}, period: { type: 'Daily' }, maxCostUSD: '1000' },
};

const project = (policy?: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'kelos-synth-policy-'));
  if (policy !== undefined) writeFileSync(join(dir, 'kelos.policy.yaml'), policy);
  return dir;
};

describe('synth policy step', () => {
  test('each app is its own bundle beside the others: a budget in one app covers a spawner of another in its namespace only', async () => {
    const elsewhere = spawner('alone');
    const diagnostics = await synthPolicyDiagnostics(project(), [
      {
        app: 'a',
        object: spawner('covered'),
        file: 'dist/examples/a/covered.yaml',
        constructPath: 'a/covered',
      },
      { app: 'a', object: budget, file: 'dist/examples/a/all.yaml' },
      { app: 'b', object: spawner('beside'), file: 'dist/examples/b/beside.yaml', constructPath: 'b/beside' },
      {
        app: 'b',
        object: { ...elsewhere, metadata: { ...elsewhere.metadata, namespace: 'team-b' } },
        file: 'dist/examples/b/alone.yaml',
        constructPath: 'b/alone',
      },
    ]);
    expect(diagnostics.map((d) => [d.severity, d.code, d.resource?.name, d.source])).toStrictEqual([
      [
        'error',
        'budget/namespace-covered',
        'alone',
        { file: 'dist/examples/b/alone.yaml', line: 1, constructPath: 'b/alone' },
      ],
    ]);
  });

  test('synth: report lists policy errors as warnings, saying they are not enforced', async () => {
    const [d] = await synthPolicyDiagnostics(project('synth: report\n'), [
      { app: 'b', object: spawner('alone'), file: 'dist/examples/b/alone.yaml' },
    ]);
    expect(d?.severity).toBe('warning');
    expect(d?.message).toBe(
      "no TaskBudget in namespace team-a covers this spawner's Tasks, so nothing limits what they spend (reported, not enforced: synth: report in the policy config)",
    );
  });

  test('an invalid project policy config fails synth', async () => {
    await expect(synthPolicyDiagnostics(project('synth: maybe\n'), [])).rejects.toThrow(
      'kelos.policy.yaml:1:1: synth: expected enforce or report, got "maybe"',
    );
  });
});
