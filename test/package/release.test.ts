/**
 * The release script (`npm run release`, scripts/release.ts), run twice into two directories:
 * every artifact is there, the checksums are identical across the runs (the images are built
 * with SOURCE_DATE_EPOCH=0 and archived as deterministic tars; the npm tarball has fixed
 * times), the install pins the digests of both image archives it ships (the operator's image
 * and the agent base its `--agent-base-image` names), and the CRDs, the
 * install, release.json and `kelos version` of the packed CLI name one version.
 *
 * Needs buildah like test/cluster/operator-image.test.ts: the first image build on a fresh
 * machine takes minutes (bases and images are cached in ~/.cache/kelos-images).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TAG = `v${VERSION}`;
const sh = promisify(execFile);
const opts = { maxBuffer: 256 * 1024 * 1024, timeout: 40 * 60_000 };

interface Release {
  version: string;
  tag: string;
  npm: string;
  images: Array<{
    name: string;
    repository: string;
    tag: string;
    digest: string;
    reference: string;
    archive: string;
  }>;
}
type Obj = {
  kind: string;
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { template?: { spec?: { containers?: Array<{ image: string; args: string[] }> } } };
};

const work = mkdtempSync(join(tmpdir(), 'kelos-release-test-'));
const runs = [join(work, 'one'), join(work, 'two')];
const printed: string[] = [];
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const docs = (dir: string, file: string) => parseAllDocuments(read(dir, file)).map((d) => d.toJSON() as Obj);

beforeAll(async () => {
  for (const out of runs) {
    const r = await sh(process.execPath, ['scripts/release.ts', '--out', out], { cwd: ROOT, ...opts });
    printed.push(r.stdout);
  }
}, 45 * 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run release', () => {
  test('writes every artifact, with checksums that verify', async () => {
    const [one] = runs as [string, string];
    const release = JSON.parse(read(one, 'release.json')) as Release;
    const expected = [
      'CHANGELOG.md',
      `agent-base-${TAG}.oci.tar`,
      'crds.yaml',
      'install.yaml',
      `kelos-operator-${TAG}.oci.tar`,
      `kelos-ts-${VERSION}.tgz`,
      'release.json',
    ];
    const sums = read(one, 'SHA256SUMS')
      .trim()
      .split('\n')
      .map((l) => l.split('  ')[1]);
    expect(sums).toEqual(expected);
    expect(release.npm).toBe(`kelos-ts-${VERSION}.tgz`);
    await sh('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: one });
    expect(read(one, 'CHANGELOG.md')).toMatch(new RegExp(`^## ${VERSION.replaceAll('.', '\\.')}\\n`));
    // The GitHub release it prints uploads every file the checksums list, and the checksums.
    const gh = printed[0]!.split('\n').find((l) => l.trim().startsWith('gh release create'))!;
    const uploaded = gh
      .trim()
      .split(/\s+/)
      .slice(6)
      .map((f) => f.split('/').at(-1));
    expect(uploaded).toEqual([...expected, 'SHA256SUMS']);
  });

  test('two runs give byte-identical artifacts', () => {
    const [one, two] = runs as [string, string];
    expect(read(two, 'SHA256SUMS')).toBe(read(one, 'SHA256SUMS'));
  });

  test('the install pins the digests of the image archives it ships', async () => {
    const [one] = runs as [string, string];
    const release = JSON.parse(read(one, 'release.json')) as Release;
    expect(release.images.map((i) => i.name).sort()).toEqual(['agent-base', 'operator']);
    for (const image of release.images) {
      // The archive's own index names the manifest a registry would store under this digest.
      const { stdout } = await sh('tar', ['-xOf', join(one, image.archive), './index.json'], opts);
      const index = JSON.parse(stdout) as { manifests: Array<{ digest: string }> };
      expect(index.manifests.map((m) => m.digest)).toEqual([image.digest]);
      expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(image.reference).toBe(`${image.repository}@${image.digest}`);
    }
    const operator = release.images.find((i) => i.name === 'operator')!;
    const agentBase = release.images.find((i) => i.name === 'agent-base')!;
    expect(operator.digest).not.toBe(agentBase.digest);
    const deployment = docs(one, 'install.yaml').find((o) => o.kind === 'Deployment')!;
    const container = deployment.spec!.template!.spec!.containers![0]!;
    // Both images by digest: the operator's own, and the agent base it puts in agent Jobs.
    expect(container.image).toBe(`${operator.repository}@${operator.digest}`);
    expect(container.args.filter((a) => a.startsWith('--agent-base-image'))).toEqual([
      `--agent-base-image=${agentBase.repository}@${agentBase.digest}`,
    ]);
    expect(printed[0]).toContain(
      `skopeo copy --all oci-archive:${join(one, operator.archive)} docker://${operator.repository}:${TAG}`,
    );
    expect(printed[0]).toContain(`npm publish ${join(one, `kelos-ts-${VERSION}.tgz`)}`);
  });

  test('the CRDs, the install, release.json and the packed CLI name one version', async () => {
    const [one] = runs as [string, string];
    const release = JSON.parse(read(one, 'release.json')) as Release;
    expect([release.version, release.tag]).toEqual([VERSION, TAG]);
    for (const image of release.images) expect(image.tag).toBe(TAG);
    const crds = docs(one, 'crds.yaml');
    expect(crds).toHaveLength(7);
    for (const crd of crds) expect(crd.metadata.annotations?.['kelos.dev/version']).toBe(VERSION);
    const install = docs(one, 'install.yaml');
    for (const o of install)
      expect([o.kind, o.metadata.labels?.['app.kubernetes.io/version']]).toEqual([o.kind, VERSION]);
    // The packed CLI runs the built lib/ (no src/ in the package), with our dependencies.
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    await sh('tar', ['-xzf', join(one, release.npm), '-C', unpacked]);
    symlinkSync(join(ROOT, 'node_modules'), join(unpacked, 'package/node_modules'));
    const { stdout } = await sh(process.execPath, [
      join(unpacked, 'package/bin/kelos.js'),
      'version',
      '--client',
    ]);
    expect(stdout).toBe(`Client Version: ${VERSION}\n`);
    const dry = await sh(
      process.execPath,
      [join(unpacked, 'package/bin/kelos.js'), 'install', '--dry-run'],
      opts,
    );
    expect(dry.stdout).toContain(`image: ghcr.io/kelos-ts/kelos-operator:${TAG}`);
  });
});
