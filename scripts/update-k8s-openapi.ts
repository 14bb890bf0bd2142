/**
 * Regenerates `src/api/k8s/openapi.json`, the Kubernetes core type definitions Kelos embeds in its
 * CRDs and uses to validate core objects in a bundle.
 *
 * GENERATED DATA, DO NOT EDIT BY HAND: `src/api/k8s/openapi.json` is a verbatim subset of the
 * official OpenAPI v3 spec shipped in the pinned `k8s.io/kubernetes` Go module
 * (`api/openapi-spec/v3/*.json`), fetched through the Go module proxy. It is committed so that
 * builds and tests never need the network; to move to another Kubernetes release, change
 * `K8S_VERSION` below and run:
 *
 *     node scripts/update-k8s-openapi.ts
 *
 * The file holds only the transitive closure of the definitions reachable from `ROOTS`, with keys
 * sorted so that regenerating from the same release is byte-for-byte identical. No definition is
 * altered here: turning them into structural CRD schemas happens in `src/api/k8s/index.ts`, so the
 * data stays auditable against upstream.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned Kubernetes release the definitions come from. */
const K8S_VERSION = 'v1.36.3';
const MODULE = 'k8s.io/kubernetes';
const GO = '/usr/local/go/bin/go';
const SPEC_DIR = 'api/openapi-spec/v3';

/** One spec file per API group version that holds a root (core v1 is `api__v1`). */
const SPEC_FILES = [
  'api__v1_openapi.json',
  'apis__admissionregistration.k8s.io__v1_openapi.json',
  'apis__apps__v1_openapi.json',
  'apis__batch__v1_openapi.json',
  'apis__coordination.k8s.io__v1_openapi.json',
  'apis__networking.k8s.io__v1_openapi.json',
  'apis__policy__v1_openapi.json',
  'apis__rbac.authorization.k8s.io__v1_openapi.json',
];

const core = 'io.k8s.api.core.v1.';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

/**
 * The definitions Kelos needs by name (mirrors `K8sTypeName` in src/api/k8s/index.ts, which the
 * unit tests check against the `roots` recorded in the output).
 */
const ROOTS = [
  ...[
    'EnvVar',
    'EnvFromSource',
    'ResourceRequirements',
    'Toleration',
    'Affinity',
    'LocalObjectReference',
    'Volume',
    'VolumeMount',
    'PodSecurityContext',
    'SecurityContext',
    'Container',
    'Secret',
    'ConfigMap',
    'Namespace',
    'ServiceAccount',
    'Service',
    'Pod',
    'PersistentVolumeClaimSpec',
  ].map((n) => core + n),
  ...['PodFailurePolicy', 'Job', 'CronJob'].map((n) => `io.k8s.api.batch.v1.${n}`),
  'io.k8s.api.apps.v1.Deployment',
  ...['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map((n) => `io.k8s.api.rbac.v1.${n}`),
  'io.k8s.api.coordination.v1.Lease',
  ...['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].map(
    (n) => `io.k8s.api.admissionregistration.v1.${n}`,
  ),
  ...['Ingress', 'NetworkPolicy'].map((n) => `io.k8s.api.networking.v1.${n}`),
  'io.k8s.api.policy.v1.PodDisruptionBudget',
  ...['LabelSelector', 'Condition', 'ObjectMeta', 'Time'].map((n) => meta + n),
];

const REF_PREFIX = '#/components/schemas/';

interface ModuleInfo {
  Dir?: string;
  Sum?: string;
  Error?: string;
}

/** Downloads (or finds in the module cache) the pinned module and returns its directory and sum. */
function downloadModule(): { dir: string; sum: string } {
  // `go mod download` wants a main module for -mod=mod; a throwaway one keeps the repo untouched.
  const work = mkdtempSync(join(tmpdir(), 'kelos-k8s-openapi-'));
  try {
    writeFileSync(join(work, 'go.mod'), 'module kelos.dev/k8s-openapi-fetch\n\ngo 1.22\n');
    const out = execFileSync(GO, ['mod', 'download', '-json', `${MODULE}@${K8S_VERSION}`], {
      cwd: work,
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
    const info = JSON.parse(out) as ModuleInfo;
    if (info.Error) throw new Error(`go mod download ${MODULE}@${K8S_VERSION}: ${info.Error}`);
    if (!info.Dir || !info.Sum) throw new Error(`go mod download returned no Dir/Sum: ${out}`);
    return { dir: info.Dir, sum: info.Sum };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Deep copy with object keys in code-point order, so the output does not depend on input order. */
function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key] as Json);
    return out;
  }
  return value;
}

function collectRefs(value: Json, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') {
        if (!v.startsWith(REF_PREFIX)) throw new Error(`unexpected $ref ${v}`);
        out.push(v.slice(REF_PREFIX.length));
      } else {
        collectRefs(v, out);
      }
    }
  }
}

function main(): void {
  const { dir, sum } = downloadModule();
  const specDir = join(dir, SPEC_DIR);
  const available = new Set(readdirSync(specDir));
  const missing = SPEC_FILES.filter((f) => !available.has(f));
  if (missing.length > 0) throw new Error(`missing spec files in ${specDir}: ${missing.join(', ')}`);

  // Every group file repeats the shared meta.v1 definitions; a few (DeleteOptions, WatchEvent)
  // differ only in their group-version-kind list. Remember each variant and refuse to guess if
  // one we actually need disagrees between files.
  const variants = new Map<string, Map<string, Json>>();
  for (const file of SPEC_FILES) {
    const doc = JSON.parse(readFileSync(join(specDir, file), 'utf8')) as {
      components?: { schemas?: Record<string, Json> };
    };
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      const text = JSON.stringify(sortKeys(schema));
      let byText = variants.get(name);
      if (!byText) {
        byText = new Map();
        variants.set(name, byText);
      }
      byText.set(text, schema);
    }
  }

  const closure = new Map<string, Json>();
  const queue = [...ROOTS];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (closure.has(name)) continue;
    const byText = variants.get(name);
    if (!byText) throw new Error(`definition ${name} not found in ${SPEC_FILES.join(', ')}`);
    if (byText.size !== 1) throw new Error(`definition ${name} differs between spec files`);
    const schema = [...byText.values()][0]!;
    closure.set(name, schema);
    const refs: string[] = [];
    collectRefs(schema, refs);
    queue.push(...refs);
  }

  const schemas: { [key: string]: Json } = {};
  for (const name of [...closure.keys()].sort()) schemas[name] = sortKeys(closure.get(name)!);

  const output = {
    source: `${MODULE}@${K8S_VERSION} ${SPEC_DIR}`,
    sum,
    files: SPEC_FILES,
    roots: [...ROOTS].sort(),
    schemas,
  };
  const here = dirname(fileURLToPath(import.meta.url));
  const target = resolve(here, '../src/api/k8s/openapi.json');
  const text = `${JSON.stringify(output, null, 2)}\n`;
  writeFileSync(target, text);
  // `npm run lint` checks every JSON file in the tree; let the project's own Biome lay the file out
  // (it folds short arrays) so the generated file passes lint as written.
  execFileSync(resolve(here, '../node_modules/.bin/biome'), ['format', '--write', target], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  console.log(`wrote ${target}: ${closure.size} definitions, ${readFileSync(target).length} bytes`);
}

main();
