/**
 * TaskSpawner sources that deliver events: GitHub, Linear and generic webhooks, Slack.
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
  GenericWebhook,
  GenericWebhookFilter,
  GitHubWebhook,
  GitHubWebhookFilter,
  LinearWebhook,
  LinearWebhookFilter,
  Slack,
  SlackTrigger,
} from '../generated/types.ts';
import { bool, list, obj, opt, str, strEnum, strList, strMap } from '../schema.ts';
import { filePatterns, PR_EVENTS, reporting } from './polling.ts';

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
    secretRef: opt({
      ...SecretReferenceSchema,
      description:
        "secretRef names a Secret in the spawner's namespace whose WEBHOOK_SECRET key verifies the X-Hub-Signature-256 HMAC; during a rotation the WEBHOOK_SECRET_PREVIOUS key is accepted too. Deliveries go only to spawners whose secret verifies them. Unset: the operator's cluster-wide secret (--webhook-github-secret-file). Kelos extension.",
    }),
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
    secretRef: opt({
      ...SecretReferenceSchema,
      description:
        "secretRef names a Secret in the spawner's namespace whose WEBHOOK_SECRET key verifies the Linear-Signature HMAC; during a rotation the WEBHOOK_SECRET_PREVIOUS key is accepted too. Deliveries go only to spawners whose secret verifies them. Unset: the operator's cluster-wide secret (--webhook-linear-secret-file). Kelos extension.",
    }),
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
        'secretRef names a Secret whose WEBHOOK_SECRET key signs deliveries (WEBHOOK_SECRET_PREVIOUS is accepted too during a rotation): by default the sender sends X-Kelos-Signature-256: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>"> and X-Kelos-Timestamp (Unix seconds, within 5 minutes); with signatureHeader, the hex HMAC-SHA256 of the raw body in that header. Unsigned or stale deliveries are refused with 401; one sent again within the window (the same body, timestamp and signature: a retry after a lost answer, or a captured request replayed) is answered 200 as a duplicate and creates no second Task; without secretRef the delivery is refused unless the KelosConfig allows unsigned deliveries in the namespace. Kelos extension; upstream generic webhooks are unauthenticated.',
    }),
    signatureHeader: opt(
      str(
        'signatureHeader switches the signature scheme to "hex HMAC-SHA256 of the raw body in this header" (an optional sha256= prefix is ignored), as Sentry (Sentry-Hook-Signature) and similar senders sign. It carries no timestamp, so only the delivery id dedupes replays. Kelos extension.',
        { pattern: '^[A-Za-z0-9-]{1,64}$' },
      ),
    ),
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

/** One way a Slack message can start a Task. */

/** The documented types of this file's schemas, generated by scripts/generate-api-types.ts. */
export type {
  GenericWebhook,
  GenericWebhookFilter,
  GitHubWebhook,
  GitHubWebhookFilter,
  LinearWebhook,
  LinearWebhookFilter,
  Slack,
  SlackTrigger,
};
