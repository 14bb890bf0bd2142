/**
 * Defaults of the operator install, shared by the install constructs (which render them)
 * and the operator (whose flags default to the same ports and Lease): names, ports, labels
 * and the image. Images are ours: a registry/repository prefix chooses where they come
 * from; nothing here names upstream's organisation.
 *
 * @packageDocumentation
 */
import { AGENT_BASE_IMAGE_NAME } from '../api/group.ts';
import { DEFAULT_IMAGE_TAG } from '../api/version.ts';

/** Namespace the operator runs in. */
export const INSTALL_NAMESPACE = 'kelos-system';

/** Name of the operator's ServiceAccount, Deployment, roles and bindings. */
export const OPERATOR_NAME = 'kelos-operator';

/** Name of the leader-election Lease (in the operator's namespace). */
export const LEASE_NAME = 'kelos-operator-leader';

/** Container ports of the operator. */
export const Ports = {
  /** Prometheus `/metrics`. */
  metrics: 8080,
  /** `/healthz` and `/readyz`. */
  health: 8081,
  /** The webhook receiver (GitHub, Linear, generic webhooks). */
  webhooks: 8443,
} as const;

/**
 * Labels that select the operator's Pods. Written explicitly (never derived from a construct
 * path), because a Deployment's selector is immutable: renaming a construct must not change it.
 */
export const SELECTOR_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'kelos',
  'app.kubernetes.io/component': 'operator',
};

/** Labels on every object of the install. */
export const INSTALL_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'kelos',
  'app.kubernetes.io/part-of': 'kelos',
};

/**
 * `app.kubernetes.io/managed-by` of every install object: the tool that renders it (`kelos
 * synth` into `dist/install`, `kelos install` in memory). Not among {@link INSTALL_LABELS},
 * which find an install's objects and must match those of releases without it.
 */
export const INSTALL_MANAGED_BY = 'kelos';

/** Registry and repository prefix of our images. */
export const DEFAULT_IMAGE_PREFIX = 'ghcr.io/kelos-ts';

/** Repository name of the operator image under the prefix. */
export const OPERATOR_IMAGE_NAME = 'kelos-operator';

/** `sha256:` and 64 hex digits: an image digest as registries and OCI archives give it. */
export const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * `<prefix>/<name>:<tag>`, or `<prefix>/<name>@<digest>` when a digest is given: a release
 * pins digests so the install runs exactly the image it was built with.
 */
export const imageReference = (prefix: string, name: string, tag: string, digest?: string): string =>
  `${prefix.replace(/\/+$/, '')}/${name}${digest ? `@${digest}` : `:${tag}`}`;

/** `<prefix>/kelos-operator:<tag>` (or `@<digest>`); the tag defaults to `v<package version>`. */
export const operatorImage = (
  prefix = DEFAULT_IMAGE_PREFIX,
  tag = DEFAULT_IMAGE_TAG,
  digest?: string,
): string => imageReference(prefix, OPERATOR_IMAGE_NAME, tag, digest);

/** `<prefix>/agent-base:<tag>` (or `@<digest>`): the operator's `--agent-base-image`. */
export const agentBaseImage = (
  prefix = DEFAULT_IMAGE_PREFIX,
  tag = DEFAULT_IMAGE_TAG,
  digest?: string,
): string => imageReference(prefix, AGENT_BASE_IMAGE_NAME, tag, digest);
