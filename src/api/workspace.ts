/**
 * Workspace: the git repository an agent works in.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { emptyObject, SecretReferenceSchema } from './common.ts';
import type { GitRemote, WorkspaceFile, WorkspaceSpec } from './generated/types.ts';
import { CATEGORY } from './group.ts';
import { type KindDefinition, list, obj, opt, str, strList } from './schema.ts';

/** Clone URLs the operator accepts: HTTP(S), git:// and scp-style SSH. */
export const REPO_URL_PATTERN = '^(https?://|git://|git@).*';

/**
 * Longest clone URL accepted. The API server prices a CEL rule by the longest string it may
 * see; without a bound, the credentials rule below would exceed the CRD's cost budget.
 */
export const MAX_URL_LENGTH = 2048;

/** Most extra remotes a Workspace may list (bounds the cost of the per-remote rules too). */
export const MAX_REMOTES = 32;

/**
 * A clone URL with user info (`https://x-access-token:ghp_…@github.com/…`): a credential in
 * the spec, readable by anyone who can read the object and copied into every Pod. Credentials
 * belong in the Secret named by `secretRef`.
 */
export const REPO_URL_CREDENTIALS = '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@';

/** Whether a clone URL carries credentials (user info) in it; see {@link REPO_URL_CREDENTIALS}. */
export const repoUrlHasCredentials = (url: string): boolean => new RegExp(REPO_URL_CREDENTIALS).test(url);

/**
 * The CEL rule refusing credentials in a clone URL. Its message never quotes the URL, so the
 * API server, `kelos validate` and the operator reject the object without echoing the token.
 */
export const repoUrlCredentialsRule = (field: string) => ({
  rule: `!self.matches('${REPO_URL_CREDENTIALS}')`,
  message: `${field} must not contain credentials (user info before '@'); put the token in the Secret named by secretRef`,
});

export const GitRemoteSchema = obj(
  {
    name: str('name of the git remote, for example upstream.', { minLength: 1 }),
    url: str('url of the remote repository.', {
      pattern: REPO_URL_PATTERN,
      maxLength: MAX_URL_LENGTH,
      'x-kubernetes-validations': [repoUrlCredentialsRule('url')],
    }),
  },
  'GitRemote is an extra git remote added after cloning.',
);

export const WorkspaceFileSchema = obj(
  {
    path: str(
      'path of the file relative to the repository root. Absolute paths, backslashes and .. segments are refused.',
      { minLength: 1 },
    ),
    content: str('content of the file.'),
  },
  'WorkspaceFile is a file written into the repository before the agent starts.',
);

export const WorkspaceSpecSchema = obj(
  {
    repo: str('repo is the clone URL of the git repository (https://, git:// or git@).', {
      pattern: REPO_URL_PATTERN,
      maxLength: MAX_URL_LENGTH,
      'x-kubernetes-validations': [repoUrlCredentialsRule('repo')],
    }),
    ref: opt(
      str(
        'ref is the branch, tag or commit to check out. A 40-character hex string is treated as a commit. Defaults to the remote default branch.',
      ),
    ),
    secretRef: opt({
      ...SecretReferenceSchema,
      description:
        'secretRef names a Secret with either GITHUB_TOKEN or the GitHub App keys appID, installationID and privateKey. It authenticates the clone, the remotes and the gh CLI.',
    }),
    ghproxy: opt(
      emptyObject(
        'ghproxy, when present, puts a caching proxy in front of the GitHub API for spawners that poll this workspace.',
      ),
    ),
    remotes: opt(
      list(
        GitRemoteSchema,
        'remotes are extra git remotes, with unique names. A remote named upstream also sets KELOS_UPSTREAM_REPO.',
        {
          // Upstream states uniqueness as `self.map(r, r.name).size() == self.size()`, which can
          // never be false; a list map keyed by name makes the server enforce it.
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          maxItems: MAX_REMOTES,
          'x-kubernetes-validations': [
            {
              rule: "self.all(r, r.name != 'origin')",
              message: "remote name 'origin' is reserved for the clone source",
            },
          ],
        },
      ),
    ),
    files: opt(list(WorkspaceFileSchema, 'files are written into the repository before the agent starts.')),
    setupCommand: opt(
      strList(
        'setupCommand runs in the repository before the agent, without a shell (exec form), as the agent user. A non-zero exit fails the Task.',
        { minItems: 1 },
      ),
    ),
  },
  'WorkspaceSpec describes a git repository and how to prepare it.',
);

/** The Workspace kind. */
export const WORKSPACE: KindDefinition<typeof WorkspaceSpecSchema> = {
  kind: 'Workspace',
  listKind: 'WorkspaceList',
  plural: 'workspaces',
  singular: 'workspace',
  shortNames: ['ws'],
  categories: [CATEGORY],
  spec: WorkspaceSpecSchema,
  specRequired: true,
  description: 'Workspace is a git repository that agents clone and work in.',
  printerColumns: [
    { name: 'Repo', type: 'string', jsonPath: '.spec.repo' },
    { name: 'Ref', type: 'string', jsonPath: '.spec.ref', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type { GitRemote, WorkspaceFile, WorkspaceSpec };
