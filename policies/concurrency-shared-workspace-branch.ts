/**
 * concurrency/shared-workspace-branch: two TaskSpawners do not write to the same workspace and
 * branch without the branch lock serializing them.
 *
 * @packageDocumentation
 */
import type { BundleRule, Finding } from '../src/policy/rule.ts';
import { namespaceOf, nonEmpty } from './lib/access.ts';
import { type Execution, executionOf, workspaceName } from './lib/worker.ts';

/** Message on the second spawner of a pair. */
export const sharesWorkspace = (workspace: string, other: string): string =>
  `shares Workspace ${workspace} with TaskSpawner ${other} and neither sets taskTemplate.branch, so their Tasks can push to the workspace's branch at the same time with no branch lock`;

export const sharedWorkspaceBranch: BundleRule = {
  id: 'concurrency/shared-workspace-branch',
  scope: 'bundle',
  severity: 'warning',
  kinds: ['TaskSpawner'],
  description:
    'No two TaskSpawners in a namespace use the same Workspace while both leave taskTemplate.branch unset.',
  rationale:
    'The operator serializes Tasks per (workspace, branch) only when a branch is set; without one, agents of both spawners commit to the checked-out ref concurrently and overwrite each other’s pushes.',
  hint: 'Give each spawner a branch template (for example kelos/{{.Number}}) or a Workspace of its own.',
  check({ bundle }) {
    const findings: Finding[] = [];
    const seen = new Map<string, Execution>();
    for (const spawner of bundle.ofKind('TaskSpawner')) {
      const e = executionOf(spawner);
      if (!e || e.spec['workerPoolRef'] !== undefined || nonEmpty(e.spec['branch'])) continue;
      const workspace = workspaceName(e);
      if (!workspace) continue;
      const key = `${namespaceOf(spawner)}/${workspace}`;
      const first = seen.get(key);
      if (!first) {
        seen.set(key, e);
        continue;
      }
      findings.push({
        object: spawner,
        path: '/spec/taskTemplate',
        message: sharesWorkspace(
          workspace,
          `${namespaceOf(first.object)}/${first.object.metadata?.name ?? ''}`,
        ),
      });
    }
    return findings;
  },
};
