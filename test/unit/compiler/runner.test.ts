import { describe, expect, test } from 'vitest';
import { KelosValidationError } from '../../../constructs/index.ts';
import { failuresOf, userSite } from '../../../src/compiler/runner.ts';
import { REPO } from './project.ts';

const stack = [
  'KelosValidationError: Task x /spec: bad',
  `    at throwIfViolations (file://${REPO}/constructs/validation.ts:51:35)`,
  `    at new Task (${REPO}/constructs/task.ts:160:5)`,
  `    at build (file://${REPO}/examples/01-simple-task/main.ts:11:3)`,
  `    at runModuleApp (${REPO}/src/compiler/runner.ts:80:7)`,
].join('\n');

describe('userSite', () => {
  test('is the first frame outside the constructs, dependencies and Node', () => {
    expect(userSite(stack, REPO)).toStrictEqual({
      file: 'examples/01-simple-task/main.ts',
      line: 11,
      column: 3,
    });
  });

  test('is undefined when every frame is ours', () => {
    expect(userSite(stack.split('\n').slice(0, 3).join('\n'), REPO)).toBeUndefined();
  });
});

describe('failuresOf', () => {
  test('turns a construct error into one failure per violation', () => {
    const err = new KelosValidationError({ kind: 'Task', name: 'x' }, [
      { path: '/spec', message: 'one' },
      { path: '/spec/worker', message: 'two' },
    ]);
    err.stack = stack;
    expect(failuresOf(err, REPO)).toStrictEqual([
      {
        code: 'construct/invalid',
        message: 'one',
        resource: { kind: 'Task', name: 'x' },
        path: '/spec',
        site: { file: 'examples/01-simple-task/main.ts', line: 11, column: 3 },
      },
      {
        code: 'construct/invalid',
        message: 'two',
        resource: { kind: 'Task', name: 'x' },
        path: '/spec/worker',
        site: { file: 'examples/01-simple-task/main.ts', line: 11, column: 3 },
      },
    ]);
  });

  test('turns anything else into an app failure', () => {
    expect(failuresOf('plain string', REPO)).toStrictEqual([
      { code: 'synth/app-failed', message: 'plain string' },
    ]);
  });
});
