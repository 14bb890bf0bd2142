/**
 * Helpers for construct tests: a chart, its synthesized objects, and the offline validator
 * over them (what `kelos synth` would report).
 */
import { type Chart, Testing } from 'cdk8s';
import { documentFromObject, validateDocuments } from '../../../src/validate/index.ts';

/** A fresh chart in a fresh app. */
export const chart = (): Chart => Testing.chart();

/** The objects a chart renders, in cdk8s's order. */
export const synth = (c: Chart): Array<Record<string, unknown>> =>
  Testing.synth(c) as Array<Record<string, unknown>>;

/** Error diagnostics of the validator for everything a chart renders, as one bundle. */
export const validationErrors = (c: Chart): string[] =>
  validateDocuments(synth(c).map((o, i) => documentFromObject(o, 'chart', i)))
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.resource?.kind} ${d.resource?.name} ${d.path}: ${d.message}`);

/** Runs `build` and returns the message it threw. */
export const thrown = (build: () => unknown): string => {
  try {
    build();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected the construct to throw');
};

/** Credentials used throughout. */
export const apiKey = { type: 'api-key' as const, secretRef: { name: 'anthropic-api-key' } };
