/**
 * Objects and helpers shared by the unit tests of the fake API server.
 *
 * @module
 */
import { expect } from 'vitest';
import { ApiError, type ApiObject, type ResourceType, type WatchEvent } from '../../../src/kube/client.ts';
import { FakeClock } from '../../../src/kube/clock.ts';
import { FakeKube } from '../../support/fake-kube.ts';

/** A CRD-like type with a status subresource, and one without. */
export const Widget: ResourceType = {
  group: 'example.com',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};
export const Gadget: ResourceType = {
  group: 'example.com',
  version: 'v1',
  plural: 'gadgets',
  kind: 'Gadget',
  namespaced: true,
};

export interface Obj extends ApiObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

const T0 = Date.parse('2026-03-01T10:00:00Z');
/** A fake API server on a fake clock, with Widget as a type with a status subresource. */
export const setup = () => {
  const clock = new FakeClock(T0);
  const kube = new FakeKube({ clock, statusSubresources: [Widget] });
  return { clock, kube };
};

export const widget = (name: string, extra: Partial<Obj> = {}, namespace = 'ns'): Obj => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace, ...extra.metadata },
  spec: { size: 1 },
  ...extra,
  ...(extra.metadata ? { metadata: { name, namespace, ...extra.metadata } } : {}),
});

export const cm = (name: string, labels?: Record<string, string>, namespace = 'ns'): Obj => ({
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data: { k: name },
});

/** Collects the events of a watch as `TYPE name@rv`. */
export const collect = (kube: FakeKube, type: ResourceType, opts: Parameters<FakeKube['watch']>[1] = {}) => {
  const seen: string[] = [];
  const done = kube.watch<Obj>(type, opts, (e: WatchEvent<Obj>) =>
    seen.push(`${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`),
  );
  return { seen, done };
};

/** The ApiError `p` rejects with (fails the test when it resolves or rejects otherwise). */
export const rejection = async (p: Promise<unknown>): Promise<ApiError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
};
