/**
 * A reference for `synthesize()`: what cdk8s alone costs for the same objects, in a process of
 * its own as the app runner is. It reads the rendered objects (JSON), makes each a plain
 * `ApiObject` in one chart, renders the chart (`toJson`, cdk8s' own resolve and sanitize) and
 * serializes the result as the runner does to send it. No Kelos construct, no CEL rule, no
 * validation, no policy: any cdk8s app that builds these objects pays at least this much
 * before a validator sees one of them.
 *
 * Prints one JSON line: the milliseconds spent reading the objects (which an app that builds
 * them in code does not pay, so the bench subtracts it) and the rendered byte count.
 *
 * Usage: `node bench/lib/cdk8s-alone.ts <objects.json>`
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/lib/cdk8s-alone.ts <objects.json>\n');
  process.exit(1);
}
const started = performance.now();
const objects = JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
const readMs = performance.now() - started;

// Imported after the read so that module loading counts like the runner's, once.
const { ApiObject, App, Chart } = await import('cdk8s');
const chart = new Chart(new App({ outdir: '.' }), 'fleet');
for (const [i, o] of objects.entries()) {
  new ApiObject(chart, `o${i}`, o as unknown as ConstructorParameters<typeof ApiObject>[2]);
}
const rendered = chart.toJson();
const bytes = JSON.stringify(rendered).length;
if (rendered.length !== objects.length) {
  process.stderr.write(`cdk8s rendered ${rendered.length} objects of ${objects.length}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ readMs, objects: rendered.length, bytes })}\n`);
