/**
 * The fuzz worker: runs one input at a time through what `kelos validate` and `kelos check`
 * do with a manifest (parse, validate the bundle, bound the findings, run the policies) and
 * reports what came out. It runs in a worker thread with a heap cap, so a memory blow-up
 * ends the worker (the harness sees it), not the harness.
 *
 * @packageDocumentation
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { checkDocuments } from '../../policies/index.ts';
import { DEFAULT_POLICY_CONFIG } from '../../src/policy/config.ts';
import {
  formatDiagnostic,
  limitPerCode,
  parseManifests,
  sortDiagnostics,
  validateDocuments,
} from '../../src/validate/index.ts';

/** A request: the input's number, text and file name. */
export interface FuzzRequest {
  readonly index: number;
  readonly text: string;
  readonly file: string;
}

/** What one input did. */
export interface FuzzResult {
  readonly index: number;
  readonly millis: number;
  /** CPU time of the worker thread, which the machine's load does not inflate as it does `millis`. */
  readonly cpuMillis?: number;
  /** The worker's V8 heap (committed) after the input, in bytes: it only shrinks after a GC, so it tracks the peak. */
  readonly heapBytes?: number;
  /** The exception the pipeline threw (a crash), when it threw. */
  readonly crash?: string;
  readonly objects?: number;
  readonly errors?: number;
  /** Error diagnostics with neither a source line nor a JSON pointer. */
  readonly unlocated?: string[];
  /** Bytes of text output for the listed diagnostics. */
  readonly outputBytes?: number;
}

/** Runs one input; exported so a failing input can be replayed in-process. */
export const runInput = (req: FuzzRequest): FuzzResult => {
  const started = performance.now();
  const cpu = process.threadCpuUsage();
  const cost = () => {
    const used = process.threadCpuUsage(cpu);
    return { cpuMillis: (used.user + used.system) / 1000, heapBytes: getHeapStatistics().total_heap_size };
  };
  try {
    const parsed = parseManifests(req.text, req.file);
    const diagnostics = sortDiagnostics([...parsed.diagnostics, ...validateDocuments(parsed.documents)]);
    const shown = limitPerCode(diagnostics);
    const policy = checkDocuments(parsed.documents, DEFAULT_POLICY_CONFIG);
    const all = [...shown, ...limitPerCode(policy.diagnostics)];
    const unlocated = all
      .filter((d) => d.severity === 'error' && d.source?.line === undefined && !d.path)
      .map((d) => formatDiagnostic(d).slice(0, 300));
    return {
      index: req.index,
      millis: performance.now() - started,
      ...cost(),
      objects: parsed.documents.length,
      errors: diagnostics.filter((d) => d.severity === 'error').length,
      unlocated,
      outputBytes: all.reduce((n, d) => n + formatDiagnostic(d).length + 1, 0),
    };
  } catch (err) {
    return {
      index: req.index,
      millis: performance.now() - started,
      ...cost(),
      crash:
        err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}`.slice(0, 2000) : String(err),
    };
  }
};

parentPort?.on('message', (req: FuzzRequest) => {
  parentPort?.postMessage(runInput(req));
});
