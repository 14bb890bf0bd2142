/**
 * security/exclude-bot-authors: GitHub-triggered spawners exclude the bot's own identities as
 * authors, so the agent's own issues and pull requests do not trigger it again.
 *
 * What the rule guards against is a loop: the agent opens an item as the bot, the spawner picks
 * it up and starts another agent, which opens another. A polling source with an `author` filter
 * takes only that login's items (the operator compares logins case-insensitively), so every other
 * login, bot or not, is already kept out: such a source is never asked to list bots in
 * `excludeAuthors`. When that author is itself a bot identity the source takes the bot's own
 * items on purpose (a PrResponder answers reviews on the bot's pull requests); excluding the bot
 * there would leave the source nothing to take, so the hint would be wrong. What breaks the loop
 * for such a source is a person asking: it is reported only when no
 * `commentPolicy.triggerComment` gates its items. A `githubWebhook` filter's `author` is the
 * sender of an event rather than the opener of an item, and is left to `excludeAuthors`.
 *
 * @packageDocumentation
 */
import type { Finding, ObjectRule } from '../src/policy/rule.ts';
import { arr, get, isRecord, nonEmpty } from './lib/access.ts';
import { celList } from './lib/cel.ts';

/** Message listing the identities a source does not exclude. */
export const botNotExcluded = (source: string, missing: readonly string[]): string =>
  `${source}.excludeAuthors lacks the bot ${missing.length === 1 ? 'identity' : 'identities'} ${missing.join(', ')}, so the agent's own work can trigger it again`;

/** Message for a polling source that takes the bot's own items with no trigger comment. */
export const botAuthorUngated = (source: string, author?: string): string =>
  `${source}.author is ${author === undefined ? 'a bot identity' : `the bot identity ${author}`} and no commentPolicy.triggerComment gates its items, so every item the agent opens starts another Task`;

const BOT_AUTHOR_HINT =
  'Set commentPolicy.triggerComment (with allowedUsers, allowedTeams or minimumPermission), so a person asks before the agent takes an item the bot opened.';

const POLLING = ['githubIssues', 'githubPullRequests'] as const;
const SOURCES = [...POLLING, 'githubWebhook'] as const;

const hasTrigger = (source: unknown): boolean =>
  nonEmpty(get(source, 'commentPolicy', 'triggerComment')) !== undefined;

export const excludeBotAuthors: ObjectRule = {
  id: 'security/exclude-bot-authors',
  scope: 'object',
  severity: 'warning',
  kinds: ['TaskSpawner'],
  description:
    'GitHub-triggered spawners list every configured bot identity (botIdentities) in excludeAuthors, unless an author filter keeps them out.',
  rationale:
    'An agent that opens issues or pull requests as the bot would otherwise pick up its own output and loop, spending until a budget stops it.',
  hint: 'Add the bot logins to excludeAuthors (botIdentities in kelos.policy.yaml lists them).',
  check({ object, config }) {
    const bots = config.botIdentities;
    if (bots.length === 0) return [];
    const findings: Finding[] = [];
    for (const source of SOURCES) {
      const s = get(object, 'spec', 'when', source);
      if (!isRecord(s)) continue;
      const author = source === 'githubWebhook' ? undefined : nonEmpty(s['author']);
      if (author !== undefined) {
        const bot = bots.find((b) => b.toLowerCase() === author.toLowerCase());
        if (bot !== undefined && !hasTrigger(s))
          findings.push({
            path: `/spec/when/${source}/author`,
            message: botAuthorUngated(source, author),
            hint: BOT_AUTHOR_HINT,
          });
        continue;
      }
      // Logins compare without case, as the operator compares them.
      const excluded = new Set(
        arr(s['excludeAuthors']).flatMap((a) => (typeof a === 'string' ? [a.toLowerCase()] : [])),
      );
      const missing = bots.filter((b) => !excluded.has(b.toLowerCase()));
      if (missing.length > 0) {
        const path =
          s['excludeAuthors'] === undefined ? `/spec/when/${source}` : `/spec/when/${source}/excludeAuthors`;
        findings.push({ path, message: botNotExcluded(source, missing) });
      }
    }
    return findings;
  },
  admission: (config) => {
    const bots = config.botIdentities;
    if (bots.length === 0) return [];
    const lowered = celList([...new Set(bots.map((b) => b.toLowerCase()))]);
    const excludes = (s: string) =>
      `(has(${s}.excludeAuthors) && ${lowered}.all(b, ${s}.excludeAuthors.exists(a, a.lowerAscii() == b)))`;
    const hasAuthor = (s: string) => `(has(${s}.author) && size(${s}.author) > 0)`;
    return [
      {
        kind: 'TaskSpawner',
        validations: SOURCES.flatMap((source) => {
          const s = `object.spec.when.${source}`;
          if (source === 'githubWebhook')
            return [{ expression: `!has(${s}) || ${excludes(s)}`, message: botNotExcluded(source, bots) }];
          return [
            {
              expression: `!has(${s}) || ${hasAuthor(s)} || ${excludes(s)}`,
              message: botNotExcluded(source, bots),
            },
            {
              expression: `!has(${s}) || !${hasAuthor(s)} || !(${s}.author.lowerAscii() in ${lowered}) || (has(${s}.commentPolicy) && has(${s}.commentPolicy.triggerComment) && size(${s}.commentPolicy.triggerComment) > 0)`,
              message: botAuthorUngated(source),
            },
          ];
        }),
      },
    ];
  },
};
