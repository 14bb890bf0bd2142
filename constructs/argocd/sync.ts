/**
 * Argo CD sync settings the Kelos objects need: the order of sync waves and the
 * `ignoreDifferences` for fields the operator writes.
 *
 * @packageDocumentation
 */
import { GROUP } from '../../src/api/index.ts';
import { InstallWaves } from '../install/metadata.ts';
import { FIELD_MANAGER_OPERATOR } from './names.ts';

/** Sync waves, lowest first: Argo CD waits for each wave to be healthy before the next. */
export const SyncWaves = {
  /** The argocd-cm health checks, so later waves are judged by them. */
  config: -4,
  /** CRDs; then the install's Namespace, ServiceAccount, roles and bindings; then the operator. */
  ...InstallWaves,
  /** Workspaces, AgentConfigs, TaskBudgets (and the Application of the apps). */
  references: 0,
  /** TaskSpawners and Tasks kept in Git: after the budgets that cover them exist. */
  work: 1,
} as const;

/** Kinds of each wave inside an app. */
export const WAVE_KINDS: Readonly<Record<number, readonly string[]>> = {
  [SyncWaves.references]: ['Workspace', 'AgentConfig', 'TaskBudget'],
  [SyncWaves.work]: ['TaskSpawner', 'Task'],
};

/**
 * What Argo CD must not count as drift: fields the operator writes into objects kept in Git
 * (its finalizer on Tasks, the budget-label snapshot annotation). Status is ignored by
 * Argo CD already.
 */
export const IGNORE_DIFFERENCES = ['Task', 'TaskSpawner', 'TaskBudget'].map((kind) => ({
  group: GROUP,
  kind,
  managedFieldsManagers: [FIELD_MANAGER_OPERATOR],
  ...(kind === 'Task' && { jsonPointers: ['/metadata/finalizers'] }),
}));
