/**
 * A generated fleet: `count` mixed Kelos objects built with our constructs, shaped like a
 * large platform team's app. Teams of 20 objects share one namespace per `namespaces`
 * slice; each team has a Workspace, an AgentConfig, a TaskBudget, three TaskSpawners (issue
 * worker, PR responder, and a cron or webhook source) and fourteen Tasks, most of them in
 * `dependsOn` chains that read their predecessor's results. Every object is valid, and the
 * output is the same for the same arguments: variation comes from the indexes, not from a
 * random source.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import {
  AgentConfig,
  depResult,
  type IAgentConfig,
  type ITask,
  type IWorkspace,
  Task,
  TaskBudget,
  TaskSpawner,
  type WorkerProps,
  Workspace,
} from '../../constructs/index.ts';

/** Options of {@link buildFleet}. */
export interface FleetOptions {
  /** Number of objects to build. */
  readonly count: number;
  /**
   * Namespaces the teams are spread over.
   *
   * @default 20
   */
  readonly namespaces?: number;
}

/** Objects per team; see the module comment for the mix. */
export const TEAM_SIZE = 20;

/** The share of each kind in a full team, for the report. */
export const TEAM_MIX = { Workspace: 1, AgentConfig: 1, TaskBudget: 1, TaskSpawner: 3, Task: 14 } as const;

/** Chain lengths of a team's Tasks: three pipelines and three standalone Tasks. */
const CHAINS = [4, 4, 3, 1, 1, 1] as const;

const AGENTS = ['claude-code', 'codex', 'gemini', 'opencode', 'cursor'] as const;
const MODELS: Record<(typeof AGENTS)[number], string> = {
  'claude-code': 'claude-sonnet-4-5',
  codex: 'gpt-5-codex',
  gemini: 'gemini-2.5-pro',
  opencode: 'anthropic/claude-sonnet-4-5',
  cursor: 'auto',
};

const pipelinePrompt = (team: number, step: number, previous: ITask | undefined): string =>
  previous
    ? `Continue the work of team ${team} on branch ${depResult(previous, 'branch')}.
Step ${step}: read the previous commit ${depResult(previous, 'commit')}, extend the tests for
every changed module, run the whole suite and push. Open or update the pull request.
`
    : `Team ${team}: scaffold the feature described in docs/rfcs/${team}.md.
Create the module, wire it into the router, commit and push the branch.
`;

/**
 * Builds `options.count` objects into `scope`.
 *
 * @returns how many objects of each kind were built.
 */
export const buildFleet = (scope: Construct, options: FleetOptions): Record<string, number> => {
  const namespaces = options.namespaces ?? 20;
  const built: Record<string, number> = {};
  let left = options.count;
  /** Counts one object, or returns false when the fleet is complete. */
  const take = (kind: string): boolean => {
    if (left <= 0) return false;
    left -= 1;
    built[kind] = (built[kind] ?? 0) + 1;
    return true;
  };

  for (let team = 0; left > 0; team += 1) {
    const namespace = `team-${String(team % namespaces).padStart(2, '0')}`;
    const id = `t${team}`;
    const agent = AGENTS[team % AGENTS.length] as (typeof AGENTS)[number];
    const repo = `https://github.com/example-org/service-${team}.git`;

    if (!take('Workspace')) break;
    const workspace: IWorkspace = new Workspace(scope, `${id}-workspace`, {
      metadata: { name: `service-${team}`, namespace, labels: { team: id } },
      repo,
      ref: team % 3 === 0 ? 'main' : `release-${team % 7}`,
      secretRef: { name: `github-token-${team % 4}` },
      ...(team % 2 === 0 && {
        remotes: [{ name: 'upstream', url: `https://github.com/upstream-org/service-${team}.git` }],
      }),
      files: [{ path: '.kelos/context.md', content: `Service ${team} is owned by team ${id}.\n` }],
      setupCommand: ['npm', 'ci'],
    });

    if (!take('AgentConfig')) break;
    const config: IAgentConfig = new AgentConfig(scope, `${id}-config`, {
      metadata: { name: `conventions-${team}`, namespace, labels: { team: id } },
      agentsMD: `- Follow the style guide in docs/style.md\n- Every change comes with tests\n- Team ${id} reviews all migrations\n`,
      plugins: [
        {
          name: 'team',
          skills: [{ name: 'release-notes', content: 'Write release notes for the merged pull requests.\n' }],
          agents: [{ name: 'reviewer', content: 'Review diffs for correctness and security.\n' }],
        },
      ],
      mcpServers: [
        {
          name: 'issues',
          type: 'http',
          url: `https://mcp.example.com/team-${team}`,
          headersFrom: { secretRef: { name: `mcp-headers-${team % 4}` } },
        },
        {
          name: 'filesystem',
          type: 'stdio',
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-filesystem', '/workspace'],
          env: [{ name: 'LOG_LEVEL', value: 'warn' }],
        },
      ],
    });

    if (!take('TaskBudget')) break;
    new TaskBudget(scope, `${id}-budget`, {
      metadata: { name: `budget-${team}`, namespace },
      taskSelector: { matchLabels: { team: id } },
      period: { type: team % 2 === 0 ? 'Daily' : 'Weekly', timezone: 'Europe/Berlin' },
      // Above the policy checker's worst-case forecast for the team's spawners and Tasks.
      maxCostUSD: String((2000 + (team % 5) * 100) * (team % 2 === 0 ? 1 : 7)),
      ...(team % 3 === 0 && { maxInputTokens: 5_000_000, maxOutputTokens: 500_000 }),
    });

    const worker: WorkerProps = {
      type: agent,
      model: MODELS[agent],
      credentials:
        agent === 'claude-code'
          ? { type: 'oauth', secretRef: { name: 'claude-oauth-token' } }
          : { type: 'api-key', secretRef: { name: `${agent}-api-key` } },
      workspace,
      agentConfigs: [config],
      podOverrides: {
        labels: { team: id },
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } },
        activeDeadlineSeconds: 3600,
        env: [{ name: 'TEAM', value: id }],
      },
    };

    if (!take('TaskSpawner')) break;
    new TaskSpawner(scope, `${id}-issues`, {
      metadata: { name: `issues-${team}`, namespace },
      when: {
        githubIssues: {
          labels: ['kelos'],
          excludeLabels: ['wontfix'],
          excludeAuthors: ['kelos-bot[bot]'],
          commentPolicy: { triggerComment: '/kelos pick-up', minimumPermission: 'write' },
          reporting: { comments: { mode: 'Sticky' } },
          pollInterval: '5m',
        },
      },
      taskTemplate: {
        worker,
        branch: 'kelos-issue-{{.Number}}',
        promptTemplate: 'Fix issue #{{.Number}}: {{.Title}}\n{{.Body}}\n',
        ttlSecondsAfterFinished: 86400,
        metadata: { labels: { team: id } },
      },
      maxConcurrency: 2 + (team % 3),
      maxTotalTasks: 100,
    });

    if (!take('TaskSpawner')) break;
    new TaskSpawner(scope, `${id}-reviews`, {
      metadata: { name: `reviews-${team}`, namespace },
      when: {
        githubPullRequests: {
          labels: ['needs-review'],
          reviewState: 'changes_requested',
          excludeAuthors: ['kelos-bot[bot]'],
          commentPolicy: { triggerComment: '/kelos review', minimumPermission: 'write' },
          reporting: { checks: {} },
          filePatterns: { include: ['src/**'], exclude: ['**/*.md'] },
        },
      },
      taskTemplate: {
        worker,
        branch: '{{.Branch}}',
        promptTemplate: 'Address the review comments on #{{.Number}}.\n',
        ttlSecondsAfterFinished: 86400,
        metadata: { labels: { team: id } },
      },
      maxConcurrency: 1,
      maxTotalTasks: 200,
    });

    if (!take('TaskSpawner')) break;
    if (team % 2 === 0) {
      new TaskSpawner(scope, `${id}-nightly`, {
        metadata: { name: `nightly-${team}`, namespace },
        when: { cron: { schedule: `${team % 60} 2 * * *` } },
        taskTemplate: {
          worker,
          promptTemplate: 'Update outdated dependencies, run the tests and open a pull request.\n',
          ttlSecondsAfterFinished: 3600,
          metadata: { labels: { team: id } },
        },
        maxConcurrency: 1,
        maxTotalTasks: 365,
      });
    } else {
      new TaskSpawner(scope, `${id}-alerts`, {
        metadata: { name: `alerts-${team}`, namespace },
        when: {
          webhook: {
            source: 'sentry',
            fieldMapping: { id: '$.data.event.event_id', title: '$.data.event.title' },
            filters: [{ field: '$.data.event.level', value: 'error' }],
            secretRef: { name: 'sentry-webhook-secret' },
          },
        },
        taskTemplate: {
          worker,
          branch: 'sentry-{{.ID}}',
          promptTemplate: 'Investigate Sentry error {{.Title}} and open a fix.\n',
          ttlSecondsAfterFinished: 3600,
          metadata: { labels: { team: id } },
        },
        maxConcurrency: 3,
        maxTotalTasks: 500,
      });
    }

    let n = 0;
    for (const [chain, length] of CHAINS.entries()) {
      let previous: ITask | undefined;
      for (let step = 0; step < length; step += 1) {
        if (!take('Task')) break;
        n += 1;
        const task: ITask = new Task(scope, `${id}-task-${n}`, {
          metadata: { name: `task-${team}-${chain}-${step}`, namespace, labels: { team: id } },
          worker: {
            ...worker,
            ...(n % 3 === 0 && {
              podOverrides: {
                ...worker.podOverrides,
                nodeSelector: { 'kubernetes.io/arch': 'amd64' },
                tolerations: [{ key: 'agents', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
              },
            }),
          },
          branch: `team-${team}/feature-${chain}`,
          prompt: pipelinePrompt(team, step, previous),
          ttlSecondsAfterFinished: 86400,
          ...(previous && { dependsOn: [previous] }),
        });
        previous = task;
      }
    }
  }
  return built;
};
