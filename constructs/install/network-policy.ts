/**
 * The operator's own NetworkPolicy. Written with the L1 construct: the L2 one models peers
 * as constructs and would render extra objects for "any address".
 *
 * Ingress: metrics, health (kubelet probes) and webhook deliveries, from anywhere (webhooks
 * come from outside the cluster; scraping from the monitoring namespace, whose name we do
 * not know), unless the admin's `metrics` selectors say who scrapes. Egress: DNS to the cluster DNS only, on its ports (as agent Pods: port 53 elsewhere is a way
 * out), and HTTPS to the API server, GitHub, Jira, Linear and Slack (443; 6443 as well
 * because many API servers listen there), plus the admin's `egressPorts` for such services
 * on other ports. Not rendered with `networkPolicy.enabled: false`.
 *
 * @packageDocumentation
 */
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { Ports, SELECTOR_LABELS } from '../../src/install/index.ts';
import { InstallWaves, installMetadata } from './metadata.ts';
import type { MetricsPeer, ResolvedInstallProps } from './props.ts';

const port = (n: number, protocol = 'TCP') => ({ port: kplus.k8s.IntOrString.fromNumber(n), protocol });

/**
 * The ingress rules: one rule from anywhere unless `metrics` names who scrapes, then the
 * metrics port from that peer alone. The probe port stays open either way: kubelet probes are
 * node traffic, which no Pod or namespace selector matches (and many CNIs admit regardless).
 */
export const ingressRules = (metrics: MetricsPeer | undefined): kplus.k8s.NetworkPolicyIngressRule[] => {
  if (!metrics) return [{ ports: [port(Ports.metrics), port(Ports.health), port(Ports.webhooks)] }];
  // One peer: Kubernetes ANDs its selectors. A podSelector alone would select Pods of the
  // operator's namespace only; Prometheus seldom runs there, so any namespace is meant.
  const peer: kplus.k8s.NetworkPolicyPeer = {
    namespaceSelector: metrics.namespaceSelector
      ? { matchLabels: { ...metrics.namespaceSelector.matchLabels } }
      : {},
    ...(metrics.podSelector && { podSelector: { matchLabels: { ...metrics.podSelector.matchLabels } } }),
  };
  return [
    { ports: [port(Ports.health), port(Ports.webhooks)] },
    { from: [peer], ports: [port(Ports.metrics)] },
  ];
};

/** Builds the NetworkPolicy into `scope`. */
export const operatorNetworkPolicy = (scope: Construct, props: ResolvedInstallProps) => {
  const policy = props.networkPolicy;
  if (!policy) return undefined;
  return new kplus.k8s.KubeNetworkPolicy(scope, 'network-policy', {
    metadata: installMetadata(
      props.name,
      props.syncWaves ? InstallWaves.operator : undefined,
      props.namespace,
    ),
    spec: {
      podSelector: { matchLabels: { ...SELECTOR_LABELS } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingressRules(policy.metrics),
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': policy.dns.namespace } },
              podSelector: policy.dns.podSelector,
            },
          ],
          ports: policy.dns.ports.flatMap((p) => [port(p, 'UDP'), port(p)]),
        },
        { ports: [...new Set([443, 6443, ...policy.egressPorts])].map((p) => port(p)) },
      ],
    },
  });
};
