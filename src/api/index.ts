/**
 * The kelos.dev/v1alpha2 API: every kind, defined once. Everything else (CRDs, the
 * offline validator, constructs, the operator's decoding) derives from these.
 *
 * @packageDocumentation
 */
import { AGENT_CONFIG } from './agent-config.ts';
import { KELOS_CONFIG } from './kelos-config.ts';
import type { KindDefinition } from './schema.ts';
import { TASK } from './task.ts';
import { TASK_BUDGET } from './task-budget.ts';
import { TASK_RECORD } from './task-record.ts';
import { TASK_SPAWNER } from './task-spawner/index.ts';
import { WORKSPACE } from './workspace.ts';

export * from './agent-config.ts';
export * from './common.ts';
export * from './group.ts';
export * from './kelos-config.ts';
export * from './object.ts';
export * from './rates.ts';
export * from './schema.ts';
export * from './task.ts';
export * from './task-budget.ts';
export * from './task-record.ts';
export * from './task-spawner/index.ts';
export * from './version.ts';
export * from './workspace.ts';

/** Every kind we serve, in a stable order (the order CRDs are written in). */
export const KINDS: readonly KindDefinition[] = [
  TASK,
  WORKSPACE,
  AGENT_CONFIG,
  TASK_SPAWNER,
  TASK_BUDGET,
  TASK_RECORD,
  KELOS_CONFIG,
];

/** Looks a served kind up by name. */
export const kindByName = (kind: string): KindDefinition | undefined => KINDS.find((k) => k.kind === kind);
