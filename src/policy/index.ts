/**
 * The policy checker: the engine, its configuration, reporters and the admission-policy
 * compiler, with the built-in rules of `policies/`.
 *
 * @packageDocumentation
 */
import { BUILTIN_RULES } from '../../policies/index.ts';
import type { PolicyConfig } from './config.ts';
import { type PolicyDocument, type PolicyReport, runPolicies } from './engine.ts';

export { BUILTIN_RULES } from '../../policies/index.ts';
export * from './admission.ts';
export * from './config.ts';
export * from './engine.ts';
export * from './load-config.ts';
export * from './reporters/index.ts';
export * from './rule.ts';

/** Ids of the built-in rules, which a config's `rules:` section may name. */
export const BUILTIN_RULE_IDS: readonly string[] = BUILTIN_RULES.map((r) => r.id);

/** Runs the built-in rules over documents with a config: the call `kelos check` and `kelos synth` make. */
export const checkDocuments = (documents: readonly PolicyDocument[], config: PolicyConfig): PolicyReport =>
  runPolicies(documents, { config, rules: BUILTIN_RULES });
