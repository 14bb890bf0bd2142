import { describe, expect, it } from 'vitest';
import type { TaskSpawner } from '../../../../src/api/object.ts';
import { buildTask } from '../../../../src/operator/spawner/task-build.ts';
import type { WorkItem } from '../../../../src/operator/spawner/work-item.ts';

// buildTask keeps the template check of a spawner read from the API server per object and
// resourceVersion: a spawner's new version must be checked again, whatever the old one said.
const version = (resourceVersion: string, promptTemplate: string): TaskSpawner => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'TaskSpawner',
  metadata: { name: 'hook', namespace: 'team', uid: 'uid-1', resourceVersion },
  spec: {
    when: { webhook: { source: 'alerts', fieldMapping: { id: '$.id' } } },
    taskTemplate: { promptTemplate, worker: { type: 'claude-code', credentials: { type: 'none' } } },
  },
});

const item: WorkItem = {
  id: '7',
  number: 0,
  title: 'Disk full',
  body: '',
  url: '',
  labels: [],
  comments: '',
  kind: 'webhook',
  annotations: {},
};

describe('the template check of a spawner read from the API server', () => {
  it('is made again for every new version, and each version keeps its own verdict', () => {
    const good = version('41', 'Fix {{.Title}}');
    const broken = version('42', 'Fix {{.Title');
    const fixed = version('43', 'Look at {{.Title}}');
    const first = buildTask(good, item, { name: 'hook-7' });
    expect(first.ok && first.value.spec.prompt).toBe('Fix Disk full');
    const second = buildTask(broken, item, { name: 'hook-7' });
    expect(second.ok ? 'built' : second.error).toMatch(/^spec\.taskTemplate\.promptTemplate: /);
    const third = buildTask(fixed, item, { name: 'hook-7' });
    expect(third.ok && third.value.spec.prompt).toBe('Look at Disk full');
    // Asked again, each version answers as before.
    expect(buildTask(broken, item, { name: 'hook-7' }).ok).toBe(false);
    expect(buildTask(good, item, { name: 'hook-7' }).ok).toBe(true);
  });
});
