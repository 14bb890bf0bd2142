/**
 * Kelos constructs for cdk8s: one L1 construct per kind, and patterns built from them.
 *
 * @packageDocumentation
 */
export * from './agent-config.ts';
export * from './app.ts';
export * from './app-namespace.ts';
export * from './argocd/index.ts';
export * from './install/index.ts';
export * from './kelos-config.ts';
export * from './messages.ts';
export * from './patterns/index.ts';
export * from './reference.ts';
export * from './task.ts';
export * from './task-budget.ts';
export * from './task-record.ts';
export * from './task-spawner.ts';
export * from './validation.ts';
export * from './worker.ts';
export * from './workspace.ts';
