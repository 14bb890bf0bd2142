/**
 * security/github-trigger-restricted: GitHub-triggered spawners restrict who can trigger them.
 *
 * @packageDocumentation
 */
import type { Finding, ObjectRule } from '../src/policy/rule.ts';
import { arr, get, isRecord, nonEmpty } from './lib/access.ts';

/** Message per source; shared verbatim with the admission policy. */
export const TriggerMessages = {
  githubIssues: 'githubIssues lets anyone who can open an issue trigger a Task whose prompt is their text',
  githubPullRequests:
    'githubPullRequests lets anyone who can open a pull request trigger a Task whose prompt is their text',
  githubWebhook: 'githubWebhook lets any sender trigger a Task whose prompt is their text',
} as const;

/**
 * Whether a polling source only acts on people the policy trusts: an author filter, or a trigger
 * comment whose authors are restricted. Without a trigger comment the comment policy does not
 * gate pickup, so its allowlists alone restrict nothing.
 */
const pollingRestricted = (source: unknown): boolean => {
  if (nonEmpty(get(source, 'author'))) return true;
  const policy = get(source, 'commentPolicy');
  if (!nonEmpty(get(policy, 'triggerComment'))) return false;
  return (
    arr(get(policy, 'allowedUsers')).length > 0 ||
    arr(get(policy, 'allowedTeams')).length > 0 ||
    nonEmpty(get(policy, 'minimumPermission')) !== undefined
  );
};

/** A GitHub webhook is restricted when every filter names the sender it accepts. */
const webhookRestricted = (source: unknown): boolean => {
  const filters = arr(get(source, 'filters'));
  return filters.length > 0 && filters.every((f) => nonEmpty(get(f, 'author')) !== undefined);
};

const POLLING_CEL = (source: string) =>
  `!has(object.spec.when.${source}) || (has(object.spec.when.${source}.author) && size(object.spec.when.${source}.author) > 0) || (has(object.spec.when.${source}.commentPolicy) && has(object.spec.when.${source}.commentPolicy.triggerComment) && size(object.spec.when.${source}.commentPolicy.triggerComment) > 0 && ((has(object.spec.when.${source}.commentPolicy.allowedUsers) && size(object.spec.when.${source}.commentPolicy.allowedUsers) > 0) || (has(object.spec.when.${source}.commentPolicy.allowedTeams) && size(object.spec.when.${source}.commentPolicy.allowedTeams) > 0) || has(object.spec.when.${source}.commentPolicy.minimumPermission)))`;

export const githubTriggerRestricted: ObjectRule = {
  id: 'security/github-trigger-restricted',
  scope: 'object',
  severity: 'error',
  kinds: ['TaskSpawner'],
  description:
    'GitHub-triggered spawners restrict who can trigger them: a trigger comment limited by allowedUsers, allowedTeams or minimumPermission, or an author filter.',
  rationale:
    'Issue and pull request text becomes the agent’s prompt; if anyone can trigger the spawner, anyone can instruct an agent that holds a write token.',
  hint: 'Set commentPolicy.triggerComment with allowedUsers, allowedTeams or minimumPermission (or author, or author on every webhook filter).',
  check({ object }) {
    const when = get(object, 'spec', 'when');
    const findings: Finding[] = [];
    for (const source of ['githubIssues', 'githubPullRequests'] as const) {
      const s = get(when, source);
      if (isRecord(s) && !pollingRestricted(s))
        findings.push({ path: `/spec/when/${source}`, message: TriggerMessages[source] });
    }
    const hook = get(when, 'githubWebhook');
    if (isRecord(hook) && !webhookRestricted(hook)) {
      // A webhook source has no commentPolicy: the author filters are the only restriction.
      findings.push({
        path: '/spec/when/githubWebhook',
        message: TriggerMessages.githubWebhook,
        hint: 'Give every entry of githubWebhook.filters an author (the logins allowed to trigger it).',
      });
    }
    return findings;
  },
  admission: () => [
    {
      kind: 'TaskSpawner',
      validations: [
        { expression: POLLING_CEL('githubIssues'), message: TriggerMessages.githubIssues },
        { expression: POLLING_CEL('githubPullRequests'), message: TriggerMessages.githubPullRequests },
        {
          expression:
            '!has(object.spec.when.githubWebhook) || (has(object.spec.when.githubWebhook.filters) && size(object.spec.when.githubWebhook.filters) > 0 && object.spec.when.githubWebhook.filters.all(f, has(f.author) && size(f.author) > 0))',
          message: TriggerMessages.githubWebhook,
        },
      ],
    },
  ],
};
