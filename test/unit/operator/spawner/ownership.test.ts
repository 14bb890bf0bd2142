import { describe, expect, test } from 'vitest';
import type { Task, TaskSpawner } from '../../../../src/api/object.ts';
import type { OwnerReference } from '../../../../src/kube/meta.ts';
import {
  belongsTo,
  legacySpawnerOf,
  spawnerKeyOf,
  spawnerNameOf,
  spawnerOwnerOf,
} from '../../../../src/operator/spawner/ownership.ts';

const spawner = (uid: string): TaskSpawner =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'TaskSpawner',
    metadata: { name: 'fixer', namespace: 'team', uid },
    spec: {},
  }) as unknown as TaskSpawner;

const ref = (over: Partial<OwnerReference> = {}): OwnerReference => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  name: 'fixer',
  uid: 'uid-1',
  controller: true,
  ...over,
});

const task = (ownerReferences: OwnerReference[] | undefined, label: string | null = 'fixer'): Task =>
  ({
    apiVersion: 'kelos.dev/v1alpha2',
    kind: 'Task',
    metadata: {
      name: 'fixer-1',
      namespace: 'team',
      ...(label ? { labels: { 'kelos.dev/taskspawner': label } } : {}),
      ...(ownerReferences ? { ownerReferences } : {}),
    },
    spec: {},
  }) as unknown as Task;

describe('which TaskSpawner a Task is', () => {
  test('the controlling spawner, by its UID', () => {
    const t = task([ref()]);
    expect(spawnerOwnerOf(t)).toEqual({ name: 'fixer', uid: 'uid-1' });
    expect(belongsTo(t, spawner('uid-1'))).toBe(true);
    expect(spawnerKeyOf(t)).toBe('team/fixer');
  });

  test("a Task of a spawner deleted and created again is not the new one's, but still brings it", () => {
    // Its name is a collision in the new spawner's plan until the garbage collector removes
    // it; the removal must bring the new spawner back to create the Task.
    const t = task([ref({ uid: 'uid-old' })]);
    expect(belongsTo(t, spawner('uid-new'))).toBe(false);
    expect(spawnerOwnerOf(t)).toEqual({ name: 'fixer', uid: 'uid-old' });
    expect(spawnerNameOf(t)).toBe('fixer');
    expect(spawnerKeyOf(t)).toBe('team/fixer');
  });

  test('a controller of another kind or group is no spawner, and the label does not override it', () => {
    for (const r of [ref({ kind: 'Job', apiVersion: 'batch/v1' }), ref({ apiVersion: 'other.example/v1' })]) {
      const t = task([r]);
      expect(spawnerOwnerOf(t)).toBeUndefined();
      expect(legacySpawnerOf(t)).toBeUndefined();
      expect(belongsTo(t, spawner('uid-1'))).toBe(false);
      expect(spawnerKeyOf(t)).toBeUndefined();
    }
  });

  test('a legacy Task, with no controller owner, is named by its label', () => {
    expect(belongsTo(task(undefined), spawner('uid-1'))).toBe(true);
    expect(belongsTo(task([]), spawner('uid-1'))).toBe(true);
    expect(belongsTo(task(undefined, 'other'), spawner('uid-1'))).toBe(false);
    expect(spawnerKeyOf(task(undefined))).toBe('team/fixer');
    expect(spawnerKeyOf(task(undefined, null))).toBeUndefined();
  });

  test('a non-controlling owner reference does not make a labelled Task ownerless (upstream TaskBelongsToSpawner)', () => {
    const t = task([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'notes', uid: 'cm' }]);
    expect(legacySpawnerOf(t)).toBe('fixer');
    expect(belongsTo(t, spawner('uid-1'))).toBe(true);
    expect(spawnerKeyOf(t)).toBe('team/fixer');
  });
});
