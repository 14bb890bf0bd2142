import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/index.ts';
import { jsonEqual, resolveCondition, setCondition, statusPatch } from '../../../src/operator/status.ts';

const cond = (
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  at: string,
): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: at,
});

describe('conditions', () => {
  it('adds a condition with the current time', () => {
    expect(setCondition(undefined, { type: 'A', status: 'True', reason: 'R', message: 'm' }, 't1')).toEqual([
      cond('A', 'True', 'R', 'm', 't1'),
    ]);
  });

  it('returns an equal list when nothing changed, so no write follows', () => {
    const list = [cond('A', 'True', 'R', 'm', 't1')];
    const next = setCondition(list, { type: 'A', status: 'True', reason: 'R', message: 'm' }, 't2');
    expect(next).toEqual(list);
    expect(jsonEqual(next, list)).toBe(true);
  });

  it('keeps lastTransitionTime when only reason or message change, and moves it when status flips', () => {
    const list = [cond('A', 'True', 'R', 'm', 't1'), cond('B', 'False', 'X', 'x', 't1')];
    expect(setCondition(list, { type: 'A', status: 'True', reason: 'R2', message: 'm2' }, 't2')[0]).toEqual(
      cond('A', 'True', 'R2', 'm2', 't1'),
    );
    expect(setCondition(list, { type: 'A', status: 'False', reason: 'R', message: 'm' }, 't2')).toEqual([
      cond('A', 'False', 'R', 'm', 't2'),
      cond('B', 'False', 'X', 'x', 't1'),
    ]);
  });

  it('moves observedGeneration to the generation it was evaluated against, keeping lastTransitionTime', () => {
    const list = [{ ...cond('A', 'True', 'R', 'm', 't1'), observedGeneration: 1 }];
    const input = { type: 'A', status: 'True', reason: 'R', message: 'm' } as const;
    expect(setCondition(list, input, 't2', 1)).toEqual(list);
    expect(setCondition(list, input, 't2', 2)).toEqual([
      { ...cond('A', 'True', 'R', 'm', 't1'), observedGeneration: 2 },
    ]);
  });

  it('flips a gate condition only when it was set before', () => {
    const input = {
      type: 'BudgetBlocked',
      status: 'False',
      reason: 'BudgetAvailable',
      message: 'ok',
    } as const;
    expect(resolveCondition(undefined, input, 't2')).toEqual([]);
    expect(
      resolveCondition([cond('BudgetBlocked', 'True', 'BudgetExceeded', 'no', 't1')], input, 't2'),
    ).toEqual([cond('BudgetBlocked', 'False', 'BudgetAvailable', 'ok', 't2')]);
  });
});

describe('statusPatch', () => {
  it('is undefined when nothing changed, whatever the key order', () => {
    expect(
      statusPatch(
        { phase: 'Running', usage: { inputTokens: 1, costUSD: '1' } },
        { usage: { costUSD: '1', inputTokens: 1 }, phase: 'Running' },
      ),
    ).toBeUndefined();
  });

  it('replaces changed members and nulls removed ones', () => {
    expect(
      statusPatch(
        { phase: 'Waiting', message: 'wait', conditions: [cond('A', 'True', 'R', 'm', 't')] },
        { phase: 'Pending', jobName: 'j', conditions: [cond('A', 'True', 'R', 'm', 't')] },
      ),
    ).toEqual({ phase: 'Pending', jobName: 'j', message: null });
  });

  it('nulls map keys that went away, since a merge patch would keep them', () => {
    expect(statusPatch({ results: { a: '1', b: '2' } }, { results: { a: '1', c: '3' } })).toEqual({
      results: { a: '1', b: null, c: '3' },
    });
  });

  it('treats undefined members as absent', () => {
    expect(statusPatch({ phase: 'Pending' }, { phase: 'Pending', podName: undefined })).toBeUndefined();
  });
});
