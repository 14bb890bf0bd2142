/**
 * The long fuzz run of the validator and the policies (issue 9): by default 25,000 generated
 * inputs (see test/fuzz/inputs.ts) with a 5-second threshold per input, a 30-second hang
 * watchdog and a 768 MB heap cap on the worker. Prints the seed first, so any run can be
 * repeated exactly, and saves every failing input under --save (default /tmp/kelos-fuzz).
 *
 * Usage: node bench/fuzz.ts [--seed N] [--count N] [--slow-ms N] [--hang-ms N] [--heap-mb N] [--save DIR]
 *
 * Exit code: 0 when nothing failed, 1 otherwise.
 *
 * @packageDocumentation
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { formatFuzzReport, runFuzz } from '../test/fuzz/harness.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    count: { type: 'string', default: '25000' },
    'slow-ms': { type: 'string', default: '5000' },
    'hang-ms': { type: 'string', default: '30000' },
    'heap-mb': { type: 'string', default: '768' },
    save: { type: 'string', default: '/tmp/kelos-fuzz' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const count = Number(values.count);
process.stdout.write(`fuzz: seed ${seed}, ${count} inputs (repeat with --seed ${seed})\n`);
const t0 = performance.now();
const report = await runFuzz({
  seed,
  count,
  slowMs: Number(values['slow-ms']),
  hangMs: Number(values['hang-ms']),
  heapMb: Number(values['heap-mb']),
  saveDir: values.save,
  onProgress: (done, r) => {
    if (done % 1000 === 0)
      process.stdout.write(
        `  ${done}/${count}: ${r.crashes} crashes, ${r.hangs} hangs, ${r.memory} memory, ${r.slow} slow, ${r.unlocated} unlocated, slowest ${Math.round(r.maxMillis)} ms, ${r.slowCpu} slow in CPU time, heap ${Math.round(r.peakHeapBytes / 1024 / 1024)} MiB, load ${loadavg()[0]?.toFixed(1)}, ${Math.round((performance.now() - t0) / 1000)} s\n`,
      );
  },
});
process.stdout.write(`${formatFuzzReport(report, 50)}\n`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
