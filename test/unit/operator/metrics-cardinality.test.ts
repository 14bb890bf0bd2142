/** Issue 9, #9: token and cost metrics stay bounded whatever models and spawners tenants name. */
import { describe, expect, it } from 'vitest';
import type { Task } from '../../../src/api/index.ts';
import {
  MAX_MODEL_LABELS,
  MAX_SPAWNER_LABELS,
  OperatorMetrics,
  OTHER_LABEL,
} from '../../../src/operator/metrics.ts';
import { countCompletion } from '../../../src/operator/reconcilers/task/finish.ts';
import type { TaskReconcilerOptions } from '../../../src/operator/reconcilers/task/options.ts';

const finished = (i: number): Task =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Task',
    metadata: { name: `t${i}`, namespace: 'ns', labels: { 'kelos.dev/taskspawner': `spawner-${i}` } },
    spec: {
      prompt: 'p',
      worker: { type: 'claude-code', model: `model-${i}-${'x'.repeat(100)}`, credentials: { type: 'none' } },
    },
    status: { phase: 'Succeeded', usage: { costUSD: '1', inputTokens: 10, outputTokens: 5 } },
  }) as Task;

describe('token and cost metrics', () => {
  it('keep a bounded number of series for 5,000 distinct models and spawners', async () => {
    const metrics = new OperatorMetrics(
      { queueDepths: () => ({}), tasksByPhase: () => ({}), leading: () => true },
      { processMetrics: false },
    );
    const o = { metrics } as unknown as TaskReconcilerOptions;
    for (let i = 0; i < 5000; i++) countCompletion(o, finished(i));
    const series = (await metrics.inputTokens.get()).values;
    expect(series.length).toBeLessThanOrEqual(Math.max(MAX_MODEL_LABELS, MAX_SPAWNER_LABELS) + 1);
    const models = new Set(series.map((s) => s.labels['model']));
    expect(models.size).toBeLessThanOrEqual(MAX_MODEL_LABELS + 1);
    expect(models.has(OTHER_LABEL)).toBe(true);
    for (const m of models) expect(String(m).length).toBeLessThanOrEqual(63);
    // Nothing is lost: the sum over every series is every Task's tokens.
    expect(series.reduce((n, s) => n + s.value, 0)).toBe(5000 * 10);
  });
});
