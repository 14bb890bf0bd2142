/**
 * The fuzz harness: feeds generated inputs ({@link inputAt}) to a worker thread that runs the
 * validator and the policies ({@link runInput}), with a heap cap on the worker and a watchdog
 * per input. It counts crashes (an exception), hangs (the watchdog fired; the worker is
 * replaced), memory blow-ups (the worker ran out of its heap), slow inputs (over `slowMs`),
 * oversized output, and error diagnostics with neither a line nor a JSON pointer.
 *
 * `test/unit/validate/fuzz.test.ts` runs a short bounded run; `bench/fuzz.ts` the long one.
 *
 * @packageDocumentation
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { inputAt, loadSeeds, type Seed } from './inputs.ts';
import type { FuzzRequest, FuzzResult } from './worker.ts';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  /** An input running longer than this is a hang: the worker is killed and replaced. */
  readonly hangMs: number;
  /** An input running longer than this is slow (reported; 0 turns it off). */
  readonly slowMs: number;
  /** Heap cap of the worker, in MB. */
  readonly heapMb: number;
  /** Output of the listed diagnostics above this many bytes is a blow-up. */
  readonly maxOutputBytes?: number;
  readonly seeds?: readonly Seed[];
  /** Where to save the inputs that failed, to replay them. */
  readonly saveDir?: string;
  readonly onProgress?: (done: number, report: FuzzReport) => void;
}

/** One input that failed, and how. */
export interface FuzzFailure {
  readonly index: number;
  readonly label: string;
  readonly kind: 'crash' | 'hang' | 'memory' | 'slow' | 'unlocated' | 'output';
  readonly detail: string;
}

/** What a run found. */
export interface FuzzReport {
  readonly seed: number;
  inputs: number;
  objects: number;
  rejected: number;
  crashes: number;
  hangs: number;
  memory: number;
  slow: number;
  unlocated: number;
  output: number;
  maxMillis: number;
  /** Most CPU time one input took (the worker thread's). */
  maxCpuMillis: number;
  /** Inputs over `slowMs` of CPU time: the slow inputs that load on the machine did not make slow. */
  slowCpu: number;
  /** Largest heap the worker had after an input, in bytes. */
  peakHeapBytes: number;
  maxOutputBytes: number;
  readonly failures: FuzzFailure[];
  totalMillis: number;
}

const WORKER = new URL('./worker.ts', import.meta.url);

type Lost = { lost: 'hang' | 'memory' | 'crash'; detail: string };

/**
 * Sends one input and waits for the answer, the watchdog, or the worker's death. Only our own
 * listeners are removed afterwards: Node's Worker keeps internal ones (removeAllListeners would
 * stop it from delivering messages).
 */
const ask = (worker: Worker, request: FuzzRequest, hangMs: number): Promise<FuzzResult | Lost> =>
  new Promise((resolve) => {
    const done = (v: FuzzResult | Lost) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(v);
    };
    const onMessage = (m: FuzzResult) => done(m);
    const onError = (err: Error & { code?: string }) =>
      done({
        lost: err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash',
        detail: String(err.stack ?? err),
      });
    const onExit = (code: number) => done({ lost: 'crash', detail: `worker exited with code ${code}` });
    const timer = setTimeout(() => done({ lost: 'hang', detail: `no answer after ${hangMs} ms` }), hangMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request);
  });

/** Runs the fuzzer; resolves when every input has run. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seeds = options.seeds ?? loadSeeds();
  if (seeds.length === 0) throw new Error('no seed manifests found');
  const report: FuzzReport = {
    seed: options.seed,
    inputs: 0,
    objects: 0,
    rejected: 0,
    crashes: 0,
    hangs: 0,
    memory: 0,
    slow: 0,
    unlocated: 0,
    output: 0,
    maxMillis: 0,
    maxCpuMillis: 0,
    slowCpu: 0,
    peakHeapBytes: 0,
    maxOutputBytes: 0,
    failures: [],
    totalMillis: 0,
  };
  const started = performance.now();
  const spawn = () =>
    new Worker(WORKER, { resourceLimits: { maxOldGenerationSizeMb: options.heapMb, stackSizeMb: 4 } });
  let worker = spawn();
  const fail = (f: FuzzFailure, text: string) => {
    report.failures.push(f);
    report[f.kind === 'crash' ? 'crashes' : f.kind === 'hang' ? 'hangs' : f.kind] += 1;
    if (options.saveDir) {
      mkdirSync(options.saveDir, { recursive: true });
      writeFileSync(join(options.saveDir, `${options.seed}-${f.index}-${f.kind}.yaml`), text);
    }
  };
  try {
    for (let index = 0; index < options.count; index++) {
      const { text, label } = inputAt(seeds, options.seed, index);
      const request: FuzzRequest = { index, text, file: index % 7 === 0 ? 'input.json' : 'input.yaml' };
      const outcome = await ask(worker, request, options.hangMs);
      report.inputs += 1;
      if ('lost' in outcome) {
        fail({ index, label, kind: outcome.lost, detail: outcome.detail.slice(0, 1000) }, text);
        await worker.terminate();
        worker = spawn();
        continue;
      }
      report.maxMillis = Math.max(report.maxMillis, outcome.millis);
      report.maxCpuMillis = Math.max(report.maxCpuMillis, outcome.cpuMillis ?? 0);
      report.peakHeapBytes = Math.max(report.peakHeapBytes, outcome.heapBytes ?? 0);
      if (options.slowMs > 0 && (outcome.cpuMillis ?? 0) > options.slowMs) report.slowCpu += 1;
      if (outcome.crash) {
        fail({ index, label, kind: 'crash', detail: outcome.crash }, text);
        continue;
      }
      report.objects += outcome.objects ?? 0;
      if ((outcome.errors ?? 0) > 0) report.rejected += 1;
      report.maxOutputBytes = Math.max(report.maxOutputBytes, outcome.outputBytes ?? 0);
      if (options.slowMs > 0 && outcome.millis > options.slowMs)
        fail(
          {
            index,
            label,
            kind: 'slow',
            detail: `${Math.round(outcome.millis)} ms (${Math.round(outcome.cpuMillis ?? 0)} ms CPU), ${text.length} characters`,
          },
          text,
        );
      if ((outcome.unlocated ?? []).length > 0)
        fail({ index, label, kind: 'unlocated', detail: (outcome.unlocated ?? []).join('\n') }, text);
      if ((outcome.outputBytes ?? 0) > (options.maxOutputBytes ?? 1_000_000))
        fail({ index, label, kind: 'output', detail: `${outcome.outputBytes} bytes of diagnostics` }, text);
      options.onProgress?.(index + 1, report);
    }
  } finally {
    await worker.terminate();
  }
  report.totalMillis = performance.now() - started;
  return report;
}

/** A report as lines of text, failures first (at most `limit` of them). */
export const formatFuzzReport = (r: FuzzReport, limit = 20): string =>
  [
    ...r.failures
      .slice(0, limit)
      .map((f) => `${f.kind} #${f.index} (${f.label}): ${f.detail.split('\n').slice(0, 4).join(' | ')}`),
    `seed ${r.seed}: ${r.inputs} inputs (${r.objects} objects read, ${r.rejected} inputs rejected) in ${Math.round(r.totalMillis / 1000)}s; ` +
      `${r.crashes} crashes, ${r.hangs} hangs, ${r.memory} memory blow-ups, ${r.slow} slow, ${r.unlocated} unlocated rejections, ${r.output} oversized outputs; ` +
      `slowest ${Math.round(r.maxMillis)} ms (most CPU ${Math.round(r.maxCpuMillis)} ms; ${r.slowCpu} inputs over the threshold in CPU time), ` +
      `peak worker heap ${Math.round(r.peakHeapBytes / 1024 / 1024)} MiB, largest output ${r.maxOutputBytes} bytes`,
  ].join('\n');
