/**
 * Where in the app each object that no Kelos construct records was made: a plain cdk8s
 * `ApiObject`, a class `cdk8s import` generated (`imports/k8s.ts`, a CRD's), a cdk8s-plus
 * object. Without it a finding on such an object points at the rendered file in `dist/`, which
 * the user does not edit, while one on a Kelos construct points at the app's line.
 *
 * cdk8s keeps no trace of where an object was made, and an app's classes are bound before the
 * runner could replace them. What every `ApiObject` constructor does do is ask `Chart.of(this)`
 * for its chart once, before it marks itself an ApiObject (the marker `ApiObject.isApiObject`
 * reads is its last statement). So while an app runs, the runner wraps `Chart.of` and records the
 * creating call stack of an object that is an ApiObject by prototype and not yet by marker: one
 * in its constructor. The Kelos constructs record their own site after `super()`, which then
 * finds it recorded and captures no second stack. Nothing else of cdk8s is replaced; the wrapper
 * is removed when the app returns (as include-origin.ts does with `Yaml.load`).
 *
 * @packageDocumentation
 */
import type * as cdk8s from 'cdk8s';
import { recordSite } from '../../constructs/site.ts';

/** What this needs of one copy of cdk8s. */
type Cdk8sCopy = Pick<typeof cdk8s, 'ApiObject' | 'Chart'>;

/**
 * Records the site of every ApiObject the app makes until `stop()`, on each copy of cdk8s the app
 * may use.
 */
export const trackObjectSites = (copies: readonly Cdk8sCopy[]): { stop(): void } => {
  const restores = [...new Set(copies)].map(({ ApiObject, Chart }) => {
    const own = Object.getOwnPropertyDescriptor(Chart, 'of');
    const of = Chart.of;
    Chart.of = function (this: unknown, c) {
      if (Object.prototype.isPrototypeOf.call(ApiObject.prototype, c) && !ApiObject.isApiObject(c))
        recordSite(c);
      return of.call(this, c);
    };
    return () => {
      if (own) Object.defineProperty(Chart, 'of', own);
      else Reflect.deleteProperty(Chart, 'of');
    };
  });
  return {
    stop() {
      for (const restore of restores) restore();
    },
  };
};
