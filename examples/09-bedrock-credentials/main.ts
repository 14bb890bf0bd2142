/**
 * Example 09: Claude Code on Amazon Bedrock, with static AWS keys from a Secret or with
 * IAM Roles for Service Accounts (IRSA). Credentials type `none` turns off the built-in
 * injection; the environment comes from `podOverrides`.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, Task } from '../../constructs/index.ts';

const PROMPT = 'Write a Python script that prints the first 20 Fibonacci numbers.';

const fromSecret = (key: string) => ({
  name: key,
  valueFrom: { secretKeyRef: { name: 'bedrock-credentials', key } },
});

/** Builds the example into `scope`. */
export default function bedrockCredentials(scope: Construct): void {
  new Task(scope, 'bedrock-task', {
    metadata: { name: 'bedrock-task' },
    worker: {
      type: 'claude-code',
      credentials: { type: 'none' },
      podOverrides: {
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
    metadata: { name: 'bedrock-irsa-task' },
    worker: {
      type: 'claude-code',
      credentials: { type: 'none' },
      podOverrides: {
        serviceAccountName: 'bedrock-agent-sa',
        env: [
          { name: 'CLAUDE_CODE_USE_BEDROCK', value: '1' },
          { name: 'AWS_REGION', value: 'us-east-1' },
        ],
      },
    },
    prompt: PROMPT,
  });
}

synthWhenMain(import.meta, bedrockCredentials);
