/**
 * Example 04: a TaskSpawner that updates dependencies every Monday morning.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, TaskSpawner, Workspace } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function cronSpawner(scope: Construct): void {
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'my-workspace' },
    repo: 'https://github.com/your-org/your-repo.git',
    ref: 'main',
    secretRef: { name: 'github-token' },
  });
  new TaskSpawner(scope, 'weekly-dependency-update', {
    metadata: { name: 'weekly-dependency-update' },
    // Every Monday at 9:00 UTC.
    when: { cron: { schedule: '0 9 * * 1' } },
    taskTemplate: {
      worker: {
        type: 'claude-code',
        credentials: { type: 'api-key', secretRef: { name: 'anthropic-api-key' } },
        workspace,
      },
      promptTemplate: `Check for outdated dependencies, update them to the latest compatible
versions, run the tests, and open a PR with the changes.
`,
      ttlSecondsAfterFinished: 3600,
    },
  });
}

synthWhenMain(import.meta, cronSpawner);
