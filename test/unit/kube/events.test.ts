import { describe, expect, it } from 'vitest';
import { type ApiObject, CoreResources } from '../../../src/kube/client.ts';
import { FakeClock } from '../../../src/kube/clock.ts';
import {
  EventRecorder,
  SERIES_PATCH_MS,
  SERIES_WINDOW_MS,
  SPAM_BURST,
  SPAM_REFILL_MS,
} from '../../../src/kube/events.ts';
import { silentLogger } from '../../../src/kube/log.ts';
import { FakeKube } from '../../support/fake-kube.ts';

const NS = 'team';

interface StoredEvent extends ApiObject {
  reason?: string;
  note?: string;
  series?: { count: number; lastObservedTime: string };
}

const task = (name: string): ApiObject => ({
  apiVersion: 'kelos.dev/v1alpha2',
  kind: 'Task',
  metadata: { name, namespace: NS, uid: `uid-${name}` },
});

function setup() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const kube = new FakeKube({ clock });
  const recorder = new EventRecorder(kube, clock, silentLogger, 'test', 'kelos.dev/test');
  const events = () => kube.objects<StoredEvent>(CoreResources.Event, NS);
  return { clock, kube, recorder, events };
}

describe('EventRecorder', () => {
  it('counts an Event that repeats within the window into the first one’s series instead of creating it again', async () => {
    const { recorder, events, kube } = setup();
    for (let i = 0; i < 5; i++)
      recorder.record(task('a'), 'Normal', 'TaskWaiting', 'Waiting for Workspace', 'Reconcile');
    await recorder.flush();
    expect(events()).toHaveLength(1);
    expect(events()[0]?.series?.count).toBe(5);
    expect(kube.requests.create).toBe(1);
  });

  it('patches a series at most once per interval', async () => {
    const { recorder, events, clock, kube } = setup();
    recorder.record(task('a'), 'Normal', 'R', 'n', 'A');
    await kube.flush();
    recorder.record(task('a'), 'Normal', 'R', 'n', 'A');
    recorder.record(task('a'), 'Normal', 'R', 'n', 'A');
    clock.advance(SERIES_PATCH_MS - 1);
    await kube.flush();
    expect(events()[0]?.series).toBeUndefined();
    clock.advance(1);
    await recorder.flush();
    expect(events()[0]?.series?.count).toBe(3);
    expect(kube.requests.patch).toBe(1);
  });

  it('creates a new Event when the note, the reason or the object differs', async () => {
    const { recorder, events } = setup();
    recorder.record(task('a'), 'Normal', 'R', 'one', 'A');
    recorder.record(task('a'), 'Normal', 'R', 'two', 'A');
    recorder.record(task('a'), 'Normal', 'S', 'one', 'A');
    recorder.record(task('b'), 'Normal', 'R', 'one', 'A');
    await recorder.flush();
    expect(events()).toHaveLength(4);
    expect(events().every((e) => e.series === undefined)).toBe(true);
  });

  it('creates the Event anew once the window has passed', async () => {
    const { recorder, events, clock } = setup();
    recorder.record(task('a'), 'Normal', 'R', 'n', 'A');
    clock.advance(SERIES_WINDOW_MS);
    recorder.record(task('a'), 'Normal', 'R', 'n', 'A');
    await recorder.flush();
    expect(events()).toHaveLength(2);
  });

  it('lets an object have a burst of distinct Events, then one more per refill period', async () => {
    const { recorder, events, clock } = setup();
    for (let i = 0; i < SPAM_BURST + 5; i++) recorder.record(task('a'), 'Normal', 'R', `note ${i}`, 'A');
    recorder.record(task('b'), 'Normal', 'R', 'other object', 'A');
    await recorder.flush();
    expect(events().filter((e) => e.metadata.name?.startsWith('a.'))).toHaveLength(SPAM_BURST);
    expect(recorder.filtered).toBe(5);
    expect(events().filter((e) => e.metadata.name?.startsWith('b.'))).toHaveLength(1);
    clock.advance(SPAM_REFILL_MS);
    recorder.record(task('a'), 'Normal', 'R', 'after refill', 'A');
    recorder.record(task('a'), 'Normal', 'R', 'one too many', 'A');
    await recorder.flush();
    expect(events().map((e) => e.note)).toContain('after refill');
    expect(events().map((e) => e.note)).not.toContain('one too many');
  });
});
