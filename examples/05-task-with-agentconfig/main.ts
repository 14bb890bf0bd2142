/**
 * Example 05: a Task that reviews a pull request with reusable instructions and a skill
 * from an AgentConfig.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { AgentConfig, synthWhenMain, Task, TaskBudget, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function taskWithAgentConfig(scope: Construct): void {
  const team = 'reviewers';
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'agentconfig-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  const reviewer = new AgentConfig(scope, 'code-reviewer', {
    metadata: { name: 'code-reviewer' },
    agentsMD: `- Focus on correctness, readability, and security
- Flag any OWASP Top 10 vulnerabilities
- Suggest tests for untested code paths
- Keep feedback actionable and concise
`,
    plugins: [
      {
        name: 'reviewer',
        skills: [
          {
            name: 'review',
            content: `Review the current PR diff for issues.
Focus on: correctness, security, performance, readability.
Post a summary as a PR comment using \`gh pr comment\`.
`,
          },
        ],
      },
    ],
  });
  new Task(scope, 'review-pr', {
    // Kept in Git and synced by Argo CD: no TTL (it would run again after one), see example 01.
    metadata: { name: 'review-pr', labels: { team }, annotations: { 'kelos.dev/lifecycle': 'git' } },
    worker: {
      type: 'claude-code',
      credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
      workspace,
      agentConfigs: [reviewer],
      podOverrides: {
        activeDeadlineSeconds: 3600,
        // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
        resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
      },
    },
    prompt: 'Review the latest PR and provide feedback using /review.',
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case is one run × 1 h × 6 USD/h = 6 USD.
    maxCostUSD: '10',
  });
}

synthWhenMain(import.meta, taskWithAgentConfig);
