import { describe, expect, test } from 'vitest';
import { TaskRecord } from '../../../constructs/index.ts';
import { DEFAULT_TASK_RECORD_TTL_SECONDS } from '../../../src/api/index.ts';
import { chart, synth, thrown, validationErrors } from './helpers.ts';

const spec = {
  taskRef: { name: 'fix-1', uid: '0b1c' },
  type: 'claude-code' as const,
  phase: 'Succeeded' as const,
  completionTime: '2026-01-02T03:04:05Z',
  usage: { costUSD: '1.25', inputTokens: 100, outputTokens: 20 },
};

describe('TaskRecord', () => {
  test('renders its spec; the TTL defaults to 35 days as the operator sets it', () => {
    const c = chart();
    const record = new TaskRecord(c, 'r', { metadata: { name: '0b1c', labels: { team: 'a' } }, ...spec });
    expect(synth(c)).toStrictEqual([
      {
        apiVersion: 'kelos.dev/v1alpha2',
        kind: 'TaskRecord',
        metadata: { labels: { team: 'a' }, name: '0b1c' },
        spec: {
          completionTime: '2026-01-02T03:04:05Z',
          phase: 'Succeeded',
          taskRef: { name: 'fix-1', uid: '0b1c' },
          type: 'claude-code',
          usage: { costUSD: '1.25', inputTokens: 100, outputTokens: 20 },
        },
      },
    ]);
    expect(record.ttlSecondsAfterCompletion).toBe(DEFAULT_TASK_RECORD_TTL_SECONDS);
    expect(validationErrors(c)).toStrictEqual([]);
  });

  test('rejects a negative cost', () => {
    expect(
      thrown(
        () => new TaskRecord(chart(), 'r', { metadata: { name: 'r' }, ...spec, usage: { costUSD: '-0.5' } }),
      ),
    ).toBe('TaskRecord r /spec/usage/costUSD: must be a non-negative quantity');
  });
});
