/**
 * Example 08: a Task that uses a `kelos` skill to author Kelos resources itself, in a
 * Workspace of its own.
 *
 * Kept in Git (`kelos.dev/lifecycle: git`) with no TTL, as example 01 explains.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { AgentConfig, synthWhenMain, Task, TaskBudget, Workspace } from '../../constructs/index.ts';

const KELOS_SKILL = `Use this skill when you need to author, debug, or operate Kelos
resources (Task, Workspace, AgentConfig, TaskSpawner) on a
Kubernetes cluster.

Refer to the Kelos documentation and examples in the repository
for YAML patterns and CLI usage. Key resources:
- Task: a single agent run (prompt, credentials, workspace, config)
- Workspace: a git repository to clone
- AgentConfig: reusable instructions, skills, MCP servers
- TaskSpawner: auto-creates Tasks from GitHub issues, Jira, or cron

\`\`\`bash
kelos install                # Install CRDs and controller
kelos run -p "prompt"        # Run a task
kelos create workspace ...   # Create a workspace
kelos create agentconfig ... # Create an agent config
kelos get tasks              # List tasks
kelos logs <task> -f         # Stream task logs
\`\`\`

- Task stuck in Pending: check credentials secret or controller logs
- Task stuck in Waiting: check dependsOn or branch lock conflicts
- TaskSpawner not creating Tasks: check workspace exists,
  maxConcurrency limit, or suspend flag
- Agent cannot push: verify GITHUB_TOKEN has repo permissions
`;

/** Builds the example into `scope`. */
export default function taskWithKelosSkill(scope: Construct): void {
  const team = 'devex';
  // The app's own Workspace: an object another app renders would be fought over by two Argo CD
  // Applications, and one imported by name (Workspace.fromWorkspaceName) is a warning to check.
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'devex-platform' },
    repo: 'https://github.com/acme/platform.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  const skill = new AgentConfig(scope, 'kelos-skill-agent', {
    metadata: { name: 'kelos-skill-agent' },
    plugins: [{ name: 'kelos', skills: [{ name: 'kelos', content: KELOS_SKILL }] }],
  });
  new Task(scope, 'setup-kelos-workflow', {
    metadata: {
      name: 'setup-kelos-workflow',
      labels: { team },
      annotations: { 'kelos.dev/lifecycle': 'git' },
    },
    worker: {
      type: 'claude-code',
      credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
      workspace,
      agentConfigs: [skill],
      podOverrides: {
        activeDeadlineSeconds: 3600,
        // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
        resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
      },
    },
    prompt: `Using the /kelos skill, create a TaskSpawner that monitors GitHub issues
labeled "agent" and automatically creates Tasks to fix them.
Include a Workspace and AgentConfig. Apply the resources to the cluster.
`,
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case is one run × 1 h × 6 USD/h = 6 USD.
    maxCostUSD: '10',
  });
}

synthWhenMain(import.meta, taskWithKelosSkill);
