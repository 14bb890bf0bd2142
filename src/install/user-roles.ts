/**
 * The ClusterRoles the install gives a namespace's developers, by aggregation into
 * Kubernetes' built-in `admin`, `edit` and `view` roles (as cert-manager, Argo CD and Tekton
 * do): whoever a RoleBinding gives `edit` in a namespace may then create Tasks there without
 * RBAC of the cluster admin's own. Pure data, shared by the install constructs (which render
 * them) and `kelos install` (which prunes them when turned off).
 *
 * @packageDocumentation
 */
import { AGENT_CONFIG } from '../api/agent-config.ts';
import { GROUP } from '../api/group.ts';
import { TASK } from '../api/task.ts';
import { TASK_BUDGET } from '../api/task-budget.ts';
import { TASK_SPAWNER } from '../api/task-spawner/index.ts';
import { WORKSPACE } from '../api/workspace.ts';
import type { PolicyRule } from './rbac.ts';

/** Label of a ClusterRole whose rules the built-in role `role` takes in. */
export const aggregateLabel = (role: 'admin' | 'edit' | 'view'): string =>
  `rbac.authorization.k8s.io/aggregate-to-${role}`;

/**
 * The kinds developers write: not TaskRecords (the operator's usage records) nor the cluster
 * admin's KelosConfig (cluster-scoped: no namespace's role can grant it).
 */
const USER_KINDS = [TASK, WORKSPACE, AGENT_CONFIG, TASK_SPAWNER, TASK_BUDGET];

const READ = ['get', 'list', 'watch'];

/** One aggregated ClusterRole. */
export interface UserRole {
  readonly name: string;
  /** The built-in roles that take in its rules. */
  readonly aggregateTo: readonly ('admin' | 'edit' | 'view')[];
  readonly rules: readonly PolicyRule[];
}

/**
 * `kelos-edit`, for `edit` and `admin`: the five kinds, written and read, but never their
 * status, which is the operator's (a user's status patch would fake a Task's outcome).
 * `kelos-view`, for `view`, and for `edit` and `admin` as well (so an editor reads what a
 * viewer reads, as cert-manager's view role does): the five kinds and their status, read.
 */
export const USER_ROLES: readonly UserRole[] = [
  {
    name: 'kelos-edit',
    aggregateTo: ['admin', 'edit'],
    rules: [
      {
        apiGroups: [GROUP],
        resources: USER_KINDS.map((k) => k.plural),
        verbs: ['create', 'update', 'patch', 'delete', 'deletecollection', ...READ],
      },
    ],
  },
  {
    name: 'kelos-view',
    aggregateTo: ['admin', 'edit', 'view'],
    rules: [
      {
        apiGroups: [GROUP],
        resources: USER_KINDS.flatMap((k) => (k.status ? [k.plural, `${k.plural}/status`] : [k.plural])),
        verbs: [...READ],
      },
    ],
  },
];

/** Whether a ClusterRole's labels aggregate it into a built-in role. */
export const aggregatesToDefaultRole = (labels: Readonly<Record<string, string>> | undefined): boolean =>
  (['admin', 'edit', 'view'] as const).some((r) => labels?.[aggregateLabel(r)] === 'true');
