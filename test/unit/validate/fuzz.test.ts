/**
 * A short, bounded fuzz run of the validator and the policies (the long run with the 5-second
 * threshold is `node bench/fuzz.ts`, see bench/README.md). Generated inputs run in a worker
 * with a heap cap; the watchdog is generous and only catches hangs: no timing is asserted.
 * The seed is fixed so a failure here is reproducible; it is printed with the report.
 */
import { describe, expect, test } from 'vitest';
import { formatFuzzReport, runFuzz } from '../../fuzz/harness.ts';
import { inputAt, loadSeeds, prng } from '../../fuzz/inputs.ts';

const SEED = 9;

describe('fuzz', () => {
  test('inputs are reproducible from the seed and the index', () => {
    const seeds = loadSeeds();
    expect(inputAt(seeds, SEED, 17)).toStrictEqual(inputAt(seeds, SEED, 17));
    expect(inputAt(seeds, SEED, 17).text).not.toBe(inputAt(seeds, SEED + 1, 17).text);
    const a = prng(1);
    const b = prng(1);
    expect([a(), a(), a()]).toStrictEqual([b(), b(), b()]);
  });

  test('150 mutated manifests: no crash, hang, memory blow-up or unlocated rejection', async () => {
    const report = await runFuzz({ seed: SEED, count: 150, hangMs: 60_000, slowMs: 0, heapMb: 768 });
    const text = formatFuzzReport(report);
    console.log(text);
    expect(report.inputs).toBe(150);
    expect(report.failures, text).toStrictEqual([]);
    expect(report.rejected).toBeGreaterThan(0);
  }, 600_000);
});
