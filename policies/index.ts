/**
 * The built-in policy rules, in the order reports list them. Each rule lives in its own file
 * named after its id (`budget/active-deadline` → `budget-active-deadline.ts`).
 *
 * @packageDocumentation
 */
import type { PolicyConfig } from '../src/policy/config.ts';
import { type PolicyDocument, type PolicyReport, runPolicies } from '../src/policy/engine.ts';
import type { PolicyRule } from '../src/policy/rule.ts';
import { activeDeadline } from './budget-active-deadline.ts';
import { effortAllowlist } from './budget-effort-allowlist.ts';
import { modelAllowlist } from './budget-model-allowlist.ts';
import { namespaceCovered } from './budget-namespace-covered.ts';
import { spawnerMaxConcurrency } from './budget-spawner-max-concurrency.ts';
import { spawnerMaxTotalTasks } from './budget-spawner-max-total-tasks.ts';
import { cronOverlap } from './concurrency-cron-overlap.ts';
import { pollInterval } from './concurrency-poll-interval.ts';
import { sharedWorkspaceBranch } from './concurrency-shared-workspace-branch.ts';
import { budgetWorstCase } from './forecast-budget-worst-case.ts';
import { agentMemoryLimit } from './hygiene-agent-memory-limit.ts';
import { budgetLabels } from './hygiene-budget-labels.ts';
import { modelName } from './hygiene-model-name.ts';
import { ttlSecondsAfterFinished } from './hygiene-ttl-seconds-after-finished.ts';
import { clusterScopedObject } from './security-cluster-scoped-object.ts';
import { credentialsSecretRef } from './security-credentials-secret-ref.ts';
import { excludeBotAuthors } from './security-exclude-bot-authors.ts';
import { githubTriggerRestricted } from './security-github-trigger-restricted.ts';
import { imageRegistry } from './security-image-registry.ts';
import { literalSecret } from './security-literal-secret.ts';
import { networkIsolation } from './security-network-isolation.ts';
import { podSecurity } from './security-pod-security.ts';
import { serviceAccount } from './security-service-account.ts';
import { webhookSigningSecret } from './security-webhook-signing-secret.ts';

/** Every built-in rule, in report order. */
export const BUILTIN_RULES: readonly PolicyRule[] = [
  spawnerMaxConcurrency,
  spawnerMaxTotalTasks,
  activeDeadline,
  namespaceCovered,
  modelAllowlist,
  effortAllowlist,
  budgetWorstCase,
  sharedWorkspaceBranch,
  cronOverlap,
  pollInterval,
  literalSecret,
  credentialsSecretRef,
  podSecurity,
  serviceAccount,
  networkIsolation,
  clusterScopedObject,
  imageRegistry,
  webhookSigningSecret,
  githubTriggerRestricted,
  excludeBotAuthors,
  ttlSecondsAfterFinished,
  agentMemoryLimit,
  budgetLabels,
  modelName,
];

/** Ids of the built-in rules, which a config's `rules:` section may name. */
export const BUILTIN_RULE_IDS: readonly string[] = BUILTIN_RULES.map((r) => r.id);

/**
 * Runs the built-in rules over documents with a config: the call `kelos check` and `kelos synth`
 * make, once per bundle.
 *
 * @param alongside The objects of the other bundles of the same check (see `Bundle.alongside`).
 * @param besideOnly Those of `alongside` no bundle of the check reports on, each with where it
 *   is defined (see `Bundle.definedBeside`).
 */
export const checkDocuments = (
  documents: readonly PolicyDocument[],
  config: PolicyConfig,
  alongside: readonly unknown[] = [],
  besideOnly?: ReadonlyMap<unknown, string>,
): PolicyReport =>
  runPolicies(documents, { config, rules: BUILTIN_RULES, alongside, ...(besideOnly && { besideOnly }) });
