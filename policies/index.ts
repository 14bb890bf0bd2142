/**
 * The built-in policy rules, in the order reports list them. Each rule lives in its own file
 * named after its id (`budget/active-deadline` → `budget-active-deadline.ts`).
 *
 * @packageDocumentation
 */
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
import { budgetLabels } from './hygiene-budget-labels.ts';
import { ttlSecondsAfterFinished } from './hygiene-ttl-seconds-after-finished.ts';
import { credentialsSecretRef } from './security-credentials-secret-ref.ts';
import { excludeBotAuthors } from './security-exclude-bot-authors.ts';
import { githubTriggerRestricted } from './security-github-trigger-restricted.ts';
import { imageRegistry } from './security-image-registry.ts';
import { literalSecret } from './security-literal-secret.ts';
import { podSecurity } from './security-pod-security.ts';
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
  imageRegistry,
  webhookSigningSecret,
  githubTriggerRestricted,
  excludeBotAuthors,
  ttlSecondsAfterFinished,
  budgetLabels,
];
