/**
 * TaskSpawner: turns external triggers (GitHub, Linear, Jira, Slack, webhooks, cron)
 * into Tasks.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind, Static } from '@sinclair/typebox';
import {
  conditions,
  SecretReferenceSchema,
  SpawnerCredentialSchema,
  WorkerPoolReferenceSchema,
  WorkerSpecSchema,
} from './common.ts';
import { CATEGORY } from './group.ts';
import {
  bool,
  int32,
  int64,
  type KindDefinition,
  list,
  obj,
  opt,
  str,
  strEnum,
  strList,
  strMap,
  time,
} from './schema.ts';
import { executionRules, jobFields, legacyWorkerFields } from './task.ts';

const pollInterval = () =>
  opt(
    str('pollInterval is how often the source is polled, as a Go duration (30s, 5m, 1h) or bare seconds.', {
      default: '5m',
    }),
  );

const PR_EVENTS = [
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'pull_request_target',
];

export const GitHubCommentPolicySchema = obj(
  {
    triggerComment: opt(
      str(
        'triggerComment is a command (for example /kelos pick-up) that must appear as a whole line of the body or of a comment before an item is picked up.',
      ),
    ),
    excludeComments: opt(
      strList('excludeComments are commands that withdraw an item; the most recent authorized command wins.'),
    ),
    allowedUsers: opt(strList('allowedUsers are GitHub logins whose commands count.')),
    allowedTeams: opt(
      strList(
        'allowedTeams are teams (org/team-slug) whose active members’ commands count.',
        {},
        { pattern: '^[^/]+/[^/]+$' },
      ),
    ),
    minimumPermission: opt(
      strEnum(
        ['read', 'triage', 'write', 'maintain', 'admin'] as const,
        'minimumPermission is the least repository permission whose holders’ commands count.',
      ),
    ),
  },
  'GitHubCommentPolicy decides which comments trigger or withdraw an item, and whose comments count. With no allowedUsers, allowedTeams or minimumPermission, anyone’s comments count.',
);

const reporting = (withChecks: boolean) =>
  obj(
    {
      enabled: opt(bool('Deprecated: use comments. enabled turns on per-Task status comments.')),
      comments: opt(
        obj(
          {
            mode: opt(
              strEnum(
                ['PerTask', 'Sticky'] as const,
                'mode is PerTask (one comment per Task) or Sticky (one comment edited in place).',
                {
                  default: 'PerTask',
                },
              ),
            ),
          },
          'comments posts the Task status as comments on the issue or pull request.',
        ),
      ),
      checks: opt(
        obj(
          {
            name: opt(
              str('name of the check run. Defaults to "Kelos: <taskspawner-name>".', { maxLength: 100 }),
            ),
          },
          withChecks
            ? 'checks reports the Task status as a check run on the pull request head commit. Needs checks:write.'
            : 'checks is not supported for this source.',
        ),
      ),
    },
    'GitHubReporting reports Task status back to GitHub.',
  );

const filePatterns = () =>
  obj(
    {
      include: opt(strList('include keeps items that change at least one matching file (doublestar globs).')),
      exclude: opt(
        strList(
          'exclude drops files before include is applied; an item whose changed files are all excluded is skipped.',
        ),
      ),
    },
    'FilePatterns select items by the files they change.',
  );

const priorityLabels = () =>
  opt(
    strList(
      'priorityLabels order new items: items with an earlier label in this list are picked up first, before maxConcurrency and maxTotalTasks apply.',
    ),
  );

export const GitHubIssuesSchema = obj(
  {
    repo: opt(
      str(
        'repo overrides the repository to poll (owner/repo or a clone URL). Defaults to the Workspace repository.',
      ),
    ),
    types: opt(
      list(
        strEnum(['issues', 'pulls'] as const, 'kind of item.'),
        'types of items to pick up: issues, pulls, or both.',
        {
          default: ['issues'],
        },
      ),
    ),
    labels: opt(strList('labels an item must all carry (filtered by GitHub).')),
    excludeLabels: opt(strList('excludeLabels drop an item carrying any of them.')),
    state: opt(
      strEnum(['open', 'closed', 'all'] as const, 'state of the items to pick up.', { default: 'open' }),
    ),
    commentPolicy: opt({ ...GitHubCommentPolicySchema }),
    assignee: opt(str('assignee filters by assignee login; * means any, none means unassigned.')),
    author: opt(str('author filters by the login that opened the item.')),
    excludeAuthors: opt(
      strList(
        'excludeAuthors drop items opened by these logins. Include the bot’s own login to avoid self-triggering loops.',
      ),
    ),
    priorityLabels: priorityLabels(),
    reporting: opt({
      ...reporting(false),
      'x-kubernetes-validations': [
        { rule: '!has(self.checks)', message: 'checks reporting is not supported for githubIssues source' },
      ],
    }),
    pollInterval: pollInterval(),
  },
  'GitHubIssues polls a repository’s issues (and optionally pull requests).',
);

export const GitHubPullRequestsSchema = obj(
  {
    repo: opt(
      str(
        'repo overrides the repository to poll (owner/repo or a clone URL). Defaults to the Workspace repository.',
      ),
    ),
    labels: opt(strList('labels a pull request must all carry.')),
    excludeLabels: opt(strList('excludeLabels drop a pull request carrying any of them.')),
    state: opt(
      strEnum(['open', 'closed', 'all'] as const, 'state of the pull requests to pick up.', {
        default: 'open',
      }),
    ),
    reviewState: opt(
      strEnum(
        ['approved', 'changes_requested', 'any'] as const,
        'reviewState keeps pull requests whose latest reviews on the head commit are in this state.',
        {
          default: 'any',
        },
      ),
    ),
    commentPolicy: opt({ ...GitHubCommentPolicySchema }),
    author: opt(str('author filters by the login that opened the pull request.')),
    excludeAuthors: opt(strList('excludeAuthors drop pull requests opened by these logins.')),
    draft: opt(bool('draft, when set, keeps only draft (true) or only ready (false) pull requests.')),
    priorityLabels: priorityLabels(),
    reporting: opt(reporting(true)),
    filePatterns: opt(filePatterns()),
    pollInterval: pollInterval(),
  },
  'GitHubPullRequests polls a repository’s pull requests.',
);

export const JiraSchema = obj(
  {
    baseUrl: str('baseUrl of the Jira instance, for example https://example.atlassian.net.', {
      pattern: '^https?://.+',
    }),
    project: str('project key, for example ENG.', { minLength: 1 }),
    jql: opt(str('jql narrows the search; it is combined as project = <project> AND (<jql>).')),
    secretRef: {
      ...SecretReferenceSchema,
      description:
        'secretRef names a Secret with JIRA_TOKEN and optionally JIRA_USER (Basic auth when present, else a bearer token).',
    },
    pollInterval: pollInterval(),
  },
  'Jira polls a Jira project.',
);

export const CronSchema = obj(
  {
    schedule: str('schedule in five-field cron syntax, evaluated in UTC, for example "0 9 * * 1".', {
      minLength: 1,
    }),
  },
  'Cron creates a Task on a schedule.',
);

export const GitHubWebhookFilterSchema = obj(
  {
    event: str('event type this filter applies to, for example pull_request.', { minLength: 1 }),
    action: opt(str('action of the event, for example opened.')),
    bodyContains: opt(
      str('Deprecated: use bodyPattern. bodyContains is a substring the body must contain.', {
        maxLength: 1024,
      }),
    ),
    bodyPattern: opt(str('bodyPattern is an RE2 expression the body must match.', { maxLength: 1024 })),
    excludeBodyPatterns: opt(
      strList(
        'excludeBodyPatterns drop the event when the body matches any of them.',
        { maxItems: 10 },
        { minLength: 1, maxLength: 1024 },
      ),
    ),
    labels: opt(strList('labels the issue or pull request must all carry.')),
    excludeLabels: opt(strList('excludeLabels drop the event when any is present.')),
    state: opt(str('state of the issue or pull request, for example open.')),
    branch: opt(str('branch is a glob matched against the pushed, created or head branch.')),
    tag: opt(str('tag is a glob matched against created or released tags.')),
    draft: opt(bool('draft keeps only draft (true) or only ready (false) pull requests.')),
    commentOn: opt(
      strEnum(
        ['Issue', 'PullRequest', ''] as const,
        'commentOn restricts issue_comment events to comments on issues or on pull requests.',
      ),
    ),
    author: opt(str('author is the login of the sender.')),
    excludeAuthors: opt(strList('excludeAuthors drop events sent by these logins.')),
    filePatterns: opt(filePatterns()),
    conclusion: opt(
      strEnum(
        [
          'success',
          'failure',
          'cancelled',
          'timed_out',
          'action_required',
          'neutral',
          'skipped',
          'stale',
        ] as const,
        'conclusion of a check_run event.',
      ),
    ),
    checkName: opt(str('checkName is a glob matched against the check run name (check_run only).')),
  },
  'GitHubWebhookFilter matches one kind of event. Fields within a filter must all match; filters for the same event are alternatives.',
);

export const GitHubWebhookSchema = obj(
  {
    events: strList('events are the GitHub event types this spawner receives.', {
      minItems: 1,
      maxItems: 20,
    }),
    repository: opt(str('repository restricts deliveries to one repository (owner/repo).')),
    excludeAuthors: opt(strList('excludeAuthors drop events sent by these logins, before any filter runs.')),
    filters: opt(
      list(
        GitHubWebhookFilterSchema,
        'filters narrow the events; with none, every listed event creates a Task.',
      ),
    ),
    reporting: opt(reporting(true)),
  },
  'GitHubWebhook creates Tasks from GitHub webhook deliveries, verified with the X-Hub-Signature-256 HMAC.',
  {
    'x-kubernetes-validations': [
      {
        rule: `!has(self.reporting) || !has(self.reporting.checks) || self.events.exists(e, e in [${PR_EVENTS.map((e) => `'${e}'`).join(', ')}])`,
        message: 'checks reporting requires at least one pull-request event type',
      },
    ],
  },
);

export const LinearWebhookFilterSchema = obj(
  {
    type: opt(str('type of the Linear entity this filter applies to, for example Issue.')),
    action: opt(strEnum(['create', 'update', 'remove', ''] as const, 'action of the event.')),
    states: opt(strList('states the issue must be in (case-insensitive).')),
    labels: opt(strList('labels the issue must all carry (case-insensitive).')),
    excludeLabels: opt(strList('excludeLabels drop the event when any is present.')),
  },
  'LinearWebhookFilter matches Linear events.',
);

export const LinearWebhookSchema = obj(
  {
    types: strList('types of Linear entities to receive, for example Issue or Comment (case-insensitive).', {
      minItems: 1,
    }),
    filters: opt(list(LinearWebhookFilterSchema, 'filters narrow the events.')),
  },
  'LinearWebhook creates Tasks from Linear webhook deliveries, verified with the Linear-Signature HMAC.',
);

export const GenericWebhookFilterSchema = obj(
  {
    field: str('field is a JSONPath into the payload, for example $.data.level.', { minLength: 1 }),
    value: opt(str('value the field must equal, compared as a string.')),
    pattern: opt(str('pattern is an RE2 expression the field must match.')),
  },
  'GenericWebhookFilter matches one payload field. Exactly one of value and pattern is set.',
  {
    'x-kubernetes-validations': [
      {
        rule: 'has(self.value) != (has(self.pattern) && size(self.pattern) > 0)',
        message: 'exactly one of value or pattern must be set',
      },
    ],
  },
);

export const GenericWebhookSchema = obj(
  {
    source: str('source names the sender; deliveries are posted to /webhook/<source>.', {
      pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
    }),
    fieldMapping: strMap(
      'fieldMapping maps template variables to JSONPath expressions into the payload. The id key is required: it names and deduplicates Tasks.',
      {
        'x-kubernetes-validations': [
          {
            rule: "'id' in self",
            message: "fieldMapping must include an 'id' key for deduplication and task naming",
          },
        ],
      },
    ),
    filters: opt(list(GenericWebhookFilterSchema, 'filters must all match for a delivery to create a Task.')),
    excludeFilters: opt(list(GenericWebhookFilterSchema, 'excludeFilters drop a delivery when any matches.')),
    secretRef: opt({
      ...SecretReferenceSchema,
      description:
        'secretRef names a Secret whose WEBHOOK_SECRET key signs deliveries: the sender sends X-Kelos-Signature-256: sha256=<hex HMAC of "<timestamp>.<body>"> and X-Kelos-Timestamp. Unsigned, stale or replayed deliveries are refused. Kelos extension; upstream generic webhooks are unauthenticated.',
    }),
  },
  'GenericWebhook creates Tasks from JSON posted by any system.',
);

export const SlackTriggerSchema = obj(
  {
    // Optional as upstream: a trigger without a pattern matches every message (that mentions the bot).
    pattern: opt(
      str('pattern is an RE2 expression the message must match; unset matches every message.', {
        maxLength: 256,
      }),
    ),
    mentionOptional: opt(bool('mentionOptional lets the trigger match without mentioning the bot.')),
  },
  'SlackTrigger is one way a Slack message can start a Task.',
);

export const SlackSchema = obj(
  {
    channels: opt(
      strList(
        'channels the bot listens in (IDs such as C0123456789).',
        { maxItems: 64 },
        { pattern: '^[CG][A-Z0-9]{8,}$' },
      ),
    ),
    botMessagePolicy: opt(
      strEnum(
        ['None', 'All', 'OthersOnly'] as const,
        'botMessagePolicy says which bot-authored messages may trigger Tasks.',
        { default: 'None' },
      ),
    ),
    triggers: opt(
      list(
        SlackTriggerSchema,
        'triggers are alternatives; by default a trigger also needs the bot to be mentioned.',
        { maxItems: 8 },
      ),
    ),
    excludePatterns: opt(
      strList(
        'excludePatterns drop a message matching any of them.',
        { maxItems: 10 },
        { minLength: 1, maxLength: 256 },
      ),
    ),
  },
  'Slack creates Tasks from Slack messages and slash commands.',
);

export const WhenSchema = obj(
  {
    githubIssues: opt({ ...GitHubIssuesSchema }),
    githubPullRequests: opt({ ...GitHubPullRequestsSchema }),
    cron: opt({ ...CronSchema }),
    jira: opt({ ...JiraSchema }),
    githubWebhook: opt({ ...GitHubWebhookSchema }),
    linearWebhook: opt({ ...LinearWebhookSchema }),
    webhook: opt({ ...GenericWebhookSchema }),
    slack: opt({ ...SlackSchema }),
  },
  'When is the trigger. Set exactly one source.',
);
export type When = Static<typeof WhenSchema>;

export const ContextSourceSchema = obj(
  {
    name: str('name of the context value, read in templates as .Context.<name>.', {
      minLength: 1,
      maxLength: 64,
      pattern: '^[a-zA-Z][a-zA-Z0-9_]*$',
    }),
    http: opt(
      obj(
        {
          url: str('url to fetch; a Go template over the item variables. HTTPS unless allowInsecure.', {
            minLength: 1,
          }),
          method: opt(strEnum(['GET', 'POST'] as const, 'method of the request.', { default: 'GET' })),
          headers: opt(strMap('headers of the request; values are Go templates.')),
          headersFrom: opt(
            list(
              obj(
                {
                  header: str('header name.', { minLength: 1 }),
                  secretName: str('secretName is the Secret holding the value.', { minLength: 1 }),
                  secretKey: str('secretKey is the key in the Secret.', { minLength: 1 }),
                },
                'A header whose value comes from a Secret.',
              ),
              'headersFrom set headers from Secrets; they win over headers.',
              { maxItems: 16 },
            ),
          ),
          githubAppAuth: opt(
            obj(
              {
                secretRef: {
                  ...SecretReferenceSchema,
                  description: 'secretRef names a Secret with appID, installationID and privateKey.',
                },
                apiBaseURL: opt(
                  str('apiBaseURL of the GitHub API, for GitHub Enterprise.', {
                    pattern: '^https://[^/]',
                    maxLength: 2048,
                  }),
                ),
              },
              'githubAppAuth authenticates with a GitHub App installation token unless an Authorization header is set.',
            ),
          ),
          body: opt(str('body of a POST request; a Go template.')),
          responseFilter: opt(
            obj(
              {
                type: strEnum(['JSONPath'] as const, 'type of the filter expression.'),
                expression: str('expression selecting the part of the response to keep.', { minLength: 1 }),
              },
              'responseFilter keeps only part of a JSON response.',
            ),
          ),
          allowInsecure: opt(bool('allowInsecure permits plain HTTP.', { default: false })),
          timeoutSeconds: opt(
            int32('timeoutSeconds bounds the request.', { minimum: 1, maximum: 60, default: 10 }),
          ),
          maxResponseBytes: opt(
            int32('maxResponseBytes bounds the response size.', {
              minimum: 1,
              maximum: 131072,
              default: 32768,
            }),
          ),
        },
        'http fetches the context over HTTP.',
      ),
    ),
    failurePolicy: opt(
      strEnum(
        ['Fail', 'Ignore'] as const,
        'failurePolicy: Fail skips the item when the fetch fails; Ignore uses an empty string.',
        {
          default: 'Fail',
        },
      ),
    ),
  },
  'ContextSource fetches extra context for each item before its Task is created.',
  {
    'x-kubernetes-validations': [
      {
        rule: 'has(self.http)',
        message: 'exactly one source kind must be set (currently only http is supported)',
      },
    ],
  },
);

export const TaskTemplateSchema = obj(
  {
    worker: opt({ ...WorkerSpecSchema, description: 'worker says how the agent of each spawned Task runs.' }),
    workerPoolRef: opt({ ...WorkerPoolReferenceSchema }),
    ...legacyWorkerFields(),
    dependsOn: opt(strList('dependsOn is copied to every spawned Task.')),
    branch: opt(str('branch is a Go template over the item variables, for example kelos/issue-{{.Number}}.')),
    promptTemplate: opt(str('promptTemplate is the Go template of the prompt. Defaults to {{.Title}}.')),
    nameTemplate: opt(
      str(
        'nameTemplate is the Go template of the Task name; it is lowercased, sanitized and cut to 63 characters, and may not use .Context.',
      ),
    ),
    ...jobFields(),
    metadata: opt(
      obj(
        {
          labels: opt(strMap('labels of spawned Tasks; values are Go templates.')),
          annotations: opt(strMap('annotations of spawned Tasks; values are Go templates.')),
        },
        'metadata is added to every spawned Task. The kelos.dev/taskspawner label is always set by the spawner.',
      ),
    ),
    contextSources: opt(
      list(
        ContextSourceSchema,
        'contextSources fetch extra context per item, read as .Context.<name>; names are unique.',
        {
          maxItems: 8,
          // Upstream states uniqueness as `self.map(s, s.name).size() == self.size()`, which can
          // never be false; a list map keyed by name makes the server enforce it.
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
      ),
    ),
    upstreamRepo: opt(str('upstreamRepo (owner/repo) is derived from the GitHub source when unset.')),
  },
  'TaskTemplate is the Task every trigger creates.',
  {
    'x-kubernetes-validations': executionRules(
      {
        rule: 'has(self.workerPoolRef) || (has(self.worker) && has(self.worker.type) && size(self.worker.type) > 0) || (has(self.type) && size(self.type) > 0)',
        message: 'either workerPoolRef, worker with type, or type is required',
      },
      // Upstream's own pool example names the pool's Workspace in the template, so a
      // template may keep workspaceRef next to workerPoolRef (a Task may not).
      ['workspaceRef'],
    ),
  },
);
export type TaskTemplate = Static<typeof TaskTemplateSchema>;

export const TaskSpawnerSpecSchema = obj(
  {
    when: WhenSchema,
    taskTemplate: TaskTemplateSchema,
    credentials: opt(
      list(SpawnerCredentialSchema, 'credentials is a pool; each spawned Task gets one picked at random.', {
        minItems: 1,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    maxConcurrency: opt(
      int32(
        'maxConcurrency caps the spawned Tasks that are not finished. 0 or unset means no cap. It holds on every trigger path; webhook work over the cap is queued.',
        {
          minimum: 0,
        },
      ),
    ),
    suspend: opt(bool('suspend stops creating Tasks; running Tasks are not affected.', { default: false })),
    maxTotalTasks: opt(
      int32('maxTotalTasks caps the Tasks this spawner creates over its lifetime. 0 or unset means no cap.', {
        minimum: 0,
      }),
    ),
  },
  'TaskSpawnerSpec is a trigger and the Task it creates.',
  {
    'x-kubernetes-validations': [
      {
        rule: '!(has(self.when.githubIssues) || has(self.when.githubPullRequests) || has(self.when.githubWebhook) || has(self.when.linearWebhook)) || has(self.taskTemplate.workspaceRef) || (has(self.taskTemplate.worker) && has(self.taskTemplate.worker.workspaceRef)) || has(self.taskTemplate.workerPoolRef)',
        message:
          'a workspace source is required when using githubIssues, githubPullRequests, githubWebhook, or linearWebhook source (set taskTemplate.workspaceRef, taskTemplate.worker.workspaceRef, or taskTemplate.workerPoolRef — a pool satisfies this because it carries its own workspace)',
      },
      {
        rule: 'has(self.taskTemplate.workerPoolRef) || (has(self.taskTemplate.worker) && (has(self.taskTemplate.worker.credentials) || has(self.credentials))) || (has(self.taskTemplate.type) && (has(self.taskTemplate.credentials) || has(self.credentials)))',
        message: 'inline task templates require taskTemplate credentials or spec.credentials',
      },
      {
        rule: '!has(self.credentials) || (!has(self.taskTemplate.workerPoolRef) && !has(self.taskTemplate.credentials) && (!has(self.taskTemplate.worker) || !has(self.taskTemplate.worker.credentials)))',
        message: 'spec.credentials is mutually exclusive with taskTemplate credentials and workerPoolRef',
      },
    ],
  },
);
export type TaskSpawnerSpec = Static<typeof TaskSpawnerSpecSchema>;

export const TaskSpawnerStatusSchema = obj(
  {
    observedGeneration: opt(int64('observedGeneration is the generation last acted on.')),
    phase: opt(str('phase is Pending, Running, Failed or Suspended.')),
    deploymentName: opt(str('deploymentName of the poller, for polling sources.')),
    cronJobName: opt(str('cronJobName of the CronJob, for cron sources.')),
    totalDiscovered: opt(int32('totalDiscovered is the number of items found in the last discovery cycle.')),
    totalTasksCreated: opt(
      int32('totalTasksCreated is the number of Tasks created over the spawner’s lifetime.'),
    ),
    activeTasks: opt(int32('activeTasks is the number of spawned Tasks that are not finished.')),
    queuedItems: opt(
      int32(
        'queuedItems is the number of accepted webhook items waiting for room under maxConcurrency or maxTotalTasks.',
      ),
    ),
    lastDiscoveryTime: opt(
      time('lastDiscoveryTime is when the last discovery cycle ran; cron uses it as its watermark.'),
    ),
    message: opt(str('message explains the phase.')),
    conditions: opt(conditions('conditions: Suspended, DiscoveryError, MaxTotalTasksReached.')),
  },
  'TaskSpawnerStatus is the observed state of a TaskSpawner.',
);
export type TaskSpawnerStatus = Static<typeof TaskSpawnerStatusSchema>;

/** The TaskSpawner kind. */
export const TASK_SPAWNER: KindDefinition<typeof TaskSpawnerSpecSchema, typeof TaskSpawnerStatusSchema> = {
  kind: 'TaskSpawner',
  listKind: 'TaskSpawnerList',
  plural: 'taskspawners',
  singular: 'taskspawner',
  shortNames: ['ts', 'spawner'],
  categories: [CATEGORY],
  spec: TaskSpawnerSpecSchema,
  specRequired: true,
  status: TaskSpawnerStatusSchema,
  description: 'TaskSpawner turns external triggers into Tasks.',
  printerColumns: [
    { name: 'Workspace', type: 'string', jsonPath: '.spec.taskTemplate.worker.workspaceRef.name' },
    { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Active', type: 'integer', jsonPath: '.status.activeTasks' },
    { name: 'Discovered', type: 'integer', jsonPath: '.status.totalDiscovered', priority: 1 },
    { name: 'Tasks', type: 'integer', jsonPath: '.status.totalTasksCreated' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
