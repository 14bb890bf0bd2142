/**
 * Operator flags the install sets itself: an `extraArgs` copy would silently override the
 * install's hardening, ports or RBAC model (a second `--lease-name` names a Lease the install's
 * Role does not grant, and the operator never leads). One check for `kelos install`'s values and
 * the `KelosInstall` construct, which `kelos synth` renders into `dist/install/`.
 *
 * @packageDocumentation
 */
import { AGENT_TYPES } from '../api/group.ts';

/** Each flag the install may set, with the install setting to use instead ("none: why" for none). */
export const INSTALL_OWNED_FLAGS: Readonly<Record<string, string>> = {
  '--namespace': 'watchNamespaces (--watch-namespace), which also renders a Role in each watched namespace',
  '--image-tag': 'image.tag (--image-tag)',
  '--image-repository': 'image.repository (--image-repository)',
  '--agent-base-image': '--agent-base-digest',
  ...Object.fromEntries(AGENT_TYPES.map((type) => [`--agent-image-${type}`, `agentImages.${type}`])),
  '--leader-elect': 'replicas (the replicas always elect a leader)',
  '--lease-name': "none: the install's Role grants this Lease only",
  '--lease-namespace': "none: the install's Role grants Leases in the operator's namespace only",
  '--metrics-addr': "none: the install's Service, NetworkPolicy and monitors use this port",
  '--metrics-auth': 'none: /metrics stays behind the API server (TokenReview and SubjectAccessReview)',
  '--metrics-secure': 'none: the install serves /metrics over HTTPS',
  '--metrics-cert-path': 'metricsCertSecret, which also mounts the Secret',
  '--default-active-deadline': 'defaultActiveDeadline',
  '--health-addr': "none: the install's probes and NetworkPolicy use this port",
  '--webhook-addr': "none: the install's Service and NetworkPolicy use this port",
};

/** The long flags an argument list names: `--x` of `--x=1` and of `--x 1`. */
export const longFlags = (args: readonly string[]): string[] =>
  args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] as string);

/**
 * The flags the install owns given what it renders itself (`rendered`, its own operator
 * arguments): those, and always `--namespace` (the RBAC follows watchNamespaces),
 * `--metrics-cert-path` (only metricsCertSecret mounts what it names) and `--agent-image-<type>`
 * (agentImages is the one place for them, so the Deployment's args say which image each type runs).
 */
export const ownedFlags = (rendered: readonly string[]): Set<string> =>
  new Set([
    '--namespace',
    '--metrics-cert-path',
    ...AGENT_TYPES.map((type) => `--agent-image-${type}`),
    ...longFlags(rendered),
  ]);

/** What to say of `owned`, flags of `extraArgs` the install sets itself: each with what to use instead. */
export const ownedFlagsMessage = (owned: readonly string[]): string =>
  `the install sets ${owned.join(', ')} itself; ${owned
    .map((f) => {
      const instead = INSTALL_OWNED_FLAGS[f] ?? 'the install setting of the same name';
      // "none: <why>" marks a flag no setting changes: say so, not "use none".
      return instead.startsWith('none: ')
        ? `${f} cannot be changed: ${instead.slice('none: '.length)}`
        : `instead of ${f} use ${instead}`;
    })
    .join('; ')}`;
