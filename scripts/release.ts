/**
 * Builds the release artifacts of this version locally and reproducibly, and publishes
 * nothing: no registry is reachable from here, so it prints what a release job would push,
 * and where.
 *
 * Into `release/out/<version>/` (gitignored):
 *
 * - `kelos-ts-<version>.tgz`: the npm package (`npm pack`);
 * - `kelos-operator-v<version>.oci.tar`, `agent-base-v<version>.oci.tar`: the images built by
 *   `images/build.sh --local-base` with `SOURCE_DATE_EPOCH=0`, as OCI archives written here
 *   as a tar with sorted names, zero times and owners, so equal images give equal bytes
 *   (buildah's own `oci-archive:` tar records the times of its temporary files);
 * - `crds.yaml` (annotated `kelos.dev/version`) and `install.yaml` (labelled
 *   `app.kubernetes.io/version`, both images pinned by the digests of those archives: the
 *   operator runs `<prefix>/kelos-operator@sha256:…` with `--agent-base-image=
 *   <prefix>/agent-base@sha256:…` for its agent Jobs);
 * - `release.json`: version, tag, image references and digests;
 * - `CHANGELOG.md`: this version's section of the repository's CHANGELOG.md;
 * - `SHA256SUMS` of all of the above.
 *
 * Usage: `npm run release` (`node scripts/release.ts [--out <dir>]`).
 *
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { KELOS_VERSION, versionTag } from '../src/api/version.ts';
import { INSTALL_DEFAULTS, renderCrds, renderInstall } from '../src/cli/cluster/bundle.ts';
import { DEFAULT_IMAGE_PREFIX } from '../src/install/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const version = KELOS_VERSION;
const tag = versionTag(version);
const out = values.out ?? join(ROOT, 'release/out', version);
const prefix = process.env['KELOS_IMAGE_PREFIX'] || DEFAULT_IMAGE_PREFIX;

const log = (line: string) => process.stderr.write(`release: ${line}\n`);
const sh = (cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const yamlDocs = (objs: readonly unknown[]) => objs.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');

/** This version's section of CHANGELOG.md (from its `## <version>` heading to the next). */
function changelogSection(): string {
  const text = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
  const start = text.search(new RegExp(`^## \\[?${version.replaceAll('.', '\\.')}\\b`, 'm'));
  if (start < 0) throw new Error(`CHANGELOG.md has no "## ${version}" section: write it before releasing`);
  const next = text.slice(start + 3).search(/^## /m);
  return text.slice(start, next < 0 ? undefined : start + 3 + next).trimEnd() + '\n';
}

/** Writes the image as a reproducible OCI archive and returns its manifest digest. */
function ociArchive(image: string, file: string): string {
  const layout = mkdtempSync(join(tmpdir(), 'kelos-release-oci-'));
  try {
    sh('bash', ['-c', '. images/buildah-env.sh && bh push --quiet "$1" "oci:$2"', 'push', image, layout]);
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    const digest = index.manifests[0]?.digest;
    if (!digest || index.manifests.length !== 1)
      throw new Error(`${image}: expected one manifest in ${layout}`);
    sh('tar', [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      '-cf',
      file,
      '-C',
      layout,
      '.',
    ]);
    return digest;
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

/**
 * `out` is emptied first, so it must hold nothing but an earlier release's artifacts: `--out .`
 * (or any directory with other files in it, the repository above all) is refused before
 * anything is removed.
 */
function checkOut(dir: string): void {
  const abs = resolve(dir);
  const up = relative(abs, ROOT);
  if (up === '' || !up.startsWith('..')) {
    throw new Error(
      `--out ${dir} is the repository or holds it; name a directory of its own (default release/out/<version>)`,
    );
  }
  if (!existsSync(abs)) return;
  const files = readdirSync(abs);
  const ours = files.length === 0 || (files.includes('SHA256SUMS') && files.includes('release.json'));
  if (!ours) {
    throw new Error(
      `--out ${dir} holds files of no release (no SHA256SUMS and release.json): the release empties it first, so name an empty or new directory`,
    );
  }
}

try {
  checkOut(out);
} catch (err) {
  process.stderr.write(`release: ${(err as Error).message}\n`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const changelog = changelogSection();
writeFileSync(join(out, 'CHANGELOG.md'), changelog);

log('images/build.sh --local-base operator agent-base (SOURCE_DATE_EPOCH=0)');
const built = sh('images/build.sh', ['--local-base', 'operator', 'agent-base'], {
  ...process.env,
  KELOS_IMAGE_PREFIX: prefix,
  KELOS_IMAGE_TAG: tag,
  SOURCE_DATE_EPOCH: '0',
});
const images = built
  .trim()
  .split('\n')
  .map((line) => {
    const [name, reference] = line.split(' ') as [string, string];
    const repository = reference.slice(0, reference.lastIndexOf(':'));
    const archive = `${repository.slice(repository.lastIndexOf('/') + 1)}-${tag}.oci.tar`;
    log(`${reference} → ${archive}`);
    const digest = ociArchive(reference, join(out, archive));
    return { name, repository, tag, digest, reference: `${repository}@${digest}`, archive };
  });
/** The built image `name`; build.sh prints one line per image it was asked for. */
const image = (name: string) => {
  const found = images.find((i) => i.name === name);
  if (!found) throw new Error(`images/build.sh printed no ${name} image:\n${built}`);
  return found;
};

// After the images: its `prepack` rebuilds lib/, which the image build checks against a stamp.
log('npm pack');
const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', out])) as Array<{
  filename: string;
}>;
const tarball = packed[0]!.filename;

writeFileSync(join(out, 'crds.yaml'), yamlDocs(renderCrds()));
const install = await renderInstall({
  namespace: INSTALL_DEFAULTS.namespace,
  version,
  imageTag: tag,
  imageRepository: prefix,
  imageDigest: image('operator').digest,
  agentBaseDigest: image('agent-base').digest,
});
writeFileSync(join(out, 'install.yaml'), yamlDocs(install));
writeFileSync(
  join(out, 'release.json'),
  `${JSON.stringify({ version, tag, npm: tarball, images, crds: 'crds.yaml', install: 'install.yaml' }, null, 2)}\n`,
);

const files = readdirSync(out)
  .filter((f) => f !== 'SHA256SUMS')
  .sort();
writeFileSync(join(out, 'SHA256SUMS'), files.map((f) => `${sha256(join(out, f))}  ${f}\n`).join(''));

/** A path as the printed commands name it: relative to the repository when inside it. */
const rel = (f: string) => {
  const path = relative(ROOT, join(out, f));
  return path.startsWith('..') ? join(out, f) : path;
};
process.stdout.write(
  [
    `Kelos ${version}: artifacts in ${rel('')} (checksums in ${rel('SHA256SUMS')})`,
    ...images.map((i) => `  ${i.name}: ${i.reference}`),
    '',
    'Nothing was published. A release job would run:',
    `  git tag -s ${tag} -m "Kelos ${version}" && git push origin ${tag}`,
    `  npm publish ${rel(tarball)}`,
    ...images.map(
      (i) =>
        `  skopeo copy --all oci-archive:${rel(i.archive)} docker://${i.repository}:${tag}   # digest ${i.digest}`,
    ),
    // Every file SHA256SUMS lists, so `sha256sum --check` passes on the release's downloads.
    `  gh release create ${tag} --notes-file ${rel('CHANGELOG.md')} ${[...files, 'SHA256SUMS'].map(rel).join(' ')}`,
    '',
  ].join('\n'),
);
