import { describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../../src/api/object.ts';
import { buildTask } from '../../../../src/operator/spawner/task-build.ts';

// A spawner kept in Git carries Argo CD's tracking keys; the Tasks it creates must not, or
// Argo CD would list them under the Application, report it out of sync and prune them.
const spawner: TaskSpawner = {
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: {
    name: 'fixer',
    namespace: 'team',
    uid: 'uid-1',
    labels: { 'app.kubernetes.io/instance': 'fleet', team: 'a' },
    annotations: { 'argocd.argoproj.io/tracking-id': 'fleet:kelos.dev/TaskSpawner:team/fixer' },
  },
  spec: {
    when: { githubIssues: { labels: ['bug'] } },
    taskTemplate: {
      metadata: {
        labels: { 'app.kubernetes.io/instance': 'fleet', tier: 'gold' },
        annotations: { 'argocd.argoproj.io/sync-wave': '1', 'kelos.dev/note': 'x' },
      },
      worker: { type: 'claude-code', credentials: { type: 'api-key', secretRef: { name: 'k' } } },
    },
  },
};

describe('spawned Tasks and Argo CD tracking', () => {
  it('carry no Argo CD label or annotation, from the template or the spawner', () => {
    const r = buildTask(
      spawner,
      {
        id: '7',
        number: 7,
        title: 'T',
        body: 'B',
        url: 'https://github.com/acme/w/issues/7',
        labels: [],
        comments: '',
        kind: 'Issue',
        annotations: {},
      },
      { name: 'fixer-7' },
    );
    if (!r.ok) throw new Error(r.error);
    const { labels, annotations } = r.value.metadata;
    expect(labels).toEqual({ tier: 'gold', 'kelos.dev/taskspawner': 'fixer' });
    expect(annotations).toEqual({ 'kelos.dev/note': 'x' });
  });
});
