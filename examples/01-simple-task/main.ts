/**
 * Example 01: the smallest useful Task, an agent with an API key and a prompt.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain, Task } from '../../constructs/index.ts';

/** Builds the example into `scope`. */
export default function simpleTask(scope: Construct): void {
  new Task(scope, 'simple-task', {
    metadata: { name: 'simple-task' },
    worker: {
      type: 'claude-code',
      credentials: { type: 'api-key', secretRef: { name: 'anthropic-api-key' } },
    },
    prompt: 'Write a Python script that prints the first 20 Fibonacci numbers.',
  });
}

synthWhenMain(import.meta, simpleTask);
