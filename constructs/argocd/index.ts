/**
 * Argo CD integration: health checks for the Kelos kinds (argocd-cm keys, and Argo CD's own
 * test layout), and the Applications of a fleet with sync waves, server-side apply for the
 * CRDs and the `ignoreDifferences` our operator-written fields need.
 *
 * @packageDocumentation
 */
import { Construct } from 'constructs';
import { type FleetSource, fleetApplications } from './applications.ts';
import { healthCheckConfigMap } from './config-map.ts';
import { ARGOCD_NAMESPACE } from './names.ts';

export { appWavePatches, type FleetSource } from './applications.ts';
export { HEALTH_CHECKS, type HealthCheck, healthCheckData, healthKey } from './health.ts';
export { HEALTH_CASES, type HealthCase, type HealthStatusCode } from './health-cases.ts';
export { healthTestLayout, type LayoutFile } from './health-layout.ts';
export { ARGOCD_INSTANCE_LABEL, ARGOCD_NAMESPACE, ArgoAnnotations } from './names.ts';
export { IGNORE_DIFFERENCES, SyncWaves, WAVE_KINDS } from './sync.ts';

/** Settings of {@link KelosArgoCd}. */
export interface KelosArgoCdProps extends Omit<FleetSource, 'argocdNamespace' | 'paths'> {
  /** @default `argocd` */
  readonly argocdNamespace?: string;
  /** @default the `kelos synth` layout: `dist/argocd`, `dist/crds`, `dist/install`, `dist/examples` */
  readonly paths?: Partial<FleetSource['paths']>;
}

/** The default `dist/` layout. */
export const DIST_PATHS: FleetSource['paths'] = {
  argocd: 'dist/argocd',
  crds: 'dist/crds',
  install: 'dist/install',
  apps: 'dist/examples',
};

/** The health checks and the Applications of a fleet. */
export class KelosArgoCd extends Construct {
  constructor(scope: Construct, id: string, props: KelosArgoCdProps) {
    super(scope, id);
    const argocdNamespace = props.argocdNamespace ?? ARGOCD_NAMESPACE;
    healthCheckConfigMap(this, argocdNamespace);
    fleetApplications(this, { ...props, argocdNamespace, paths: { ...DIST_PATHS, ...props.paths } });
  }
}
