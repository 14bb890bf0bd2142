/**
 * TaskSpawner sources that the operator polls: GitHub issues and pull requests, Jira, cron;
 * and the GitHub pieces the webhook sources share (comment policy, reporting, file patterns).
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind } from '@sinclair/typebox';
import { SecretReferenceSchema } from '../common.ts';
import type {
  Cron,
  GitHubCommentPolicy,
  GitHubIssues,
  GitHubPullRequests,
  Jira,
} from '../generated/types.ts';
import { bool, list, obj, opt, str, strEnum, strList } from '../schema.ts';

/** Shared by the GitHub sources, polled and webhook. */
export const pollInterval = () =>
  opt(
    str('pollInterval is how often the source is polled, as a Go duration (30s, 5m, 1h) or bare seconds.', {
      default: '5m',
    }),
  );

/** Shared by the GitHub sources, polled and webhook. */
export const PR_EVENTS = [
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

/** Shared by the GitHub sources, polled and webhook. */
export const reporting = (withChecks: boolean) =>
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

/** Shared by the GitHub sources, polled and webhook. */
export const filePatterns = () =>
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

/** Shared by the GitHub sources, polled and webhook. */
export const priorityLabels = () =>
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
    schedule: str(
      'schedule in five-field cron syntax (minute hour day-of-month month day-of-week) or a descriptor (@hourly, @daily, @weekly, @monthly, @yearly, @every 90m), evaluated in UTC, for example "0 9 * * 1-5".',
      {
        minLength: 1,
      },
    ),
  },
  'Cron creates a Task on a schedule.',
);

/** Who may trigger or exclude work by comment, on the GitHub sources. */

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type { Cron, GitHubCommentPolicy, GitHubIssues, GitHubPullRequests, Jira };
