/**
 * The one version of everything built from this repository: the package's version is the
 * version of the CLI, the constructs, the CRDs (an annotation), the install bundle (a label)
 * and the images (tag `v<version>`).
 *
 * It is read from our package.json through the package's self-reference
 * (`kelos-ts/package.json`, exported for this): a path relative to this file differs between
 * the source tree (`src/api/`) and the built package (`lib/src/api/`), and importing the JSON
 * would make tsc copy package.json into `lib/`.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';

/** The fields of a package.json {@link packageHome} and the version read. */
export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly homepage?: string;
  readonly repository?: string | { readonly url?: string };
}

const PACKAGE = JSON.parse(
  readFileSync(new URL(import.meta.resolve('kelos-ts/package.json')), 'utf8'),
) as PackageManifest;

/** The version in our package.json, e.g. `0.2.0`. */
export const KELOS_VERSION: string = PACKAGE.version;

/**
 * Where a package says it lives, as a web page: its `homepage`, else its `repository` as a
 * browser opens it (`git+https://github.com/o/r.git` → `https://github.com/o/r`), else its
 * page on the npm registry.
 */
export const packageHome = (pkg: PackageManifest): string => {
  if (pkg.homepage) return pkg.homepage;
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (repo && /^(git\+)?https:\/\//.test(repo)) return repo.replace(/^git\+/, '').replace(/\.git$/, '');
  return `https://www.npmjs.com/package/${pkg.name}`;
};

/** Where this package lives (see {@link packageHome}): what reports link to for the tool. */
export const KELOS_HOME: string = packageHome(PACKAGE);

/** Image tag of a version: `v0.2.0` for `0.2.0` (a leading `v` is kept, not doubled). */
export const versionTag = (version: string): string => (version.startsWith('v') ? version : `v${version}`);

/** Tag of the operator and agent images of this version: `v<version>`. */
export const DEFAULT_IMAGE_TAG: string = versionTag(KELOS_VERSION);

/** Annotation carrying the Kelos version on each CRD. */
export const VERSION_ANNOTATION = 'kelos.dev/version';

/** Label carrying the Kelos version on each object of the install bundle. */
export const VERSION_LABEL = 'app.kubernetes.io/version';
