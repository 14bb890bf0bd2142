import { describe, expect, test } from 'vitest';
import { flagsByPointer, flagsNamedIn, withFlagsOfRefusal } from '../../../src/cli/cluster/built-objects.ts';
import { ApiError } from '../../../src/kube/api.ts';

const flags = flagsByPointer({
  '/metadata/name': '--name',
  '/spec/worker/model': '--model',
  '/spec/worker/podOverrides/activeDeadlineSeconds': '--timeout',
  '/spec/worker/podOverrides/env': '--env',
});

describe('the flags behind the fields a refusal names', () => {
  test('a field named by its whole path, by its end, or below it; quoted text is not read', () => {
    expect(flagsNamedIn('spec.worker.model: Invalid value: "x"', flags)).toEqual(['--model']);
    expect(flagsNamedIn('set podOverrides.activeDeadlineSeconds at or under 14400', flags)).toEqual([
      '--timeout',
    ]);
    expect(flagsNamedIn('spec.worker.podOverrides.env[0].name: Required value', flags)).toEqual(['--env']);
    expect(flagsNamedIn('the agent "model" container is privileged', flags)).toEqual([]);
  });

  test("a 422 names the flag after the server's message; the request path (its namespace) is not read", () => {
    const err = new ApiError(
      422,
      'Invalid',
      'POST /apis/kelos.dev/v1alpha2/namespaces/model/tasks: 422 Invalid: Task.kelos.dev "x" is invalid: spec.worker.podOverrides.activeDeadlineSeconds: Invalid value: 0',
    );
    expect((withFlagsOfRefusal(err, flags) as Error).message).toBe(`${err.message} (set by --timeout)`);
    const notFound = new ApiError(404, 'NotFound', 'GET /x: 404 NotFound: model');
    expect(withFlagsOfRefusal(notFound, flags)).toBe(notFound);
  });
});
