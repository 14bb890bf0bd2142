/**
 * security/exclude-bot-authors: GitHub-triggered spawners exclude the bot's own identities as
 * authors, so the agent's own issues and pull requests do not trigger it again.
 *
 * @packageDocumentation
 */
import type { Finding, ObjectRule } from '../src/policy/rule.ts';
import { arr, get, isRecord } from './lib/access.ts';
import { celList } from './lib/cel.ts';

/** Message listing the identities a source does not exclude. */
export const botNotExcluded = (source: string, missing: readonly string[]): string =>
  `${source}.excludeAuthors lacks the bot ${missing.length === 1 ? 'identity' : 'identities'} ${missing.join(', ')}, so the agent's own work can trigger it again`;

const SOURCES = ['githubIssues', 'githubPullRequests', 'githubWebhook'] as const;

export const excludeBotAuthors: ObjectRule = {
  id: 'security/exclude-bot-authors',
  scope: 'object',
  severity: 'warning',
  kinds: ['TaskSpawner'],
  description:
    'GitHub-triggered spawners list every configured bot identity (botIdentities) in excludeAuthors.',
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
      const excluded = arr(s['excludeAuthors']);
      const missing = bots.filter((b) => !excluded.includes(b));
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
    return [
      {
        kind: 'TaskSpawner',
        validations: SOURCES.map((source) => {
          const s = `object.spec.when.${source}`;
          return {
            expression: `!has(${s}) || (has(${s}.excludeAuthors) && ${celList(bots)}.all(b, b in ${s}.excludeAuthors))`,
            message: botNotExcluded(source, bots),
          };
        }),
      },
    ];
  },
};
