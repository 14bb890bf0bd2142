/**
 * Whole-object types (apiVersion, kind, metadata, spec, status) for every kind.
 *
 * @packageDocumentation
 */
import type { AgentConfigSpec } from './agent-config.ts';
import type { API_VERSION } from './group.ts';
import type { KelosConfigSpec } from './kelos-config.ts';
import type { TaskSpec, TaskStatus } from './task.ts';
import type { TaskBudgetSpec, TaskBudgetStatus } from './task-budget.ts';
import type { TaskRecordSpec } from './task-record.ts';
import type { TaskSpawnerSpec, TaskSpawnerStatus } from './task-spawner/index.ts';
import type { WorkspaceSpec } from './workspace.ts';

export type { KubeObject, ObjectMeta, OwnerReference } from '../kube/meta.ts';

import type { ObjectMeta } from '../kube/meta.ts';

/** A Kelos object of a given kind. */
export interface KelosObject<K extends string, Spec, Status = never> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export type Task = KelosObject<'Task', TaskSpec, TaskStatus>;
export type Workspace = KelosObject<'Workspace', WorkspaceSpec>;
export type AgentConfig = KelosObject<'AgentConfig', AgentConfigSpec>;
export type TaskSpawner = KelosObject<'TaskSpawner', TaskSpawnerSpec, TaskSpawnerStatus>;
export type TaskBudget = KelosObject<'TaskBudget', TaskBudgetSpec, TaskBudgetStatus>;
export type TaskRecord = KelosObject<'TaskRecord', TaskRecordSpec>;
export type KelosConfig = KelosObject<'KelosConfig', KelosConfigSpec>;
