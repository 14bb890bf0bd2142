/**
 * Every example as one cdk8s app, for plain `cdk8s synth` (see `cdk8s.yaml`): one chart per
 * example, named like its `dist/examples/<name>/` directory, written one folder per chart.
 * `kelos synth` does not run this file; it runs each `examples/<NN-name>/main.ts` itself.
 *
 * @packageDocumentation
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, YamlOutputType } from 'cdk8s';
import { type AppBuilder, appNameFromPath, buildChart } from '../constructs/index.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const app = new App({ yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
for (const entry of readdirSync(dir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .sort((a, b) => (a.name < b.name ? -1 : 1))) {
  const file = `${dir}${entry.name}/main.ts`;
  const mod = (await import(file)) as { default: AppBuilder };
  buildChart(app, appNameFromPath(file), mod.default);
}
app.synth();
