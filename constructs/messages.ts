/**
 * The messages of the few construct checks the API states in prose or schema keywords rather
 * than CEL. Everything a CEL rule of `src/api` covers is checked by evaluating that rule
 * (see `throwIfInvalid` in validation.ts), so its message is never copied here.
 *
 * @packageDocumentation
 */

/** Messages for invariants the API states in prose or schema keywords rather than CEL. */
export const Messages = {
  // List maps keyed by name: the server reports duplicates itself, constructs say it sooner.
  contextSourcesUnique: 'contextSources names must be unique',
  remoteNamesUnique: 'remote names must be unique',
  volumeNamesUnique: 'volume names must be unique',
  whenExactlyOne: (got: readonly string[]) =>
    `exactly one source must be set in when (got ${got.length === 0 ? 'none' : [...got].sort().join(', ')})`,
  repoPattern: (repo: string) =>
    `repo must be a clone URL starting with https://, http://, git:// or git@ (got "${repo}")`,
  sameNamespace: (what: string, ref: string, namespace: string | undefined, own: string | undefined) =>
    `${what} ${ref} is in namespace ${namespace ?? '<default>'} but this object is in ${own ?? '<default>'}; references must stay in one namespace`,
  notAReference: (kind: string, importer: string, got: string) =>
    `expected ${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} construct, or ${kind}.${importer}(scope, id, name) for one defined elsewhere; got ${got}`,
  dependsOnSelf: 'a Task cannot depend on itself',
  duplicateDependency: (name: string) => `dependsOn lists Task ${name} more than once`,
  // A slip TypeScript refuses but `kelos synth` (no type checks) would otherwise pass on.
  notAnObject: (field: string, hint: string, got: string) => `${field} must be an object${hint}; got ${got}`,
  notAList: (field: string, got: string) => `${field} must be a list; got ${got}`,
  required: (field: string) => `${field} is required`,
  workspaceFilePath: (path: string) =>
    `files path "${path}" must be relative to the repository root, without backslashes or .. segments`,
} as const;
