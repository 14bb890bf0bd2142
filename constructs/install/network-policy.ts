/**
 * The operator's own NetworkPolicy. Written with the L1 construct: the L2 one models peers
 * as constructs and would render extra objects for "any address".
 *
 * Ingress: metrics, health (kubelet probes) and webhook deliveries, from anywhere (webhooks
 * come from outside the cluster; scraping from the monitoring namespace, whose name we do
 * not know). Egress: DNS, and HTTPS to the API server and GitHub (App installation tokens);
 * 6443 as well because many API servers listen there.
 *
 * @packageDocumentation
 */
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { Ports, SELECTOR_LABELS } from '../../src/install/index.ts';
import { InstallWaves, installMetadata } from './metadata.ts';
import type { ResolvedInstallProps } from './props.ts';

const port = (n: number, protocol = 'TCP') => ({ port: kplus.k8s.IntOrString.fromNumber(n), protocol });

/** Builds the NetworkPolicy into `scope`. */
export const operatorNetworkPolicy = (scope: Construct, props: ResolvedInstallProps) =>
  new kplus.k8s.KubeNetworkPolicy(scope, 'network-policy', {
    metadata: installMetadata(
      props.name,
      props.syncWaves ? InstallWaves.operator : undefined,
      props.namespace,
    ),
    spec: {
      podSelector: { matchLabels: { ...SELECTOR_LABELS } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [port(Ports.metrics), port(Ports.health), port(Ports.webhooks)] }],
      egress: [{ ports: [port(53, 'UDP'), port(53)] }, { ports: [port(443), port(6443)] }],
    },
  });
