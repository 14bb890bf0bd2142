import { describe, expect, test } from 'vitest';
import { PrResponder, Workspace } from '../../../../constructs/index.ts';
import { BUILTIN_RULES } from '../../../../policies/index.ts';
import { DEFAULT_POLICY_CONFIG } from '../../../../src/policy/config.ts';
import { runPolicies } from '../../../../src/policy/engine.ts';
import { documentFromObject } from '../../../../src/validate/load.ts';
import { apiKey, chart, synth, thrown, validationErrors } from '../helpers.ts';

describe('PrResponder', () => {
  test('renders a spawner on the bot’s pull requests (snapshot)', () => {
    const c = chart();
    const workspace = new Workspace(c, 'ws', {
      metadata: { name: 'repo' },
      repo: 'https://github.com/a/b.git',
    });
    const responder = new PrResponder(c, 'prs', {
      metadata: { name: 'prs' },
      workspace,
      botLogin: 'kelos-bot',
      credentials: apiKey,
      allowedTeams: ['acme/maintainers'],
    });
    expect(synth(c)).toMatchSnapshot();
    expect(validationErrors(c)).toStrictEqual([]);
    expect(responder.author).toBe('kelos-bot');
    expect(responder.commentPolicy).toStrictEqual({
      triggerComment: '/kelos address-review',
      excludeComments: ['/kelos stop'],
      allowedTeams: ['acme/maintainers'],
    });
    const source = responder.spawner.spec.when.githubPullRequests;
    expect([source?.draft, source?.reviewState, responder.spawner.spec.taskTemplate.branch]).toStrictEqual([
      false,
      'any',
      '{{.Branch}}',
    ]);
  });

  test('answers another author’s pull requests when told to', () => {
    const c = chart();
    const responder = new PrResponder(c, 'prs', {
      workspace: Workspace.fromWorkspaceName(c, 'ws', 'repo'),
      botLogin: 'kelos-bot',
      author: 'dependabot[bot]',
      credentials: apiKey,
    });
    expect(responder.spawner.spec.when.githubPullRequests?.author).toBe('dependabot[bot]');
  });

  test('passes security/exclude-bot-authors with its botLogin among botIdentities, as kelos new writes them', () => {
    const c = chart();
    new PrResponder(c, 'prs', {
      metadata: { name: 'prs' },
      workspace: Workspace.fromWorkspaceName(c, 'ws', 'repo'),
      botLogin: 'my-org-kelos[bot]',
      credentials: apiKey,
    });
    const report = runPolicies(
      synth(c).map((object) => documentFromObject(object)),
      {
        config: { ...DEFAULT_POLICY_CONFIG, botIdentities: ['my-org-kelos[bot]'] },
        rules: BUILTIN_RULES.filter((r) => r.id === 'security/exclude-bot-authors'),
      },
    );
    expect(report.diagnostics).toStrictEqual([]);
  });

  test('rejects an open comment policy', () => {
    const c = chart();
    expect(
      thrown(
        () =>
          new PrResponder(c, 'prs', {
            metadata: { name: 'prs' },
            workspace: Workspace.fromWorkspaceName(c, 'ws', 'repo'),
            botLogin: 'kelos-bot',
            credentials: apiKey,
            commentPolicy: {},
          }),
      ),
    ).toBe(
      'TaskSpawner prs /spec/when/githubPullRequests/commentPolicy: commentPolicy must restrict who can trigger work (allowedUsers, allowedTeams or minimumPermission); otherwise anyone can start an agent',
    );
  });
});
