/**
 * kubeconform as a reference: the binary built by `bench/build-kubeconform.sh`, and JSON
 * schemas for our kinds made from the generated CRDs the way kubeconform's own
 * `openapi2jsonschema.py` makes them (every object with `properties` gets
 * `additionalProperties: false` for `-strict`), so it runs offline on our manifests.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CustomResourceDefinition } from '../../src/crd/generate.ts';

const BUILD_SCRIPT = fileURLToPath(new URL('../build-kubeconform.sh', import.meta.url));

/** The `-schema-location` template matching {@link schemaFileName}. */
export const SCHEMA_TEMPLATE = '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json';

/** File name kubeconform looks up for a kind and version (kind in lowercase), e.g. `task_v1alpha2.json`. */
export const schemaFileName = (kind: string, version: string): string =>
  `${kind.toLowerCase()}_${version}.json`;

/** The binary, or why there is none. */
export type KubeconformBinary = { readonly bin: string } | { readonly error: string };

/** Builds kubeconform from the Go module proxy, or reuses the cached build. */
export const buildKubeconform = (): Promise<KubeconformBinary> =>
  new Promise((done) => {
    execFile('bash', [BUILD_SCRIPT], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const bin = stdout.trim().split('\n').at(-1) ?? '';
      if (err || !bin)
        done({ error: (stderr.trim() || err?.message || 'no binary path printed').slice(-2000) });
      else done({ bin });
    });
  });

/**
 * An OpenAPI v3 CRD schema as a strict JSON schema: `additionalProperties: false` on every
 * object that lists its `properties` and says nothing else, and `x-kubernetes-int-or-string`
 * spelled as the `anyOf` JSON Schema understands. Other `x-kubernetes-*` keys are kept;
 * JSON Schema ignores them.
 */
export const strictJsonSchema = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(strictJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // Map values of `properties` are schemas, and so are the items of allOf/anyOf/oneOf.
    out[key] =
      key === 'properties' && value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strictJsonSchema(v)]))
        : strictJsonSchema(value);
  }
  if ('properties' in out && !('additionalProperties' in out)) out['additionalProperties'] = false;
  if (out['x-kubernetes-int-or-string'] === true && !('anyOf' in out) && !('oneOf' in out)) {
    out['anyOf'] = [{ type: 'string' }, { type: 'integer' }];
  }
  return out;
};

/**
 * Writes one JSON schema per kind and served version of `crds` into `dir`.
 *
 * @returns the kinds that have a schema.
 */
export const writeSchemas = async (
  crds: readonly CustomResourceDefinition[],
  dir: string,
): Promise<string[]> => {
  await mkdir(dir, { recursive: true });
  const kinds: string[] = [];
  for (const crd of crds) {
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!schema) continue;
      await writeFile(
        join(dir, schemaFileName(crd.spec.names.kind, version.name)),
        `${JSON.stringify(strictJsonSchema(schema))}\n`,
      );
    }
    kinds.push(crd.spec.names.kind);
  }
  return kinds;
};

/** Arguments of one kubeconform run over `paths` with the schemas in `schemaDir`. */
export const kubeconformArgs = (
  schemaDir: string,
  skip: readonly string[],
  paths: readonly string[],
): string[] => [
  '-strict',
  '-summary',
  '-output',
  'json',
  '-schema-location',
  join(schemaDir, SCHEMA_TEMPLATE),
  ...(skip.length > 0 ? ['-skip', skip.join(',')] : []),
  ...paths,
];
