/**
 * What identifies a manifest's object (apiVersion, kind, metadata.name) and how a diagnostic
 * names it.
 *
 * @packageDocumentation
 */
import type { ResourceRef } from './diagnostic.ts';
import { clipName } from './echo.ts';

/** Whether `v` is a JSON object (not null, not an array). */
export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** How a value is described in a message: `null`, `a list`, `an object`, `a string`, `an empty string`. */
export const describeValue = (v: unknown): string =>
  v === null
    ? 'null'
    : v === ''
      ? 'an empty string'
      : Array.isArray(v)
        ? 'a list'
        : typeof v === 'object'
          ? 'an object'
          : `a ${typeof v}`;

/** Why an object cannot be identified, and where. */
export interface IdentityProblem {
  readonly code: string;
  readonly message: string;
  readonly path: string;
}

/** The metadata fields a manifest most often has, and so most often dedents out of `metadata:`. */
const METADATA_FIELDS = ['name', 'generateName', 'namespace', 'labels', 'annotations'] as const;

/**
 * What to add when metadata fields sit at the top level of a manifest (`name:` dedented out of
 * `metadata:`), or `''`. Only for an object that says what it is (apiVersion or kind): a
 * `package.json` has a top-level `name` too, and is no manifest at all.
 */
const dedentedNote = (object: Record<string, unknown>): string => {
  if (object['apiVersion'] === undefined && object['kind'] === undefined) return '';
  const stray = METADATA_FIELDS.filter((f) => object[f] !== undefined);
  if (stray.length === 0) return '';
  return `; ${stray.join(', ')} ${stray.length === 1 ? 'is a field' : 'are fields'} of metadata at the top level: indent ${stray.length === 1 ? 'it' : 'them'} under metadata (indented one level too little?)`;
};

/** What keeps an object from being identified (and so from being validated at all). */
export function identityProblems(object: Record<string, unknown>): IdentityProblem[] {
  const problems: IdentityProblem[] = [];
  const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0;
  const required = [
    ['apiVersion', 'manifest/apiversion', '"kelos.dev/v1alpha2"'],
    ['kind', 'manifest/kind', '"Task"'],
  ] as const;
  for (const [field, code, example] of required) {
    const value = object[field];
    if (!nonEmpty(value)) {
      problems.push({
        code,
        path: `/${field}`,
        message:
          value === undefined
            ? `${field} is missing; expected e.g. ${example}`
            : `${field} must be a non-empty string, got ${describeValue(value)}`,
      });
    }
  }
  const metadata = object['metadata'];
  if (!isPlainObject(metadata)) {
    const strayNote = metadata === undefined || metadata === null ? dedentedNote(object) : '';
    problems.push({
      code: 'manifest/name',
      path: '/metadata',
      message: `${
        metadata === undefined
          ? 'metadata is missing; every object needs metadata.name'
          : `metadata must be an object, got ${describeValue(metadata)}`
      }${strayNote}`,
    });
  } else if (
    !nonEmpty(metadata['name']) &&
    !(metadata['name'] === undefined && nonEmpty(metadata['generateName']))
  ) {
    // As the API server: `generateName` alone names an object created with `kubectl create`.
    problems.push({
      code: 'manifest/name',
      path: '/metadata/name',
      message:
        metadata['name'] === undefined
          ? `metadata.name is missing; every object needs a name (or metadata.generateName, for kubectl create)${dedentedNote(object)}`
          : `metadata.name must be a non-empty string, got ${describeValue(metadata['name'])}`,
    });
  }
  return problems;
}

/** Longest kind, namespace or name a diagnostic names whole (valid names have at most 253 characters). */
export const MAX_IDENTITY = 300;

/** The resource a diagnostic about `object` names: kind, namespace (as written) and name. */
export function resourceOf(object: Record<string, unknown>): ResourceRef {
  const metadata = isPlainObject(object['metadata']) ? object['metadata'] : {};
  const namespace = metadata['namespace'];
  const name = metadata['name'];
  return {
    ...(typeof object['apiVersion'] === 'string' ? { apiVersion: object['apiVersion'] } : {}),
    kind: typeof object['kind'] === 'string' ? clipName(object['kind'], MAX_IDENTITY) : '<unknown kind>',
    ...(typeof namespace === 'string' && namespace ? { namespace: clipName(namespace, MAX_IDENTITY) } : {}),
    name: typeof name === 'string' ? clipName(name, MAX_IDENTITY) : '',
  };
}
