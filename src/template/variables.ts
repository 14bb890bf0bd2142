/**
 * The one definition of what a template can read: the variables each TaskSpawner source
 * gives its templates (upstream's table, `reference/kelos-api.md` §4.2), their types and
 * when each is present, the `.Deps` data of a dependent Task's prompt, and the shape of
 * the go-github events a GitHub webhook's `.Payload` holds.
 *
 * The offline checker (`check.ts`) types templates against it, and the operator's spawner
 * builds its data from it (a test holds the two together), so a variable cannot exist on
 * one side only.
 *
 * @packageDocumentation
 */
import type { GoValue } from './values.ts';

/** A Go value's type, as far as a template can tell it apart. */
export type VarType =
  | { readonly kind: 'string' | 'int' | 'bool' | 'time' | 'any' }
  | { readonly kind: 'list'; readonly elem: VarType }
  | {
      /** A Go struct (or a map whose keys are fixed): unknown fields fail at parse or render. */
      readonly kind: 'struct';
      readonly name: string;
      readonly fields: Readonly<Record<string, Variable>>;
    }
  | {
      /**
       * A map keyed by names the object declares (dependencies, context sources, result
       * keys). `missing: 'error'` fails on an unknown key (`missingkey=error` on a
       * `map[string]any`); `'zero'` yields `""` (a `map[string]string` read with `index`).
       */
      readonly kind: 'map';
      readonly name: string;
      readonly keys: readonly string[];
      readonly value: VarType;
      readonly missing: 'error' | 'zero';
    };

/** When a variable is in the data. */
export type Presence =
  /** Always, with a meaningful value. */
  | { readonly when: 'always' }
  /** Always, but always empty for this source (the polling set has every key). */
  | { readonly when: 'empty'; readonly why: string }
  /** Only sometimes: the key is absent otherwise, and `missingkey=error` fails the render. */
  | {
      readonly when: 'sometimes';
      readonly why: string;
      /**
       * Top-level keys whose presence means this one is set too: a read inside
       * `{{if index . "K"}}` for one of them is safe.
       */
      readonly setWith?: readonly string[];
    };

/** One variable (or struct field). */
export interface Variable {
  readonly type: VarType;
  readonly presence: Presence;
}

const STRING: VarType = { kind: 'string' };
const INT: VarType = { kind: 'int' };
const BOOL: VarType = { kind: 'bool' };
const TIME: VarType = { kind: 'time' };
const ANY: VarType = { kind: 'any' };
const ALWAYS: Presence = { when: 'always' };
const v = (type: VarType, presence: Presence = ALWAYS): Variable => ({ type, presence });
const list = (elem: VarType): VarType => ({ kind: 'list', elem });
const struct = (name: string, fields: Record<string, VarType>): VarType => ({
  kind: 'struct',
  name,
  fields: Object.fromEntries(Object.entries(fields).map(([k, t]) => [k, v(t)])),
});

/** The sources of `spec.when`, by field name. */
export const SOURCE_TYPES = [
  'githubIssues',
  'githubPullRequests',
  'jira',
  'cron',
  'githubWebhook',
  'linearWebhook',
  'webhook',
  'slack',
] as const;
/** A source of `spec.when`. */
export type SourceType = (typeof SOURCE_TYPES)[number];

/** The sources a spawner polls (or ticks), whose items carry every key of {@link POLLING_KEYS}. */
export const POLLING_SOURCES: readonly SourceType[] = ['githubIssues', 'githubPullRequests', 'jira', 'cron'];

/** Upstream's `source.WorkItemToTemplateVars` keys, present for every polling source. */
export const POLLING_KEYS = [
  'ID',
  'Number',
  'Title',
  'Body',
  'URL',
  'Labels',
  'Comments',
  'Kind',
  'Branch',
  'ReviewState',
  'ReviewComments',
  'Time',
  'Schedule',
] as const;

const POLLING_TYPES: Readonly<Record<(typeof POLLING_KEYS)[number], VarType>> = {
  ID: STRING,
  Number: INT,
  Title: STRING,
  Body: STRING,
  URL: STRING,
  Labels: STRING,
  Comments: STRING,
  Kind: STRING,
  Branch: STRING,
  ReviewState: STRING,
  ReviewComments: STRING,
  Time: STRING,
  Schedule: STRING,
};

/** Which polling keys each polling source leaves empty, and why. */
const POLLING_EMPTY: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  githubIssues: {
    Branch: 'only githubPullRequests sets it',
    ReviewState: 'only githubPullRequests sets it',
    ReviewComments: 'only githubPullRequests sets it',
    Time: 'only cron sets it',
    Schedule: 'only cron sets it',
  },
  githubPullRequests: { Time: 'only cron sets it', Schedule: 'only cron sets it' },
  jira: {
    Branch: 'only githubPullRequests sets it',
    ReviewState: 'only githubPullRequests sets it',
    ReviewComments: 'only githubPullRequests sets it',
    Time: 'only cron sets it',
    Schedule: 'only cron sets it',
  },
  cron: {
    Number: 'a cron tick has no number (it is 0)',
    Body: 'a cron tick has no body',
    URL: 'a cron tick has no URL',
    Labels: 'a cron tick has no labels',
    Comments: 'a cron tick has no comments',
    Branch: 'only githubPullRequests sets it',
    ReviewState: 'only githubPullRequests sets it',
    ReviewComments: 'only githubPullRequests sets it',
  },
};

// go-github (v66) types, the subset of their exported fields templates reach for. Field
// names are Go's, so upstream's `{{.Payload.PullRequest.Head.Ref}}` keeps working.
const USER = struct('User', {
  Login: STRING,
  ID: INT,
  Name: STRING,
  Email: STRING,
  HTMLURL: STRING,
  Type: STRING,
  SiteAdmin: BOOL,
});
const LABEL = struct('Label', { ID: INT, Name: STRING, Color: STRING, Description: STRING, Default: BOOL });
const REPOSITORY = struct('Repository', {
  ID: INT,
  Name: STRING,
  FullName: STRING,
  Owner: USER,
  Description: STRING,
  HTMLURL: STRING,
  CloneURL: STRING,
  SSHURL: STRING,
  DefaultBranch: STRING,
  Private: BOOL,
  Fork: BOOL,
  Archived: BOOL,
  Topics: list(STRING),
});
const MILESTONE = struct('Milestone', {
  ID: INT,
  Number: INT,
  Title: STRING,
  State: STRING,
  HTMLURL: STRING,
});
const ISSUE = struct('Issue', {
  ID: INT,
  Number: INT,
  State: STRING,
  StateReason: STRING,
  Locked: BOOL,
  Title: STRING,
  Body: STRING,
  AuthorAssociation: STRING,
  User: USER,
  Labels: list(LABEL),
  Assignee: USER,
  Assignees: list(USER),
  Comments: INT,
  ClosedAt: TIME,
  CreatedAt: TIME,
  UpdatedAt: TIME,
  ClosedBy: USER,
  URL: STRING,
  HTMLURL: STRING,
  Milestone: MILESTONE,
  PullRequestLinks: struct('PullRequestLinks', {
    URL: STRING,
    HTMLURL: STRING,
    DiffURL: STRING,
    PatchURL: STRING,
  }),
  Draft: BOOL,
});
const BRANCH = struct('PullRequestBranch', {
  Label: STRING,
  Ref: STRING,
  SHA: STRING,
  Repo: REPOSITORY,
  User: USER,
});
const PULL_REQUEST = struct('PullRequest', {
  ID: INT,
  Number: INT,
  State: STRING,
  Locked: BOOL,
  Title: STRING,
  Body: STRING,
  CreatedAt: TIME,
  UpdatedAt: TIME,
  ClosedAt: TIME,
  MergedAt: TIME,
  Labels: list(LABEL),
  User: USER,
  Draft: BOOL,
  Merged: BOOL,
  Mergeable: BOOL,
  MergeableState: STRING,
  MergedBy: USER,
  MergeCommitSHA: STRING,
  Comments: INT,
  Commits: INT,
  Additions: INT,
  Deletions: INT,
  ChangedFiles: INT,
  URL: STRING,
  HTMLURL: STRING,
  DiffURL: STRING,
  PatchURL: STRING,
  Assignee: USER,
  Assignees: list(USER),
  RequestedReviewers: list(USER),
  AuthorAssociation: STRING,
  Milestone: MILESTONE,
  Head: BRANCH,
  Base: BRANCH,
});
const ISSUE_COMMENT = struct('IssueComment', {
  ID: INT,
  Body: STRING,
  User: USER,
  CreatedAt: TIME,
  UpdatedAt: TIME,
  AuthorAssociation: STRING,
  URL: STRING,
  HTMLURL: STRING,
  IssueURL: STRING,
});
const REVIEW = struct('PullRequestReview', {
  ID: INT,
  User: USER,
  Body: STRING,
  SubmittedAt: TIME,
  CommitID: STRING,
  HTMLURL: STRING,
  PullRequestURL: STRING,
  State: STRING,
  AuthorAssociation: STRING,
});
const REVIEW_COMMENT = struct('PullRequestComment', {
  ID: INT,
  InReplyTo: INT,
  Body: STRING,
  Path: STRING,
  DiffHunk: STRING,
  Position: INT,
  Line: INT,
  StartLine: INT,
  Side: STRING,
  CommitID: STRING,
  OriginalCommitID: STRING,
  User: USER,
  CreatedAt: TIME,
  UpdatedAt: TIME,
  AuthorAssociation: STRING,
  URL: STRING,
  HTMLURL: STRING,
  PullRequestURL: STRING,
});
const COMMIT_AUTHOR = struct('CommitAuthor', { Name: STRING, Email: STRING, Login: STRING, Date: TIME });
const HEAD_COMMIT = struct('HeadCommit', {
  ID: STRING,
  TreeID: STRING,
  Message: STRING,
  Timestamp: TIME,
  URL: STRING,
  Distinct: BOOL,
  Author: COMMIT_AUTHOR,
  Committer: COMMIT_AUTHOR,
  Added: list(STRING),
  Removed: list(STRING),
  Modified: list(STRING),
});
const RELEASE = struct('RepositoryRelease', {
  ID: INT,
  TagName: STRING,
  TargetCommitish: STRING,
  Name: STRING,
  Body: STRING,
  Draft: BOOL,
  Prerelease: BOOL,
  MakeLatest: STRING,
  CreatedAt: TIME,
  PublishedAt: TIME,
  URL: STRING,
  HTMLURL: STRING,
  TarballURL: STRING,
  ZipballURL: STRING,
  Author: USER,
});
const APP = struct('App', { ID: INT, Slug: STRING, Name: STRING, HTMLURL: STRING, Owner: USER });
const CHECK_RUN = struct('CheckRun', {
  ID: INT,
  NodeID: STRING,
  HeadSHA: STRING,
  ExternalID: STRING,
  URL: STRING,
  HTMLURL: STRING,
  DetailsURL: STRING,
  Status: STRING,
  Conclusion: STRING,
  StartedAt: TIME,
  CompletedAt: TIME,
  Name: STRING,
  App: APP,
  PullRequests: list(PULL_REQUEST),
  CheckSuite: struct('CheckSuite', {
    ID: INT,
    HeadBranch: STRING,
    HeadSHA: STRING,
    Status: STRING,
    Conclusion: STRING,
  }),
});
const common = { Repo: REPOSITORY, Sender: USER };

/**
 * The go-github event type `.Payload` holds, per GitHub event upstream parses
 * (`github.ParseWebHook`). Other events carry no typed payload.
 */
export const GITHUB_EVENT_PAYLOADS: Readonly<Record<string, VarType>> = {
  issues: struct('IssuesEvent', { Action: STRING, Issue: ISSUE, Label: LABEL, Assignee: USER, ...common }),
  pull_request: struct('PullRequestEvent', {
    Action: STRING,
    Number: INT,
    PullRequest: PULL_REQUEST,
    Label: LABEL,
    Before: STRING,
    After: STRING,
    RequestedReviewer: USER,
    Assignee: USER,
    ...common,
  }),
  pull_request_target: struct('PullRequestTargetEvent', {
    Action: STRING,
    Number: INT,
    PullRequest: PULL_REQUEST,
    Label: LABEL,
    Before: STRING,
    After: STRING,
    ...common,
  }),
  issue_comment: struct('IssueCommentEvent', {
    Action: STRING,
    Issue: ISSUE,
    Comment: ISSUE_COMMENT,
    ...common,
  }),
  pull_request_review: struct('PullRequestReviewEvent', {
    Action: STRING,
    Review: REVIEW,
    PullRequest: PULL_REQUEST,
    ...common,
  }),
  pull_request_review_comment: struct('PullRequestReviewCommentEvent', {
    Action: STRING,
    Comment: REVIEW_COMMENT,
    PullRequest: PULL_REQUEST,
    ...common,
  }),
  push: struct('PushEvent', {
    Ref: STRING,
    Before: STRING,
    After: STRING,
    Created: BOOL,
    Deleted: BOOL,
    Forced: BOOL,
    BaseRef: STRING,
    Compare: STRING,
    Commits: list(HEAD_COMMIT),
    HeadCommit: HEAD_COMMIT,
    Pusher: COMMIT_AUTHOR,
    ...common,
  }),
  create: struct('CreateEvent', {
    Ref: STRING,
    RefType: STRING,
    MasterBranch: STRING,
    Description: STRING,
    PusherType: STRING,
    ...common,
  }),
  release: struct('ReleaseEvent', { Action: STRING, Release: RELEASE, ...common }),
  check_run: struct('CheckRunEvent', { Action: STRING, CheckRun: CHECK_RUN, ...common }),
};

const PR_KEYS = ['Number', 'URL', 'Branch', 'CommentBody', 'CommentURL'];
/**
 * The keys a GitHub webhook item has only for some events (absent otherwise), with the
 * events that set them. `Body` is also dropped when empty, as upstream drops it.
 */
export const GITHUB_EVENT_KEYS: Readonly<Record<string, readonly string[]>> = {
  issues: ['Number', 'Body', 'URL'],
  pull_request: ['Number', 'Body', 'URL', 'Branch'],
  pull_request_target: ['Number', 'Body', 'URL', 'Branch'],
  issue_comment: ['Number', 'Body', 'URL', 'Branch', 'CommentBody', 'CommentURL'],
  pull_request_review: ['Body', ...PR_KEYS],
  pull_request_review_comment: ['Body', ...PR_KEYS],
  push: ['Branch'],
  create: ['Branch', 'Tag', 'RefType'],
  release: ['Body', 'URL', 'Tag'],
  check_run: ['Number', 'Branch', 'CheckName', 'Conclusion', 'CheckRunURL', 'HeadSHA', 'CheckApp'],
};
/** Keys that are absent for some items even of an event that sets them: why, and for which events. */
const GITHUB_SOMETIMES_EMPTY: Readonly<
  Record<
    string,
    {
      readonly why: string;
      readonly events?: readonly string[];
      /** Why, per event, when it differs by event: joined for the events the spawner has. */
      readonly whyFor?: Readonly<Record<string, string>>;
    }
  >
> = {
  Body: { why: 'it is left out when the body is empty' },
  Branch: {
    why: 'it is set only for branch refs (and for issue comments only on pull requests)',
    events: ['push', 'create', 'issue_comment', 'check_run'],
    whyFor: {
      push: 'set for push only when the ref is a branch, not a tag',
      create: 'set for create only when the ref is a branch',
      issue_comment: 'set for issue_comment only on a pull request',
      // GitHub leaves a check suite's head_branch null, and its pull_requests empty, for a
      // pull request from a fork: a check run with a Number always has a branch.
      check_run:
        "set for check_run only when GitHub names the check suite's head branch: always for a check run with a Number, never for one of a pull request from a fork",
    },
  },
  Tag: { why: 'it is set only for tag refs', events: ['create'] },
  Number: { why: 'a check run has a number only when it belongs to a pull request', events: ['check_run'] },
};
/**
 * Keys that, for some events, are set whenever another key is: `Branch` comes with `Number` on
 * a check run, so `{{if index . "Number"}}` guards a read of `.Branch` there.
 */
const GITHUB_SET_WITH: Readonly<
  Record<string, { readonly key: string; readonly events: readonly string[] }>
> = {
  Branch: { key: 'Number', events: ['check_run'] },
};

/**
 * Whether, for every event of `events` that sets `guard`, `key` is set whenever `guard` is:
 * because the event always sets it, or sets it with `guard` ({@link GITHUB_SET_WITH}).
 */
const setWhenever = (key: string, guard: string, events: readonly string[]): boolean =>
  events
    .filter((e) => GITHUB_EVENT_KEYS[e]?.includes(guard))
    .every(
      (e) =>
        (GITHUB_EVENT_KEYS[e]?.includes(key) && !GITHUB_SOMETIMES_EMPTY[key]?.events?.includes(e)) ||
        (GITHUB_SET_WITH[key]?.key === guard && GITHUB_SET_WITH[key].events.includes(e)),
    );

const GITHUB_CONDITIONAL = [
  'Number',
  'Body',
  'URL',
  'Branch',
  'CommentBody',
  'CommentURL',
  'Tag',
  'RefType',
  'CheckName',
  'Conclusion',
  'CheckRunURL',
  'HeadSHA',
  'CheckApp',
] as const;

/** What a spawner declares that shapes its templates' data. */
export interface SourceShape {
  readonly source: SourceType;
  /** `githubWebhook.events`. */
  readonly events?: readonly string[];
  /** `webhook.fieldMapping` keys. */
  readonly fieldMapping?: readonly string[];
  /** `taskTemplate.contextSources[].name`; `.Context` exists only when there is one. */
  readonly contextSources?: readonly string[];
}

const githubWebhookVariables = (events: readonly string[]): Record<string, Variable> => {
  const payloads = events.map((e) => GITHUB_EVENT_PAYLOADS[e]);
  const vars: Record<string, Variable> = {};
  for (const k of [
    'Event',
    'Action',
    'Sender',
    'Ref',
    'Repository',
    'RepositoryOwner',
    'RepositoryName',
    'ID',
    'Title',
    'Kind',
  ])
    vars[k] = v(STRING);
  vars.ChangedFiles = v(list(STRING));
  vars.Payload = v(
    payloads.length === 1 && payloads[0]
      ? payloads[0]
      : payloads.length > 0 && payloads.every(Boolean)
        ? mergePayloads(payloads as VarType[])
        : ANY,
  );
  for (const key of GITHUB_CONDITIONAL) {
    const setBy = events.filter((e) => GITHUB_EVENT_KEYS[e]?.includes(key));
    if (setBy.length === 0) continue;
    const type = key === 'Number' ? INT : STRING;
    const gap = GITHUB_SOMETIMES_EMPTY[key];
    const emptyFor = gap && setBy.some((e) => !gap.events || gap.events.includes(e));
    const always = setBy.length === events.length && !emptyFor;
    // Named for the spawner's events: a check_run spawner is not told about push refs.
    const gapEvents = setBy.filter((e) => !gap?.events || gap.events.includes(e));
    const perEvent = gap?.whyFor && gapEvents.every((e) => gap.whyFor?.[e]) ? gapEvents : undefined;
    const with_ = GITHUB_SET_WITH[key];
    vars[key] = v(
      type,
      always
        ? ALWAYS
        : {
            when: 'sometimes',
            why:
              setBy.length < events.length
                ? `it is set only for ${setBy.join(', ')} events`
                : perEvent
                  ? `it is ${perEvent.map((e) => gap!.whyFor![e]).join(', and ')}`
                  : gap!.why,
            ...(with_ && setWhenever(key, with_.key, events) && { setWith: [with_.key] }),
          },
    );
  }
  return vars;
};

/** Fields of several event payloads: a field some of them lack is present only sometimes. */
const mergePayloads = (types: readonly VarType[]): VarType => {
  const fields: Record<string, Variable> = {};
  const structs = types.filter((t): t is Extract<VarType, { kind: 'struct' }> => t.kind === 'struct');
  for (const s of structs) {
    for (const [name, field] of Object.entries(s.fields)) {
      const holders = structs.filter((o) => name in o.fields);
      fields[name] =
        holders.length === structs.length
          ? field
          : v(field.type, { when: 'sometimes', why: `only ${holders.map((h) => h.name).join(', ')} has it` });
    }
  }
  return { kind: 'struct', name: structs.map((s) => s.name).join(' | '), fields };
};

/**
 * The variables a template of a spawner with this source sees (the top-level data, dot),
 * `.Context` included when it declares context sources.
 */
export const sourceVariables = (shape: SourceShape, options: { context?: boolean } = {}): VarType => {
  let vars: Record<string, Variable>;
  const { source } = shape;
  if ((POLLING_SOURCES as readonly string[]).includes(source)) {
    const empty = POLLING_EMPTY[source] ?? {};
    vars = Object.fromEntries(
      POLLING_KEYS.map((k) => [k, v(POLLING_TYPES[k], empty[k] ? { when: 'empty', why: empty[k] } : ALWAYS)]),
    );
  } else if (source === 'githubWebhook') {
    vars = githubWebhookVariables(shape.events ?? []);
  } else if (source === 'linearWebhook') {
    vars = {
      ID: v(STRING),
      Title: v(STRING),
      Kind: v(STRING),
      Type: v(STRING),
      Action: v(STRING),
      State: v(STRING),
      Labels: v(STRING),
      IssueID: v(STRING, { when: 'sometimes', why: 'it is set only for Comment events' }),
      Payload: v(ANY),
    };
  } else if (source === 'webhook') {
    vars = { Kind: v(STRING), Payload: v(ANY) };
    for (const k of shape.fieldMapping ?? []) vars[k] = v(STRING);
    for (const k of ['ID', 'Title', 'Body', 'URL']) vars[k] = v(STRING);
  } else {
    vars = { ID: v(STRING), Title: v(STRING), Body: v(STRING), URL: v(STRING), Kind: v(STRING) };
  }
  const names = shape.contextSources ?? [];
  if (names.length > 0 && options.context !== false) {
    vars.Context = v({ kind: 'map', name: 'Context', keys: names, value: STRING, missing: 'error' });
  }
  return { kind: 'struct', name: source, fields: vars };
};

/**
 * Result keys an agent reports (`key: value` lines of the outputs block) and so the keys
 * `.Deps.<name>.Results` can hold.
 */
export const RESULT_KEYS = [
  'branch',
  'pr',
  'commit',
  'base-branch',
  'cost-usd',
  'input-tokens',
  'output-tokens',
  'response',
] as const;

/** The data of a dependent Task's prompt: `{Deps: {<dependency>: {Name, Outputs, Results}}}`. */
export const depsVariables = (dependsOn: readonly string[]): VarType => ({
  kind: 'struct',
  name: 'prompt',
  fields: {
    Deps: v({
      kind: 'map',
      name: 'Deps',
      keys: dependsOn,
      missing: 'error',
      value: struct('Dependency', {
        Name: STRING,
        Outputs: list(STRING),
        Results: { kind: 'map', name: 'Results', keys: RESULT_KEYS, value: STRING, missing: 'zero' },
      }),
    }),
  },
});

/** Sample values of an item, per source: what a preview and the nameTemplate check render. */
const SAMPLES: Readonly<Record<SourceType, Readonly<Record<string, string | number>>>> = {
  githubIssues: {
    ID: '42',
    Number: 42,
    Title: 'Fix the flaky login test',
    Body: 'The login test fails one run in ten.',
    URL: 'https://github.com/example/repo/issues/42',
    Labels: 'bug',
    Kind: 'Issue',
  },
  githubPullRequests: {
    ID: '7',
    Number: 7,
    Title: 'Add retries to the fetcher',
    Body: 'Retries transient errors.',
    URL: 'https://github.com/example/repo/pull/7',
    Labels: 'needs-review',
    Kind: 'PR',
    Branch: 'feature/retries',
    ReviewState: 'changes_requested',
  },
  jira: {
    ID: 'ENG-42',
    Number: 42,
    Title: 'Upgrade the database driver',
    URL: 'https://example.atlassian.net/browse/ENG-42',
    Kind: 'Task',
  },
  cron: {
    ID: '20260101-0900',
    Title: '2026-01-01T09:00:00Z',
    Kind: 'Issue',
    Time: '2026-01-01T09:00:00Z',
    Schedule: '0 9 * * *',
  },
  githubWebhook: {
    ID: '42',
    Number: 42,
    Title: 'Fix the flaky login test',
    Body: 'The login test fails one run in ten.',
    URL: 'https://github.com/example/repo/issues/42',
    Kind: 'webhook',
    Event: 'issues',
    Action: 'opened',
    Sender: 'octocat',
    Repository: 'example/repo',
    RepositoryOwner: 'example',
    RepositoryName: 'repo',
    Branch: 'main',
  },
  linearWebhook: {
    ID: 'abc123',
    Title: 'Improve onboarding',
    Kind: 'LinearWebhook',
    Type: 'Issue',
    Action: 'create',
    State: 'Todo',
  },
  webhook: { ID: 'evt-1', Title: 'Deploy failed', Kind: 'GenericWebhook' },
  slack: {
    ID: '1700000000.000100',
    Title: 'please fix the build',
    Body: 'please fix the build',
    URL: 'https://example.slack.com/archives/C0123456789/p1700000000000100',
    Kind: 'SlackMessage',
  },
};

/** A value of `type` for a sample item: the source's sample where it has one, else a plain stand-in. */
const sampleOf = (type: VarType, sample: Readonly<Record<string, string | number>>, key: string): GoValue => {
  switch (type.kind) {
    case 'string':
      return String(sample[key] ?? '');
    case 'int':
      return typeof sample[key] === 'number' ? sample[key] : 1;
    case 'bool':
      return false;
    case 'time':
      return '2026-01-01T09:00:00Z';
    case 'any':
      return {};
    case 'list':
      return [];
    case 'map':
      return Object.fromEntries(type.keys.map((k) => [k, sampleOf(type.value, {}, k)]));
    case 'struct':
      return Object.fromEntries(
        Object.entries(type.fields).map(([k, f]) => [
          k,
          sampleOf(f.type, type.kind === 'struct' && key === '' ? sample : {}, k),
        ]),
      );
  }
};

/** Lower-case `fieldMapping` keys the operator mirrors to the names every source has. */
export const WEBHOOK_MIRRORED: Readonly<Record<string, string>> = {
  id: 'ID',
  title: 'Title',
  body: 'Body',
  url: 'URL',
};

/**
 * The sample of a source's item. A generic webhook's own `fieldMapping` keys get a value too,
 * as a delivery that maps them would: the mirrored ones (`id`, `title`, …) their capitalised
 * twin's, any other a plain token that is a name, label value and git name (what the mapping
 * selects is unknown offline, so no check assumes it is empty; the label and branch checks take it
 * as free text, which is what a sender may put there: `src/validate/task-metadata.ts`).
 */
const sampleOfSource = (shape: SourceShape): Readonly<Record<string, string | number>> => {
  const base = SAMPLES[shape.source];
  if (shape.source !== 'webhook' || !shape.fieldMapping?.length) return base;
  const sample: Record<string, string | number> = { ...base };
  for (const key of shape.fieldMapping) {
    if (key in sample) continue;
    const twin = WEBHOOK_MIRRORED[key];
    sample[key] = twin !== undefined && base[twin] !== undefined ? base[twin] : 'value-1';
  }
  return sample;
};

/** The data of a sample item of a source: every variable of {@link sourceVariables}, with sample values. */
export const sampleData = (shape: SourceShape, options: { context?: boolean } = {}): GoValue =>
  sampleOf(sourceVariables(shape, options), sampleOfSource(shape), '');
