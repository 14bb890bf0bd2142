/**
 * The GitHub comment policy (`commentPolicy`), as upstream's
 * `internal/source/github_comment_policy.go`: a command counts only as a whole trimmed line
 * of the item's body or of a comment; only authorized actors' commands count; the newest
 * authorized trigger or exclude command wins.
 *
 * The decision ({@link decideCommands}) is pure; {@link GitHubAuthorizer} does the lookups
 * (collaborator permission, team membership) through the spawner's {@link GitHubClient}, so
 * they are conditional requests too. It remembers each answer for a while (10 minutes by
 * default) rather than for one poll: the decision is re-made every poll, also for unchanged
 * items, and a 404 (not a collaborator) cannot be answered with a 304, so a per-poll memo
 * would charge the rate limit for every unauthorized command on every poll. A permission
 * granted or revoked takes effect within that time.
 *
 * @packageDocumentation
 */
import type { Static } from '@sinclair/typebox';
import type { GitHubCommentPolicySchema } from '../../api/task-spawner/index.ts';
import type { GitHubClient } from './github-client.ts';

/** A spawner's comment policy. */
export type CommentPolicy = Static<typeof GitHubCommentPolicySchema>;

/** The body of an item, or a comment on it, as the policy reads it. */
export interface CommandSource {
  readonly author: string;
  readonly body: string;
  readonly createdAt: Date;
}

/** What the commands on an item decided. */
export interface CommandDecision {
  /** Whether the item may be picked up. */
  readonly accepted: boolean;
  /** Time of the winning authorized trigger, if a trigger won. */
  readonly triggerTime?: Date;
  /** Why, in words: for logs and tests. */
  readonly reason: string;
}

const PERMISSION_RANK: Readonly<Record<string, number>> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

/** Whether `command` is a whole line of `body`, both trimmed (upstream's whole-line rule). */
export const hasCommandLine = (body: string, command: string): boolean => {
  const want = command.trim();
  if (want === '') return false;
  return body.split(/\r?\n/).some((line) => line.trim() === want);
};

/** Whether the policy restricts who may command (else anyone may). */
export const restrictsActors = (policy: CommentPolicy): boolean =>
  (policy.allowedUsers?.length ?? 0) > 0 ||
  (policy.allowedTeams?.length ?? 0) > 0 ||
  policy.minimumPermission !== undefined;

/** Whether the policy uses commands at all; without, items need no comments to decide. */
export const usesCommands = (policy: CommentPolicy | undefined): policy is CommentPolicy =>
  !!policy && (!!policy.triggerComment?.trim() || (policy.excludeComments ?? []).some((c) => c.trim()));

type Command = { readonly kind: 'trigger' | 'exclude'; readonly source: CommandSource };

/** Every command line in the sources, newest first (ties: later in the list first). */
export const commandsOf = (policy: CommentPolicy, sources: readonly CommandSource[]): Command[] => {
  const found: Array<Command & { order: number }> = [];
  sources.forEach((source, order) => {
    // A comment holding both commands counts as an exclude: withdrawing is the safe reading.
    if ((policy.excludeComments ?? []).some((c) => hasCommandLine(source.body, c))) {
      found.push({ kind: 'exclude', source, order });
    } else if (policy.triggerComment && hasCommandLine(source.body, policy.triggerComment)) {
      found.push({ kind: 'trigger', source, order });
    }
  });
  return found.sort(
    (a, b) => b.source.createdAt.getTime() - a.source.createdAt.getTime() || b.order - a.order,
  );
};

/**
 * Decides an item from its body and comments: the newest command whose actor is authorized
 * wins. With a trigger configured, an item without an authorized trigger is not accepted;
 * without one, only an authorized exclude withdraws it.
 *
 * @param isAuthorized memoized authorization of an actor; called newest command first and
 *   only until one is authorized, so an unchanged item costs no lookups beyond the first hit
 */
export async function decideCommands(
  policy: CommentPolicy | undefined,
  sources: readonly CommandSource[],
  isAuthorized: (login: string) => Promise<boolean>,
): Promise<CommandDecision> {
  if (!usesCommands(policy)) return { accepted: true, reason: 'no commands configured' };
  const hasTrigger = !!policy.triggerComment?.trim();
  for (const c of commandsOf(policy, sources)) {
    if (!(await isAuthorized(c.source.author))) continue;
    return c.kind === 'trigger'
      ? { accepted: true, triggerTime: c.source.createdAt, reason: `trigger by ${c.source.author}` }
      : { accepted: false, reason: `excluded by ${c.source.author}` };
  }
  return hasTrigger
    ? { accepted: false, reason: 'no authorized trigger' }
    : { accepted: true, reason: 'no authorized exclude' };
}

/** How long an authorization answer is reused. */
export const AUTHORIZATION_TTL_MS = 10 * 60_000;

/** Whose commands count, looked up on GitHub; one instance per spawner source. */
export class GitHubAuthorizer {
  private readonly memo = new Map<string, { at: number; answer: Promise<boolean> }>();
  private readonly client: GitHubClient;
  private readonly policy: CommentPolicy;
  private readonly repoPath: string;
  private readonly ttlMs: number;
  private readonly now: () => number;

  /** @param repoPath `/repos/<owner>/<repo>` */
  constructor(
    client: GitHubClient,
    policy: CommentPolicy,
    repoPath: string,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.client = client;
    this.policy = policy;
    this.repoPath = repoPath;
    this.ttlMs = options.ttlMs ?? AUTHORIZATION_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Whether `login`'s commands count (remembered for the TTL; failed lookups are not). */
  isAuthorized = (login: string): Promise<boolean> => {
    const key = login.toLowerCase();
    const now = this.now();
    const known = this.memo.get(key);
    if (known && now - known.at < this.ttlMs) return known.answer;
    const answer = this.lookup(login);
    this.memo.set(key, { at: now, answer });
    answer.catch(() => this.memo.delete(key));
    return answer;
  };

  private async lookup(login: string): Promise<boolean> {
    const policy = this.policy;
    if (!restrictsActors(policy)) return true;
    // A deleted account (GitHub's `user: null`) has no login to look up, and is no one's.
    if (login === '') return false;
    if ((policy.allowedUsers ?? []).some((u) => u.toLowerCase() === login.toLowerCase())) return true;
    if (policy.minimumPermission) {
      const r = await this.client.get<{ permission?: string; role_name?: string } | undefined>(
        `${this.repoPath}/collaborators/${encodeURIComponent(login)}/permission`,
        true,
      );
      const role = r.data?.role_name ?? '';
      const rank = PERMISSION_RANK[role] ?? PERMISSION_RANK[r.data?.permission ?? 'none'] ?? 0;
      if (rank >= PERMISSION_RANK[policy.minimumPermission]!) return true;
    }
    for (const team of policy.allowedTeams ?? []) {
      const [org, slug] = team.split('/');
      const r = await this.client.get<{ state?: string } | undefined>(
        `/orgs/${encodeURIComponent(org!)}/teams/${encodeURIComponent(slug!)}/memberships/${encodeURIComponent(login)}`,
        true,
      );
      if (r.data?.state === 'active') return true;
    }
    return false;
  }
}
