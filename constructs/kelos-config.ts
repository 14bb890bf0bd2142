/**
 * L1 construct for KelosConfig: the cluster admin's settings (pod security floor, outbound
 * hosts, agent network isolation, model rates, admission exemptions). Cluster-scoped: the chart's namespace is not
 * applied, and the object is always named `kelos`, the one the operator reads.
 *
 * @packageDocumentation
 */
import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { API_VERSION, KELOS_CONFIG_NAME, type KelosConfigSpec } from '../src/api/index.ts';
import { compact } from './render.ts';
import { recordSite } from './site.ts';
import { refuseViolations, shapeViolations, Violations } from './validation.ts';

/** Props of a {@link KelosConfig}: its spec plus labels and annotations. */
export interface KelosConfigProps extends KelosConfigSpec {
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** Pure checks of a KelosConfig spec; JSON pointers are relative to the object. */
export const checkKelosConfigSpec = (spec: KelosConfigSpec, v: Violations): void => {
  (spec.networkIsolation?.inClusterAllowances ?? []).forEach((a, i) => {
    const at = `/spec/networkIsolation/inClusterAllowances/${i}`;
    v.check(
      (a.namespace === undefined) === (a.namespaceSelector === undefined),
      at,
      'set exactly one of namespace and namespaceSelector',
    );
    const sel = a.podSelector ?? {};
    v.check(
      Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0,
      `${at}/podSelector`,
      'podSelector must select something: an empty selector would open every Pod of the namespace',
    );
  });
  for (const [agent, models] of Object.entries(spec.rates ?? {})) {
    for (const [model, rate] of Object.entries(models)) {
      v.check(!(rate >= 0), `/spec/rates/${agent}/${model}`, 'must be a non-negative number of USD per hour');
    }
  }
};

/**
 * The cluster's Kelos configuration.
 *
 * @throws KelosValidationError when an in-cluster allowance names both or neither of
 * `namespace` and `namespaceSelector` or selects every Pod, or a rate is negative (handed to the
 * collector instead while `kelos synth` runs the app, as the other L1 constructs do).
 */
export class KelosConfig extends ApiObject {
  /** The rendered spec. */
  readonly spec: KelosConfigSpec;

  constructor(scope: Construct, id: string, props: KelosConfigProps = {}) {
    const { labels, annotations, ...rest } = props;
    const spec = compact<KelosConfigSpec>(rest);
    super(scope, id, {
      apiVersion: API_VERSION,
      kind: 'KelosConfig',
      metadata: {
        name: KELOS_CONFIG_NAME,
        ...(labels ? { labels } : {}),
        ...(annotations ? { annotations } : {}),
      },
      spec,
    });
    recordSite(this);
    this.spec = spec;
    // Props of the wrong shape (`inClusterAllowances: 'x'` in an untyped app) are refused as
    // such; the checks below read fields of the shape the types promise.
    const shape = shapeViolations('KelosConfig', spec);
    const v = new Violations();
    if (shape.length === 0) checkKelosConfigSpec(spec, v);
    refuseViolations({ kind: 'KelosConfig', name: KELOS_CONFIG_NAME }, shape.length > 0 ? shape : v.items);
  }

  /** Cluster-scoped: drops the namespace a chart would give every object. */
  override toJson(): unknown {
    const json = super.toJson() as { metadata?: Record<string, unknown> };
    if (json.metadata) delete json.metadata['namespace'];
    return json;
  }
}
