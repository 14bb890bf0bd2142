/**
 * The app contract `kelos synth` and plain `cdk8s synth` share: an app module
 * default-exports an {@link AppBuilder}, and calls {@link synthWhenMain} so that
 * `node <module>` also works as a standalone cdk8s app.
 *
 * @packageDocumentation
 */
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';

/** Adds the objects of one app to `scope` (the app's chart). */
export type AppBuilder = (scope: Construct) => void;

/**
 * Name of an app from its module path: the directory name without a leading `NN-` order
 * prefix, so `examples/01-simple-task/main.ts` is `simple-task`.
 */
export const appNameFromPath = (file: string): string => basename(dirname(file)).replace(/^\d+-/, '');

/**
 * Builds `build` into a new chart named `name` of `app`.
 *
 * @returns the chart.
 */
export const buildChart = (app: App, name: string, build: AppBuilder): Chart => {
  const chart = new Chart(app, name);
  build(chart);
  return chart;
};

/**
 * Where a standalone run writes without `CDK8S_OUTDIR` (which `cdk8s synth` sets from
 * `cdk8s.yaml`'s `output`): not cdk8s' own default `dist`, the tree `kelos synth` writes and
 * Argo CD syncs, where `node main.ts` left a file synth did not write and Argo CD applied.
 */
export const STANDALONE_OUTDIR = 'cdk8s.out';

/**
 * Synthesizes `build` as a standalone cdk8s app (one chart named after the module's
 * directory, written to `CDK8S_OUTDIR`, default {@link STANDALONE_OUTDIR}) when the calling
 * module is the process entry point. Imported by `kelos synth` or another app, it does nothing.
 *
 * @param meta the calling module's `import.meta`.
 */
export const synthWhenMain = (meta: ImportMeta, build: AppBuilder): void => {
  if (!meta.main) return;
  const app = new App({ outdir: process.env['CDK8S_OUTDIR'] || STANDALONE_OUTDIR });
  buildChart(app, appNameFromPath(fileURLToPath(meta.url)), build);
  app.synth();
};
