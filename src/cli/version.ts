/**
 * The version of this package, from its package.json (see `src/api/version.ts`).
 *
 * @packageDocumentation
 */
import { KELOS_VERSION } from '../api/version.ts';

/** The version in our package.json. */
export const packageVersion = (): string => KELOS_VERSION;

/** `major.minor.patch` and an optional pre-release, as semver orders them; undefined for anything else. */
const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Whether version `a` is newer than `b` by semver precedence (`0.3.0` > `0.3.0-rc.1` >
 * `0.2.0`). False when either is not a version (`latest`, a digest): nothing to compare.
 */
export function isNewerVersion(a: string, b: string): boolean {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return false;
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d > 0;
  }
  const [p, q] = [x[4], y[4]];
  if (p === undefined || q === undefined) return p === undefined && q !== undefined;
  const ps = p.split('.');
  const qs = q.split('.');
  for (let i = 0; i < Math.max(ps.length, qs.length); i++) {
    const [s, t] = [ps[i], qs[i]];
    if (s === undefined || t === undefined) return t === undefined;
    if (s === t) continue;
    const [sn, tn] = [/^\d+$/.test(s), /^\d+$/.test(t)];
    if (sn && tn) return Number(s) > Number(t);
    if (sn !== tn) return tn;
    return s > t;
  }
  return false;
}
