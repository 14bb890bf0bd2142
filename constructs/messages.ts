/**
 * The messages constructs throw with. Where a CEL rule in `src/api` covers the same
 * invariant, the message is that rule's message verbatim (a test holds this), so a
 * construct and `kelos validate` say the same thing about the same mistake.
 *
 * @packageDocumentation
 */
import { CREDENTIALS_SECRET_RULE, RESERVED_CONTAINER_NAMES, RESERVED_PREFIX } from '../src/api/index.ts';

/** Messages of CEL rules in `src/api`, reused verbatim. */
export const CelMessages = {
  credentialsSecretRef: CREDENTIALS_SECRET_RULE.message,
  legacyCredentialsSecretRef: 'secretRef is required for api-key and oauth credential types',
  taskExecutionRequired: 'either workerPoolRef, worker with type, or type with credentials is required',
  templateExecutionRequired: 'either workerPoolRef, worker with type, or type is required',
  workerCredentialsRequired: 'worker.credentials is required for inline execution',
  poolVsLegacy: 'workerPoolRef is mutually exclusive with inline type/credentials',
  poolVsWorker:
    'workerPoolRef is mutually exclusive with inline worker (per-task overrides not yet supported)',
  workerVsLegacy: 'worker is mutually exclusive with legacy type/credentials fields',
  failIndex: 'FailIndex action is not supported (Task Jobs are not indexed)',
  spawnerWorkspaceRequired:
    'a workspace source is required when using githubIssues, githubPullRequests, githubWebhook, or linearWebhook source (set taskTemplate.workspaceRef, taskTemplate.worker.workspaceRef, or taskTemplate.workerPoolRef — a pool satisfies this because it carries its own workspace)',
  spawnerCredentialsRequired: 'inline task templates require taskTemplate credentials or spec.credentials',
  spawnerCredentialsExclusive:
    'spec.credentials is mutually exclusive with taskTemplate credentials and workerPoolRef',
  issuesNoChecks: 'checks reporting is not supported for githubIssues source',
  webhookChecksNeedPrEvent: 'checks reporting requires at least one pull-request event type',
  webhookFieldMappingId: "fieldMapping must include an 'id' key for deduplication and task naming",
  webhookFilterValueOrPattern: 'exactly one of value or pattern must be set',
  contextSourceKind: 'exactly one source kind must be set (currently only http is supported)',
  remoteOriginReserved: "remote name 'origin' is reserved for the clone source",
  mcpStdioCommand: 'command is required when type is stdio',
  mcpUrl: 'url is required when type is http or sse',
  budgetLimitRequired: 'at least one of maxCostUSD, maxInputTokens or maxOutputTokens must be set',
  nonNegativeQuantity: 'must be a non-negative quantity',
  volumeNamesReserved: `volume names must not start with '${RESERVED_PREFIX}' or be 'workspace'`,
  containerNamesEmpty: (field: string) => `${field} names must not be empty`,
  containerNamesReserved: (field: string) =>
    `${field} names must not start with '${RESERVED_PREFIX}' or use a built-in init container name (${RESERVED_CONTAINER_NAMES.join(', ')})`,
  notSupportedWithPool: (field: string) => `${field} is not supported with workerPoolRef`,
} as const;

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
  dependsOnSelf: 'a Task cannot depend on itself',
  duplicateDependency: (name: string) => `dependsOn lists Task ${name} more than once`,
  workspaceFilePath: (path: string) =>
    `files path "${path}" must be relative to the repository root, without backslashes or .. segments`,
} as const;
