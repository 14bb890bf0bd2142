/**
 * GitHub webhook deliveries: the facts upstream filters on (`internal/webhook/github_filter.go`),
 * the filters of a `githubWebhook` spawner, and the template variables a Task gets — upstream's
 * set, with `.Payload` as go-github's typed event (`go-github-names.ts`).
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import type { GitHubWebhookFilterSchema, GitHubWebhookSchema, TaskSpawner } from '../../api/index.ts';
import type { GoValue } from '../../template/go-template.ts';
import { GITHUB_EVENT_PAYLOADS } from '../../template/variables.ts';
import { ReportingAnnotations, SourceAnnotations, sourceItem } from '../spawner/annotations.ts';
import { hasAllLabels, hasAnyLabel, loginIn } from '../spawner/github-repo.ts';
import { matchesFilePatterns } from '../spawner/sources/github-pull-requests.ts';
import { type Delivery, hashedId, type MatchResult, obj, str } from './delivery.ts';
import { toGo } from './go-github-names.ts';
import { globMatch, re2Test } from './patterns.ts';

/** One `githubWebhook.filters[]` entry. */
export type GitHubWebhookFilter = Static<typeof GitHubWebhookFilterSchema>;
/** A spawner's `when.githubWebhook`. */
export type GitHubWebhook = Static<typeof GitHubWebhookSchema>;

/** Pull-request events, whose changed files come from the API (push events carry theirs). */
const PR_EVENTS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
]);

/** What a GitHub delivery says, as the filters and variables read it. */
export interface GitHubFacts {
  readonly event: string;
  readonly action: string;
  readonly sender: string;
  /** `owner/repo`. */
  readonly repository: string;
  readonly owner: string;
  readonly repo: string;
  /** The issue's or pull request's labels. */
  readonly labels: readonly string[];
  readonly state: string;
  /** The text body filters test: issue body, comment, PR body, review, review comment, release notes. */
  readonly body: string;
  readonly branch?: string;
  readonly tag?: string;
  readonly draft: boolean;
  /** `issue_comment` only: what the comment is on. */
  readonly commentOn?: 'Issue' | 'PullRequest';
  /** Push: the files its commits touch. Pull-request events: from the enrichment, when fetched. */
  readonly changedFiles?: readonly string[];
  readonly conclusion?: string;
  readonly checkName?: string;
  /** Issue or pull request number, when the event is about one. */
  readonly number?: number;
  readonly sourceKind?: 'issue' | 'pull-request';
  /** Head commit of the pull request (or pushed commit), for check runs. */
  readonly sha?: string;
  /** Event-specific template variables (upstream's conditional keys, ID and Title). */
  readonly vars: Readonly<Record<string, GoValue>>;
}

const labelsOf = (item: Record<string, unknown>): string[] =>
  (Array.isArray(item.labels) ? item.labels : []).map((l) => str(obj(l).name));

const intOf = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : undefined;

/** Keys upstream sets only when non-empty. */
const withBody = (vars: Record<string, GoValue>, body: string): Record<string, GoValue> => {
  if (body !== '') vars.Body = body;
  return vars;
};

/** Review events carry their text in `review`, review comment events in `comment`. */
const REVIEW_TEXT: Readonly<Record<string, string>> = {
  pull_request_review: 'review',
  pull_request_review_comment: 'comment',
};

// `.Body` is the issue's or pull request's own text, as upstream's `ExtractGitHubWorkItem` sets
// it for every issue and pull-request event; the comment or review of a comment or review event
// is `.CommentBody` (with `.CommentURL`). The body filters (`bodyContains`, `bodyPattern`,
// `excludeBodyPatterns`) test the comment or review when the event is one, as upstream's do.

const pullRequestFacts = (p: Record<string, unknown>, delivery: Delivery): Partial<GitHubFacts> => {
  const pr = obj(p.pull_request);
  const head = obj(pr.head);
  const number = intOf(pr.number) ?? intOf(p.number);
  const branch = str(head.ref);
  const textKey = REVIEW_TEXT[delivery.event];
  const comment = textKey ? obj(p[textKey]) : undefined;
  const body = comment ? str(comment.body) : str(pr.body);
  const vars = withBody(
    {
      ID: String(number ?? ''),
      Number: number ?? 0,
      Title: str(pr.title),
      URL: str(pr.html_url),
      Branch: branch,
    },
    str(pr.body),
  );
  if (comment) {
    vars.CommentBody = body;
    vars.CommentURL = str(comment.html_url);
  }
  return {
    labels: labelsOf(pr),
    state: str(pr.state),
    body,
    branch,
    draft: pr.draft === true,
    changedFiles: delivery.enrichment?.changedFiles,
    number,
    sourceKind: 'pull-request',
    sha: str(head.sha) || undefined,
    vars,
  };
};

const issueFacts = (p: Record<string, unknown>, delivery: Delivery): Partial<GitHubFacts> => {
  const issue = obj(p.issue);
  const number = intOf(issue.number);
  const isPR = issue.pull_request !== undefined && issue.pull_request !== null;
  const comment = delivery.event === 'issue_comment' ? obj(p.comment) : undefined;
  const body = comment ? str(comment.body) : str(issue.body);
  const vars = withBody(
    { ID: String(number ?? ''), Number: number ?? 0, Title: str(issue.title), URL: str(issue.html_url) },
    str(issue.body),
  );
  const facts: Partial<GitHubFacts> = {
    labels: labelsOf(issue),
    state: str(issue.state),
    body,
    draft: issue.draft === true,
    number,
    sourceKind: isPR ? 'pull-request' : 'issue',
    vars,
  };
  if (!comment) return facts;
  vars.CommentBody = body;
  vars.CommentURL = str(comment.html_url);
  const branch = isPR ? delivery.enrichment?.pullRequestHeadBranch : undefined;
  if (branch) vars.Branch = branch;
  return {
    ...facts,
    commentOn: isPR ? 'PullRequest' : 'Issue',
    branch,
    changedFiles: isPR ? delivery.enrichment?.changedFiles : undefined,
  };
};

const refFacts = (p: Record<string, unknown>, event: string): Partial<GitHubFacts> => {
  const ref = str(p.ref);
  if (event === 'push') {
    const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
    const short = branch ?? ref.replace(/^refs\/tags\//, '');
    const files = new Set<string>();
    for (const c of Array.isArray(p.commits) ? p.commits : []) {
      for (const k of ['added', 'modified', 'removed']) {
        const list = obj(c)[k];
        if (Array.isArray(list)) for (const f of list) if (typeof f === 'string') files.add(f);
      }
    }
    const vars: Record<string, GoValue> = {
      ID: str(obj(p.head_commit).id) || str(p.after),
      Title: `Push to ${short}`,
    };
    if (branch !== undefined) vars.Branch = branch;
    return { branch, changedFiles: [...files], sha: str(p.after) || undefined, vars };
  }
  const refType = str(p.ref_type);
  // Upstream's titles; another ref type leaves the title empty, as upstream.
  const title =
    refType === 'tag' ? `Tag created: ${ref}` : refType === 'branch' ? `Branch created: ${ref}` : '';
  const vars: Record<string, GoValue> = { ID: ref, Title: title, RefType: refType };
  if (refType === 'branch') vars.Branch = ref;
  if (refType === 'tag') vars.Tag = ref;
  return {
    branch: refType === 'branch' ? ref : undefined,
    tag: refType === 'tag' ? ref : undefined,
    vars,
  };
};

const releaseFacts = (p: Record<string, unknown>): Partial<GitHubFacts> => {
  const r = obj(p.release);
  const tag = str(r.tag_name);
  const vars = withBody(
    { ID: String(r.id ?? ''), Title: str(r.name) || tag, URL: str(r.html_url), Tag: tag },
    str(r.body),
  );
  return { body: str(r.body), tag, draft: r.draft === true, vars };
};

const checkRunFacts = (p: Record<string, unknown>): Partial<GitHubFacts> => {
  const run = obj(p.check_run);
  const suite = obj(run.check_suite);
  const app = obj(run.app);
  const pr = obj(Array.isArray(run.pull_requests) ? run.pull_requests[0] : undefined);
  const number = intOf(pr.number);
  const branch = str(suite.head_branch) || undefined;
  const vars: Record<string, GoValue> = {
    ID: String(run.id ?? ''),
    Title: str(run.name),
    CheckName: str(run.name),
    Conclusion: str(run.conclusion),
    CheckRunURL: str(run.html_url),
    HeadSHA: str(run.head_sha),
    CheckApp: str(app.slug) || str(app.name),
  };
  if (number !== undefined) vars.Number = number;
  if (branch) vars.Branch = branch;
  return {
    branch,
    conclusion: str(run.conclusion),
    checkName: str(run.name),
    number,
    sourceKind: number !== undefined ? 'pull-request' : undefined,
    sha: str(run.head_sha) || undefined,
    vars,
  };
};

/** The facts of a GitHub delivery. */
export const githubFacts = (delivery: Delivery): GitHubFacts => {
  const p = obj(delivery.payload);
  const repository = obj(p.repository);
  const event = delivery.event;
  let specific: Partial<GitHubFacts>;
  if (PR_EVENTS.has(event)) specific = pullRequestFacts(p, delivery);
  else if (event === 'issues' || event === 'issue_comment') specific = issueFacts(p, delivery);
  else if (event === 'push' || event === 'create') specific = refFacts(p, event);
  else if (event === 'release') specific = releaseFacts(p);
  else if (event === 'check_run') specific = checkRunFacts(p);
  else specific = { vars: { ID: delivery.deliveryId, Title: event } };
  return {
    event,
    action: str(p.action),
    sender: str(obj(p.sender).login),
    repository: str(repository.full_name),
    owner: str(obj(repository.owner).login),
    repo: str(repository.name),
    labels: [],
    state: '',
    body: '',
    draft: false,
    vars: {},
    ...specific,
  };
};

/**
 * Why a filter does not match the facts, or undefined when it does (fields AND). Throws on an
 * invalid RE2 pattern or glob, which fails the delivery closed as upstream.
 */
export const filterMismatch = (f: GitHubWebhookFilter, facts: GitHubFacts): string | undefined => {
  if (f.action && f.action !== facts.action)
    return `action is ${JSON.stringify(facts.action)}, not ${f.action}`;
  if (f.bodyContains && !facts.body.includes(f.bodyContains)) return 'body does not contain bodyContains';
  if (f.bodyPattern && !re2Test(f.bodyPattern, facts.body)) return 'body does not match bodyPattern';
  if (f.excludeBodyPatterns?.some((p) => re2Test(p, facts.body)))
    return 'body matches an excludeBodyPatterns';
  if (f.labels && !hasAllLabels(facts.labels, f.labels)) return 'a required label is missing';
  if (f.excludeLabels && hasAnyLabel(facts.labels, f.excludeLabels)) return 'an excluded label is present';
  if (f.state && f.state.toLowerCase() !== facts.state.toLowerCase())
    return `state is ${JSON.stringify(facts.state)}`;
  if (f.branch && (facts.branch === undefined || !globMatch(f.branch, facts.branch)))
    return `branch ${JSON.stringify(facts.branch ?? '')} does not match ${f.branch}`;
  if (f.tag && (facts.tag === undefined || !globMatch(f.tag, facts.tag)))
    return `tag ${JSON.stringify(facts.tag ?? '')} does not match ${f.tag}`;
  if (f.draft !== undefined && f.draft !== facts.draft) return `draft is ${facts.draft}`;
  if (f.commentOn && f.commentOn !== facts.commentOn)
    return `the comment is not on ${f.commentOn === 'Issue' ? 'an issue' : 'a pull request'}`;
  if (f.author && f.author.toLowerCase() !== facts.sender.toLowerCase()) return `author is ${facts.sender}`;
  if (loginIn(facts.sender, f.excludeAuthors)) return `author ${facts.sender} is excluded`;
  if (f.filePatterns) {
    if (facts.changedFiles === undefined)
      return 'filePatterns needs the changed files, which were not fetched';
    if (!matchesFilePatterns(f.filePatterns, facts.changedFiles))
      return 'no changed file matches filePatterns';
  }
  if (f.conclusion && f.conclusion !== facts.conclusion)
    return `conclusion is ${JSON.stringify(facts.conclusion ?? '')}`;
  if (f.checkName && (facts.checkName === undefined || !globMatch(f.checkName, facts.checkName)))
    return `check name ${JSON.stringify(facts.checkName ?? '')} does not match ${f.checkName}`;
  return undefined;
};

/** Whether a filter of the spawner needs the pull request's changed files or head branch fetched. */
export const githubEnrichmentNeeded = (
  spec: GitHubWebhook,
  delivery: Delivery,
): { changedFiles: boolean; pullRequestHeadBranch: boolean } => {
  const filters = (spec.filters ?? []).filter((f) => f.event === delivery.event);
  const onPR = delivery.event === 'issue_comment' && obj(obj(delivery.payload).issue).pull_request != null;
  return {
    changedFiles: (PR_EVENTS.has(delivery.event) || onPR) && filters.some((f) => f.filePatterns),
    pullRequestHeadBranch: onPR,
  };
};

const annotationsOf = (spawner: TaskSpawner, facts: GitHubFacts): Record<string, string> => {
  const out: Record<string, string> = {};
  if (facts.owner) out[SourceAnnotations.Owner] = facts.owner;
  if (facts.repo) out[SourceAnnotations.Repo] = facts.repo;
  if (facts.sha) out[SourceAnnotations.Sha] = facts.sha;
  if (facts.number === undefined || !facts.sourceKind) return out;
  out[SourceAnnotations.Kind] = facts.sourceKind;
  out[SourceAnnotations.Number] = String(facts.number);
  if (facts.owner && facts.repo)
    Object.assign(out, sourceItem(`${facts.owner}/${facts.repo}#${facts.number}`));
  const reporting = spawner.spec.when.githubWebhook?.reporting;
  if (reporting?.comments || reporting?.enabled) {
    out[ReportingAnnotations.Comments] = 'enabled';
    out[ReportingAnnotations.CommentMode] = reporting.comments?.mode ?? 'PerTask';
  }
  if (reporting?.checks && facts.sourceKind === 'pull-request' && facts.sha) {
    out[ReportingAnnotations.Checks] = 'enabled';
    out[ReportingAnnotations.CheckName] = reporting.checks.name ?? `Kelos: ${spawner.metadata.name}`;
  }
  return out;
};

/** The template variables of a GitHub delivery: upstream's always-present keys, then the event's. */
export const githubVars = (
  delivery: Delivery,
  facts: GitHubFacts,
  changedFiles: readonly string[],
): GoValue => {
  const payloadType = GITHUB_EVENT_PAYLOADS[delivery.event];
  return {
    Event: facts.event,
    Action: facts.action,
    Sender: facts.sender,
    Ref: str(obj(delivery.payload).ref),
    Repository: facts.repository,
    RepositoryOwner: facts.owner,
    RepositoryName: facts.repo,
    // Events go-github does not type here keep GitHub's JSON (the checker types them as any).
    Payload: payloadType ? toGo(payloadType, delivery.payload) : ((delivery.payload ?? null) as GoValue),
    Kind: 'webhook',
    ChangedFiles: [...changedFiles],
    ID: '',
    Title: '',
    ...facts.vars,
  };
};

/**
 * Why the spawner refuses a delivery before any filter (its `events`, `repository` and
 * `excludeAuthors`), or undefined; read from the body alone.
 */
export const githubPrefilter = (spec: GitHubWebhook, delivery: Delivery): string | undefined => {
  if (!spec.events.includes(delivery.event)) return `event ${delivery.event} is not in events`;
  const p = obj(delivery.payload);
  const repository = str(obj(p.repository).full_name);
  if (spec.repository && spec.repository.toLowerCase() !== repository.toLowerCase())
    return `repository ${repository} is not ${spec.repository}`;
  const sender = str(obj(p.sender).login);
  if (loginIn(sender, spec.excludeAuthors)) return `author ${sender} is excluded`;
  return undefined;
};

/** Matches a GitHub delivery against a `githubWebhook` spawner. */
export const matchGitHub = (spawner: TaskSpawner, spec: GitHubWebhook, delivery: Delivery): MatchResult => {
  const refused = githubPrefilter(spec, delivery);
  if (refused !== undefined) return { matched: false, reason: refused };
  const facts = githubFacts(delivery);
  const filters = (spec.filters ?? []).filter((f) => f.event === delivery.event);
  let matchedFilter: GitHubWebhookFilter | undefined;
  if (filters.length > 0) {
    const reasons: string[] = [];
    let broken = false;
    for (const f of filters) {
      let why: string | undefined;
      try {
        why = filterMismatch(f, facts);
      } catch (e) {
        why = (e as Error).message;
        broken = true;
      }
      if (why === undefined) {
        matchedFilter = f;
        break;
      }
      reasons.push(why);
    }
    // A pattern RE2 refuses fails closed, as upstream; it is the spawner's fault, not the
    // delivery's, so it is answered invalid (a Warning Event on the spawner), not filtered.
    if (!matchedFilter)
      return {
        matched: false,
        // Two filters failing on the same test give one reason, said once.
        reason: `no filter matches: ${[...new Set(reasons)].join('; ')}`,
        ...(broken ? { invalid: true as const } : {}),
      };
  }
  // Upstream fills ChangedFiles for push, and otherwise only when the matching filter used filePatterns.
  const files = delivery.event === 'push' || matchedFilter?.filePatterns ? (facts.changedFiles ?? []) : [];
  return {
    matched: true,
    id: hashedId(delivery.event, delivery.contentDigest ?? delivery.deliveryId),
    vars: githubVars(delivery, facts, files),
    annotations: annotationsOf(spawner, facts),
  };
};
