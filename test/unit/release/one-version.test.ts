import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KELOS_VERSION, VERSION_ANNOTATION, VERSION_LABEL } from '../../../src/api/version.ts';
import { crdVersions, operatorVersion, versionMismatch } from '../../../src/cli/commands/version.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/program.ts';
import { isNewerVersion } from '../../../src/cli/version.ts';
import { generateCrds } from '../../../src/crd/generate.ts';
import { crdNarrowings } from '../../../src/validate/crd-compat.ts';

const ROOT = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
/** The version as package.json says it, read as a file (not through the code under test). */
const VERSION = (JSON.parse(read('package.json')) as { version: string }).version;
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: process.cwd(),
    isTTY: false,
    env: {},
    readStdin: async () => '',
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

type Obj = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { template?: { spec?: { containers?: Array<{ image: string; args: string[] }> } } };
};
const objects = (yaml: string): Obj[] => parseAllDocuments(yaml).map((d) => d.toJSON() as Obj);
const operatorContainer = (objs: Obj[]) =>
  objs.find((o) => o.kind === 'Deployment')!.spec!.template!.spec!.containers![0]!;

describe('one version: package, CRDs, install, images and kelos version agree', () => {
  test('the code reads the version package.json holds', () => {
    expect(KELOS_VERSION).toBe(VERSION);
  });

  test('kelos version --client prints it', async () => {
    const r = await run('version', '--client');
    expect(r).toEqual({ code: 0, stdout: `Client Version: ${VERSION}\n`, stderr: '' });
  });

  test('every CRD carries it as an annotation', () => {
    for (const crd of generateCrds()) expect(crd.metadata.annotations[VERSION_ANNOTATION]).toBe(VERSION);
  });

  test('kelos install --dry-run labels every object with it and runs images tagged v<version>', async () => {
    const r = await run('install', '--dry-run');
    expect(r.code).toBe(0);
    const objs = objects(r.stdout);
    const crds = objs.filter((o) => o.kind === 'CustomResourceDefinition');
    const bundle = objs.filter((o) => o.kind !== 'CustomResourceDefinition');
    expect(crds).toHaveLength(7);
    for (const crd of crds) expect(crd.metadata.annotations?.[VERSION_ANNOTATION]).toBe(VERSION);
    expect(bundle.length).toBeGreaterThan(5);
    for (const o of bundle) expect([o.kind, o.metadata.labels?.[VERSION_LABEL]]).toEqual([o.kind, VERSION]);
    const container = operatorContainer(objs);
    expect(container.image).toBe(`ghcr.io/kelos-ts/kelos-operator:v${VERSION}`);
    expect(container.args).toContain(`--image-tag=v${VERSION}`);
  }, 30_000);

  test('kelos install --version X installs version X (label and tag) and warns that the CRDs are this CLI’s', async () => {
    const r = await run('install', '--dry-run', '--version', 'v9.8.7');
    expect(r.code).toBe(0);
    const objs = objects(r.stdout);
    expect(operatorContainer(objs).image).toBe('ghcr.io/kelos-ts/kelos-operator:v9.8.7');
    expect(objs.find((o) => o.kind === 'Deployment')!.metadata.labels?.[VERSION_LABEL]).toBe('9.8.7');
    expect(r.stderr).toContain(`with the CRDs of this CLI (${VERSION}); for exactly that version's CRDs`);
  }, 30_000);

  test('--image-digest pins the operator image by digest; a malformed digest is a usage error', async () => {
    const r = await run('install', '--dry-run', '--image-digest', DIGEST);
    expect(operatorContainer(objects(r.stdout)).image).toBe(`ghcr.io/kelos-ts/kelos-operator@${DIGEST}`);
    const bad = await run('install', '--dry-run', '--image-digest', 'sha256:xyz');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--image-digest must be sha256: and 64 hex digits; got "sha256:xyz"');
  }, 30_000);

  test('--agent-base-digest pins the agent base image the operator puts in Jobs', async () => {
    const r = await run('install', '--dry-run', '--image-digest', DIGEST, '--agent-base-digest', OTHER);
    expect(r.code).toBe(0);
    const container = operatorContainer(objects(r.stdout));
    expect(container.image).toBe(`ghcr.io/kelos-ts/kelos-operator@${DIGEST}`);
    expect(container.args.filter((a) => a.startsWith('--agent-base-image'))).toEqual([
      `--agent-base-image=ghcr.io/kelos-ts/agent-base@${OTHER}`,
    ]);
    // Without it the operator names the agent base by its tag, from --image-tag.
    const plain = await run('install', '--dry-run');
    expect(
      operatorContainer(objects(plain.stdout)).args.some((a) => a.startsWith('--agent-base-image')),
    ).toBe(false);
    const bad = await run('install', '--dry-run', '--agent-base-digest', 'latest');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--agent-base-digest must be sha256: and 64 hex digits; got "latest"');
  }, 30_000);

  test('the committed dist/ carries the version too', () => {
    const crds = objects(read('dist/crds/kelos.dev_tasks.yaml'));
    expect(crds[0]!.metadata.annotations?.[VERSION_ANNOTATION]).toBe(VERSION);
  });

  test('the README, the pre-commit hooks and the Action name the tag v<version>', () => {
    expect(read('README.md')).toContain(`rev: v${VERSION}`);
    expect(read('README.md')).toContain(`kelos-ts@v${VERSION}`);
    expect(read('.pre-commit-hooks.yaml')).toContain(`rev: v${VERSION}`);
    expect(read('action.yml')).toContain(`kelos-ts@v${VERSION}`);
  });

  test('every image tag the images README names is v<version>', () => {
    const tags = [...read('images/README.md').matchAll(/(?:TAG=|:)(v\d+\.\d+\.\d+)\b/g)].map((m) => m[1]);
    expect(tags.length).toBeGreaterThan(0);
    expect(new Set(tags)).toStrictEqual(new Set([`v${VERSION}`]));
  });

  test('images/build.sh tags v<version> by default', () => {
    expect(read('images/build.sh')).toContain(
      `tag="\${KELOS_IMAGE_TAG:-v$(node -p 'require("./package.json").version')}"`,
    );
  });
});

describe('kelos version compares what it finds', () => {
  test('the operator version comes from the label, else the image tag; a bare digest is unknown', () => {
    expect(operatorVersion({ [VERSION_LABEL]: '0.2.0' }, `r/kelos-operator@${DIGEST}`)).toBe('0.2.0');
    expect(operatorVersion({}, 'r/kelos-operator:v0.1.0')).toBe('0.1.0');
    expect(operatorVersion(undefined, 'localhost:5000/kelos-operator:0.1.0')).toBe('0.1.0');
    expect(operatorVersion(undefined, `r/kelos-operator@${DIGEST}`)).toBeUndefined();
  });

  test('a mismatch names each differing part; agreement and unknowns say nothing', () => {
    expect(versionMismatch('0.2.0', '0.2.0', '0.2.0')).toBeUndefined();
    expect(versionMismatch('0.2.0', undefined, undefined)).toBeUndefined();
    expect(versionMismatch('0.2.0', '0.1.0', '0.2.0')).toMatch(
      /^version mismatch: client 0\.2\.0, operator 0\.1\.0;/,
    );
    expect(versionMismatch('0.2.0', '0.1.0', '0.1.1')).toMatch(
      /client 0\.2\.0, operator 0\.1\.0, CRDs 0\.1\.1; upgrade/,
    );
    // CRDs without a version annotation (0.1.0, upstream) differ from every client.
    expect(versionMismatch('0.2.0', undefined, null)).toMatch(
      /^version mismatch: client 0\.2\.0, CRDs of no known version \(no kelos\.dev\/version annotation: .*\); upgrade the cluster with `kelos install`/,
    );
  });

  test('CRDs that disagree with one another are named by version, the missing last; a newer one among them is a cluster ahead', () => {
    expect(
      crdVersions([
        ['a', '0.2.0'],
        ['b', '0.2.0'],
      ]),
    ).toBe('0.2.0');
    expect(
      crdVersions([
        ['a', null],
        ['b', null],
      ]),
    ).toBeNull();
    expect(
      crdVersions([
        ['a', undefined],
        ['b', undefined],
      ]),
    ).toBeUndefined();
    const mixed = crdVersions([
      ['a', undefined],
      ['b', '0.1.0'],
      ['c', '0.2.0'],
      ['d', '0.2.0'],
      ['e', null],
    ]);
    expect(mixed).toEqual({
      mixed: '0.2.0 on c, d; 0.1.0 on b; no version on e; not installed: a',
      versions: ['0.1.0', '0.2.0'],
    });
    expect(versionMismatch('0.2.0', undefined, mixed)).toMatch(
      /^version mismatch: client 0\.2\.0, CRDs of different versions \(0\.2\.0 on c, d; .*\); upgrade the cluster with `kelos install`.*commit dist\/$/,
    );
    expect(versionMismatch('0.1.0', undefined, mixed)).toMatch(
      /newer Kelos than this CLI: use the CLI of its version \(`npx kelos-ts@0\.2\.0`\)/,
    );
  });

  test('a cluster newer than the client is not told to run this CLI’s kelos install, which would downgrade it', () => {
    const m = versionMismatch('0.2.0', '0.2.0', '0.3.0');
    expect(m).toBe(
      'version mismatch: client 0.2.0, CRDs 0.3.0; the cluster runs a newer Kelos than this CLI: use the CLI of its version (`npx kelos-ts@0.3.0`); `kelos install` of this CLI would downgrade it',
    );
    // An image tag that is no version (latest) is nothing to compare: the plain advice.
    expect(versionMismatch('0.2.0', 'latest', undefined)).toMatch(
      /; upgrade the cluster with `kelos install`/,
    );
  });

  test('versions are ordered as semver orders them', () => {
    const ordered = ['0.1.0', '0.2.0-rc.1', '0.2.0-rc.2', '0.2.0-rc.10', '0.2.0', '0.2.1', '0.10.0', '1.0.0'];
    for (const [i, a] of ordered.entries()) {
      for (const [j, b] of ordered.entries()) expect([a, b, isNewerVersion(a, b)]).toEqual([a, b, i > j]);
    }
    expect(isNewerVersion('v0.3.0', '0.2.0')).toBe(true);
    expect(isNewerVersion('latest', '0.2.0')).toBe(false);
    expect(isNewerVersion('0.2.0', 'latest')).toBe(false);
  });
});

describe('the CRD upgrade check compares schemas, not metadata', () => {
  test('a different version annotation or label is no finding', () => {
    const prev = generateCrds().map((c) => ({
      ...c,
      metadata: { ...c.metadata, labels: { other: 'x' }, annotations: { [VERSION_ANNOTATION]: '0.0.1' } },
    }));
    expect(crdNarrowings(prev, generateCrds())).toEqual([]);
  });
});
