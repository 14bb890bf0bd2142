/**
 * Example 09: Claude Code on Amazon Bedrock, with static AWS keys from a Secret or with
 * IAM Roles for Service Accounts (IRSA). Credentials type `none` turns off the built-in
 * injection; the environment comes from `podOverrides`.
 *
 * Kept in Git (`kelos.dev/lifecycle: git`) with no TTL, as example 01 explains.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, Task, TaskBudget } from '../../constructs/index.ts';
import { Annotations } from '../../src/api/index.ts';

const PROMPT = 'Write a Python script that prints the first 20 Fibonacci numbers.';

const fromSecret = (key: string) => ({
  name: key,
  valueFrom: { secretKeyRef: { name: 'bedrock-credentials', key } },
});

/** Builds the example into `scope`. */
export default function bedrockCredentials(scope: Construct): void {
  const team = 'aws';
  new Task(scope, 'bedrock-task', {
    metadata: { name: 'bedrock-task', labels: { team }, annotations: { 'kelos.dev/lifecycle': 'git' } },
    worker: {
      type: 'claude-code',
      credentials: { type: 'none' },
      podOverrides: {
        activeDeadlineSeconds: 3600,
        // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
        resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
        env: [
          { name: 'CLAUDE_CODE_USE_BEDROCK', value: '1' },
          fromSecret('AWS_ACCESS_KEY_ID'),
          fromSecret('AWS_SECRET_ACCESS_KEY'),
          fromSecret('AWS_REGION'),
        ],
      },
    },
    prompt: PROMPT,
  });
  new Task(scope, 'bedrock-irsa-task', {
    metadata: {
      name: 'bedrock-irsa-task',
      labels: { team },
      annotations: {
        'kelos.dev/lifecycle': 'git',
        // A ServiceAccount of its own is what the operator's floor refuses unless the cluster
        // admin lists it; opted out here because this one is, in a KelosConfig this repository
        // does not hold (see the README's out-of-band steps). The other pod checks still apply.
        [Annotations.PolicyIgnore]: 'security/service-account',
        [Annotations.PolicyIgnoreReason]:
          'runs as bedrock-agent-sa, the IRSA ServiceAccount the cluster admin lists in KelosConfig spec.podSecurity.allowedServiceAccounts',
      },
    },
    worker: {
      type: 'claude-code',
      credentials: { type: 'none' },
      podOverrides: {
        activeDeadlineSeconds: 3600,
        // 2Gi reserved and 8Gi at most: an agent past that is OOM-killed alone, not its neighbours.
        resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } },
        serviceAccountName: 'bedrock-agent-sa',
        env: [
          { name: 'CLAUDE_CODE_USE_BEDROCK', value: '1' },
          { name: 'AWS_REGION', value: 'us-east-1' },
        ],
      },
    },
    prompt: PROMPT,
  });
  // Bedrock bills your AWS account; the budget counts the cost Claude Code reports for each
  // run (its estimate at list prices), so it caps these Tasks like any others.
  new TaskBudget(scope, 'budget', {
    metadata: { name: `team-${team}-daily` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The forecast's worst case is two runs × 1 h × 6 USD/h = 12 USD.
    maxCostUSD: '15',
  });
}

synthWhenMain(import.meta, bedrockCredentials);
