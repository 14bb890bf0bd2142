/**
 * Patterns: opinionated constructs with safe defaults, built from the L1 constructs.
 *
 * @packageDocumentation
 */
export * from './agent.ts';
export * from './issue-worker.ts';
export * from './messages.ts';
export * from './pipeline.ts';
export * from './pr-responder.ts';
export * from './scheduled-agent.ts';
export * from './self-development.ts';
