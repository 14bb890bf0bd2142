/**
 * The policy checker: the engine, its configuration, reporters and the admission-policy
 * compiler. It knows no rule: the built-in ones live in `policies/`, which binds them to
 * the engine (`checkDocuments`).
 *
 * @packageDocumentation
 */
export * from './admission.ts';
export * from './config.ts';
export * from './engine.ts';
export * from './load-config.ts';
export * from './reporters/index.ts';
export * from './rule.ts';
