import { describe, expect, it } from 'vitest';
import { pool, timedLoad } from '../../../bench/lib/load.ts';
import { currentRss } from '../../../bench/lib/memory.ts';
import { percentile } from '../../../bench/lib/stats.ts';

describe('bench/lib: what the load benchmarks share', () => {
  it('percentile is the nearest rank: the smallest value at least p% do not exceed', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([7, 3], 50)).toBe(3);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('pool never has more than the limit in flight and visits every item once', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await pool([...Array(20).keys()], 3, async (item, index) => {
      expect(index).toBe(item);
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.push(item);
      inFlight--;
    });
    expect(most).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('timedLoad counts outcomes and times each call', async () => {
    const load = await timedLoad(10, 4, async (i) => (i % 3 === 0 ? 'three' : 'other'));
    expect(Object.fromEntries(load.outcomes)).toEqual({ three: 4, other: 6 });
    expect(load.latencies).toHaveLength(10);
    for (const l of load.latencies) expect(l).toBeLessThanOrEqual(load.ms);
  });

  it('currentRss reads this process and says undefined for one that does not exist', () => {
    expect(currentRss()).toBeGreaterThan(1024 * 1024);
    expect(currentRss(2 ** 30)).toBeUndefined();
  });
});
